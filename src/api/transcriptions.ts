/**
 * `client.audio.transcriptions` and `client.audio.translations`: uploads streamed from their source as multipart
 * (never buffered whole), progress (`upload` → `processing` → `done`), typed results per `responseFormat`
 * (like the openai SDK's overloads), and `stream: true` as an async iterable of events.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { InputError, abortError } from '../core/errors.js';
import { type HttpResponse, type HttpTransport, discardBody } from '../transports/http.js';
import { type MultipartField, multipartBody } from '../transports/multipart.js';
import { SseParser, type SseEvent } from '../transports/sse-parser.js';
import { ApiError, ConnectionError, apiErrorFromResponse } from '../transports/http-errors.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES, type UploadInput, prepareUpload } from './audio-upload.js';
import type { RequestOptions } from './request-options.js';

export { DEFAULT_UPLOAD_LIMIT_BYTES };
export type { UploadInput };

export type TranscriptionResponseFormat = 'json' | 'text' | 'srt' | 'verbose_json' | 'vtt' | 'diarized_json';

/** Progress of one upload call. */
export type UploadProgressEvent =
  | { readonly type: 'upload'; readonly sentBytes: number; readonly totalBytes: number | undefined }
  | { readonly type: 'processing'; readonly sentBytes: number }
  | { readonly type: 'done'; readonly requestId: string | undefined; readonly elapsedMs: number };

/** Parameters of `transcriptions.create` (camelCase; the API's snake_case names are accepted too). */
export interface TranscriptionCreateParams extends RequestOptions {
  /** A file path, a Buffer, a Readable (sent once, never retried) or a Blob/File. */
  readonly file: UploadInput;
  /** Name sent with the file; its extension is fixed to match the bytes when they are recognised. */
  readonly filename?: string | undefined;
  readonly model: string;
  /** ISO-639-1 code of the spoken language (`en`, `de`, …). */
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  readonly responseFormat?: TranscriptionResponseFormat | undefined;
  readonly response_format?: TranscriptionResponseFormat | undefined;
  /** 0 to 1. */
  readonly temperature?: number | undefined;
  /** Needs `verbose_json`. */
  readonly timestampGranularities?: readonly ('word' | 'segment')[] | undefined;
  readonly timestamp_granularities?: readonly ('word' | 'segment')[] | undefined;
  /** Ask for SSE events (`transcript.text.delta` …); models that ignore it answer once, as a `done` event. */
  readonly stream?: boolean | undefined;
  readonly chunkingStrategy?: 'auto' | { readonly type: 'server_vad'; readonly prefix_padding_ms?: number; readonly silence_duration_ms?: number; readonly threshold?: number } | undefined;
  readonly chunking_strategy?: TranscriptionCreateParams['chunkingStrategy'];
  readonly include?: readonly string[] | undefined;
  readonly knownSpeakerNames?: readonly string[] | undefined;
  readonly knownSpeakerReferences?: readonly string[] | undefined;
  /** Extra form fields passed through as they are (for gateway extensions). */
  readonly extraFields?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** Progress callback: `upload` (bytes sent of total), `processing` (after the last byte), `done`. */
  readonly onProgress?: ((event: UploadProgressEvent) => void) | undefined;
}

/** `translations.create` parameters (a subset: the API translates to English). */
export interface TranslationCreateParams extends RequestOptions {
  readonly file: UploadInput;
  readonly filename?: string | undefined;
  /** Default on the server: `whisper-1`. */
  readonly model?: string | undefined;
  readonly prompt?: string | undefined;
  readonly responseFormat?: Exclude<TranscriptionResponseFormat, 'diarized_json'> | undefined;
  readonly response_format?: Exclude<TranscriptionResponseFormat, 'diarized_json'> | undefined;
  readonly temperature?: number | undefined;
  readonly extraFields?: Readonly<Record<string, string | number | boolean>> | undefined;
  readonly onProgress?: ((event: UploadProgressEvent) => void) | undefined;
}

/** Token or duration usage. */
export type TranscriptionUsage =
  | { readonly type: 'tokens'; readonly input_tokens: number; readonly output_tokens: number; readonly total_tokens: number; readonly [key: string]: unknown }
  | { readonly type: 'duration'; readonly seconds: number };

