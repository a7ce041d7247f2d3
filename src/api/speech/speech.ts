/**
 * `client.audio.speech`: text to speech, with the audio handed out as it arrives.
 *
 * `create()` resolves once the first bytes are in (so the real format is known from the bytes and headers) with
 * a {@link SpeechAudio}: a Readable of the audio bytes with `format`, `contentType`, `requestId`, plus `pcm()`
 * and `save()`. Input over 4096 characters is split at sentence boundaries and the pieces are requested in order,
 * each one while the previous streams. `stream_format: 'sse'` bodies are decoded on the fly.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, FormatError, abortError } from '../../core/errors.js';
import { type PcmFormat, assertPcmFormat, bytesPerFrame, samePcmFormat } from '../../core/pcm/pcm-format.js';
import { type WavHeader, WavHeaderParser } from '../../codecs/wav/wav-header.js';
import { type HttpResponse, type HttpTransport, discardBody } from '../../transports/http.js';
import { SseParser, type SseEvent } from '../../transports/sse-parser.js';
import { ApiError, ConnectionError, apiErrorFromResponse, errorObjectOf } from '../../transports/http-errors.js';
import { FrameAligner } from '../../codecs/frame-aligner.js';
import { ResampleStream } from '../../streams/resample-stream.js';
import { decode } from '../../streams/decode.js';
import type { RequestOptions } from '../request-options.js';
import { assertNoSecrets } from './secret-guard.js';
import { type SpeechAudioFormat, SPEECH_SNIFF_BYTES, contentTypeOfFormat, detectSpeechFormat, pcmParamsOf } from './speech-format.js';
import { SpeechCache, type SpeechCacheWriter, speechCacheKey } from './speech-cache.js';
import { MAX_SPEECH_INPUT_CHARS, splitSpeechInput } from './split-speech-input.js';

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

/** `speech.audio.done` usage from an SSE response. */
export interface SpeechUsage {
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  readonly total_tokens?: number;
  readonly [key: string]: unknown;
}

/** A PCM Readable that says what it carries. */
export interface PcmReadable extends Readable {
  readonly format: PcmFormat;
}

/** What `save()` wrote. */
export interface SpeechSaveResult {
  readonly path: string;
  readonly byteLength: number;
  readonly format: SpeechAudioFormat;
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

/** The raw PCM layout of `pcm` responses unless told otherwise: 24 kHz mono s16le (OpenAI's and TokenLab's). */
export const SPEECH_PCM_FORMAT: PcmFormat = Object.freeze({ sampleRate: 24_000, channels: 1, encoding: 's16le' });

const MAX_PEEK_BYTES = 256 * 1024;

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

interface SpeechSource {
  readonly iterator: AsyncIterator<Buffer>;
  readonly abort: () => void;
}

/**
 * Speech audio as it arrives: a Readable of the bytes of one audio file (several requests' worth when the input
 * was split). Consume it once: pipe it, `save()` it, or read `pcm()`.
 */
export class SpeechAudio extends Readable {
  /** The real format, from the bytes and `Content-Type` (may differ from `requestedFormat`). */
  readonly format: SpeechAudioFormat;
  readonly requestedFormat: string;
  readonly contentType: string;
  /** `x-request-id` of the (first) response; undefined when served from the cache. */
  readonly requestId: string | undefined;
  /** Every request's id, in order, when the input was split. */
  readonly requestIds: readonly string[];
  /** True when the audio came from the speech cache and no HTTP call was made. */
  readonly fromCache: boolean;
  /** The cache entry's key, when a cache is in use. */
  readonly cacheKey: string | undefined;
  /** The WAV header, for `wav` audio. */
  readonly wavHeader: WavHeader | undefined;
  /** Token usage from `speech.audio.done` (SSE only), once the stream has ended. */
  usage: SpeechUsage | undefined;
  readonly #source: SpeechSource;
  readonly #pcmFormat: PcmFormat;
  /** Bytes a single-request WAV announces (header + data), checked when the body ends. */
  readonly #announcedBytes: number | undefined;
  #receivedBytes = 0;
  #head: Buffer[];
  #pulling = false;

