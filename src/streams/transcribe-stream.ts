/**
 * `transcribeStream(client, opts)`: an object-mode Transform from utterances (PCM with their times, as a VAD
 * chunker emits them) to transcripts carrying the same times. Several utterances are transcribed at once
 * (bounded by `concurrency`), and transcripts come out in the order the utterances went in.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { TokenLab } from '../client.js';
import type { Transcription, TranscriptionVerbose } from '../api/transcriptions.js';
import { InputError, abortError } from '../core/errors.js';
import { type PcmFormat, assertPcmFormat, bytesPerFrame } from '../core/pcm/pcm-format.js';
import { encodeWav } from '../codecs/wav/wav-writer.js';

/** One utterance in (a `VadUtterance` from `VadChunker` fits). */
export interface TranscribeUtterance {
  readonly pcm: Uint8Array;
  readonly format: PcmFormat;
  /** Start and end of the utterance in the source, ms. */
  readonly startMs: number;
  readonly endMs: number;
}

/** One transcript out. */
export interface UtteranceTranscript {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Position of the utterance in the input (0-based). */
  readonly index: number;
  readonly requestId: string | undefined;
  readonly language: string | undefined;
  /** Segments (from `verbose_json`), with times in ms of the source (the utterance start added). */
  readonly segments: readonly { readonly startMs: number; readonly endMs: number; readonly text: string }[] | undefined;
}

/** Options of {@link transcribeStream}. */
export interface TranscribeStreamOptions {
  readonly model: string;
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  /** `json` (default) or `verbose_json` (adds segments). */
  readonly responseFormat?: 'json' | 'verbose_json' | undefined;
  readonly temperature?: number | undefined;
  /** Utterances in flight at once (default 2). */
  readonly concurrency?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxRetries?: number | undefined;
}

interface Pending {
  readonly promise: Promise<UtteranceTranscript>;
  settled: boolean;
}

/**
 * Builds the Transform. Write {@link TranscribeUtterance}s, read {@link UtteranceTranscript}s.
 * A failed request destroys the stream with its error (ApiError with the request id, …) and cancels the others.
 * @throws InputError for a bad `concurrency` or a missing `model`.
 */
export function transcribeStream(client: TokenLab, options: TranscribeStreamOptions): TranscribeStream {
  return new TranscribeStream(client, options);
}

/** See {@link transcribeStream}. */
export class TranscribeStream extends Transform {
  readonly #client: TokenLab;
  readonly #options: TranscribeStreamOptions;
  readonly #concurrency: number;
  readonly #controller = new AbortController();
  readonly #queue: Pending[] = [];
  #index = 0;
  #onAbort: (() => void) | undefined;

  constructor(client: TokenLab, options: TranscribeStreamOptions) {
    super({ objectMode: true, highWaterMark: 16 });
    if (!options || typeof options.model !== 'string' || options.model === '') {
      throw new InputError('transcribeStream needs { model }, e.g. "whisper-1".', 'TLA_ERR_INPUT_TRANSCRIPTION');
    }
    const concurrency = options.concurrency ?? 2;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new InputError(`concurrency must be a whole number from 1 to 64, got ${String(concurrency)}.`, 'TLA_ERR_INPUT_OPTION');
    }
    this.#client = client;
    this.#options = options;
    this.#concurrency = concurrency;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.destroy(abortError(signal)));
      else {
        this.#onAbort = () => this.destroy(abortError(signal));
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  override _transform(utterance: TranscribeUtterance, _enc: BufferEncoding, callback: TransformCallback): void {
    let wav: Buffer;
    try {
      wav = this.#encode(utterance);
    } catch (e) {
      callback(e as Error);
      return;
    }
    const index = this.#index++;
    const pending: Pending = { promise: this.#transcribe(wav, utterance, index), settled: false };
    pending.promise.then(
      () => {
        pending.settled = true;
      },
      () => {
        pending.settled = true;
      },
    );
    // A failure is reported as soon as it happens, not when its turn to be pushed comes.
    pending.promise.catch((e: unknown) => this.destroy(e as Error));
    this.#queue.push(pending);
    void this.#drain(this.#concurrency - 1).then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    void this.#drain(0).then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#controller.abort();
    callback(error);
  }

  /** Pushes finished transcripts in order; waits while more than `maxInFlight` are pending. */
  async #drain(maxInFlight: number): Promise<void> {
    for (;;) {
      const head = this.#queue[0];
      if (!head) return;
      if (!head.settled && this.#queue.length <= maxInFlight) return;
      const transcript = await head.promise;
      if (this.destroyed) return;
      this.#queue.shift();
      this.push(transcript);
    }
  }

  #encode(u: TranscribeUtterance): Buffer {
    if (!u || typeof u !== 'object' || !(u.pcm instanceof Uint8Array)) {
      throw new InputError('transcribeStream takes utterances { pcm, format, startMs, endMs }.', 'TLA_ERR_INPUT_UTTERANCE');
    }
    assertPcmFormat(u.format, 'utterance format');
    if (!Number.isFinite(u.startMs) || !Number.isFinite(u.endMs) || u.endMs < u.startMs) {
      throw new InputError(`utterance times must be finite with endMs ≥ startMs (got ${u.startMs}..${u.endMs}).`, 'TLA_ERR_INPUT_UTTERANCE');
    }
    const frame = bytesPerFrame(u.format);
    if (u.pcm.byteLength === 0 || u.pcm.byteLength % frame !== 0) {
      throw new InputError(`utterance pcm must be a non-empty whole number of ${frame}-byte frames (got ${u.pcm.byteLength} bytes).`, 'TLA_ERR_INPUT_UTTERANCE');
    }
    return encodeWav(u.pcm, u.format);
  }

  async #transcribe(wav: Buffer, u: TranscribeUtterance, index: number): Promise<UtteranceTranscript> {
    const o = this.#options;
    const result = (await this.#client.audio.transcriptions.create({
      file: wav,
      filename: `utterance-${index}.wav`,
      model: o.model,
      language: o.language,
      prompt: o.prompt,
      responseFormat: o.responseFormat ?? 'json',
      temperature: o.temperature,
      signal: this.#controller.signal,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
    })) as (Transcription | TranscriptionVerbose) & { requestId?: string };
    const segments = Array.isArray((result as TranscriptionVerbose).segments)
      ? (result as TranscriptionVerbose).segments!.map((s) => ({ startMs: u.startMs + s.start * 1000, endMs: u.startMs + s.end * 1000, text: s.text }))
      : undefined;
    return {
      text: typeof result.text === 'string' ? result.text.trim() : '',
      startMs: u.startMs,
      endMs: u.endMs,
      index,
      requestId: result.requestId,
      language: typeof result.language === 'string' ? result.language : undefined,
      segments,
    };
  }
}
