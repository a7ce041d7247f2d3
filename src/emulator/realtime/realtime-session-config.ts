import type { RealtimeAudioFormat } from './realtime-audio-format.js';
import { invalidType, invalidValue, ClientEventRefused, unknownParameter } from './client-event-refused.js';

/** Server VAD settings (GA names; the API's defaults are filled in). */
export interface ServerVadSettings {
  type: 'server_vad';
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
  create_response: boolean;
  interrupt_response: boolean;
  idle_timeout_ms: number | null;
}

/** Semantic VAD settings: the emulator approximates it with the VAD and an eagerness-dependent pause. */
export interface SemanticVadSettings {
  type: 'semantic_vad';
  eagerness: 'low' | 'medium' | 'high' | 'auto';
  create_response: boolean;
  interrupt_response: boolean;
}

export type TurnDetectionSettings = ServerVadSettings | SemanticVadSettings;

/** A function tool the model may call. */
export interface FunctionToolSettings {
  type: 'function';
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** The emulator's state of one session (GA shape, internal). */
export interface SessionSettings {
  readonly id: string;
  readonly model: string;
  /** Unix seconds. */
  expiresAt: number;
  outputModalities: ['audio'] | ['text'];
  instructions: string;
  inputFormat: RealtimeAudioFormat;
  outputFormat: RealtimeAudioFormat;
  transcription: { model: string; language?: string; prompt?: string } | null;
  noiseReduction: { type: 'near_field' | 'far_field' } | null;
  turnDetection: TurnDetectionSettings | null;
  voice: string | { id: string };
  speed: number;
  tools: FunctionToolSettings[];
  toolChoice: 'none' | 'auto' | 'required' | { type: 'function'; name: string };
  maxOutputTokens: number | 'inf';
  temperature: number;
  include: string[] | null;
}

export const REALTIME_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;
const TRANSCRIPTION_MODELS = [
  'whisper-1',
  'gpt-transcribe',
  'gpt-live-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
];

export const DEFAULT_INSTRUCTIONS =
  'You are the TokenLab audio emulator. You answer with a synthesized voice and say what you heard and for how long.';

/** The API's default server VAD. */
export function defaultServerVad(): ServerVadSettings {
  return { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true, idle_timeout_ms: null };
}

/** A new session's settings: PCM 24 kHz both ways, server VAD, voice alloy, audio output. */
export function defaultSessionSettings(id: string, model: string, expiresAt: number): SessionSettings {
  return {
    id,
    model,
    expiresAt,
    outputModalities: ['audio'],
    instructions: DEFAULT_INSTRUCTIONS,
    inputFormat: { type: 'audio/pcm', rate: 24000 },
    outputFormat: { type: 'audio/pcm', rate: 24000 },
    transcription: null,
    noiseReduction: null,
    turnDetection: defaultServerVad(),
    voice: 'alloy',
    speed: 1,
    tools: [],
    toolChoice: 'auto',
    maxOutputTokens: 'inf',
    temperature: 0.8,
    include: null,
  };
}

/** The voice name used for synthesis (`{ id }` custom voices use their id). */
export function voiceName(voice: SessionSettings['voice']): string {
  return typeof voice === 'string' ? voice : voice.id;
}

/** The GA `session` object (`RealtimeSessionCreateResponseGA`); unset optional objects are left out. */
export function gaSessionView(s: SessionSettings): Record<string, unknown> {
  const input: Record<string, unknown> = { format: { ...s.inputFormat }, turn_detection: s.turnDetection ? { ...s.turnDetection } : null };
  if (s.transcription) input['transcription'] = { ...s.transcription };
  if (s.noiseReduction) input['noise_reduction'] = { ...s.noiseReduction };
  const view: Record<string, unknown> = {
    type: 'realtime',
    object: 'realtime.session',
    id: s.id,
    model: s.model,
    output_modalities: [...s.outputModalities],
    instructions: s.instructions,
    audio: { input, output: { format: { ...s.outputFormat }, voice: s.voice, speed: s.speed } },
    tools: s.tools.map((t) => ({ ...t })),
    tool_choice: s.toolChoice,
    max_output_tokens: s.maxOutputTokens,
    tracing: null,
    truncation: 'auto',
    prompt: null,
    expires_at: s.expiresAt,
  };
  if (s.include) view['include'] = [...s.include];
  return view;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) throw unknownParameter(`${prefix}.${key}`);
}