  /** @internal Built by `Speech.create`. */
  constructor(init: {
    source: SpeechSource;
    head: Buffer[];
    format: SpeechAudioFormat;
    requestedFormat: string;
    contentType: string;
    requestIds: string[];
    fromCache: boolean;
    cacheKey: string | undefined;
    wavHeader: WavHeader | undefined;
    pcmFormat: PcmFormat;
    /** Whether the WAV header covers the whole body (one request: yes; pieces joined: the header says "unknown"). */
    wavLengthKnown?: boolean;
  }) {
    super({ highWaterMark: 64 * 1024 });
    this.#source = init.source;
    this.#head = init.head;
    this.format = init.format;
    this.requestedFormat = init.requestedFormat;
    this.contentType = init.contentType;
    this.requestIds = init.requestIds;
    this.requestId = init.requestIds[0];
    this.fromCache = init.fromCache;
    this.cacheKey = init.cacheKey;
    this.wavHeader = init.wavHeader;
    this.#pcmFormat = init.pcmFormat;
    const h = init.wavHeader;
    this.#announcedBytes = init.wavLengthKnown !== false && h?.dataByteLength ? h.dataOffset + h.dataByteLength : undefined;
    this.usage = undefined;
  }

  /**
   * The layout `pcm()` gives without conversion, or undefined when the audio must be decoded (mp3, opus, …,
   * and WAV that is not 16-bit integer or 32-bit float PCM).
   */
  get nativePcmFormat(): PcmFormat | undefined {
    if (this.format === 'pcm') return this.#pcmFormat;
    const h = this.wavHeader;
    if (this.format === 'wav' && h) {
      if (h.codec === 'pcm' && h.bitsPerSample === 16) return { sampleRate: h.sampleRate, channels: h.channels, encoding: 's16le' };
      if (h.codec === 'float' && h.bitsPerSample === 32) return { sampleRate: h.sampleRate, channels: h.channels, encoding: 'f32le' };
    }
    return undefined;
  }

