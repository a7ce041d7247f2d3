/**
 * Translation between the GA realtime dialect and the beta one (`OpenAI-Beta: realtime=v1`), in all four
 * directions, as pure functions: the client translates at its edge (GA in the app, beta on the wire), the
 * emulator translates the other way (beta from the wire, GA inside). One copy, used by both.
 *
 * What differs (docs/API-CONTRACT.md §2.6):
 * - server event names: beta `response.audio.*`, `response.audio_transcript.*`, `response.text.*` are GA
 *   `response.output_audio.*`, `response.output_audio_transcript.*`, `response.output_text.*`;
 *   beta `conversation.item.created` is GA `conversation.item.added` (GA's `conversation.item.done`,
 *   `input_audio_buffer.timeout_triggered` and `input_audio_buffer.dtmf_event_received` have no beta form);
 * - sessions: beta is flat (`modalities`, `input_audio_format: 'pcm16' | 'g711_ulaw' | 'g711_alaw'`, `voice`,
 *   `input_audio_transcription`, `input_audio_noise_reduction`, `turn_detection`, `temperature`,
 *   `max_response_output_tokens`), GA nests under `audio.input` / `audio.output` with
 *   `{ type: 'audio/pcm', rate: 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' }`, and has `type`;
 *   beta `transcription_session.*` is GA `session.*` with `session.type: 'transcription'`;
 * - assistant content parts: beta `text` / `audio`, GA `output_text` / `output_audio`;
 * - modalities: beta `['text', 'audio']` (audio always comes with its transcript) is GA `['audio']`.
 *
 * Fields without a counterpart (GA `reasoning`, `parallel_tool_calls`; beta `temperature`) are dropped; fields
 * this module does not know are carried over unchanged. Events that are the same in both dialects are
 * returned as they are (same object): translation costs nothing on the audio hot path in the GA dialect, and
 * one small object per event in the beta one.
 */
import { FormatError } from '../../core/errors.js';
import type {
  BetaAudioFormat,
  BetaSessionConfig,
  BetaWireEvent,
  RealtimeAudioFormat,
  RealtimeClientEvent,
  RealtimeConversationItem,
  RealtimeResponse,
  RealtimeResponseCreateParams,
  RealtimeServerEvent,
  RealtimeSessionDescription,
  RealtimeSessionConfig,
} from './events.js';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Copies `value` to `out[key]` when it is not undefined. */
function put(out: Dict, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}

// ---------------------------------------------------------------------------------------------------------------
// Formats and modalities

/** GA format → beta format name. @throws FormatError for PCM at a rate other than 24 kHz or an unknown type. */
export function audioFormatToBeta(format: RealtimeAudioFormat): BetaAudioFormat {
  switch (format.type) {
    case 'audio/pcm':
      if (format.rate !== undefined && format.rate !== 24000) {
        throw new FormatError(
          `Realtime PCM audio must be 24000 Hz (got rate ${String(format.rate)}). Resample to 24 kHz, or use audio/pcmu or audio/pcma for 8 kHz telephony.`,
          'TLA_ERR_PCM_FORMAT',
        );
      }
      return 'pcm16';
    case 'audio/pcmu':
      return 'g711_ulaw';
    case 'audio/pcma':
      return 'g711_alaw';
    default:
      throw new FormatError(
        `Unknown realtime audio format ${JSON.stringify(format)}: use { type: 'audio/pcm', rate: 24000 }, { type: 'audio/pcmu' } or { type: 'audio/pcma' }.`,
        'TLA_ERR_PCM_FORMAT',
      );
  }
}

/** Beta format name → GA format. @throws FormatError for a name that is not `pcm16`, `g711_ulaw` or `g711_alaw`. */
export function audioFormatFromBeta(format: string): RealtimeAudioFormat {
  switch (format) {
    case 'pcm16':
      return { type: 'audio/pcm', rate: 24000 };
    case 'g711_ulaw':
      return { type: 'audio/pcmu' };
    case 'g711_alaw':
      return { type: 'audio/pcma' };
    default:
      throw new FormatError(
        `Unknown beta realtime audio format ${JSON.stringify(format)}: use 'pcm16', 'g711_ulaw' or 'g711_alaw'.`,
        'TLA_ERR_PCM_FORMAT',
      );
  }
}

