import { createHash } from 'node:crypto';
import { PassThrough, Transform, pipeline } from 'node:stream';
import { once } from 'node:events';
import { writeStreamAtomic } from '../../api/write-file-atomic.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import type { SegmenterOptions } from '../../core/vad/segmenter.js';
import { VadTracker, type VadEngineOption } from '../../core/vad/vad-tracker.js';
import { OggOpusEncoder } from '../../codecs/ogg/ogg-opus-encoder.js';
import { encode, type EncodeFormat } from '../../streams/encode.js';
import type { PieceSpan } from './piece-unit.js';

/** The PCM the cutter reads: 16 kHz mono s16le (what speech recognisers use; the VAD's own rate). */
export const PIECE_PCM: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };
const SAMPLES_PER_MS = PIECE_PCM.sampleRate / 1000;

/** How pieces are encoded for upload. */
export interface PieceCodec {
  readonly format: Extract<EncodeFormat, 'ogg-opus' | 'flac' | 'mp3' | 'wav'>;
  /** Bits per second for lossy formats. */
  readonly bitrate?: number | undefined;
  /**
   * Opus encoder effort, 0–10 (`ogg-opus` only; encoded as speech, Opus's `voip` mode). Default 10, the codec's;
   * the job default ({@link DEFAULT_PIECE_CODEC}) uses 5.
   */
  readonly complexity?: number | undefined;
}

/** Where a piece's audio went. */
export interface CutPieceAudio {
  readonly path: string;
  readonly byteLength: number;
  readonly sha256: string;
}

/** A piece as cut: its place in the source and (when it was encoded) its audio. */
export interface CutPiece {
  readonly index: number;
  readonly spans: readonly PieceSpan[];
  readonly durationMs: number;
  readonly sourceStartMs: number;
  readonly sourceEndMs: number;
  /** Undefined when `wantAudio` said the piece needs none (its result is already saved). */
  readonly audio: CutPieceAudio | undefined;
}