function integerIn(param: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(param, 'an integer', v);
  if (v < min) {
    throw new ClientEventRefused(`Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`, 'integer_below_min_value', param);
  }
  if (v > max) {
    throw new ClientEventRefused(`Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`, 'integer_above_max_value', param);
  }
  return v;
}

function numberIn(param: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(param, 'a number', v);
  if (v < min) throw new ClientEventRefused(`Invalid '${param}': decimal below minimum value. Expected a value >= ${min}, but got ${v} instead.`, 'decimal_below_min_value', param);
  if (v > max) throw new ClientEventRefused(`Invalid '${param}': decimal above maximum value. Expected a value <= ${max}, but got ${v} instead.`, 'decimal_above_max_value', param);
  return v;
}

function booleanAt(param: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidType(param, 'a boolean', v);
  return v;
}

function stringAt(param: string, v: unknown): string {
  if (typeof v !== 'string') throw invalidType(param, 'a string', v);
  return v;
}

/** Parses a GA audio format object. */
export function parseAudioFormat(param: string, v: unknown): RealtimeAudioFormat {
  if (!isObject(v)) throw invalidType(param, 'an object', v);
  checkKeys(v, ['type', 'rate'], param);
  if (v['type'] === 'audio/pcm') {
    if (v['rate'] !== undefined && v['rate'] !== 24000) {
      throw new ClientEventRefused(`Invalid value: ${JSON.stringify(v['rate'])}. Only 24000 Hz PCM is supported; resample to 24 kHz or use audio/pcmu or audio/pcma (8 kHz).`, 'invalid_value', `${param}.rate`);
    }
    return { type: 'audio/pcm', rate: 24000 };
  }
  if (v['type'] === 'audio/pcmu' || v['type'] === 'audio/pcma') {
    if (v['rate'] !== undefined && v['rate'] !== 8000) throw invalidValue(`${param}.rate`, v['rate'], ['8000']);
    return { type: v['type'] };
  }
  throw invalidValue(`${param}.type`, v['type'], ['audio/pcm', 'audio/pcmu', 'audio/pcma']);
}

/** Parses turn detection (GA and beta share the shape); `null` turns it off. Missing fields take the API's defaults. */
export function parseTurnDetection(param: string, v: unknown): TurnDetectionSettings | null {
  if (v === null) return null;
  if (!isObject(v)) throw invalidType(param, 'an object or null', v);
  if (v['type'] === 'server_vad' || v['type'] === undefined) {
    checkKeys(v, ['type', 'threshold', 'prefix_padding_ms', 'silence_duration_ms', 'create_response', 'interrupt_response', 'idle_timeout_ms'], param);
    const d = defaultServerVad();
    if (v['threshold'] !== undefined) d.threshold = numberIn(`${param}.threshold`, v['threshold'], 0, 1);
    if (v['prefix_padding_ms'] !== undefined) d.prefix_padding_ms = integerIn(`${param}.prefix_padding_ms`, v['prefix_padding_ms'], 0, 10_000);
    if (v['silence_duration_ms'] !== undefined) d.silence_duration_ms = integerIn(`${param}.silence_duration_ms`, v['silence_duration_ms'], 0, 10_000);
    if (v['create_response'] !== undefined) d.create_response = booleanAt(`${param}.create_response`, v['create_response']);
    if (v['interrupt_response'] !== undefined) d.interrupt_response = booleanAt(`${param}.interrupt_response`, v['interrupt_response']);
    if (v['idle_timeout_ms'] !== undefined && v['idle_timeout_ms'] !== null) d.idle_timeout_ms = integerIn(`${param}.idle_timeout_ms`, v['idle_timeout_ms'], 5000, 30_000);
    return d;
  }
  if (v['type'] === 'semantic_vad') {
    checkKeys(v, ['type', 'eagerness', 'create_response', 'interrupt_response'], param);
    const eagerness = v['eagerness'] ?? 'auto';
    if (eagerness !== 'low' && eagerness !== 'medium' && eagerness !== 'high' && eagerness !== 'auto') {
      throw invalidValue(`${param}.eagerness`, eagerness, ['low', 'medium', 'high', 'auto']);
    }
    return {
      type: 'semantic_vad',
      eagerness,
      create_response: v['create_response'] === undefined ? true : booleanAt(`${param}.create_response`, v['create_response']),
      interrupt_response: v['interrupt_response'] === undefined ? true : booleanAt(`${param}.interrupt_response`, v['interrupt_response']),
    };
  }
  throw invalidValue(`${param}.type`, v['type'], ['server_vad', 'semantic_vad']);
}