/** GA `output_modalities` → beta `modalities` (GA audio always carries its transcript: beta `['text', 'audio']`). */
export function modalitiesToBeta(modalities: ReadonlyArray<'text' | 'audio'>): Array<'text' | 'audio'> {
  return modalities.includes('audio') ? ['text', 'audio'] : ['text'];
}

/** Beta `modalities` → GA `output_modalities`. */
export function modalitiesFromBeta(modalities: ReadonlyArray<string>): Array<'text' | 'audio'> {
  return modalities.includes('audio') ? ['audio'] : ['text'];
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions

/** GA session (config or server description) → flat beta session. */
export function sessionToBeta(session: Partial<RealtimeSessionConfig> & Dict): BetaSessionConfig {
  const { type: _type, output_modalities, audio, max_output_tokens, reasoning: _r, parallel_tool_calls: _p, ...rest } = session;
  const out: Dict = { ...rest };
  if (Array.isArray(output_modalities)) out.modalities = modalitiesToBeta(output_modalities);
  const input = isDict(audio) && isDict(audio.input) ? audio.input : undefined;
  const output = isDict(audio) && isDict(audio.output) ? audio.output : undefined;
  if (input) {
    if (isDict(input.format)) out.input_audio_format = audioFormatToBeta(input.format as RealtimeAudioFormat);
    put(out, 'input_audio_transcription', input.transcription);
    put(out, 'input_audio_noise_reduction', input.noise_reduction);
    put(out, 'turn_detection', input.turn_detection);
  }
  if (output) {
    if (isDict(output.format)) out.output_audio_format = audioFormatToBeta(output.format as RealtimeAudioFormat);
    put(out, 'voice', output.voice);
    put(out, 'speed', output.speed);
  }
  put(out, 'max_response_output_tokens', max_output_tokens);
  return out as BetaSessionConfig;
}

/**
 * Flat beta session → GA session. `type` is `realtime` unless `transcription` is given (beta
 * `transcription_session.*`). Beta `temperature` has no GA counterpart and is dropped.
 */
export function sessionFromBeta(session: BetaSessionConfig, type: 'realtime' | 'transcription' = 'realtime'): RealtimeSessionConfig & Partial<RealtimeSessionDescription> {
  const {
    modalities,
    input_audio_format,
    output_audio_format,
    input_audio_transcription,
    input_audio_noise_reduction,
    turn_detection,
    voice,
    speed,
    temperature: _t,
    max_response_output_tokens,
    ...rest
  } = session;
  const out: Dict = { type, ...rest };
  if (Array.isArray(modalities)) out.output_modalities = modalitiesFromBeta(modalities);
  const input: Dict = {};
  if (typeof input_audio_format === 'string') input.format = audioFormatFromBeta(input_audio_format);
  put(input, 'transcription', input_audio_transcription);
  put(input, 'noise_reduction', input_audio_noise_reduction);
  put(input, 'turn_detection', turn_detection);
  const output: Dict = {};
  if (typeof output_audio_format === 'string') output.format = audioFormatFromBeta(output_audio_format);
  put(output, 'voice', voice);
  put(output, 'speed', speed);
  if (Object.keys(input).length > 0 || Object.keys(output).length > 0) {
    const audio: Dict = {};
    if (Object.keys(input).length > 0) audio.input = input;
    if (Object.keys(output).length > 0 && type === 'realtime') audio.output = output;
    out.audio = audio;
  }
  put(out, 'max_output_tokens', max_response_output_tokens);
  return out as RealtimeSessionConfig & Partial<RealtimeSessionDescription>;
}

// ---------------------------------------------------------------------------------------------------------------
// Items, responses, response parameters

const PART_TO_BETA: Readonly<Record<string, string>> = { output_text: 'text', output_audio: 'audio' };
const PART_FROM_BETA: Readonly<Record<string, string>> = { text: 'output_text', audio: 'output_audio' };

function mapItemParts(item: RealtimeConversationItem | Dict, table: Readonly<Record<string, string>>): RealtimeConversationItem {
  if (item.type !== 'message' || !Array.isArray(item.content) || item.role !== 'assistant') return item as RealtimeConversationItem;
  let changed = false;
  const content = (item.content as Dict[]).map((part) => {
    const to = isDict(part) && typeof part.type === 'string' ? table[part.type] : undefined;
    if (!to) return part;
    changed = true;
    return { ...part, type: to };
  });
  return (changed ? { ...item, content } : item) as RealtimeConversationItem;
}

/** GA conversation item → beta (assistant `output_text`/`output_audio` parts → `text`/`audio`). */
export function itemToBeta(item: RealtimeConversationItem): Dict {
  return mapItemParts(item, PART_TO_BETA) as Dict;
}

/** Beta conversation item → GA (assistant `text`/`audio` parts → `output_text`/`output_audio`). */
export function itemFromBeta(item: Dict): RealtimeConversationItem {
  return mapItemParts(item, PART_FROM_BETA);
}

/**
 * A response or `response.create` parameters, GA → beta: `output_modalities` → `modalities`, `audio.output` →
 * `output_audio_format` + `voice`, the items under `itemsKey` translated; `reasoning` / `parallel_tool_calls` dropped.
 */
function responseShapeToBeta(value: Dict, itemsKey: 'output' | 'input'): Dict {
  const { output_modalities, audio, reasoning: _r, parallel_tool_calls: _p, ...rest } = value;
  const out: Dict = { ...rest };
  if (Array.isArray(output_modalities)) out.modalities = modalitiesToBeta(output_modalities);
  const audioOut = isDict(audio) && isDict(audio.output) ? audio.output : undefined;
  if (audioOut) {
    if (isDict(audioOut.format)) out.output_audio_format = audioFormatToBeta(audioOut.format as RealtimeAudioFormat);
    put(out, 'voice', audioOut.voice);
  }
  const items = rest[itemsKey];
  if (Array.isArray(items)) out[itemsKey] = items.map((item) => (isDict(item) ? itemToBeta(item as RealtimeConversationItem) : item));
  return out;
}

/** The reverse of {@link responseShapeToBeta}; beta `temperature` is dropped. */
function responseShapeFromBeta(value: Dict, itemsKey: 'output' | 'input'): Dict {
  const { modalities, output_audio_format, voice, temperature: _t, ...rest } = value;
  const out: Dict = { ...rest };
  if (Array.isArray(modalities)) out.output_modalities = modalitiesFromBeta(modalities as string[]);
  const audioOut: Dict = {};
  if (typeof output_audio_format === 'string') audioOut.format = audioFormatFromBeta(output_audio_format);
  put(audioOut, 'voice', voice);
  if (Object.keys(audioOut).length > 0) out.audio = { output: audioOut };
  const items = rest[itemsKey];
  if (Array.isArray(items)) out[itemsKey] = items.map((item) => (isDict(item) ? itemFromBeta(item) : item));
  return out;
}

/** GA response (of `response.created` / `response.done`) → beta. */
export function responseToBeta(response: RealtimeResponse): Dict {
  return responseShapeToBeta(response, 'output');
}

/** Beta response → GA. */
export function responseFromBeta(response: Dict): RealtimeResponse {
  return responseShapeFromBeta(response, 'output') as RealtimeResponse;
}

/** GA `response.create` parameters → beta. */
export function responseParamsToBeta(params: RealtimeResponseCreateParams): Dict {
  return responseShapeToBeta(params, 'input');
}

/** Beta `response.create` parameters → GA. */
export function responseParamsFromBeta(params: Dict): RealtimeResponseCreateParams {
  return responseShapeFromBeta(params, 'input') as RealtimeResponseCreateParams;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

/** GA server event names whose beta name differs (and back). */
const SERVER_TYPE_TO_BETA: Readonly<Record<string, string>> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
  'conversation.item.added': 'conversation.item.created',
};
const SERVER_TYPE_FROM_BETA: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SERVER_TYPE_TO_BETA).map(([ga, beta]) => [beta, ga]),
);

