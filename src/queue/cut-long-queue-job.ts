/**
 * The producer's half of a long file in the queue: cut it (decode → VAD → encoded pieces in a shared work
 * directory, with the long-transcription job's own cutter and work directory) into piece units. Each unit then
 * becomes one queue job; a merge job runs when all are done. Everything is keyed by the file's content and the
 * options, as `transcribeLong` keys it, so a re-enqueue (or a local `transcribeLong` of the same file) finds the
 * finished pieces and requests nothing again.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/errors.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES } from '../api/audio-upload.js';
import { decode } from '../streams/decode.js';
import { cutPieces, PIECE_PCM } from '../jobs/long-transcription/piece-cutter.js';
import { LongJobWorkDir, fileSha256, longJobKey } from '../jobs/long-transcription/long-job-work-dir.js';
import { DEFAULT_PIECE_CODEC } from '../jobs/long-transcription/transcribe-long.js';
import type { LongTranscriptFormat } from '../jobs/long-transcription/merge-transcript.js';
import { pieceUnitOf, type PieceRequest, type TranscriptionPieceUnit } from '../jobs/long-transcription/piece-unit.js';

/** A long file to transcribe (or translate) through the queue. */
export interface LongQueueJob {
  readonly kind: 'transcribe-long' | 'translate-long';
  /** What reports call it. */
  readonly name: string;
  /** The audio or video file (on storage the producer reads). */
  readonly file: string;
  /** Where the merged transcript is written (storage every worker sees). */
  readonly output: string;
  readonly model: string;
  /** Default `text`. */
  readonly responseFormat?: LongTranscriptFormat | undefined;
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  readonly temperature?: number | undefined;
  /** Root of the work directories; must be shared storage every worker sees (the pieces' audio and results live there). */
  readonly workDir: string;
  /** Longest piece, ms. Default 600 000. */
  readonly maxPieceMs?: number | undefined;
  /** Pauses longer than this are shortened inside pieces. Default 2000. */
  readonly maxGapMs?: number | undefined;
}

/** What the cut produced: the units to enqueue, and what the merge needs. */
export interface CutLongQueueJob {
  readonly jobKey: string;
  readonly workDir: string;
  readonly units: readonly TranscriptionPieceUnit[];
  readonly sourceDurationMs: number;
}

const EXTENSION = { 'ogg-opus': 'ogg', flac: 'flac', mp3: 'mp3', wav: 'wav' } as const;

/**
 * Cuts `job.file` into piece units in its work directory, or reads them back when an earlier enqueue cut it.
 * @throws InputError for a missing file, an over-limit piece, or a file with no speech; FormatError when it is not audio.
 */
export async function cutLongQueueJob(job: LongQueueJob, options: { signal?: AbortSignal | undefined; ffmpegPath?: string | undefined } = {}): Promise<CutLongQueueJob> {
  const file = path.resolve(job.file);
  const task = job.kind === 'translate-long' ? 'translate' : 'transcribe';
  const request: PieceRequest = {
    model: job.model,
    responseFormat: 'verbose_json',
    ...(job.language !== undefined && task === 'transcribe' ? { language: job.language } : {}),
    ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
    ...(job.temperature !== undefined ? { temperature: job.temperature } : {}),
  };
  const maxPieceMs = job.maxPieceMs ?? 600_000;
  const maxGapMs = job.maxGapMs ?? 2000;
  const codec = DEFAULT_PIECE_CODEC;
  const sha = await fileSha256(file, options.signal).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'ENOENT' ? `No such file: ${job.file}` : `Cannot read ${job.file}: ${e.message}`, 'TLA_ERR_INPUT_FILE', { cause: e });
  });
  // The same recipe as transcribeLong's key (with its default VAD), so the two share finished pieces.
  const keyed = { task, request, maxPieceMs, maxGapMs, codec, vad: {} };
  const jobKey = longJobKey(sha, keyed);
  const wd = await LongJobWorkDir.open(job.workDir, jobKey, { source: file, sourceSha256: sha, ...keyed });

  const plan = await wd.readPlan();
  if (plan) {
    const units = await Promise.all(Array.from({ length: plan.pieceCount }, (_, i) => savedUnit(wd, i)));
    if (units.every((u): u is TranscriptionPieceUnit => u !== undefined)) return { jobKey, workDir: wd.dir, units, sourceDurationMs: plan.sourceDurationMs };
  }

  const units: TranscriptionPieceUnit[] = [];
  let decodedMs = 0;
  const pcm = decode(file, { to: PIECE_PCM, ...(options.signal ? { signal: options.signal } : {}), ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}) });
  try {
    for await (const piece of cutPieces(pcm as AsyncIterable<Buffer>, {
      maxPieceMs,
      maxGapMs,
      codec,
      audioPathOf: (i) => wd.audioPath(i, EXTENSION[codec.format]),
      // A piece whose unit is saved (with its audio, or with its result) is not encoded again.
      wantAudio: async (i) => (await savedUnit(wd, i)) === undefined,
      onDecodedMs: (ms) => (decodedMs = ms),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    })) {
      if (piece.audio) {
        if (piece.audio.byteLength > DEFAULT_UPLOAD_LIMIT_BYTES) {
          throw new InputError(`Piece ${piece.index + 1} of ${job.name} encoded to ${piece.audio.byteLength} bytes, over the upload limit; lower maxPieceMs.`, 'TLA_ERR_LONG_PIECE');
        }
        const unit = pieceUnitOf(piece, piece.audio, { jobKey, task, request, resultPath: wd.resultPath(piece.index), sourceName: job.name });
        await wd.saveUnit(unit);
        units.push(unit);
      } else {
        const unit = await savedUnit(wd, piece.index);
        if (!unit) throw new InputError(`Piece ${piece.index + 1} of ${job.name}: its saved unit vanished while cutting; enqueue it again.`, 'TLA_ERR_LONG_PIECE');
        units.push(unit);
      }
    }
  } finally {
    pcm.destroy();
  }
  if (units.length === 0) throw new InputError(`No speech found in ${job.file} (${(decodedMs / 1000).toFixed(1)} s of audio): nothing was queued.`, 'TLA_ERR_NO_SPEECH');
  await wd.savePlan({ jobKey, pieceCount: units.length, sourceDurationMs: decodedMs });
  return { jobKey, workDir: wd.dir, units, sourceDurationMs: decodedMs };
}

/** A saved unit that can still be run: its audio is there, or its result is (the audio is then not needed). */
async function savedUnit(wd: LongJobWorkDir, index: number): Promise<TranscriptionPieceUnit | undefined> {
  const ready = await wd.readyUnit(index);
  if (ready) return ready;
  if (!(await wd.hasResult(index))) return undefined;
  try {
    const unit = JSON.parse(await readFile(wd.unitPath(index), 'utf8')) as TranscriptionPieceUnit;
    return unit.jobKey === wd.jobKey && unit.index === index ? unit : undefined;
  } catch {
    return undefined;
  }
}
