/**
 * A BullMQ worker that runs batch jobs from the queue with {@link runBatchJob}: exactly one recorded result per
 * job (a `done` is never redone, even when BullMQ hands a job out again after a worker died), a rate limit that
 * pauses the queue instead of failing the job, a stop flag that every worker honours after a 402, and a record
 * of billable requests in flight so a takeover names a possible double charge.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import { TokenLab, type TokenLabOptions } from '../client.js';
import { ApiError, ConnectionError, TimeoutError } from '../transports/http-errors.js';
import { BatchOutputError } from '../jobs/batch/batch-errors.js';
import type { BatchJob } from '../jobs/batch/batch-job.js';
import { batchRecord, type BatchRecord } from '../jobs/batch/batch-manifest.js';
import { runBatchJob } from '../jobs/batch/run-batch-job.js';
import { BatchCostMeter } from '../jobs/batch/batch-cost.js';
import { CostMeter } from '../api/cost/cost-meter.js';
import { writeFileAtomic } from '../api/write-file-atomic.js';
import { transcribePiece, readPieceResult } from '../jobs/long-transcription/transcribe-piece.js';
import { formatLongTranscript, mergePieceResults } from '../jobs/long-transcription/merge-transcript.js';
import type { TranscriptionPieceResult, TranscriptionPieceUnit } from '../jobs/long-transcription/piece-unit.js';
import type { LongQueueJob } from './cut-long-queue-job.js';
import { LongJobWorkDir } from '../jobs/long-transcription/long-job-work-dir.js';
import { batchItemError } from '../jobs/batch/run-batch.js';
import { loadBullmq } from './load-bullmq.js';
import { QueueConnectionError } from './queue-errors.js';
import { LONG_MERGE_JOB, LONG_PIECE_JOB, DEFAULT_QUEUE_NAME, batchKeys, defineQueueScripts, parseRedisUrl, recordResult, type BatchKeys, type QueueRecord, type QueueRedis } from './queue-store.js';

/** The data of one queue job (what {@link BatchQueue.submit} adds). */
export interface QueueJobData {
  readonly batchId: string;
  readonly jobId: string;
  /** The job's content + options key ({@link batchJobKey}). */
  readonly key: string;
  readonly job: BatchJob;
}

/** The data of one piece of a long file in the queue (what {@link BatchQueue.submitLong} adds). */
export interface LongPieceJobData {
  readonly batchId: string;
  /** The piece's BullMQ job id. */
  readonly jobId: string;
  /** The long job's key (content + options). */
  readonly key: string;
  /** The long file's name in reports. */
  readonly name: string;
  readonly unit: TranscriptionPieceUnit;
}

/** The data of a long file's merge job, run once all its pieces are done. */
export interface LongMergeJobData {
  readonly batchId: string;
  readonly jobId: string;
  readonly key: string;
  readonly long: LongQueueJob;
  readonly task: 'transcribe' | 'translate';
  readonly pieceCount: number;
  readonly sourceDurationMs: number;
}

/** A billable request that was in flight when its worker went away (or its connection failed): it may have been charged twice. */
export interface PossibleDoubleCharge {
  readonly jobId: string;
  /** The item's name. */
  readonly name: string;
  /** The worker that was making the request. */
  readonly worker: string;
  /** ISO time the request was sent. */
  readonly since: string;
  /** Ids of responses that had arrived (empty when the worker died before the answer). */
  readonly requestIds: readonly string[];
  /** The worker that found it and ran the job again. */
  readonly detectedBy: string;
  /** `worker-lost`: another worker took the job over; `connection-failed`: the same worker retried after a network failure. */
  readonly reason: 'worker-lost' | 'connection-failed';
}

interface InflightEntry {
  worker: string;
  name: string;
  since: string;
  requestIds: string[];
}