/** `json` result. */
export interface Transcription {
  readonly text: string;
  readonly language?: string;
  readonly duration?: number;
  readonly usage?: TranscriptionUsage;
  readonly logprobs?: { token: string; logprob: number; bytes?: number[] }[];
  readonly [key: string]: unknown;
}

export interface TranscriptionWord {
  readonly word: string;
  /** Seconds. */
  readonly start: number;
  readonly end: number;
}

export interface TranscriptionSegment {
  readonly id: number;
  /** Seconds. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly seek?: number;
  readonly tokens?: number[];
  readonly temperature?: number;
  readonly avg_logprob?: number;
  readonly compression_ratio?: number;
  readonly no_speech_prob?: number;
}

/** `verbose_json` result. */
export interface TranscriptionVerbose extends Transcription {
  readonly language: string;
  readonly duration: number;
  readonly task?: string;
  readonly words?: TranscriptionWord[];
  readonly segments?: TranscriptionSegment[];
}

/** `diarized_json` result. */
export interface TranscriptionDiarized {
  readonly task?: 'transcribe';
  readonly text: string;
  readonly duration: number;
  readonly segments: { readonly type?: 'transcript.text.segment'; readonly id: string | number; readonly start: number; readonly end: number; readonly text: string; readonly speaker: string }[];
  readonly usage?: TranscriptionUsage;
  readonly [key: string]: unknown;
}

/** Events of `stream: true`. */
export type TranscriptionStreamEvent =
  | { readonly type: 'transcript.text.delta'; readonly delta: string; readonly segment_id?: string; readonly logprobs?: unknown[] }
  | { readonly type: 'transcript.text.segment'; readonly id: string; readonly start: number; readonly end: number; readonly text: string; readonly speaker?: string }
  | { readonly type: 'transcript.text.done'; readonly text: string; readonly usage?: TranscriptionUsage; readonly logprobs?: unknown[] };

/** The events of a streamed transcription. Iterate it once; `abort()` stops it and frees the connection. */
export interface TranscriptionStream extends AsyncIterable<TranscriptionStreamEvent> {
  readonly requestId: string | undefined;
  abort(): void;
}

/** A promise of the result that also emits `upload`, `processing` and `done` progress events. */
export interface UploadPromise<T> extends Promise<T> {
  on(event: 'upload', listener: (e: Extract<UploadProgressEvent, { type: 'upload' }>) => void): this;
  on(event: 'processing', listener: (e: Extract<UploadProgressEvent, { type: 'processing' }>) => void): this;
  on(event: 'done', listener: (e: Extract<UploadProgressEvent, { type: 'done' }>) => void): this;
}

const FORMATS = new Set<string>(['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json']);

function checkTemperature(t: number | undefined): void {
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && t <= 1)) throw new InputError(`temperature ${String(t)} is out of range; use 0 to 1.`, 'TLA_ERR_INPUT_TRANSCRIPTION');
}

/**
 * Uploads of long recordings take a while to send and to process: 10 min without any progress (upload, headers, body),
 * 1 h for the whole call. The client's or the call's own `timeoutMs` / `deadlineMs` override these.
 */
export const UPLOAD_DEFAULTS = { timeoutMs: 600_000, deadlineMs: 3_600_000 } as const;

interface UploadCall {
  readonly path: string;
  readonly file: UploadInput;
  readonly filename: string | undefined;
  readonly fields: MultipartField[];
  readonly responseFormat: string;
  readonly stream: boolean;
  readonly options: RequestOptions;
  readonly onProgress: ((event: UploadProgressEvent) => void) | undefined;
}

/** Shared by transcriptions and translations. */
abstract class AudioUploadResource {
  readonly #http: HttpTransport;
  readonly #limitBytes: number;

  constructor(http: HttpTransport, limitBytes: number) {
    if (!Number.isInteger(limitBytes) || limitBytes <= 0) throw new InputError(`uploadLimitBytes must be a positive whole number, got ${limitBytes}.`, 'TLA_ERR_INPUT_OPTION');
    this.#http = http;
    this.#limitBytes = limitBytes;
  }

