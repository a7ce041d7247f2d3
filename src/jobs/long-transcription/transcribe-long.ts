/**
 * `transcribeLong` / `translateLong`: a file of any length, past the upload limit. Decode (streamed) → VAD cuts
 * into pieces at pauses → each piece encoded compactly (Ogg/Opus 24 kb/s by default) into a work directory →
 * bounded-concurrency requests → results merged with source-time timestamps. Resumable and metered.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { InputError } from '../../core/errors.js';
import type { RequestOptions } from '../../api/request-options.js';
import type { Model, ModelPricing } from '../../api/models.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES } from '../../api/audio-upload.js';
import { CostMeter, type CostSummary } from '../../api/cost/cost-meter.js';
import { BudgetExceededError } from '../../api/cost/budget-exceeded-error.js';
import { ApiError, RateLimitError } from '../../transports/http-errors.js';
import type { SegmenterOptions } from '../../core/vad/segmenter.js';
import type { VadEngineOption } from '../../core/vad/vad-tracker.js';
import { decode } from '../../streams/decode.js';
import { type CutPiece, type PieceCodec, PIECE_PCM, cutPieces } from './piece-cutter.js';
import { LongJobWorkDir, fileSha256, longJobKey } from './long-job-work-dir.js';
import { type LongTranscript, type LongTranscriptFormat, formatLongTranscript, mergePieceResults } from './merge-transcript.js';
import { pieceUnitOf, type PieceRequest, type TranscriptionPieceResult, type TranscriptionPieceUnit } from './piece-unit.js';
import { type PieceClient, readPieceResult, transcribePiece } from './transcribe-piece.js';
import { LongTranscriptionError } from './long-transcription-error.js';

/** A client for long jobs: audio routes, plus the catalog to learn whether the model gives timestamps. */
export interface LongJobClient extends PieceClient {
  readonly models?: { retrieve(id: string, options?: RequestOptions): Promise<Model>; pricing(id: string, options?: RequestOptions): Promise<ModelPricing> } | undefined;
}

/** Progress of the whole job (every field counts the whole file, resumed pieces included). */
export interface LongJobProgress {
  readonly piecesDone: number;
  /** Of `piecesDone`, pieces whose result was already saved (not requested again). */
  readonly piecesReused: number;
  readonly piecesCut: number;
  /** Known once the source has been cut to the end. */
  readonly piecesTotal: number | undefined;
  readonly inFlight: number;
  /** Piece audio finished, ms (speech and kept pauses). */
  readonly audioMsDone: number;
  /** Source decoded so far, ms. */
  readonly sourceMsDecoded: number;
  /** The source's length: exact once decoded, else estimated from the bytes read (undefined when unknown). */
  readonly sourceMsTotal: number | undefined;
  readonly elapsedMs: number;
  /** Estimated time to finish, ms; undefined until something was requested. */
  readonly etaMs: number | undefined;
  /** Spent so far by this run, USD (when metered). */
  readonly spentUsd: number | undefined;
}

/** Options of {@link transcribeLong} (and, without `language`, of {@link translateLong}). */
export interface LongTranscriptionOptions extends RequestOptions {
  /** Path of the audio or video file. */
  readonly file: string;
  readonly model: string;
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  readonly temperature?: number | undefined;
  /** What the result's `output` holds. Default `text`. */
  readonly responseFormat?: LongTranscriptFormat | undefined;
  /** `word` adds word timings (models with timestamps). */
  readonly timestampGranularities?: readonly ('word' | 'segment')[] | undefined;
  /**
   * Ask for `verbose_json` (segments with times). `'auto'` (default): as the catalog says the model's output
   * formats allow; when the catalog does not say, yes.
   */
  readonly timestamps?: boolean | 'auto' | undefined;
  /** Requests at once. Default 4. */
  readonly concurrency?: number | undefined;
  /** Longest piece, ms. Default 600 000 (10 min) with timestamps, 30 000 without (each piece is then one cue). */
  readonly maxPieceMs?: number | undefined;
  /** Largest piece, bytes. Default 25 MiB (the API's upload limit). */
  readonly maxPieceBytes?: number | undefined;
  /** Pauses longer than this are shortened inside pieces (times stay the source's). Default 2000. */
  readonly maxGapMs?: number | undefined;
  /** Piece encoding. Default Ogg/Opus at 24 kb/s. */
  readonly codec?: PieceCodec | undefined;
  /** VAD options (threshold, minSilenceMs, engine …). */
  readonly vad?: (SegmenterOptions & { engine?: VadEngineOption }) | undefined;
  /** Root of the work directories. Default `<os tmpdir>/tokenlab-audio-long`. */
  readonly workDir?: string | undefined;
  /** Keep each piece's audio after its result is saved. Default false. */
  readonly keepAudio?: boolean | undefined;
  /** Meter for cost per request and for the job; one is made (with the client's pricing) when `maxCostUsd` is set. */
  readonly meter?: CostMeter | undefined;
  /** Budget cap, USD: no piece is started whose estimate would pass it. */
  readonly maxCostUsd?: number | undefined;
  readonly onProgress?: ((progress: LongJobProgress) => void) | undefined;
  readonly ffmpegPath?: string | undefined;
}