/** Options of {@link cutPieces}. */
export interface CutPiecesOptions {
  /** Longest piece, ms of piece audio. */
  readonly maxPieceMs: number;
  /** Silences between utterances longer than this are shortened to it inside a piece (the time map keeps source times). */
  readonly maxGapMs: number;
  readonly codec: PieceCodec;
  /** The VAD's options (defaults: the segmenter's, with `maxUtteranceMs` = min(60 s, `maxPieceMs`)). */
  readonly vad?: (SegmenterOptions & { engine?: VadEngineOption }) | undefined;
  /** Whether piece `index` must be encoded; false when its result already exists. */
  readonly wantAudio: (index: number) => boolean | Promise<boolean>;
  /** Where piece `index`'s audio goes (written to a temp file beside it, then renamed). */
  readonly audioPathOf: (index: number) => string;
  /** Source ms decoded so far, as it grows. */
  readonly onDecodedMs?: ((ms: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly ffmpegPath?: string | undefined;
}

/** One utterance as the cutter uses it: sample positions in the source. */
interface Utterance {
  readonly startSample: number;
  readonly pcm: Buffer;
}

/**
 * Cuts 16 kHz mono PCM into pieces for upload, streaming: the VAD finds utterances, pieces gather whole
 * utterances until the next would pass `maxPieceMs`, so every cut falls in a pause between them (never inside a
 * word); speech running on longer than the VAD's `maxUtteranceMs` is split by the segmenter at the quietest
 * point of its last seconds. Pauses inside a piece longer than `maxGapMs` are shortened (digital silence) and
 * recorded in the piece's spans. Each piece is encoded as it is filled, to a file: memory stays flat.
 */
export async function* cutPieces(pcm: AsyncIterable<Buffer>, options: CutPiecesOptions): AsyncGenerator<CutPiece> {
  const ready: Utterance[] = [];
  // Below the piece limit with room for the post-pad, so one utterance always fits a piece.
  const maxUtteranceMs = Math.max(1000, Math.min(60_000, options.maxPieceMs - 500));
  const tracker = new VadTracker({ maxUtteranceMs, ...options.vad, format: PIECE_PCM }, (ev, frames) => {
    if (ev.type !== 'speech-end') return;
    ready.push({ startSample: frames.startFrame, pcm: tracker.history.copy(frames.startFrame, frames.endFrame) });
    tracker.history.keepAfter(frames.endFrame);
  });
  const builder = new PieceBuilder(options);
  let decodedBytes = 0;
  try {
    for await (const chunk of pcm) {
      tracker.write(chunk);
      decodedBytes += chunk.length;
      options.onDecodedMs?.(decodedBytes / 2 / SAMPLES_PER_MS);
      for (const u of ready.splice(0)) {
        const done = await builder.add(u);
        if (done) yield done;
      }
    }
    tracker.end();
    for (const u of ready.splice(0)) {
      const done = await builder.add(u);
      if (done) yield done;
    }
    const last = await builder.close();
    if (last) yield last;
  } finally {
    await builder.abandon();
  }
}

/** Fills one piece at a time. */
class PieceBuilder {
  readonly #o: CutPiecesOptions;
  readonly #maxPieceSamples: number;
  readonly #maxGapSamples: number;
  #index = -1;
  #spans: PieceSpan[] = [];
  #samples = 0;
  #lastEndSample = 0;
  #firstSample = 0;
  #writer: PieceWriter | undefined;
  #open = false;

  constructor(options: CutPiecesOptions) {
    this.#o = options;
    this.#maxPieceSamples = Math.floor(options.maxPieceMs * SAMPLES_PER_MS);
    this.#maxGapSamples = Math.max(0, Math.floor(options.maxGapMs * SAMPLES_PER_MS));
  }

  /** Adds an utterance; returns the piece it closed, if adding it closed one. */
  async add(u: Utterance): Promise<CutPiece | undefined> {
    const length = u.pcm.length >> 1;
    let closed: CutPiece | undefined;
    if (this.#open) {
      const gap = Math.max(0, u.startSample - this.#lastEndSample);
      const kept = Math.min(gap, this.#maxGapSamples);
      if (this.#samples + kept + length > this.#maxPieceSamples) closed = await this.close();
      else if (kept > 0) {
        // Half of the kept pause after the last speech, half before the next: both ends stay true to the source.
        const head = kept >> 1;
        await this.#silence(this.#lastEndSample, head);
        await this.#silence(u.startSample - (kept - head), kept - head);
      }
    }
    if (!this.#open) await this.#begin(u.startSample);
    this.#span(u.startSample, length);
    await this.#writer?.write(u.pcm);
    this.#samples += length;
    this.#lastEndSample = u.startSample + length;
    return closed;
  }

  async #begin(startSample: number): Promise<void> {
    this.#index++;
    this.#open = true;
    this.#spans = [];
    this.#samples = 0;
    this.#firstSample = startSample;
    this.#writer = (await this.#o.wantAudio(this.#index)) ? new PieceWriter(this.#o.audioPathOf(this.#index), this.#o) : undefined;
  }

  #span(sourceSample: number, length: number): void {
    if (length <= 0) return;
    const last = this.#spans[this.#spans.length - 1];
    const pieceMs = this.#samples / SAMPLES_PER_MS;
    const sourceMs = sourceSample / SAMPLES_PER_MS;
    if (last && Math.abs(last.pieceMs + last.durationMs - pieceMs) < 1e-6 && Math.abs(last.sourceMs + last.durationMs - sourceMs) < 1e-6) {
      this.#spans[this.#spans.length - 1] = { ...last, durationMs: last.durationMs + length / SAMPLES_PER_MS };
    } else this.#spans.push({ pieceMs, sourceMs, durationMs: length / SAMPLES_PER_MS });
  }

  async #silence(sourceSample: number, length: number): Promise<void> {
    if (length <= 0) return;
    this.#span(sourceSample, length);
    await this.#writer?.silence(length);
    this.#samples += length;
  }

  /** Closes the open piece (if any) and returns it. */
  async close(): Promise<CutPiece | undefined> {
    if (!this.#open) return undefined;
    this.#open = false;
    const audio = await this.#writer?.finish();
    this.#writer = undefined;
    return {
      index: this.#index,
      spans: this.#spans,
      durationMs: this.#samples / SAMPLES_PER_MS,
      sourceStartMs: this.#firstSample / SAMPLES_PER_MS,
      sourceEndMs: this.#lastEndSample / SAMPLES_PER_MS,
      audio,
    };
  }

  /** Drops a piece being written (on error or abort). */
  async abandon(): Promise<void> {
    const w = this.#writer;
    this.#writer = undefined;
    this.#open = false;
    await w?.abandon();
  }
}

const ZEROS = Buffer.alloc(PIECE_PCM.sampleRate * 2); // one second of silence, reused

/** Encodes one piece's PCM into a temp file beside `path`, renamed into place by `finish()`. */
class PieceWriter {
  readonly #path: string;
  readonly #input = new PassThrough({ highWaterMark: 256 * 1024 });
  readonly #done: Promise<number>;
  readonly #hash = createHash('sha256');
  #failure: Error | undefined;

  constructor(path: string, options: CutPiecesOptions) {
    this.#path = path;
    const codec = options.codec;
    // Opus in-process, straight from the 16 kHz PCM (no resampling, no ffmpeg): the codec's speech mode, at the
    // chosen effort. The other formats go through encode() (ffmpeg for FLAC and MP3).
    const encoded =
      codec.format === 'ogg-opus'
        ? // pipeline(): abandoning the piece (destroying the input) destroys the encoder, so the file write ends.
          pipeline(
            this.#input,
            new OggOpusEncoder({
              sampleRate: 16_000,
              channels: 1,
              application: 'voip',
              ...(codec.bitrate !== undefined ? { bitrate: codec.bitrate } : {}),
              ...(codec.complexity !== undefined ? { complexity: codec.complexity } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            }),
            () => undefined,
          )
        : encode(this.#input, {
            format: codec.format,
            inputFormat: PIECE_PCM,
            ...(codec.bitrate !== undefined && codec.format !== 'flac' && codec.format !== 'wav' ? { bitrate: codec.bitrate } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
          });
    const hash = this.#hash;
    const hasher = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    this.#done = writeStreamAtomic(path, encoded, [hasher]);
    this.#done.catch((e: Error) => {
      this.#failure = e;
      // Unblock a writer waiting for 'drain'.
      this.#input.destroy();
    });
  }

  async write(pcm: Buffer): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (!this.#input.write(pcm)) {
      await Promise.race([once(this.#input, 'drain'), this.#done]).catch(() => undefined);
      if (this.#failure) throw this.#failure;
    }
  }

  async silence(samples: number): Promise<void> {
    let left = samples * 2;
    while (left > 0) {
      const n = Math.min(left, ZEROS.length);
      await this.write(ZEROS.subarray(0, n));
      left -= n;
    }
  }

  async finish(): Promise<CutPieceAudio> {
    this.#input.end();
    const byteLength = await this.#done;
    return { path: this.#path, byteLength, sha256: this.#hash.digest('hex') };
  }

  async abandon(): Promise<void> {
    this.#input.destroy();
    // writeStreamAtomic removes its temp file when the chain fails.
    await this.#done.catch(() => undefined);
  }
}
