import { validationFailure, type ValidationIssue } from './emulator-http-error.js';
import { findModel, unknownModelError, wrongOperationError, type CatalogModel } from './model-catalog.js';

/** Audio formats the emulator's speech route produces. */
export type SpeechAudioFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

/** A validated `POST /v1/audio/speech` body. */
export interface SpeechRequest {
  model: CatalogModel;
  input: string;
  /** Voice name (`voice`, `voice.id` or `voice_id`); `alloy` by default. */
  voice: string;
  format: SpeechAudioFormat;
  sse: boolean;
  speed: number;
}

const ALLOWED = new Set([
  'model', 'input', 'voice', 'voice_id', 'instructions', 'prompt', 'language_code', 'response_format', 'stream_format', 'speed', 'temperature',
]);
const FORMATS: readonly SpeechAudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];

/**
 * Validates a speech body as the spec's `AudioSpeechRequest` states (`additionalProperties: false`,
 * `input` required and ≤ 4096 characters, `speed` 0.25–4, `temperature` 0–2, `instructions`/`prompt`
 * ≤ 2000, `voice` a string or `{id}`), then against the model (exists, does speech, format and SSE
 * supported). Throws an `EmulatorHttpError` (400) listing every problem found.
 */
export function parseSpeechRequest(body: unknown): SpeechRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationFailure([{ field: 'body', message: 'must be a JSON object', code: 'invalid_type' }]);
  }
  const b = body as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(b)) {
    if (!ALLOWED.has(key)) issues.push({ field: key, message: `Unrecognized request argument supplied: ${key}`, code: 'unrecognized_field' });
  }
  const str = (key: string, maxLength?: number): string | undefined => {
    const v = b[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      issues.push({ field: key, message: 'must be a string', code: 'invalid_type' });
      return undefined;
    }
    if (maxLength !== undefined && v.length > maxLength) {
      issues.push({ field: key, message: `must be at most ${maxLength} characters (got ${v.length})`, code: 'string_too_long' });
    }
    return v;
  };
  const num = (key: string, min: number, max: number): number | undefined => {
    const v = b[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({ field: key, message: 'must be a number', code: 'invalid_type' });
      return undefined;
    }
    if (v < min || v > max) issues.push({ field: key, message: `must be between ${min} and ${max} (got ${v})`, code: 'out_of_range' });
    return v;
  };

  const input = str('input', 4096);
  if (b['input'] === undefined) issues.push({ field: 'input', message: 'Input is required', code: 'required' });
  else if (input !== undefined && input.trim().length === 0) issues.push({ field: 'input', message: 'must not be empty', code: 'empty' });
  const modelId = str('model') ?? 'tts-1';
  str('instructions', 2000);
  str('prompt', 2000);
  str('language_code');
  const voiceId = str('voice_id');
  const speed = num('speed', 0.25, 4);
  num('temperature', 0, 2);

  let voice: string | undefined;
  const v = b['voice'];
  if (typeof v === 'string') voice = v;
  else if (v !== undefined) {
    const isObject = v !== null && typeof v === 'object' && !Array.isArray(v);
    const keys = isObject ? Object.keys(v) : [];
    const id = isObject ? (v as Record<string, unknown>)['id'] : undefined;
    if (!isObject || typeof id !== 'string' || keys.some((k) => k !== 'id')) {
      issues.push({ field: 'voice', message: 'must be a voice name or an object {"id": "..."}', code: 'invalid_type' });
    } else voice = id;
  }

  const formatRaw = str('response_format') ?? 'mp3';
  const format = FORMATS.find((f) => f === formatRaw.toLowerCase());
  const streamFormat = str('stream_format') ?? 'audio';
  if (streamFormat !== 'audio' && streamFormat !== 'sse') {
    issues.push({ field: 'stream_format', message: 'must be audio or sse', code: 'invalid_enum_value' });
  }
  if (issues.length > 0) throw validationFailure(issues);

  const model = findModel(modelId);
  if (!model) throw unknownModelError(modelId, 400, 'speech');
  if (!model.operations.includes('speech')) throw wrongOperationError(model, 'speech');
  if (!format || !model.outputFormats.includes(format)) {
    throw validationFailure([
      {
        field: 'response_format',
        message: `'${formatRaw}' is not supported by ${model.id}; use one of ${model.outputFormats.join(', ')}`,
        code: 'unsupported_value',
      },
    ]);
  }
  if (streamFormat === 'sse' && !model.streaming) {
    throw validationFailure([
      { field: 'stream_format', message: `stream_format=sse is not supported for ${model.id}; use gpt-4o-mini-tts or stream_format=audio`, code: 'unsupported_value' },
    ]);
  }
  return { model, input: input ?? '', voice: voice ?? voiceId ?? 'alloy', format, sse: streamFormat === 'sse', speed: speed ?? 1 };
}
