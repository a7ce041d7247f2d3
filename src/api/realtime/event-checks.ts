/**
 * Lightweight runtime checks of realtime events, per dialect: the fields each event type requires, with their
 * kinds, and the values the API constrains (audio formats, truncate positions, the 15 MiB append cap, the
 * 512-character `event_id`). The client runs {@link clientEventProblems} on every event before it goes on the
 * wire; the emulator runs both on what it receives and sends. The full JSON Schemas of the spec
 * (docs/spec/openai-audio-realtime.subset.yaml) are checked with ajv in the conformance tests, not at run time:
 * a schema validator per event would cost more than the event itself on the audio path.
 *
 * Each function returns a list of problems (empty = fine), each naming the field and what was wrong.
 */
import type { RealtimeDialect } from './events.js';

/** Most base64 characters in one `input_audio_buffer.append` (15 MiB of audio as base64). */
export const MAX_APPEND_BASE64_CHARS = Math.ceil((15 * 1024 * 1024) / 3) * 4;

type Kind = 'string' | 'nonempty' | 'int' | 'uint' | 'object' | 'array' | 'number' | 'string?' | 'any';
/** field → kind; a trailing `?` on the field name marks it optional. */
type Shape = Readonly<Record<string, Kind>>;

const CLIENT_SHAPES: Readonly<Record<string, Shape>> = {
  'session.update': { session: 'object' },
  'transcription_session.update': { session: 'object' },
  'input_audio_buffer.append': { audio: 'string' },
  'input_audio_buffer.commit': {},
  'input_audio_buffer.clear': {},
  'output_audio_buffer.clear': {},
  'conversation.item.create': { item: 'object', 'previous_item_id?': 'string?' },
  'conversation.item.retrieve': { item_id: 'nonempty' },
  'conversation.item.delete': { item_id: 'nonempty' },
  'conversation.item.truncate': { item_id: 'nonempty', content_index: 'uint', audio_end_ms: 'uint' },
  'response.create': { 'response?': 'object' },
  'response.cancel': { 'response_id?': 'nonempty' },
};

const PART = { response_id: 'string', item_id: 'string', output_index: 'int', content_index: 'int' } as const;

const SERVER_SHAPES: Readonly<Record<string, Shape>> = {
  error: { error: 'object' },
  'session.created': { session: 'object' },
  'session.updated': { session: 'object' },
  'conversation.created': { conversation: 'object' },
  'conversation.item.added': { item: 'object' },
  'conversation.item.done': { item: 'object' },
  'conversation.item.created': { item: 'object' },
  'conversation.item.retrieved': { item: 'object' },
  'conversation.item.deleted': { item_id: 'string' },
  'conversation.item.truncated': { item_id: 'string', content_index: 'int', audio_end_ms: 'uint' },
  'conversation.item.input_audio_transcription.delta': { item_id: 'string', 'content_index?': 'int', 'delta?': 'string' },
  'conversation.item.input_audio_transcription.completed': { item_id: 'string', content_index: 'int', transcript: 'string', usage: 'object' },
  'conversation.item.input_audio_transcription.failed': { item_id: 'string', content_index: 'int', error: 'object' },
  'conversation.item.input_audio_transcription.segment': {
    item_id: 'string', content_index: 'int', id: 'string', text: 'string', speaker: 'string', start: 'number', end: 'number',
  },
  'input_audio_buffer.speech_started': { audio_start_ms: 'uint', item_id: 'string' },
  'input_audio_buffer.speech_stopped': { audio_end_ms: 'uint', item_id: 'string' },
  'input_audio_buffer.committed': { item_id: 'string' },
  'input_audio_buffer.cleared': {},
  'input_audio_buffer.timeout_triggered': { audio_start_ms: 'uint', audio_end_ms: 'uint', item_id: 'string' },
  'input_audio_buffer.dtmf_event_received': { event: 'string', received_at: 'int' },
  'output_audio_buffer.started': { response_id: 'string' },
  'output_audio_buffer.stopped': { response_id: 'string' },
  'output_audio_buffer.cleared': { response_id: 'string' },
  'response.created': { response: 'object' },
  'response.done': { response: 'object' },
  'response.output_item.added': { response_id: 'string', output_index: 'int', item: 'object' },
  'response.output_item.done': { response_id: 'string', output_index: 'int', item: 'object' },
  'response.content_part.added': { ...PART, part: 'object' },
  'response.content_part.done': { ...PART, part: 'object' },
  'response.output_audio.delta': { ...PART, delta: 'string' },
  'response.output_audio.done': PART,
  'response.output_audio_transcript.delta': { ...PART, delta: 'string' },
  'response.output_audio_transcript.done': { ...PART, transcript: 'string' },
  'response.output_text.delta': { ...PART, delta: 'string' },
  'response.output_text.done': { ...PART, text: 'string' },
  'response.function_call_arguments.delta': { response_id: 'string', item_id: 'string', output_index: 'int', call_id: 'string', delta: 'string' },
  'response.function_call_arguments.done': {
    response_id: 'string', item_id: 'string', output_index: 'int', call_id: 'string', name: 'string', arguments: 'string',
  },
  'response.mcp_call_arguments.delta': { response_id: 'string', item_id: 'string', output_index: 'int', delta: 'string' },
  'response.mcp_call_arguments.done': { response_id: 'string', item_id: 'string', output_index: 'int', arguments: 'string' },
  'response.mcp_call.in_progress': { output_index: 'int', item_id: 'string' },
  'response.mcp_call.completed': { output_index: 'int', item_id: 'string' },
  'response.mcp_call.failed': { output_index: 'int', item_id: 'string' },
  'mcp_list_tools.in_progress': { item_id: 'string' },
  'mcp_list_tools.completed': { item_id: 'string' },
  'mcp_list_tools.failed': { item_id: 'string' },
  'rate_limits.updated': { rate_limits: 'array' },
};