  protected call<T>(call: UploadCall): UploadPromise<T> {
    const emitter = new EventEmitter();
    const emit = (event: UploadProgressEvent) => {
      call.onProgress?.(event);
      emitter.emit(event.type, event);
    };
    const promise = this.#run<T>(call, emit) as UploadPromise<T>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    promise.on = function (this: UploadPromise<T>, event: string, listener: (...args: any[]) => void) {
      emitter.on(event, listener);
      return this;
    } as UploadPromise<T>['on'];
    return promise;
  }

  async #run<T>(call: UploadCall, emit: (e: UploadProgressEvent) => void): Promise<T> {
    const { signal } = call.options;
    if (signal?.aborted) throw abortError(signal);
    const upload = await prepareUpload(call.file, call.filename, this.#limitBytes);
    const body = multipartBody(call.fields, upload);
    const started = Date.now();
    let sentBytes = 0;
    // Let a caller's `.on(...)` (attached right after the call) see the first events.
    await Promise.resolve();
    let res: HttpResponse;
    try {
      res = await this.#http.request({
        ...call.options,
        defaults: UPLOAD_DEFAULTS,
        method: 'POST',
        path: call.path,
        headers: { accept: call.stream ? 'text/event-stream, application/json' : 'application/json, text/plain' },
        body: { kind: 'stream', open: body.open, byteLength: body.byteLength, contentType: body.contentType, replayable: upload.replayable },
        billable: true,
        onUploadProgress: (sent, total) => {
          sentBytes = sent;
          emit({ type: 'upload', sentBytes: sent, totalBytes: total });
        },
        onRequestSent: () => emit({ type: 'processing', sentBytes }),
      });
    } catch (e) {
      // Failed before the body was read (refused, no key, aborted, an early error answer): the caller's
      // Readable was peeked at and paused; release it rather than leave its descriptor open.
      upload.release?.();
      throw e;
    }
    const contentType = (res.headers['content-type'] ?? '').toLowerCase();
    if (call.stream && contentType.includes('text/event-stream')) {
      emit({ type: 'done', requestId: res.requestId, elapsedMs: Date.now() - started });
      return transcriptionStream(this.#http, res, signal) as T;
    }
    const text = await this.#http.text(res, signal);
    emit({ type: 'done', requestId: res.requestId, elapsedMs: Date.now() - started });
    const wantsJson = call.responseFormat === 'json' || call.responseFormat === 'verbose_json' || call.responseFormat === 'diarized_json';
    let result: unknown = text;
    if (wantsJson || contentType.includes('application/json')) {
      try {
        result = JSON.parse(text);
      } catch (e) {
        if (wantsJson) {
          throw new ApiError({ status: res.status, requestId: res.requestId, message: `Expected a JSON transcription, got: ${this.#http.redact(text).slice(0, 80)}`, cause: e }, 'TLA_ERR_API_BAD_RESPONSE');
        }
      }
      // A text format answered as JSON {text}: hand back the text, as asked.
      if (!wantsJson && result !== null && typeof result === 'object' && typeof (result as { text?: unknown }).text === 'string') result = (result as { text: string }).text;
    }
    if (call.stream) {
      // The model ignored `stream`: one `done` event keeps the caller's loop working.
      const done: TranscriptionStreamEvent = { type: 'transcript.text.done', text: typeof result === 'string' ? result : String((result as { text?: unknown }).text ?? '') };
      return singleEventStream(done, res.requestId) as T;
    }
    if (result !== null && typeof result === 'object') Object.defineProperty(result, 'requestId', { value: res.requestId, enumerable: false });
    return result as T;
  }
}