  override _read(): void {
    if (this.#pulling) return;
    this.#pulling = true;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#head.length > 0) {
        const chunk = this.#head.shift()!;
        this.#receivedBytes += chunk.length;
        if (!this.push(chunk)) {
          this.#pulling = false;
          return;
        }
      }
      for (;;) {
        const step = await this.#source.iterator.next();
        if (this.destroyed) return;
        if (step.done) {
          const announced = this.#announcedBytes;
          if (announced !== undefined && this.#receivedBytes < announced) {
            const h = this.wavHeader!;
            const seconds = (n: number) => (n / (h.sampleRate * h.blockAlign)).toFixed(2);
            const got = Math.max(0, this.#receivedBytes - h.dataOffset);
            this.destroy(
              new ApiError(
                {
                  status: 200,
                  requestId: this.requestId,
                  message: `The speech response is incomplete: its WAV header announces ${h.dataByteLength} bytes of audio (${seconds(h.dataByteLength!)} s) but the body ended after ${got} (${seconds(got)} s).`,
                },
                'TLA_ERR_API_INCOMPLETE',
              ),
            );
            return;
          }
          this.push(null);
          return;
        }
        if (step.value.length === 0) continue;
        this.#receivedBytes += step.value.length;
        if (!this.push(step.value)) {
          this.#pulling = false;
          return;
        }
      }
    } catch (e) {
      this.destroy(e as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#head = [];
    this.#source.abort();
    this.#source.iterator.return?.().catch(() => {});
    callback(error);
  }

  /**
   * The audio as PCM. Raw `pcm` and 16-bit / float WAV are unwrapped in-process (no ffmpeg) and converted with
   * the in-process resampler when `format` differs; other formats go through `decode()` (in-process for
   * Ogg/Opus, ffmpeg for MP3, AAC, FLAC). Without `format`, raw and WAV audio keep their
   * own layout and compressed audio comes out as 24 kHz mono s16le.
   * @throws FormatError (on the stream) when the audio cannot be decoded.
   */
  pcm(format?: PcmFormat): PcmReadable {
    if (format !== undefined) assertPcmFormat(format);
    const native = this.nativePcmFormat;
    if (native) {
      const skip = this.format === 'wav' ? this.wavHeader!.dataOffset : 0;
      const aligner = new FrameAligner(bytesPerFrame(native), skip);
      Object.defineProperty(aligner, 'format', { value: native, enumerable: true });
      this.once('error', (e) => aligner.destroy(e));
      aligner.once('close', () => {
        if (!this.readableEnded) this.destroy();
      });
      this.pipe(aligner);
      if (format === undefined || samePcmFormat(format, native)) return aligner as unknown as PcmReadable;
      const converter = new ResampleStream({ from: native, to: format });
      aligner.once('error', (e) => converter.destroy(e));
      converter.once('close', () => {
        if (!aligner.readableEnded) aligner.destroy();
      });
      return aligner.pipe(converter) as unknown as PcmReadable;
    }
    const target = format ?? SPEECH_PCM_FORMAT;
    const out = new PassThrough();
    Object.defineProperty(out, 'format', { value: target, enumerable: true });
    out.once('close', () => {
      if (!this.readableEnded) this.destroy();
    });
    // Compressed audio (mp3, opus, aac, flac, or WAV in an unusual coding): decode() picks the cheapest path
    // (in-process Ogg/Opus and WebM/Opus, ffmpeg for the rest).
    let decoded: Readable;
    try {
      decoded = decode(this, { to: target, contentType: this.contentType });
    } catch (e) {
      queueMicrotask(() => out.destroy(e as Error));
      return out as unknown as PcmReadable;
    }
    this.once('error', (e) => out.destroy(e));
    decoded.once('error', (e: Error) => out.destroy(e));
    out.once('close', () => {
      if (!decoded.destroyed) decoded.destroy();
    });
    decoded.pipe(new FrameAligner(bytesPerFrame(target))).pipe(out);
    return out as unknown as PcmReadable;
  }

  /**
   * Writes the audio to `filePath` atomically: into a temp file beside it, renamed into place at the end.
   * On any error the temp file is removed and nothing is left at `filePath` (an older file there is kept).
   */
  async save(filePath: string, options: { signal?: AbortSignal | undefined } = {}): Promise<SpeechSaveResult> {
    const target = path.resolve(filePath);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    let byteLength = 0;
    const counter = new PassThrough();
    counter.on('data', (c: Buffer) => {
      byteLength += c.length;
    });
    try {
      await pipeline(this, counter, createWriteStream(temp, { flags: 'wx' }), options.signal ? { signal: options.signal } : {});
      await rename(temp, target);
    } catch (e) {
      await unlink(temp).catch(() => {});
      if (options.signal?.aborted) throw abortError(options.signal);
      throw e;
    }
    return { path: target, byteLength, format: this.format };
  }

  /** Reads the whole audio into one Buffer. */
  async buffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of this) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Reads the whole audio, like the openai SDK's `Response.arrayBuffer()` (eases switching). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const buf = await this.buffer();
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
}

/**
 * Speech of up to 4096 characters: 5 min until the first bytes or between two chunks, 15 min for each request
 * (retries and the whole audio body included). The client's or the call's own `timeoutMs` / `deadlineMs` override these.
 */
export const SPEECH_DEFAULTS = { timeoutMs: 300_000, deadlineMs: 900_000 } as const;

/** `client.audio.speech`. */
export class Speech {
  readonly #http: HttpTransport;
  readonly #cache: SpeechCache | undefined;

  /** @internal */
  constructor(http: HttpTransport, cacheDir: string | undefined) {
    this.#http = http;
    this.#cache = cacheDir ? new SpeechCache(cacheDir) : undefined;
  }

