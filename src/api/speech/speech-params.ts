/** What `speech.create` accepts, and the checks made before anything is sent. */
import { InputError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import type { RequestOptions } from '../request-options.js';

/** `response_format` values; the gateway accepts others per model family. */
export type SpeechResponseFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm' | (string & {});

/** The body of `POST /audio/speech` (TokenLab's `AudioSpeechRequest`). */
export interface SpeechCreateParams {
  /** Text to speak. Longer than 4096 characters is split at sentence boundaries into several requests. */
  readonly input: string;
  /** Default on the server: `tts-1`. */
  readonly model?: string | undefined;
  readonly voice?: string | { readonly id: string } | undefined;
  /** MiniMax-style provider voice id. */
  readonly voice_id?: string | undefined;
  /** Style instructions (≤ 2000 characters). */
  readonly instructions?: string | undefined;
  /** Gemini-style speaking prompt (≤ 2000 characters). */
  readonly prompt?: string | undefined;
  readonly language_code?: string | undefined;
  /** 0 to 2. */
  readonly temperature?: number | undefined;
  /** 0.25 to 4. */
  readonly speed?: number | undefined;
  /** Default on the server: `mp3`. */
  readonly response_format?: SpeechResponseFormat | undefined;
  /** `sse` delivers base64 audio events (decoded here); not supported by tts-1 / tts-1-hd. */
  readonly stream_format?: 'audio' | 'sse' | undefined;
  /** Same as the option: let input that looks like it contains a credential through. */
  readonly allowSecrets?: boolean | undefined;
}

/** Per-call options of `speech.create`. */
export interface SpeechCreateOptions extends RequestOptions {
  /** Let input that looks like it contains a credential through (the guard is on by default). */
  readonly allowSecrets?: boolean | undefined;
  /** Use the client's speech cache for this call (default: true when the client has `speechCacheDir`). */
  readonly cache?: boolean | undefined;
  /** The layout of raw `pcm` responses (default 24 kHz mono s16le, or what the `Content-Type` says). */
  readonly pcmFormat?: PcmFormat | undefined;
  /** Split long input into pieces of at most this many characters (default 4096, the API's limit). */
  readonly maxInputChars?: number | undefined;
}

const KNOWN_FIELDS = new Set([
  'input',
  'model',
  'voice',
  'voice_id',
  'instructions',
  'prompt',
  'language_code',
  'temperature',
  'speed',
  'response_format',
  'stream_format',
  'allowSecrets',
]);

/** Checks speech params before anything is sent. @throws InputError naming the field and the accepted values. */
export function validateSpeechParams(params: SpeechCreateParams): void {
  if (params === null || typeof params !== 'object') throw new InputError('speech.create needs params like { input: "Hello", voice: "alloy" }.', 'TLA_ERR_INPUT_SPEECH');
  const unknown = Object.keys(params).filter((k) => !KNOWN_FIELDS.has(k) && (params as unknown as Record<string, unknown>)[k] !== undefined);
  if (unknown.length) {
    throw new InputError(
      `Unknown speech field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (the API rejects them). Known: ${[...KNOWN_FIELDS].join(', ')}.`,
      'TLA_ERR_INPUT_SPEECH',
    );
  }
  if (typeof params.input !== 'string' || params.input.trim() === '') {
    throw new InputError('Speech input must be non-empty text.', 'TLA_ERR_INPUT_SPEECH');
  }
  const { speed, temperature, voice, instructions, prompt, response_format: fmt, stream_format: sf, model } = params;
  if (speed !== undefined && !(typeof speed === 'number' && speed >= 0.25 && speed <= 4)) {
    throw new InputError(`speed ${String(speed)} is out of range; use 0.25 to 4 (1 is normal).`, 'TLA_ERR_INPUT_SPEECH');
  }
  if (temperature !== undefined && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)) {
    throw new InputError(`temperature ${String(temperature)} is out of range; use 0 to 2.`, 'TLA_ERR_INPUT_SPEECH');
  }
  if (voice !== undefined && !(typeof voice === 'string' ? voice.length > 0 : voice !== null && typeof voice === 'object' && typeof voice.id === 'string' && voice.id.length > 0)) {
    throw new InputError('voice must be a voice name like "alloy" or an object { id: "voice_…" }.', 'TLA_ERR_INPUT_SPEECH');
  }
  for (const [name, v] of [['instructions', instructions], ['prompt', prompt]] as const) {
    if (v !== undefined && (typeof v !== 'string' || v.length > 2000)) {
      throw new InputError(`${name} must be text of at most 2000 characters${typeof v === 'string' ? ` (got ${v.length})` : ''}.`, 'TLA_ERR_INPUT_SPEECH');
    }
  }
  if (fmt !== undefined && (typeof fmt !== 'string' || !/^[a-z0-9_-]{2,20}$/i.test(fmt))) {
    throw new InputError(`response_format ${JSON.stringify(fmt)} is not a format name; use mp3, opus, aac, flac, wav or pcm.`, 'TLA_ERR_INPUT_SPEECH');
  }
  if (sf !== undefined && sf !== 'audio' && sf !== 'sse') throw new InputError(`stream_format must be "audio" or "sse", got ${JSON.stringify(sf)}.`, 'TLA_ERR_INPUT_SPEECH');
  if (model !== undefined && (typeof model !== 'string' || model.trim() === '')) throw new InputError('model must be a model id such as "gpt-4o-mini-tts".', 'TLA_ERR_INPUT_SPEECH');
  for (const name of ['voice_id', 'language_code'] as const) {
    const v = params[name];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InputError(`${name} must be a non-empty string.`, 'TLA_ERR_INPUT_SPEECH');
  }
}
