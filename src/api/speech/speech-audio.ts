/**
 * {@link SpeechAudio}: the audio of one `speech.create` call as a Readable of the bytes of one audio file, with what
 * is known about it (format, request ids, cache origin, WAV header) and ways to consume it (`pcm()`, `save()`).
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { abortError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import type { WavHeader } from '../../codecs/wav/wav-header.js';
import { ApiError } from '../../transports/http-errors.js';
import { writeStreamAtomic } from '../write-file-atomic.js';
import type { SpeechAudioFormat } from './speech-format.js';

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

/**
 * @internal Turns speech audio into PCM: the body of `pcm()`. Decoding belongs to the streams layer, so the client
 * that composes both layers hands it in (`streams/speech-pcm.ts`).
 */
export type SpeechPcmDecoder = (audio: SpeechAudio, format: PcmFormat | undefined) => PcmReadable;

/** @internal Where a {@link SpeechAudio} pulls its bytes from, and how to cancel it. */
export interface SpeechSource {
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
  readonly #decodePcm: SpeechPcmDecoder;
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
    decodePcm: SpeechPcmDecoder;
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
    this.#decodePcm = init.decodePcm;
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
    return this.#decodePcm(this, format);
  }

  /**
   * Writes the audio to `filePath` atomically: into a temp file beside it, renamed into place at the end.
   * On any error the temp file is removed and nothing is left at `filePath` (an older file there is kept).
   */
  async save(filePath: string, options: { signal?: AbortSignal | undefined } = {}): Promise<SpeechSaveResult> {
    const target = path.resolve(filePath);
    try {
      const byteLength = await writeStreamAtomic(target, this, [], options.signal);
      return { path: target, byteLength, format: this.format };
    } catch (e) {
      if (options.signal?.aborted) throw abortError(options.signal);
      throw e;
    }
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