  /**
   * Requests speech and resolves with the audio as soon as its first bytes (and so its real format) are known.
   * @throws InputError for invalid params or input that contains a credential (unless `allowSecrets`);
   *   ApiError subclasses, TimeoutError, ConnectionError for the request; errors after that arrive on the stream.
   */
  async create(params: SpeechCreateParams, options: SpeechCreateOptions = {}): Promise<SpeechAudio> {
    validateSpeechParams(params);
    const { allowSecrets: allowInParams, ...body } = params;
    const allowSecrets = options.allowSecrets ?? allowInParams ?? false;
    const ownKey = this.#http.apiKeyForGuard;
    for (const field of ['input', 'instructions', 'prompt'] as const) {
      const v = body[field];
      if (typeof v === 'string') assertNoSecrets(v, { field, ownKey, allowSecrets });
    }
    if (options.pcmFormat) assertPcmFormat(options.pcmFormat);
    const requested = body.response_format ?? 'mp3';
    const pieces = splitSpeechInput(body.input, options.maxInputChars ?? MAX_SPEECH_INPUT_CHARS);
    if (pieces.length > 1 && requested === 'flac') {
      throw new InputError(
        `Input of ${body.input.length} characters needs ${pieces.length} requests, and FLAC files cannot be joined; use mp3, opus, aac, wav or pcm, or shorten the input to ${MAX_SPEECH_INPUT_CHARS} characters.`,
        'TLA_ERR_INPUT_SPEECH',
      );
    }
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);

    const useCache = this.#cache !== undefined && options.cache !== false;
    const cacheKey = useCache ? speechCacheKey({ v: 1, baseURL: this.#http.baseURL, body, pcm: options.pcmFormat }) : undefined;
    if (useCache && cacheKey) {
      const hit = await this.#cache!.open(cacheKey);
      if (hit) {
        this.#http.debug(`speech served from cache ${cacheKey.slice(0, 12)}…`);
        if (signal) {
          const onCacheAbort = () => hit.stream.destroy(abortError(signal));
          signal.addEventListener('abort', onCacheAbort, { once: true });
          hit.stream.once('close', () => signal.removeEventListener('abort', onCacheAbort));
        }
        const it = hit.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        return finishCreate({
          source: { iterator: it, abort: () => hit.stream.destroy() },
          requested,
          contentType: undefined,
          requestIds: [],
          fromCache: true,
          cacheKey,
          pieces: 1,
          pcmFormat: options.pcmFormat,
          signal,
        });
      }
    }

    // One controller for every piece: destroying the audio or aborting the caller's signal cancels all of them.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const unlink = () => signal?.removeEventListener('abort', onAbort);
    const requestPiece = (text: string): Promise<HttpResponse> =>
      this.#http.request({
        method: 'POST',
        path: '/audio/speech',
        headers: { accept: body.stream_format === 'sse' ? 'text/event-stream, audio/*' : 'audio/*, application/octet-stream' },
        body: { kind: 'buffer', data: Buffer.from(JSON.stringify({ ...body, input: text })), contentType: 'application/json' },
        billable: true,
        retryBillable: options.retryBillable,
        signal: controller.signal,
        timeoutMs: options.timeoutMs,
        deadlineMs: options.deadlineMs,
        defaults: SPEECH_DEFAULTS,
        maxRetries: options.maxRetries,
      });

    let first: HttpResponse;
    try {
      first = await requestPiece(pieces[0]!);
    } catch (e) {
      unlink();
      if (signal?.aborted) throw abortError(signal);
      throw e;
    }
    const requestIds: string[] = first.requestId ? [first.requestId] : [];
    let usage: SpeechUsage | undefined;
    const http = this.#http;
    const cache = this.#cache;
    let audioRef: SpeechAudio | undefined;

    async function* bytes(): AsyncGenerator<Buffer> {
      let writer: SpeechCacheWriter | undefined;
      let complete = false;
      let next: Promise<HttpResponse> | undefined;
      try {
        if (cache && cacheKey) writer = await cache.writer(cacheKey).catch(() => undefined);
        for (let i = 0; i < pieces.length; i++) {
          let res: HttpResponse;
          if (i === 0) res = first;
          else {
            res = await next!;
            if (res.requestId) requestIds.push(res.requestId);
          }
          // Prefetch: the next piece is requested while this one streams, so playback has no gap.
          if (i + 1 < pieces.length) {
            next = requestPiece(pieces[i + 1]!);
            next.catch(() => {});
          }
          let parser: WavHeaderParser | undefined = i > 0 && requested === 'wav' ? new WavHeaderParser() : undefined;
          for await (const chunk of responseAudio(http, res, (u) => {
            usage = u;
            if (audioRef) audioRef.usage = u;
          })) {
            let out = chunk;
            if (parser) {
              // Later pieces of a split WAV: drop their headers, the first piece's header covers the stream.
              const step = parser.push(out);
              if (!step.done) continue;
              out = out.subarray(step.consumed);
              parser = undefined;
            }
            if (out.length === 0) continue;
            if (writer) writer = await cacheWrite(writer, out);
            yield out;
          }
        }
        complete = true;
        if (writer) {
          // The audio is complete and paid for: a cache that cannot keep it must not fail it.
          await writer.commit().catch(async (e: unknown) => {
            http.debug(`speech cache entry not stored: ${(e as Error).message}`);
            await writer!.discard();
          });
        }
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        throw e;
      } finally {
        if (!complete) {
          controller.abort();
          if (next) next.then((r) => discardBody(r.body), () => {});
          if (writer) await writer.discard();
        }
        unlink();
      }
    }