function parseTranscription(param: string, v: unknown): SessionSettings['transcription'] {
  if (v === null) return null;
  if (!isObject(v)) throw invalidType(param, 'an object or null', v);
  checkKeys(v, ['model', 'language', 'prompt', 'languages', 'keywords', 'delay'], param);
  const model = v['model'] === undefined ? 'whisper-1' : stringAt(`${param}.model`, v['model']);
  if (!TRANSCRIPTION_MODELS.includes(model)) throw invalidValue(`${param}.model`, model, TRANSCRIPTION_MODELS);
  const out: NonNullable<SessionSettings['transcription']> = { model };
  if (v['language'] !== undefined) out.language = stringAt(`${param}.language`, v['language']);
  if (v['prompt'] !== undefined) out.prompt = stringAt(`${param}.prompt`, v['prompt']);
  return out;
}

function parseNoiseReduction(param: string, v: unknown): SessionSettings['noiseReduction'] {
  if (v === null) return null;
  if (!isObject(v)) throw invalidType(param, 'an object or null', v);
  checkKeys(v, ['type'], param);
  if (v['type'] !== 'near_field' && v['type'] !== 'far_field') throw invalidValue(`${param}.type`, v['type'], ['near_field', 'far_field']);
  return { type: v['type'] };
}

/** Parses a voice: a known name or `{ id }` of a custom voice. */
export function parseVoice(param: string, v: unknown): SessionSettings['voice'] {
  if (typeof v === 'string') {
    if (!(REALTIME_VOICES as readonly string[]).includes(v)) throw invalidValue(param, v, REALTIME_VOICES);
    return v;
  }
  if (isObject(v) && typeof v['id'] === 'string' && Object.keys(v).length === 1) return { id: v['id'] };
  throw invalidType(param, "a voice name or { id }", v);
}

/** Parses a tool list (function tools only; MCP tools are not emulated). */
export function parseTools(param: string, v: unknown): FunctionToolSettings[] {
  if (!Array.isArray(v)) throw invalidType(param, 'an array', v);
  return v.map((t, i) => {
    const p = `${param}[${i}]`;
    if (!isObject(t)) throw invalidType(p, 'an object', t);
    if (t['type'] !== 'function') throw invalidValue(`${p}.type`, t['type'], ['function']);
    checkKeys(t, ['type', 'name', 'description', 'parameters'], p);
    const name = stringAt(`${p}.name`, t['name']);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw invalidValue(`${p}.name`, name);
    const tool: FunctionToolSettings = { type: 'function', name };
    if (t['description'] !== undefined) tool.description = stringAt(`${p}.description`, t['description']);
    if (t['parameters'] !== undefined) {
      if (!isObject(t['parameters'])) throw invalidType(`${p}.parameters`, 'an object', t['parameters']);
      tool.parameters = t['parameters'];
    }
    return tool;
  });
}

/** Parses `tool_choice`. */
export function parseToolChoice(param: string, v: unknown): SessionSettings['toolChoice'] {
  if (v === 'none' || v === 'auto' || v === 'required') return v;
  if (isObject(v) && v['type'] === 'function' && typeof v['name'] === 'string') return { type: 'function', name: v['name'] };
  throw invalidValue(param, v, ['none', 'auto', 'required']);
}

/** Parses `max_output_tokens` (1–4096 or `inf`). */
export function parseMaxOutputTokens(param: string, v: unknown): number | 'inf' {
  if (v === 'inf') return 'inf';
  return integerIn(param, v, 1, 4096);
}

/**
 * Applies a GA `session.update` payload to a copy of `current` and returns it; only present fields change.
 * @throws ClientEventRefused naming the first bad field (nothing is applied then).
 */