/** Beta server event names and the GA shape they share. */
const BETA_SERVER_ALIASES: Readonly<Record<string, string>> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'transcription_session.created': 'session.created',
  'transcription_session.updated': 'session.updated',
};
/** GA server event names that do not exist in the beta dialect. */
const GA_ONLY_SERVER: ReadonlySet<string> = new Set([
  'conversation.item.added', 'conversation.item.done', 'input_audio_buffer.timeout_triggered', 'input_audio_buffer.dtmf_event_received',
  'response.output_audio.delta', 'response.output_audio.done', 'response.output_audio_transcript.delta', 'response.output_audio_transcript.done',
  'response.output_text.delta', 'response.output_text.done',
]);

function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kindProblem(kind: Kind, v: unknown): string | undefined {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? undefined : 'must be a string';
    case 'nonempty':
      return typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string';
    case 'string?':
      return v === null || typeof v === 'string' ? undefined : 'must be a string or null';
    case 'int':
      return Number.isInteger(v) ? undefined : 'must be an integer';
    case 'uint':
      return Number.isInteger(v) && (v as number) >= 0 ? undefined : 'must be an integer ≥ 0';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number';
    case 'object':
      return isDict(v) ? undefined : 'must be an object';
    case 'array':
      return Array.isArray(v) ? undefined : 'must be an array';
    default:
      return undefined;
  }
}