/** GA server events the beta dialect does not have: dropped on the way to a beta client. */
const GA_ONLY_SERVER_TYPES: ReadonlySet<string> = new Set([
  'conversation.item.done',
  'input_audio_buffer.timeout_triggered',
  'input_audio_buffer.dtmf_event_received',
]);

/** The beta name of a GA server event type (the same name when it does not differ). */
export function serverTypeToBeta(type: string): string {
  return SERVER_TYPE_TO_BETA[type] ?? type;
}

/** The GA name of a beta server event type (the same name when it does not differ). */
export function serverTypeFromBeta(type: string): string {
  return SERVER_TYPE_FROM_BETA[type] ?? type;
}

/**
 * GA client event → beta wire event. `session.update` of a transcription session becomes
 * `transcription_session.update`. Events that are the same in both dialects are returned as they are.
 * @throws FormatError when a session or response names an audio format the beta dialect cannot express.
 */
export function clientEventToBeta(event: RealtimeClientEvent): BetaWireEvent {
  switch (event.type) {
    case 'session.update': {
      const session = sessionToBeta(event.session);
      const type = event.session.type === 'transcription' ? 'transcription_session.update' : 'session.update';
      return { ...event, type, session };
    }
    case 'response.create':
      return (event.response ? { ...event, response: responseParamsToBeta(event.response) } : event) as BetaWireEvent;
    case 'conversation.item.create':
      return { ...event, item: itemToBeta(event.item) };
    default:
      return event as BetaWireEvent;
  }
}