export function applyGaSessionUpdate(current: SessionSettings, session: unknown, audioOutputSent: boolean): SessionSettings {
  if (!isObject(session)) throw invalidType('session', 'an object', session);
  const next: SessionSettings = { ...current };
  checkKeys(session, ['type', 'object', 'id', 'model', 'output_modalities', 'instructions', 'audio', 'include', 'tracing', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'max_output_tokens', 'truncation', 'prompt', 'expires_at'], 'session');
  if (session['type'] !== undefined && session['type'] !== 'realtime') {
    throw session['type'] === 'transcription'
      ? new ClientEventRefused('This session is a realtime (conversation) session; open a transcription session with ?intent=transcription instead.', 'invalid_value', 'session.type')
      : invalidValue('session.type', session['type'], ['realtime']);
  }
  if (session['type'] === undefined) throw new ClientEventRefused("Missing required parameter: 'session.type'.", 'missing_required_parameter', 'session.type');
  if (session['model'] !== undefined && session['model'] !== current.model) {
    throw new ClientEventRefused(`The session's model is fixed when it opens (${current.model}); open a new session for ${String(session['model'])}.`, 'invalid_value', 'session.model');
  }
  if (session['output_modalities'] !== undefined) {
    const m = session['output_modalities'];
    if (!Array.isArray(m) || m.length !== 1 || (m[0] !== 'audio' && m[0] !== 'text')) {
      throw new ClientEventRefused(`Invalid value for 'session.output_modalities': use ["audio"] (audio with its transcript) or ["text"].`, 'invalid_value', 'session.output_modalities');
    }
    next.outputModalities = [m[0]] as SessionSettings['outputModalities'];
  }
  if (session['instructions'] !== undefined) next.instructions = stringAt('session.instructions', session['instructions']);
  if (session['audio'] !== undefined) {
    const audio = session['audio'];
    if (!isObject(audio)) throw invalidType('session.audio', 'an object', audio);
    checkKeys(audio, ['input', 'output'], 'session.audio');
    if (audio['input'] !== undefined) {
      const input = audio['input'];
      if (!isObject(input)) throw invalidType('session.audio.input', 'an object', input);
      checkKeys(input, ['format', 'transcription', 'noise_reduction', 'turn_detection'], 'session.audio.input');
      if (input['format'] !== undefined) next.inputFormat = parseAudioFormat('session.audio.input.format', input['format']);
      if (input['transcription'] !== undefined) next.transcription = parseTranscription('session.audio.input.transcription', input['transcription']);
      if (input['noise_reduction'] !== undefined) next.noiseReduction = parseNoiseReduction('session.audio.input.noise_reduction', input['noise_reduction']);
      if (input['turn_detection'] !== undefined) next.turnDetection = parseTurnDetection('session.audio.input.turn_detection', input['turn_detection']);
    }
    if (audio['output'] !== undefined) {
      const output = audio['output'];
      if (!isObject(output)) throw invalidType('session.audio.output', 'an object', output);
      checkKeys(output, ['format', 'voice', 'speed'], 'session.audio.output');
      if (output['format'] !== undefined) next.outputFormat = parseAudioFormat('session.audio.output.format', output['format']);
      if (output['voice'] !== undefined) next.voice = parseVoice('session.audio.output.voice', output['voice']);
      if (output['speed'] !== undefined) next.speed = numberIn('session.audio.output.speed', output['speed'], 0.25, 1.5);
    }
  }
  if (session['include'] !== undefined) {
    const inc = session['include'];
    if (!Array.isArray(inc) || inc.some((x) => x !== 'item.input_audio_transcription.logprobs')) {
      throw invalidValue('session.include', inc, ['item.input_audio_transcription.logprobs']);
    }
    next.include = inc as string[];
  }
  if (session['tools'] !== undefined) next.tools = parseTools('session.tools', session['tools']);
  if (session['tool_choice'] !== undefined) next.toolChoice = parseToolChoice('session.tool_choice', session['tool_choice']);
  if (session['max_output_tokens'] !== undefined) next.maxOutputTokens = parseMaxOutputTokens('session.max_output_tokens', session['max_output_tokens']);
  checkVoiceChange(current, next, audioOutputSent);
  return next;
}

function checkVoiceChange(current: SessionSettings, next: SessionSettings, audioOutputSent: boolean): void {
  if (audioOutputSent && voiceName(current.voice) !== voiceName(next.voice)) {
    throw new ClientEventRefused("Cannot update a conversation's voice if assistant audio is present.", 'cannot_update_voice', 'session.voice');
  }
}