/** What a long job produced. */
export interface LongTranscriptionResult extends LongTranscript {
  /** The transcript rendered in `responseFormat`. */
  readonly output: string;
  readonly format: LongTranscriptFormat;
  readonly jobKey: string;
  /** The job's work directory (results per piece). */
  readonly workDir: string;
  /** Requests made by this run. */
  readonly requestsMade: number;
  /** Pieces taken from earlier runs. */
  readonly piecesReused: number;
  /** Cost of this run's requests (when metered). */
  readonly cost: CostSummary | undefined;
}

/**
 * Default piece codec: Ogg/Opus at 24 kb/s in its speech mode, about 3 kB per second of audio (25 MB holds over two
 * hours). Effort 5 of 10: the encoder is most of a job's CPU, and 5 encodes speech about three times faster than 10
 * (the WebAssembly codec) for the same size.
 */
export const DEFAULT_PIECE_CODEC: PieceCodec = { format: 'ogg-opus', bitrate: 24_000, complexity: 5 };

const EXTENSION: Record<PieceCodec['format'], string> = { 'ogg-opus': 'ogg', flac: 'flac', mp3: 'mp3', wav: 'wav' };

/**
 * Transcribes a file of any length (see the module comment). Resumable: a rerun with the same file and options
 * requests only the pieces without a saved result.
 * @throws InputError for bad options, a missing file, or a file with no speech (`TLA_ERR_NO_SPEECH`);
 *   FormatError when the file is not audio; LongTranscriptionError when a piece failed or the budget stopped
 *   the job (finished pieces are kept); AbortError on abort.
 */
export function transcribeLong(client: LongJobClient, options: LongTranscriptionOptions): Promise<LongTranscriptionResult> {
  return runLongJob(client, 'transcribe', options);
}

/** Translates a file of any length into English text (see {@link transcribeLong}). */
export function translateLong(client: LongJobClient, options: Omit<LongTranscriptionOptions, 'language'>): Promise<LongTranscriptionResult> {
  return runLongJob(client, 'translate', options);
}

function positive(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= min)) throw new InputError(`${name} must be a number ≥ ${min}, got ${String(v)}.`, 'TLA_ERR_INPUT_OPTION');
}

async function wantsTimestamps(client: LongJobClient, o: LongTranscriptionOptions): Promise<boolean> {
  if (o.timestamps === true || o.timestamps === false) return o.timestamps;
  if (!client.models) return true;
  try {
    const model = await client.models.retrieve(o.model, { ...(o.signal ? { signal: o.signal } : {}) });
    const tl = model.tokenlab;
    const formats = tl?.request_format_details?.output_formats ?? tl?.request_format_summary?.output_formats;
    return Array.isArray(formats) && formats.length > 0 ? formats.includes('verbose_json') : true;
  } catch (e) {
    if (o.signal?.aborted) throw e;
    // The catalog could not say: ask for timestamps; a model without them answers 400 (not billed).
    return true;
  }
}