    const audio = await finishCreate({
      source: { iterator: bytes(), abort: () => controller.abort() },
      requested,
      contentType: first.headers['content-type'],
      requestIds,
      fromCache: false,
      cacheKey,
      pieces: pieces.length,
      pcmFormat: options.pcmFormat,
      signal,
    }).catch((e: unknown) => {
      controller.abort();
      unlink();
      throw e;
    });
    audioRef = audio;
    if (usage) audio.usage = usage;
    return audio;
  }
}

/** Writes to the cache entry; on failure (disk full, permissions) drops the entry and goes on without one. */
async function cacheWrite(writer: SpeechCacheWriter, chunk: Buffer): Promise<SpeechCacheWriter | undefined> {
  try {
    await writer.write(chunk);
    return writer;
  } catch {
    await writer.discard();
    return undefined;
  }
}

/** Reads the first bytes, decides the format, parses a WAV header, and builds the SpeechAudio. */
async function finishCreate(init: {
  source: SpeechSource;
  requested: string;
  contentType: string | undefined;
  requestIds: string[];
  fromCache: boolean;
  cacheKey: string | undefined;
  pieces: number;
  pcmFormat: PcmFormat | undefined;
  signal: AbortSignal | undefined;
}): Promise<SpeechAudio> {
  const head: Buffer[] = [];
  let headBytes = 0;
  const it = init.source.iterator;
  const pull = async (): Promise<boolean> => {
    const step = await it.next();
    if (step.done) return false;
    head.push(step.value);
    headBytes += step.value.length;
    return true;
  };
  try {
    while (headBytes < SPEECH_SNIFF_BYTES && (await pull()));
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    if (headBytes === 0) {
      throw new ApiError({ status: 200, requestId: init.requestIds[0], message: 'The speech response had no audio (0 bytes).' }, 'TLA_ERR_API_BAD_RESPONSE');
    }
    const format = detectSpeechFormat(first, init.contentType, init.requested);
    let wavHeader: WavHeader | undefined;
    if (format === 'wav') {
      const parser = new WavHeaderParser();
      let step = parser.push(first);
      let seen = first.length;
      while (!step.done) {
        if (seen > MAX_PEEK_BYTES || !(await pull())) parser.end();
        const last = head[head.length - 1]!;
        seen += last.length;
        step = parser.push(last);
      }
      wavHeader = step.header;
      if (init.pieces > 1) markWavLengthUnknown(head, wavHeader);
    }
    const params = pcmParamsOf(init.contentType);
    const base = init.pcmFormat ?? SPEECH_PCM_FORMAT;
    const pcmFormat: PcmFormat = { sampleRate: params.sampleRate ?? base.sampleRate, channels: params.channels ?? base.channels, encoding: base.encoding };
    return new SpeechAudio({
      source: init.source,
      head,
      format,
      requestedFormat: init.requested,
      contentType: init.fromCache || !init.contentType ? contentTypeOfFormat(format) : init.contentType,
      requestIds: init.requestIds,
      fromCache: init.fromCache,
      cacheKey: init.cacheKey,
      wavHeader,
      pcmFormat,
      wavLengthKnown: init.pieces === 1,
    });
  } catch (e) {
    init.source.abort();
    await it.return?.().catch(() => {});
    if (init.signal?.aborted) throw abortError(init.signal);
    if (e instanceof FormatError) {
      throw new FormatError(`The speech response claims to be WAV but its header is unusable: ${e.message}`, e.code, { cause: e });
    }
    throw e;
  }
}

/** Sets the RIFF and data sizes of a WAV header to "unknown" (0xFFFFFFFF): the joined stream is longer than piece one. */
function markWavLengthUnknown(head: Buffer[], header: WavHeader): void {
  const patch = (offset: number) => {
    let at = 0;
    for (const b of head) {
      if (offset >= at && offset + 4 <= at + b.length) {
        b.writeUInt32LE(0xffffffff, offset - at);
        return;
      }
      at += b.length;
    }
  };
  if (!header.rf64) {
    patch(4);
    patch(header.dataOffset - 4);
  }
}

/** The audio bytes of one response: raw bytes, or decoded `speech.audio.delta` events for SSE. */
async function* responseAudio(http: HttpTransport, res: HttpResponse, onUsage: (u: SpeechUsage) => void): AsyncGenerator<Buffer> {
  const contentType = (res.headers['content-type'] ?? '').toLowerCase();
  const isSse = contentType.includes('text/event-stream');
  try {
    if (contentType.startsWith('application/json')) {
      // A JSON body on a 2xx speech response is not audio (a gateway's error or notice): never hand it out as sound.
      // A gateway may echo the request (key included) in an error: redact before it becomes a message.
      const text = http.redact(await http.text(res, undefined, 1 << 20));
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const err = errorObjectOf(body);
      throw new ApiError(
        {
          status: res.status,
          requestId: res.requestId,
          body,
          message: `The speech response was JSON, not audio${typeof err?.message === 'string' ? `: ${err.message}` : ''}`,
        },
        'TLA_ERR_API_BAD_RESPONSE',
      );
    }
    if (!isSse) {
      for await (const chunk of res.body) yield chunk as Buffer;
      return;
    }
    const queue: SseEvent[] = [];
    const parser = new SseParser((ev) => queue.push(ev), { requestId: res.requestId, status: res.status });
    let done = false;
    const drain = function* (): Generator<Buffer> {
      while (queue.length > 0) {
        const ev = queue.shift()!;
        const audio = handleSpeechEvent(ev, res, (t) => http.redact(t), (u) => {
          done = true;
          onUsage(u);
        });
        if (audio && audio.length > 0) yield audio;
      }
    };
    for await (const chunk of res.body) {
      parser.push(chunk as Buffer);
      yield* drain();
    }
    parser.end();
    yield* drain();
    if (!done) {
      throw new ConnectionError('The speech event stream ended before "speech.audio.done"; the audio is incomplete.', {
        requestSent: true,
        requestId: res.requestId,
      });
    }
  } catch (e) {
    discardBody(res.body);
    throw http.bodyError(e, res.requestId);
  }
}

function handleSpeechEvent(ev: SseEvent, res: HttpResponse, redact: (text: string) => string, onDone: (u: SpeechUsage) => void): Buffer | undefined {
  if (ev.data === '[DONE]') {
    onDone({});
    return undefined;
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(ev.data) as Record<string, unknown>;
  } catch (e) {
    throw new ApiError(
      { status: res.status, requestId: res.requestId, message: `The speech event stream sent an event that is not JSON (${redact(ev.data.slice(0, 60))}…).`, cause: e },
      'TLA_ERR_API_BAD_RESPONSE',
    );
  }
  if (ev.event === 'error' || data.error !== undefined || data.type === 'error') {
    // Parsed again from redacted text (only on this path: audio deltas are not scanned).
    const safe = JSON.parse(redact(ev.data)) as Record<string, unknown>;
    throw apiErrorFromResponse({ status: 500, requestId: res.requestId, body: safe.error !== undefined ? safe : { error: safe } });
  }
  if (data.type === 'speech.audio.delta') {
    if (typeof data.audio !== 'string') {
      throw new ApiError({ status: res.status, requestId: res.requestId, message: 'A speech.audio.delta event has no base64 "audio".' }, 'TLA_ERR_API_BAD_RESPONSE');
    }
    return Buffer.from(data.audio, 'base64');
  }
  if (data.type === 'speech.audio.done') {
    onDone((data.usage as SpeechUsage | undefined) ?? {});
  }
  return undefined;
}