/** Options of {@link startBatchWorker}. */
export interface BatchWorkerOptions {
  /** `redis://host:port[/db]` (or `rediss://` for TLS). */
  readonly redis: string;
  /** BullMQ queue name. Default `tokenlab-audio`. */
  readonly queueName?: string | undefined;
  /** The client the jobs run with, or options to make one (closed with the worker). Default: from the environment. */
  readonly client?: TokenLab | TokenLabOptions | undefined;
  /** Jobs in flight at once in this worker. Default 4. */
  readonly concurrency?: number | undefined;
  /** Names this worker in records and reports. Default `host:pid:random`. */
  readonly workerId?: string | undefined;
  /** How long a job's lock lasts without renewal: a dead worker's jobs go back to the queue after this, ms. Default 30 000. */
  readonly lockDurationMs?: number | undefined;
  /** How often stalled jobs (of dead workers) are looked for, ms. Default 30 000. */
  readonly stalledIntervalMs?: number | undefined;
  /** Called with each record this worker writes. */
  readonly onItem?: ((record: QueueRecord, detail: { possibleDoubleCharge: PossibleDoubleCharge | undefined }) => void) | undefined;
  /** Connecting to Redis longer than this fails with a QueueConnectionError, ms. Default 10 000. */
  readonly connectTimeoutMs?: number | undefined;
}

/** A running worker. */
export interface BatchWorker {
  readonly workerId: string;
  /** Stops taking jobs, lets running ones finish, and closes the connections (and the client it made). */
  close(): Promise<void>;
}

/** Network failures retried through BullMQ before the item is recorded as failed. */
export const QUEUE_JOB_ATTEMPTS = 3;

/**
 * Starts a worker on the queue. Run as many as you like, on as many machines as share the inputs and outputs
 * (the jobs carry file paths).
 * @throws QueueDependencyError without bullmq; QueueConnectionError when Redis cannot be reached.
 */