async function runLongJob(client: LongJobClient, task: 'transcribe' | 'translate', o: LongTranscriptionOptions): Promise<LongTranscriptionResult> {
  if (o === null || typeof o !== 'object' || typeof o.file !== 'string' || o.file === '') throw new InputError(`${task}Long needs { file: path, model }.`, 'TLA_ERR_INPUT_OPTION');
  if (typeof o.model !== 'string' || o.model.trim() === '') throw new InputError('model is required, e.g. "whisper-1".', 'TLA_ERR_INPUT_MODEL');
  positive('concurrency', o.concurrency, 1);
  positive('maxPieceMs', o.maxPieceMs, 2000);
  positive('maxPieceBytes', o.maxPieceBytes, 1024);
  positive('maxGapMs', o.maxGapMs, 0);
  const format = o.responseFormat ?? 'text';
  if (!['text', 'srt', 'vtt', 'json', 'verbose_json'].includes(format)) throw new InputError(`responseFormat must be text, srt, vtt, json or verbose_json, got ${JSON.stringify(format)}.`, 'TLA_ERR_INPUT_OPTION');
  const file = path.resolve(o.file);
  const info = await import('node:fs/promises').then((fs) => fs.stat(file)).catch(() => undefined);
  if (!info?.isFile()) throw new InputError(info ? `${o.file} is not a regular file.` : `No such file: ${o.file}`, 'TLA_ERR_INPUT_FILE');
  if (info.size === 0) throw new InputError(`${o.file} is empty (0 bytes).`, 'TLA_ERR_INPUT_FILE');

  const timestamps = await wantsTimestamps(client, o);
  const concurrency = Math.floor(o.concurrency ?? 4);
  const maxPieceMs = o.maxPieceMs ?? (timestamps ? 600_000 : 30_000);
  const maxPieceBytes = o.maxPieceBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES;
  const maxGapMs = o.maxGapMs ?? 2000;
  const codec = o.codec ?? DEFAULT_PIECE_CODEC;
  const request: PieceRequest = {
    model: o.model,
    responseFormat: timestamps ? 'verbose_json' : 'json',
    ...(o.language !== undefined ? { language: o.language } : {}),
    ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(timestamps && o.timestampGranularities?.length ? { timestampGranularities: [...o.timestampGranularities] } : {}),
  };
  const { engine: _engine, ...vadKeyed } = o.vad ?? {};
  const sha = await fileSha256(file, o.signal);
  const keyed = { task, request, maxPieceMs, maxGapMs, codec, vad: vadKeyed };
  const jobKey = longJobKey(sha, keyed);
  const wd = await LongJobWorkDir.open(o.workDir ?? path.join(os.tmpdir(), 'tokenlab-audio-long'), jobKey, { source: file, sourceSha256: sha, ...keyed });
  const meter = o.meter ?? (o.maxCostUsd !== undefined ? new CostMeter({ ...(client.models ? { client: { models: client.models } } : {}), maxCostUsd: o.maxCostUsd }) : undefined);
  const requestOptions: RequestOptions = { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}), ...(o.retryBillable !== undefined ? { retryBillable: o.retryBillable } : {}) };

  const inner = new AbortController();
  const onAbort = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();

  const started = performance.now();
  const results = new Map<number, TranscriptionPieceResult>();
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let requestsMade = 0;
  let reused = 0;
  let piecesCut = 0;
  let piecesTotal: number | undefined;
  let audioMsDone = 0;
  let audioMsDoneHere = 0;
  let audioMsCut = 0;
  let sourceMsDecoded = 0;
  let sourceDurationMs: number | undefined;
  let bytesRead = 0;

  const progress = () => {
    if (!o.onProgress) return;
    const elapsedMs = performance.now() - started;
    const fraction = sourceDurationMs !== undefined ? 1 : bytesRead > 0 ? bytesRead / info.size : undefined;
    const sourceMsTotal = sourceDurationMs ?? (fraction ? sourceMsDecoded / fraction : undefined);
    const audioMsTotal = piecesTotal !== undefined ? audioMsCut : fraction ? audioMsCut / fraction : undefined;
    const rate = audioMsDoneHere / elapsedMs;
    const etaMs = audioMsTotal !== undefined && rate > 0 ? Math.max(0, (audioMsTotal - audioMsDone) / rate) : undefined;
    o.onProgress({ piecesDone: results.size, piecesReused: reused, piecesCut, piecesTotal, inFlight: running.size, audioMsDone, sourceMsDecoded, sourceMsTotal, elapsedMs, etaMs, spentUsd: meter?.spentUsd });
  };

  const finished = (r: TranscriptionPieceResult, wasReused: boolean) => {
    results.set(r.index, r);
    audioMsDone += r.durationMs;
    if (wasReused) reused++;
    else {
      requestsMade++;
      audioMsDoneHere += r.durationMs;
    }
    progress();
  };

  // The pool: up to `limit` requests at once; the cutter may run `concurrency` pieces ahead of it. A rate limit
  // (after the client's own retries) puts the piece back, halves `limit` and waits as long as the server asked.
  const pending: TranscriptionPieceUnit[] = [];
  const rateLimitWaits = new Map<number, number>();
  let limit = concurrency;
  let pausedUntil = 0;
  let wake: (() => void) | undefined;
  const signalChange = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const changed = () => new Promise<void>((resolve) => (wake = resolve));

  const start = (unit: TranscriptionPieceUnit): void => {
    const p: Promise<void> = transcribePiece(client, unit, { ...requestOptions, signal: inner.signal, meter, scope: jobKey })
      .then(async (r) => {
        if (!o.keepAudio) await wd.dropAudio(unit);
        finished(r, r.reused);
        if (limit < concurrency && !r.reused) limit++;
      })
      .catch((e: unknown) => {
        const waits = rateLimitWaits.get(unit.index) ?? 0;
        if (e instanceof RateLimitError && waits < 8 && !inner.signal.aborted) {
          rateLimitWaits.set(unit.index, waits + 1);
          limit = Math.max(1, limit >> 1);
          pausedUntil = Math.max(pausedUntil, Date.now() + (e.retryAfterMs ?? 1000));
          pending.unshift(unit);
          setTimeout(() => {
            pump();
            signalChange();
          }, e.retryAfterMs ?? 1000).unref();
          return;
        }
        if (failure === undefined) failure = e;
      })
      .finally(() => {
        running.delete(p);
        pump();
        signalChange();
      });
    running.add(p);
  };
  const pump = (): void => {
    while (failure === undefined && running.size < limit && pending.length > 0 && Date.now() >= pausedUntil) start(pending.shift()!);
    progress();
  };
  const schedule = async (unit: TranscriptionPieceUnit): Promise<void> => {
    pending.push(unit);
    pump();
    while (failure === undefined && pending.length >= concurrency) await changed();
  };
  const drain = async (): Promise<void> => {
    while (running.size > 0 || (pending.length > 0 && failure === undefined)) await changed();
  };

  const unitOf = (piece: CutPiece & { audio: NonNullable<CutPiece['audio']> }): TranscriptionPieceUnit =>
    pieceUnitOf(piece, piece.audio, { jobKey, task, request, resultPath: wd.resultPath(piece.index), sourceName: path.basename(file) });

  /** A piece already finished or cut in an earlier run: its result, or its saved unit to request. */
  const fromDisk = async (index: number): Promise<'done' | 'queued' | 'missing'> => {
    const saved = await readPieceResult(wd.resultPath(index), { jobKey, index });
    if (saved) {
      finished(saved, true);
      return 'done';
    }
    const unit = await wd.readyUnit(index);
    if (!unit) return 'missing';
    await schedule(unit);
    return 'queued';
  };

  try {
    const plan = await wd.readPlan();
    let needCut = true;
    if (plan) {
      // Cut before: if every piece is finished or still has its audio, nothing needs decoding.
      const states: ('done' | 'queued' | 'missing')[] = [];
      for (let i = 0; i < plan.pieceCount && !failure; i++) {
        const r = await readPieceResult(wd.resultPath(i), { jobKey, index: i });
        states.push(r ? 'done' : (await wd.readyUnit(i)) ? 'queued' : 'missing');
      }
      if (!states.includes('missing')) {
        needCut = false;
        piecesTotal = plan.pieceCount;
        piecesCut = plan.pieceCount;
        sourceDurationMs = plan.sourceDurationMs;
        sourceMsDecoded = plan.sourceDurationMs;
        for (let i = 0; i < plan.pieceCount && !failure; i++) await fromDisk(i);
      }
    }
    if (needCut) {
      const source = await openSource(file, (n) => (bytesRead += n));
      const pcm = decode(source, { to: PIECE_PCM, signal: inner.signal, ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}) });
      const pieces = cutPieces(pcm as AsyncIterable<Buffer>, {
        maxPieceMs,
        maxGapMs,
        codec,
        ...(o.vad ? { vad: o.vad } : {}),
        signal: inner.signal,
        ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}),
        audioPathOf: (i) => wd.audioPath(i, EXTENSION[codec.format]),
        wantAudio: async (i) => !(await wd.hasResult(i)) && !(await wd.readyUnit(i)),
        onDecodedMs: (ms) => {
          sourceMsDecoded = ms;
        },
      });
      try {
        for await (const piece of pieces) {
          piecesCut++;
          audioMsCut += piece.durationMs;
          if (piece.audio) {
            if (piece.audio.byteLength > maxPieceBytes) {
              throw new InputError(`Piece ${piece.index + 1} encoded to ${piece.audio.byteLength} bytes, over the ${maxPieceBytes}-byte limit; lower maxPieceMs or the codec's bitrate.`, 'TLA_ERR_LONG_PIECE');
            }
            const unit = unitOf(piece as CutPiece & { audio: NonNullable<CutPiece['audio']> });
            await wd.saveUnit(unit);
            await schedule(unit);
          } else if ((await fromDisk(piece.index)) === 'missing') {
            throw new InputError(`Piece ${piece.index + 1}'s saved work vanished while the job ran; run it again.`, 'TLA_ERR_LONG_PIECE');
          }
          if (failure) break;
        }
      } finally {
        // Stops decoding when the loop ended early (failure, abort).
        pcm.destroy();
      }
      if (!failure) {
        piecesTotal = piecesCut;
        sourceDurationMs = sourceMsDecoded;
        await wd.savePlan({ jobKey, pieceCount: piecesCut, sourceDurationMs: sourceMsDecoded });
        progress();
      }
    }
    await drain();
  } catch (e) {
    if (failure === undefined) failure = e;
    // Requests in flight are being paid for: let them finish and save (an abort has already stopped them).
    await Promise.allSettled(running);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) {
    if (o.signal?.aborted) throw failure;
    // Nothing was requested yet and nothing finished (a bad file, no ffmpeg, an unwritable work dir): the error as it is.
    if (results.size === 0 && requestsMade === 0 && !(failure instanceof ApiError) && !(failure instanceof BudgetExceededError)) throw failure;
    throw new LongTranscriptionError({
      cause: failure,
      workDir: wd.dir,
      piecesDone: results.size,
      piecesTotal,
      requestIds: [...results.values()].map((r) => r.requestId).filter((id): id is string => typeof id === 'string'),
    });
  }
  if (results.size === 0) {
    throw new InputError(
      `No speech found in ${o.file} (${(sourceMsDecoded / 1000).toFixed(1)} s of audio, the VAD heard none): nothing was sent. Check the file plays, or lower vad.threshold.`,
      'TLA_ERR_NO_SPEECH',
    );
  }
  const merged = mergePieceResults(task, [...results.values()], sourceDurationMs ?? sourceMsDecoded);
  return {
    ...merged,
    output: formatLongTranscript(merged, format),
    format,
    jobKey,
    workDir: wd.dir,
    requestsMade,
    piecesReused: reused,
    cost: meter?.summary(jobKey),
  };
}

/**
 * The source for decode(): a counted read stream (so progress knows how far it is), or the path itself for MP4
 * family files, whose index may sit at the end and needs a seekable input.
 */
async function openSource(file: string, onBytes: (n: number) => void): Promise<string | Transform> {
  const head = Buffer.alloc(12);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 12, 0);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1', 4, 8) === 'ftyp') return file;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  const reader = createReadStream(file, { highWaterMark: 256 * 1024 });
  reader.on('error', (e) => counter.destroy(e));
  counter.on('close', () => reader.destroy());
  return reader.pipe(counter);
}