/** `client.audio.transcriptions`. */
export class Transcriptions extends AudioUploadResource {
  /**
   * Transcribes audio (`POST /audio/transcriptions`).
   * @throws InputError before anything is sent (bad params; directory, empty, non-audio or oversize file);
   *   ApiError subclasses, TimeoutError, ConnectionError from the call.
   */
  create(params: TranscriptionCreateParams & { stream: true }): UploadPromise<TranscriptionStream>;
  create(params: TranscriptionCreateParams & { responseFormat: 'verbose_json'; stream?: false | undefined }): UploadPromise<TranscriptionVerbose>;
  create(params: TranscriptionCreateParams & { responseFormat: 'diarized_json'; stream?: false | undefined }): UploadPromise<TranscriptionDiarized>;
  create(params: TranscriptionCreateParams & { responseFormat: 'text' | 'srt' | 'vtt'; stream?: false | undefined }): UploadPromise<string>;
  create(params: TranscriptionCreateParams & { responseFormat?: 'json' | undefined; response_format?: undefined; stream?: false | undefined }): UploadPromise<Transcription>;
  create(params: TranscriptionCreateParams): UploadPromise<Transcription | TranscriptionVerbose | TranscriptionDiarized | string | TranscriptionStream>;
  create(params: TranscriptionCreateParams): UploadPromise<unknown> {
    try {
      return this.call(this.#build(params));
    } catch (e) {
      return rejected(e);
    }
  }

  #build(p: TranscriptionCreateParams): UploadCall {
    if (p === null || typeof p !== 'object' || p.file === undefined) throw new InputError('transcriptions.create needs { file, model }.', 'TLA_ERR_INPUT_TRANSCRIPTION');
    if (typeof p.model !== 'string' || p.model.trim() === '') throw new InputError('model is required, e.g. "whisper-1" or "gpt-4o-transcribe".', 'TLA_ERR_INPUT_TRANSCRIPTION');
    const responseFormat = p.responseFormat ?? p.response_format ?? 'json';
    if (!FORMATS.has(responseFormat)) throw new InputError(`responseFormat must be one of ${[...FORMATS].join(', ')}, got ${JSON.stringify(responseFormat)}.`, 'TLA_ERR_INPUT_TRANSCRIPTION');
    checkTemperature(p.temperature);
    const granularities = p.timestampGranularities ?? p.timestamp_granularities;
    if (granularities?.length && responseFormat !== 'verbose_json') {
      throw new InputError('timestampGranularities needs responseFormat "verbose_json".', 'TLA_ERR_INPUT_TRANSCRIPTION');
    }
    for (const g of granularities ?? []) if (g !== 'word' && g !== 'segment') throw new InputError(`timestamp granularity must be "word" or "segment", got ${JSON.stringify(g)}.`, 'TLA_ERR_INPUT_TRANSCRIPTION');
    const fields: MultipartField[] = [{ name: 'model', value: p.model }];
    const add = (name: string, v: string | number | boolean | undefined) => {
      if (v !== undefined) fields.push({ name, value: String(v) });
    };
    add('language', p.language);
    add('prompt', p.prompt);
    add('response_format', responseFormat);
    add('temperature', p.temperature);
    for (const g of granularities ?? []) add('timestamp_granularities[]', g);
    if (p.stream) add('stream', 'true');
    const chunking = p.chunkingStrategy ?? p.chunking_strategy;
    if (typeof chunking === 'string') add('chunking_strategy', chunking);
    else if (chunking && typeof chunking === 'object') for (const [k, v] of Object.entries(chunking)) add(`chunking_strategy[${k}]`, v as string | number);
    for (const i of p.include ?? []) add('include[]', i);
    for (const n of p.knownSpeakerNames ?? []) add('known_speaker_names[]', n);
    for (const r of p.knownSpeakerReferences ?? []) add('known_speaker_references[]', r);
    for (const [k, v] of Object.entries(p.extraFields ?? {})) add(k, v);
    return {
      path: '/audio/transcriptions',
      file: p.file,
      filename: p.filename,
      fields,
      responseFormat,
      stream: p.stream === true,
      options: requestOptionsOf(p),
      onProgress: p.onProgress,
    };
  }
}

