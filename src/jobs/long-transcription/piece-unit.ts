import path from 'node:path';
import type { CutPiece, CutPieceAudio } from './piece-cutter.js';

/**
 * The unit of work of a long-file job: one piece of the source audio, encoded and saved, with everything needed
 * to transcribe it anywhere and to put its times back into the source's time. Plain JSON, so a queue can carry it.
 */

/** A stretch of the piece's audio that came from the source unchanged: piece time → source time, ms. */
export interface PieceSpan {
  /** Start in the piece's audio. */
  readonly pieceMs: number;
  /** Start of the same audio in the source file. */
  readonly sourceMs: number;
  readonly durationMs: number;
}

/** The request sent for every piece of a job. */
export interface PieceRequest {
  readonly model: string;
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  readonly temperature?: number | undefined;
  /** `verbose_json` when the model gives timestamps (segments, words), otherwise `json`. */
  readonly responseFormat: 'verbose_json' | 'json';
  readonly timestampGranularities?: readonly ('word' | 'segment')[] | undefined;
}

/**
 * One piece of a long transcription or translation: an idempotent, serialisable unit of work.
 *
 * - `audioPath` is the encoded piece (Ogg/Opus by default), `audioSha256` its content hash: a worker on
 *   another machine needs the file at that path (shared storage) or must put the bytes there first.
 * - `resultPath`, when set, is where {@link transcribePiece} saves the result (temp file + rename); when a valid
 *   result for the same `jobKey` and `index` is already there, it is returned and nothing is requested.
 * - `spans` map times in the piece to times in the source (silences longer than the job's `maxGapMs` were
 *   shortened, so piece time and source time differ by more than an offset).
 */
export interface TranscriptionPieceUnit {
  readonly kind: 'tokenlab-audio/transcription-piece';
  readonly version: 1;
  /** Hash of the source's content and the job's options: equal keys mean the same work. */
  readonly jobKey: string;
  /** Position in the job, from 0. */
  readonly index: number;
  readonly task: 'transcribe' | 'translate';
  readonly request: PieceRequest;
  readonly audioPath: string;
  readonly audioByteLength: number;
  readonly audioSha256: string;
  /** Name sent with the upload (`piece-000003.ogg`). */
  readonly filename: string;
  /** Length of the piece's audio, ms. */
  readonly durationMs: number;
  /** First and last source times the piece covers, ms. */
  readonly sourceStartMs: number;
  readonly sourceEndMs: number;
  readonly spans: readonly PieceSpan[];
  readonly resultPath?: string | undefined;
  /** For messages and cost records, e.g. `piece 3 of lecture.wav`. */
  readonly label: string;
}

/** A timed text in source time (ms). */
export interface TimedText {
  readonly startMs: number;
  readonly endMs: number;
  readonly text: string;
}

/** What {@link transcribePiece} produced for one unit: times already in the source's time. Plain JSON. */
export interface TranscriptionPieceResult {
  readonly kind: 'tokenlab-audio/transcription-piece-result';
  readonly version: 1;
  readonly jobKey: string;
  readonly index: number;
  readonly model: string;
  /** `x-request-id` of the answer: quote it to support. */
  readonly requestId: string | undefined;
  readonly text: string;
  readonly language?: string | undefined;
  /** Segments in source time; empty when the model gives no timestamps. */
  readonly segments: readonly TimedText[];
  /** Words in source time, when asked for and given. */
  readonly words?: readonly TimedText[] | undefined;
  /** The answer's `usage`, as sent. */
  readonly usage?: unknown;
  /** Estimated cost of this request (USD) when a meter priced it; undefined when it could not be priced. */
  readonly costUsd?: number | undefined;
  readonly durationMs: number;
  readonly sourceStartMs: number;
  readonly sourceEndMs: number;
  /** ISO time the answer arrived. */
  readonly completedAt: string;
}

/**
 * Maps a time in the piece's audio to the source's time. A time inside a span maps exactly; a time past the
 * last span (a server rounding up) is clamped to its end.
 */
export function pieceToSourceMs(spans: readonly PieceSpan[], pieceMs: number): number {
  if (spans.length === 0) return pieceMs;
  let lo = 0;
  let hi = spans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (spans[mid]!.pieceMs <= pieceMs) lo = mid;
    else hi = mid - 1;
  }
  const span = spans[lo]!;
  const within = Math.min(Math.max(0, pieceMs - span.pieceMs), span.durationMs);
  return span.sourceMs + within;
}

/** What a piece's unit takes from its job (besides the piece). */
export interface PieceUnitJob {
  readonly jobKey: string;
  readonly task: 'transcribe' | 'translate';
  readonly request: PieceRequest;
  /** Where the piece's result is saved. */
  readonly resultPath: string;
  /** The source's name in labels (`piece 3 of lecture.wav`). */
  readonly sourceName: string;
}

/** The unit of work of a cut piece whose audio was encoded and saved (used by `transcribeLong` and the queue). */
export function pieceUnitOf(piece: CutPiece, audio: CutPieceAudio, job: PieceUnitJob): TranscriptionPieceUnit {
  return {
    kind: 'tokenlab-audio/transcription-piece',
    version: 1,
    jobKey: job.jobKey,
    index: piece.index,
    task: job.task,
    request: job.request,
    audioPath: audio.path,
    audioByteLength: audio.byteLength,
    audioSha256: audio.sha256,
    filename: path.basename(audio.path),
    durationMs: piece.durationMs,
    sourceStartMs: piece.sourceStartMs,
    sourceEndMs: piece.sourceEndMs,
    spans: piece.spans,
    resultPath: job.resultPath,
    label: `piece ${piece.index + 1} of ${job.sourceName}`,
  };
}