function shapeProblems(event: Record<string, unknown>, shape: Shape, out: string[]): void {
  for (const [rawKey, kind] of Object.entries(shape)) {
    const optional = rawKey.endsWith('?');
    const key = optional ? rawKey.slice(0, -1) : rawKey;
    const v = event[key];
    if (v === undefined) {
      if (!optional) out.push(`${key} is required`);
      continue;
    }
    const p = kindProblem(kind, v);
    if (p) out.push(`${key} ${p} (got ${describe(v)})`);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

const GA_FORMATS = new Set(['audio/pcm', 'audio/pcmu', 'audio/pcma']);
const BETA_FORMATS = new Set(['pcm16', 'g711_ulaw', 'g711_alaw']);
const TURN_TYPES = new Set(['server_vad', 'semantic_vad']);

function gaFormatProblem(where: string, f: unknown, out: string[]): void {
  if (f === undefined) return;
  if (!isDict(f) || typeof f.type !== 'string' || !GA_FORMATS.has(f.type)) {
    out.push(`${where} must be { type: 'audio/pcm', rate: 24000 }, { type: 'audio/pcmu' } or { type: 'audio/pcma' } (got ${JSON.stringify(f)})`);
  } else if (f.type === 'audio/pcm' && f.rate !== undefined && f.rate !== 24000) {
    out.push(`${where}.rate must be 24000 for audio/pcm (got ${String(f.rate)})`);
  }
}

function turnDetectionProblem(where: string, td: unknown, out: string[]): void {
  if (td === undefined || td === null) return;
  if (!isDict(td) || typeof td.type !== 'string' || !TURN_TYPES.has(td.type)) {
    out.push(`${where} must be null, { type: 'server_vad', … } or { type: 'semantic_vad', … } (got ${JSON.stringify(td)})`);
    return;
  }
  if (td.threshold !== undefined && !(typeof td.threshold === 'number' && td.threshold >= 0 && td.threshold <= 1)) out.push(`${where}.threshold must be 0..1`);
  for (const k of ['prefix_padding_ms', 'silence_duration_ms']) {
    if (td[k] !== undefined && !(Number.isInteger(td[k]) && (td[k] as number) >= 0)) out.push(`${where}.${k} must be an integer ≥ 0`);
  }
  const idle = td.idle_timeout_ms;
  if (idle !== undefined && idle !== null && !(Number.isInteger(idle) && (idle as number) >= 5000 && (idle as number) <= 30000)) {
    out.push(`${where}.idle_timeout_ms must be 5000..30000 or null`);
  }
  if (td.eagerness !== undefined && !['low', 'medium', 'high', 'auto'].includes(td.eagerness as string)) out.push(`${where}.eagerness must be low, medium, high or auto`);
}

function sessionProblems(session: Record<string, unknown>, dialect: RealtimeDialect, eventType: string, out: string[]): void {
  if (dialect === 'ga') {
    if (session.type !== 'realtime' && session.type !== 'transcription') out.push(`session.type must be 'realtime' or 'transcription' (got ${describe(session.type)})`);
    for (const k of ['modalities', 'input_audio_format', 'output_audio_format', 'voice', 'turn_detection', 'input_audio_transcription']) {
      if (k in session) out.push(`session.${k} is a beta field; in the GA dialect it lives under session.audio (or output_modalities)`);
    }
    const audio = session.audio;
    if (audio !== undefined) {
      if (!isDict(audio)) out.push('session.audio must be an object');
      else {
        if (isDict(audio.input)) {
          gaFormatProblem('session.audio.input.format', audio.input.format, out);
          turnDetectionProblem('session.audio.input.turn_detection', audio.input.turn_detection, out);
        }
        if (isDict(audio.output)) {
          gaFormatProblem('session.audio.output.format', audio.output.format, out);
          const speed = audio.output.speed;
          if (speed !== undefined && !(typeof speed === 'number' && speed >= 0.25 && speed <= 1.5)) out.push('session.audio.output.speed must be 0.25..1.5');
        }
      }
    }
    modalitiesProblem('session.output_modalities', session.output_modalities, out);
  } else {
    if ('audio' in session || 'output_modalities' in session) out.push('session.audio / output_modalities are GA fields; the beta dialect has flat input_audio_format, output_audio_format, voice, modalities');
    for (const k of ['input_audio_format', 'output_audio_format']) {
      const f = session[k];
      if (f !== undefined && !(typeof f === 'string' && BETA_FORMATS.has(f))) out.push(`session.${k} must be pcm16, g711_ulaw or g711_alaw (got ${describe(f)})`);
    }
    if (eventType === 'session.update') modalitiesProblem('session.modalities', session.modalities, out);
    turnDetectionProblem('session.turn_detection', session.turn_detection, out);
  }
}

function modalitiesProblem(where: string, m: unknown, out: string[]): void {
  if (m === undefined) return;
  if (!Array.isArray(m) || m.length === 0 || m.some((x) => x !== 'text' && x !== 'audio')) out.push(`${where} must be a non-empty array of 'text' / 'audio'`);
}

/** Problems of a client event as it will be sent in `dialect` (empty when it is fine). */
export function clientEventProblems(event: unknown, dialect: RealtimeDialect = 'ga'): string[] {
  if (!isDict(event)) return [`an event must be an object (got ${describe(event)})`];
  const type = event.type;
  if (typeof type !== 'string') return ['type is required (a string such as "response.create")'];
  const shape = CLIENT_SHAPES[type];
  if (!shape || (type === 'transcription_session.update' && dialect === 'ga')) {
    return [`"${type}" is not a client event of the ${dialect} realtime dialect`];
  }
  const out: string[] = [];
  if (event.event_id !== undefined && !(typeof event.event_id === 'string' && event.event_id.length <= 512)) out.push('event_id must be a string of at most 512 characters');
  shapeProblems(event, shape, out);
  if (out.length > 0) return out;
  switch (type) {
    case 'input_audio_buffer.append': {
      const audio = event.audio as string;
      if (audio.length === 0) out.push('audio is empty (an append must carry audio)');
      else if (audio.length > MAX_APPEND_BASE64_CHARS) out.push(`audio is ${audio.length} base64 characters, over the 15 MiB per-event cap; send smaller appends`);
      else if (audio.length % 4 !== 0) out.push('audio is not base64 (its length is not a multiple of 4)');
      break;
    }
    case 'conversation.item.truncate':
      break;
    case 'session.update':
    case 'transcription_session.update':
      sessionProblems(event.session as Record<string, unknown>, dialect, type, out);
      break;
    case 'response.create': {
      const r = event.response;
      if (isDict(r)) {
        if (dialect === 'ga') {
          modalitiesProblem('response.output_modalities', r.output_modalities, out);
          if (isDict(r.audio) && isDict(r.audio.output)) gaFormatProblem('response.audio.output.format', r.audio.output.format, out);
          if ('modalities' in r || 'output_audio_format' in r) out.push('response.modalities / output_audio_format are beta fields; use output_modalities / audio.output.format');
        } else {
          modalitiesProblem('response.modalities', r.modalities, out);
          const f = r.output_audio_format;
          if (f !== undefined && !(typeof f === 'string' && BETA_FORMATS.has(f))) out.push(`response.output_audio_format must be pcm16, g711_ulaw or g711_alaw (got ${describe(f)})`);
        }
        const mot = r.max_output_tokens;
        if (mot !== undefined && mot !== 'inf' && !(Number.isInteger(mot) && (mot as number) >= 1 && (mot as number) <= 4096)) out.push('response.max_output_tokens must be 1..4096 or "inf"');
      }
      break;
    }
    case 'conversation.item.create': {
      const item = event.item as Record<string, unknown>;
      if (typeof item.type !== 'string') out.push('item.type is required (message, function_call, function_call_output)');
      else if (item.type === 'message') {
        if (item.role !== 'user' && item.role !== 'assistant' && item.role !== 'system') out.push('item.role must be user, assistant or system');
        if (!Array.isArray(item.content)) out.push('item.content must be an array of content parts');
      } else if (item.type === 'function_call_output') {
        if (typeof item.call_id !== 'string' || item.call_id.length === 0) out.push('item.call_id is required for a function_call_output');
        if (typeof item.output !== 'string') out.push('item.output must be a string (JSON text of the result)');
      }
      break;
    }
    default:
      break;
  }
  return out;
}

/** Problems of a server event as received in `dialect` (empty when it is fine; unknown types are a problem). */
export function serverEventProblems(event: unknown, dialect: RealtimeDialect = 'ga'): string[] {
  if (!isDict(event)) return [`an event must be an object (got ${describe(event)})`];
  const type = event.type;
  if (typeof type !== 'string') return ['type is required'];
  let shapeType = type;
  if (dialect === 'beta') {
    if (GA_ONLY_SERVER.has(type)) return [`"${type}" is a GA event; a beta server does not send it`];
    shapeType = BETA_SERVER_ALIASES[type] ?? type;
  }
  const shape = SERVER_SHAPES[shapeType];
  if (!shape) return [`"${type}" is not a server event of the ${dialect} realtime dialect`];
  const out: string[] = [];
  if (type !== 'input_audio_buffer.dtmf_event_received' && typeof event.event_id !== 'string') out.push('event_id is required');
  shapeProblems(event, shape, out);
  return out;
}

/** Whether `type` names a server event of `dialect` (so the client can tell "unknown" from "malformed"). */
export function isKnownServerEventType(type: string, dialect: RealtimeDialect = 'ga'): boolean {
  if (dialect === 'beta') return !GA_ONLY_SERVER.has(type) && (BETA_SERVER_ALIASES[type] ?? type) in SERVER_SHAPES;
  return type in SERVER_SHAPES;
}