export async function startBatchWorker(options: BatchWorkerOptions): Promise<BatchWorker> {
  const { Worker, UnrecoverableError } = await loadBullmq();
  const { options: connection, safeUrl } = parseRedisUrl(options.redis);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const ownClient = !(options.client instanceof TokenLab);
  const client = options.client instanceof TokenLab ? options.client : new TokenLab(options.client ?? {});
  let redis: QueueRedis | undefined;
  // Prices come from the catalog once per model; each job's cost from its answer's usage.
  const cost = await BatchCostMeter.create([], { client });
  const keysOf = new Map<string, BatchKeys>();
  const keys = (batchId: string): BatchKeys => {
    let k = keysOf.get(batchId);
    if (!k) keysOf.set(batchId, (k = batchKeys(queueName, batchId)));
    return k;
  };

  const record = async (data: QueueJobData, status: QueueRecord['status'], fields: Partial<BatchRecord>, t0: number, attempts: number, suspect?: PossibleDoubleCharge): Promise<void> => {
    const line: QueueRecord = batchRecord({ key: data.key, job: data.job, status, attempts, startedAt: t0, worker: workerId }, fields);
    if (await recordResult(redis!, keys(data.batchId), data.jobId, line)) options.onItem?.(line, { possibleDoubleCharge: suspect });
  };

  // Long files' pieces are priced by the long-transcription code through a meter (no cap here).
  const pieceMeter = new CostMeter({ client });

  /** Marks a billable request in flight (a previous one of a dead worker becomes a possible double charge). */
  const markInflight = async (k: BatchKeys, jobId: string, name: string): Promise<PossibleDoubleCharge | undefined> => {
    let suspect: PossibleDoubleCharge | undefined;
    const previous = await redis!.hget(k.inflight, jobId);
    if (previous) {
      const p = JSON.parse(previous) as InflightEntry;
      suspect = { jobId, name: p.name, worker: p.worker, since: p.since, requestIds: p.requestIds, detectedBy: workerId, reason: p.worker === workerId ? 'connection-failed' : 'worker-lost' };
      await redis!.hset(k.suspect, { [jobId]: JSON.stringify(suspect) });
    }
    const entry: InflightEntry = { worker: workerId, name, since: new Date().toISOString(), requestIds: [] };
    await redis!.hset(k.inflight, { [jobId]: JSON.stringify(entry) });
    return suspect;
  };

  /** One piece of a long file: idempotent (a saved result is returned without a request). */
  const processPiece = async (job: Job<LongPieceJobData>): Promise<void> => {
    const data = job.data;
    const k = keys(data.batchId);
    if (await readPieceResult(data.unit.resultPath ?? '', data.unit)) return;
    const stop = await redis!.get(k.stop);
    if (stop) throw new UnrecoverableError(`Not started: the batch stopped (${stop}).`);
    await markInflight(k, data.jobId, `${data.unit.label}`);
    try {
      await transcribePiece(client, data.unit, { meter: pieceMeter, scope: data.key });
      await redis!.hdel(k.inflight, data.jobId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) {
        await redis!.hdel(k.inflight, data.jobId);
        await worker.rateLimit(error.retryAfterMs ?? 1000);
        throw Worker.RateLimitError();
      }
      const network = error instanceof TimeoutError || error instanceof ConnectionError || (error instanceof ApiError && error.status === 0);
      if (network && job.attemptsMade + 1 < QUEUE_JOB_ATTEMPTS) throw error;
      await redis!.hdel(k.inflight, data.jobId);
      if (error instanceof ApiError && (error.status === 402 || error.status === 401)) {
        await redis!.set(k.stop, `${error.status === 402 ? 'insufficient-balance' : 'authentication'} at ${data.unit.label}: ${error.message}`);
      }
      throw new UnrecoverableError(`${data.unit.label} failed: ${(error as Error).message}`);
    }
  };

  /** A long file's merge: every piece is done (BullMQ runs a flow parent after its children). */
  const processMerge = async (job: Job<LongMergeJobData>): Promise<void> => {
    const data = job.data;
    const k = keys(data.batchId);
    const t0 = performance.now();
    if ((await redis!.hget(k.status, data.jobId)) === 'done') return;
    const itemJob = { name: data.long.name, kind: data.task, output: data.long.output };
    const results: TranscriptionPieceResult[] = [];
    const wd = await LongJobWorkDir.open(data.long.workDir, data.key, {});
    for (let i = 0; i < data.pieceCount; i++) {
      const r = await readPieceResult(wd.resultPath(i), { jobKey: data.key, index: i });
      if (!r) throw new UnrecoverableError(`piece ${i + 1} of ${data.long.name} has no saved result in ${wd.dir}: enqueue the file again.`);
      results.push(r);
    }
    const merged = mergePieceResults(data.task, results, data.sourceDurationMs);
    const text = formatLongTranscript(merged, data.long.responseFormat ?? 'text');
    const requestIds = results.map((r) => r.requestId).filter((id): id is string => typeof id === 'string');
    try {
      await mkdir(path.dirname(data.long.output), { recursive: true });
      await writeFileAtomic(data.long.output, text);
    } catch (e) {
      const error = new BatchOutputError(data.long.output, e, requestIds);
      const line = batchRecord({ key: data.key, job: itemJob, status: 'failed', attempts: job.attemptsMade + 1, startedAt: t0, worker: workerId }, { error: batchItemError(error), requestIds });
      await recordResult(redis!, k, data.jobId, line);
      await redis!.set(k.stop, `output at ${data.long.name}: ${error.message}`);
      return;
    }
    const priced = results.every((r) => r.costUsd !== undefined);
    const costUsd = results.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    const line = batchRecord(
      { key: data.key, job: itemJob, status: 'done', attempts: job.attemptsMade + 1, startedAt: t0, worker: workerId },
      { requestIds, costUsd: priced ? costUsd : null, costNote: priced ? `${results.length} pieces` : `${results.filter((r) => r.costUsd === undefined).length} of ${results.length} pieces could not be priced`, warning: merged.text.trim() === '' ? 'no speech found: the transcript is empty' : null },
    );
    if (await recordResult(redis!, k, data.jobId, line)) options.onItem?.(line, { possibleDoubleCharge: undefined });
  };

  const processAny = (job: Job<QueueJobData>): Promise<void> =>
    job.name === LONG_PIECE_JOB ? processPiece(job as unknown as Job<LongPieceJobData>) : job.name === LONG_MERGE_JOB ? processMerge(job as unknown as Job<LongMergeJobData>) : processJob(job);

  const processJob = async (job: Job<QueueJobData>): Promise<void> => {
    const data = job.data;
    const k = keys(data.batchId);
    const t0 = performance.now();
    const attempts = job.attemptsMade + 1;
    if ((await redis!.hget(k.status, data.jobId)) === 'done') return;
    const stop = await redis!.get(k.stop);
    if (stop) {
      await record(data, 'not-started', { error: { code: 'TLA_ERR_BATCH_STOPPED', message: `Not started: the batch stopped (${stop}).`, status: null, requestId: null } }, t0, attempts);
      return;
    }
    let suspect: PossibleDoubleCharge | undefined;
    const previous = await redis!.hget(k.inflight, data.jobId);
    if (previous) {
      const p = JSON.parse(previous) as InflightEntry;
      suspect = { jobId: data.jobId, name: p.name, worker: p.worker, since: p.since, requestIds: p.requestIds, detectedBy: workerId, reason: p.worker === workerId ? 'connection-failed' : 'worker-lost' };
      await redis!.hset(k.suspect, { [data.jobId]: JSON.stringify(suspect) });
    }
    const inflight: InflightEntry = { worker: workerId, name: data.job.name, since: '', requestIds: [] };
    try {
      const result = await runBatchJob(client, data.job, {
        beforeBillable: async () => {
          inflight.since = new Date().toISOString();
          await redis!.hset(k.inflight, { [data.jobId]: JSON.stringify(inflight) });
        },
        // Kept until the result is recorded: a worker that dies between the answer and the record still leaves a trace.
        afterBillable: async (requestIds) => {
          inflight.requestIds = [...requestIds];
          await redis!.hset(k.inflight, { [data.jobId]: JSON.stringify(inflight) });
        },
      });
      // The job is done (and paid for) whatever the meter says: a pricing failure only leaves its cost unknown.
      const priced = await cost.costOf(data.job, result).catch((e: unknown) => ({ costUsd: undefined, note: `cost unknown: ${(e as Error).message}` }));
      await record(data, 'done', { requestIds: result.requestIds, warning: result.warning ?? null, fromCache: result.fromCache, costUsd: priced.costUsd ?? null, costNote: priced.note ?? null }, t0, attempts, suspect);
    } catch (error) {
      const requestIds = (error as { requestIds?: readonly string[] }).requestIds ?? ((error as { requestId?: string }).requestId ? [(error as { requestId: string }).requestId] : []);
      if (error instanceof ApiError && error.status === 429) {
        // Answered with a 429: nothing was billed. Pause the whole queue (every worker) as long as asked; the job goes back without using an attempt.
        await redis!.hdel(k.inflight, data.jobId);
        await worker.rateLimit(error.retryAfterMs ?? 1000);
        throw Worker.RateLimitError();
      }
      const network = error instanceof TimeoutError || error instanceof ConnectionError || (error instanceof ApiError && error.status === 0);
      if (network && attempts < QUEUE_JOB_ATTEMPTS) throw error;
      await record(data, 'failed', { error: batchItemError(error), requestIds }, t0, attempts, suspect);
      const stopReason =
        error instanceof ApiError && error.status === 402 ? 'insufficient-balance' : error instanceof ApiError && error.status === 401 ? 'authentication' : error instanceof BatchOutputError ? 'output' : undefined;
      if (stopReason) await redis!.set(k.stop, `${stopReason} at ${data.job.name}: ${(error as Error).message}`);
    }
  };

  const worker: Worker<QueueJobData> = new Worker<QueueJobData>(queueName, processAny, {
    connection,
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('error', () => {
    // Connection errors are retried by ioredis; they surface through waitUntilReady or the jobs.
  });
  try {
    // waitUntilReady() resolves to the worker's blocking connection, where every command would queue behind a
    // BZPOPMIN of up to drainDelay (5 s); the job bookkeeping goes over the worker's normal client instead.
    const ready = worker.waitUntilReady().then(() => worker.client);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const client0 = await Promise.race([ready, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
    redis = client0 as unknown as QueueRedis;
    defineQueueScripts(redis);
  } catch (error) {
    await worker.close(true).catch(() => {});
    if (ownClient) await client.close();
    throw new QueueConnectionError(`Cannot connect to Redis at ${safeUrl}: ${(error as Error).message}`, error);
  }
  worker.run().catch(() => {
    // run() rejects only when the worker is closed while starting; close() reports the rest.
  });
  return {
    workerId,
    async close() {
      await worker.close();
      if (ownClient) await client.close();
    },
  };
}