/** `client.audio.translations` (speech in any language to English text). */
export class Translations extends AudioUploadResource {
  /** Translates audio to English (`POST /audio/translations`). Errors as `transcriptions.create`. */
  create(params: TranslationCreateParams & { responseFormat: 'verbose_json' }): UploadPromise<TranscriptionVerbose>;
  create(params: TranslationCreateParams & { responseFormat: 'text' | 'srt' | 'vtt' }): UploadPromise<string>;
  create(params: TranslationCreateParams & { responseFormat?: 'json' | undefined; response_format?: undefined }): UploadPromise<Transcription>;
  create(params: TranslationCreateParams): UploadPromise<Transcription | TranscriptionVerbose | string>;
  create(p: TranslationCreateParams): UploadPromise<unknown> {
    try {
      if (p === null || typeof p !== 'object' || p.file === undefined) throw new InputError('translations.create needs { file }.', 'TLA_ERR_INPUT_TRANSCRIPTION');
      const responseFormat = p.responseFormat ?? p.response_format ?? 'json';
      if (!FORMATS.has(responseFormat) || (responseFormat as string) === 'diarized_json') {
        throw new InputError(`responseFormat must be json, text, srt, verbose_json or vtt, got ${JSON.stringify(responseFormat)}.`, 'TLA_ERR_INPUT_TRANSCRIPTION');
      }
      checkTemperature(p.temperature);
      const fields: MultipartField[] = [];
      if (p.model !== undefined) fields.push({ name: 'model', value: p.model });
      if (p.prompt !== undefined) fields.push({ name: 'prompt', value: p.prompt });
      fields.push({ name: 'response_format', value: responseFormat });
      if (p.temperature !== undefined) fields.push({ name: 'temperature', value: String(p.temperature) });
      for (const [k, v] of Object.entries(p.extraFields ?? {})) fields.push({ name: k, value: String(v) });
      return this.call({
        path: '/audio/translations',
        file: p.file,
        filename: p.filename,
        fields,
        responseFormat,
        stream: false,
        options: requestOptionsOf(p),
        onProgress: p.onProgress,
      });
    } catch (e) {
      return rejected(e);
    }
  }
}

function requestOptionsOf(p: RequestOptions): RequestOptions {
  return { signal: p.signal, timeoutMs: p.timeoutMs, deadlineMs: p.deadlineMs, maxRetries: p.maxRetries, retryBillable: p.retryBillable };
}

function rejected(e: unknown): UploadPromise<never> {
  const p = Promise.reject(e) as UploadPromise<never>;
  p.on = function (this: UploadPromise<never>) {
    return this;
  } as UploadPromise<never>['on'];
  return p;
}

function singleEventStream(event: TranscriptionStreamEvent, requestId: string | undefined): TranscriptionStream {
  return {
    requestId,
    abort() {},
    async *[Symbol.asyncIterator]() {
      yield event;
    },
  };
}

function transcriptionStream(http: HttpTransport, res: HttpResponse, signal: AbortSignal | undefined): TranscriptionStream {
  const body: Readable = res.body;
  let used = false;
  return {
    requestId: res.requestId,
    abort() {
      discardBody(body);
    },
    async *[Symbol.asyncIterator]() {
      if (used) throw new InputError('A transcription stream can be iterated only once.', 'TLA_ERR_INPUT_TRANSCRIPTION');
      used = true;
      const queue: SseEvent[] = [];
      const parser = new SseParser((ev) => queue.push(ev), { requestId: res.requestId, status: res.status });
      let done = false;
      try {
        const drain = function* (): Generator<TranscriptionStreamEvent> {
          while (queue.length > 0) {
            const ev = queue.shift()!;
            if (ev.data === '[DONE]') {
              done = true;
              continue;
            }
            let data: Record<string, unknown>;
            try {
              data = JSON.parse(ev.data) as Record<string, unknown>;
            } catch (e) {
              throw new ApiError({ status: res.status, requestId: res.requestId, message: `The transcription stream sent an event that is not JSON (${http.redact(ev.data.slice(0, 60))}…).`, cause: e }, 'TLA_ERR_API_BAD_RESPONSE');
            }
            if (ev.event === 'error' || data.error !== undefined || data.type === 'error') {
              // A gateway may echo the request (key included) in an error: redacted before it becomes a message.
              const safe = JSON.parse(http.redact(ev.data)) as Record<string, unknown>;
              throw apiErrorFromResponse({ status: 500, requestId: res.requestId, body: safe.error !== undefined ? safe : { error: safe } });
            }
            if (data.type === 'transcript.text.done') done = true;
            if (typeof data.type === 'string' && data.type.startsWith('transcript.')) yield data as unknown as TranscriptionStreamEvent;
          }
        };
        for await (const chunk of body) {
          parser.push(chunk as Buffer);
          yield* drain();
        }
        parser.end();
        yield* drain();
        if (!done) {
          throw new ConnectionError('The transcription stream ended before "transcript.text.done".', { requestSent: true, requestId: res.requestId });
        }
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        throw http.bodyError(e, res.requestId);
      } finally {
        discardBody(body);
      }
    },
  };
}