/**
 * Beta wire client event → GA (what the emulator does with a beta client's events). Unknown types are
 * returned unchanged, for the receiver to reject.
 * @throws FormatError for an audio format name the beta dialect does not have.
 */
export function clientEventFromBeta(event: BetaWireEvent): RealtimeClientEvent {
  switch (event.type) {
    case 'session.update':
    case 'transcription_session.update': {
      const session = isDict(event.session) ? sessionFromBeta(event.session as BetaSessionConfig, event.type === 'session.update' ? 'realtime' : 'transcription') : event.session;
      return { ...event, type: 'session.update', session } as RealtimeClientEvent;
    }
    case 'response.create':
      return (isDict(event.response) ? { ...event, response: responseParamsFromBeta(event.response) } : event) as RealtimeClientEvent;
    case 'conversation.item.create':
      return (isDict(event.item) ? { ...event, item: itemFromBeta(event.item) } : event) as RealtimeClientEvent;
    default:
      return event as unknown as RealtimeClientEvent;
  }
}

/**
 * GA server event → beta wire event (what the emulator sends a beta client), or `null` when the beta dialect
 * has no such event (`conversation.item.done`, `input_audio_buffer.timeout_triggered`,
 * `input_audio_buffer.dtmf_event_received`). A transcription session's `session.*` becomes `transcription_session.*`.
 */
export function serverEventToBeta(event: RealtimeServerEvent): BetaWireEvent | null {
  if (GA_ONLY_SERVER_TYPES.has(event.type)) return null;
  switch (event.type) {
    case 'session.created':
    case 'session.updated': {
      const session = sessionToBeta(event.session);
      const type = event.session.type === 'transcription' ? event.type.replace('session.', 'transcription_session.') : event.type;
      return { ...event, type, session };
    }
    case 'response.created':
    case 'response.done':
      return { ...event, response: responseToBeta(event.response) };
    case 'conversation.item.added':
    case 'conversation.item.created':
    case 'conversation.item.retrieved':
    case 'response.output_item.added':
    case 'response.output_item.done':
      return { ...event, type: serverTypeToBeta(event.type), item: itemToBeta(event.item) };
    default: {
      const type = SERVER_TYPE_TO_BETA[event.type];
      return (type ? { ...event, type } : event) as BetaWireEvent;
    }
  }
}

/**
 * Beta wire server event → GA (what the client does with a beta server's events). Unknown types are
 * returned unchanged; the caller decides what to do with them.
 * @throws FormatError for an audio format name the beta dialect does not have.
 */
export function serverEventFromBeta(event: BetaWireEvent): RealtimeServerEvent {
  switch (event.type) {
    case 'session.created':
    case 'session.updated':
    case 'transcription_session.created':
    case 'transcription_session.updated': {
      const transcription = event.type.startsWith('transcription_session.');
      const session = isDict(event.session) ? sessionFromBeta(event.session as BetaSessionConfig, transcription ? 'transcription' : 'realtime') : event.session;
      return { ...event, type: transcription ? event.type.replace('transcription_session.', 'session.') : event.type, session } as RealtimeServerEvent;
    }
    case 'response.created':
    case 'response.done':
      return (isDict(event.response) ? { ...event, response: responseFromBeta(event.response) } : event) as unknown as RealtimeServerEvent;
    case 'conversation.item.created':
    case 'conversation.item.retrieved':
    case 'response.output_item.added':
    case 'response.output_item.done':
      return { ...event, type: serverTypeFromBeta(event.type), ...(isDict(event.item) ? { item: itemFromBeta(event.item) } : {}) } as RealtimeServerEvent;
    default: {
      const type = SERVER_TYPE_FROM_BETA[event.type];
      return (type ? { ...event, type } : event) as unknown as RealtimeServerEvent;
    }
  }
}
