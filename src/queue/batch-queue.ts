/**
 * The producer side of the queue: submits a batch's jobs to BullMQ (one BullMQ job per unit of work, its id
 * derived from the content, options and output, so submitting twice queues nothing twice), follows the batch's
 * progress and collects its report: one record per job, the possible double charges, and why it stopped.
 */
import type { FlowProducer, Queue } from 'bullmq';
import { InputError } from '../core/errors.js';
import { batchJobKey, type BatchJob } from '../jobs/batch/batch-job.js';
import type { BatchRecord } from '../jobs/batch/batch-manifest.js';
import { loadBullmq } from './load-bullmq.js';
import { QueueConnectionError } from './queue-errors.js';
import {
  BATCH_ID_PATTERN,
  DEFAULT_QUEUE_NAME,
  batchKeys,
  defineQueueScripts,
  parseRedisUrl,
  queueJobId,
  recordResult,
  type QueueRecord,
  type QueueRedis,
} from './queue-store.js';
import { QUEUE_JOB_ATTEMPTS, type LongMergeJobData, type LongPieceJobData, type PossibleDoubleCharge, type QueueJobData } from './start-batch-worker.js';
import { cutLongQueueJob, type LongQueueJob } from './cut-long-queue-job.js';
import { LONG_MERGE_JOB, LONG_PIECE_JOB, isPieceJobId, pieceJobId } from './queue-store.js';

/** Options of {@link BatchQueue.open}. */
export interface BatchQueueOptions {
  /** `redis://host:port[/db]` (or `rediss://` for TLS). */
  readonly redis: string;
  /** BullMQ queue name; the workers must use the same. Default `tokenlab-audio`. */
  readonly queueName?: string | undefined;
  /** Connecting longer than this fails with a QueueConnectionError, ms. Default 10 000. */
  readonly connectTimeoutMs?: number | undefined;
}

/** What {@link BatchQueue.submit} did. */
export interface QueueSubmitResult {
  readonly batchId: string;
  readonly total: number;
  /** Jobs added to the queue now. */
  readonly submitted: number;
  /** Jobs already done in an earlier submission (not queued again). */
  readonly alreadyDone: number;
  /** Jobs still waiting or running from an earlier submission (not queued twice). */
  readonly alreadyQueued: number;
}

/** Where a batch in the queue stands. */
export interface QueueBatchProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Jobs a stop kept from starting. */
  readonly notStarted: number;
  /** Jobs with no final status yet. */
  readonly pending: number;
  /** Billable requests being made right now. */
  readonly inFlight: number;
}

/** A billable request still in flight when the report was made. */
export interface InFlightRequest {
  readonly jobId: string;
  readonly name: string;
  readonly worker: string;
  readonly since: string;
}

/** The report of a batch in the queue. */
export interface QueueBatchReport extends QueueBatchProgress {
  readonly batchId: string;
  /** One record per job that has a final status (a manifest line each). */
  readonly records: readonly QueueRecord[];
  /** Requests that may have been charged twice: a worker died (or its connection failed) while one was in flight. */
  readonly possibleDoubleCharges: readonly PossibleDoubleCharge[];
  /** Requests in flight now (the batch is not finished, or a worker died and its jobs have not been taken over yet). */
  readonly inFlightRequests: readonly InFlightRequest[];
  /** Why the batch stopped (402, key refused, output unwritable), when it did. */
  readonly stoppedBy: string | undefined;
  /** Jobs whose result was recorded more than once (0 unless something is badly wrong: the store refuses it). */
  readonly duplicateResults: number;
}

/** Options of {@link BatchQueue.wait}. */
export interface QueueWaitOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: QueueBatchProgress) => void) | undefined;
  /** How often to look, ms. Default 250. */
  readonly pollIntervalMs?: number | undefined;
}

/** The producer: submit batches to the queue that `tokenlab-audio worker` processes, follow them, collect reports. */
export class BatchQueue {
  readonly queueName: string;
  readonly #queue: Queue<QueueJobData>;
  readonly #redis: QueueRedis;
  readonly #connection: ReturnType<typeof parseRedisUrl>['options'];
  #flow: FlowProducer | undefined;

  private constructor(queueName: string, queue: Queue<QueueJobData>, redis: QueueRedis, connection: ReturnType<typeof parseRedisUrl>['options']) {
    this.queueName = queueName;
    this.#queue = queue;
    this.#redis = redis;
    this.#connection = connection;
  }

  /**
   * Connects to Redis.
   * @throws QueueDependencyError without bullmq; QueueConnectionError when Redis cannot be reached.
   */
  static async open(options: BatchQueueOptions): Promise<BatchQueue> {
    const { Queue } = await loadBullmq();
    const { options: connection, safeUrl } = parseRedisUrl(options.redis);
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    const queue = new Queue<QueueJobData>(queueName, { connection });
    queue.on('error', () => {
      // Reconnection is ioredis's job; failures surface from the calls.
    });
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const client = await Promise.race([queue.waitUntilReady(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
      const redis = client as unknown as QueueRedis;
      defineQueueScripts(redis);
      return new BatchQueue(queueName, queue, redis, connection);
    } catch (error) {
      await queue.close().catch(() => {});
      throw new QueueConnectionError(`Cannot connect to Redis at ${safeUrl}: ${(error as Error).message}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Adds items to the batch's list (what {@link wait} and {@link progress} count): {@link submit} and
   * {@link submitLong} both add, neither resets the list. An item for an output the list already has under another
   * id (its input or options changed since) replaces that entry, so the batch never waits for work no one will do.
   */
  async #addToBatch(k: ReturnType<typeof batchKeys>, entries: Readonly<Record<string, string>>): Promise<void> {
    const outputs = new Set(Object.values(entries).map((json) => (JSON.parse(json) as { output: string }).output));
    const listed = await this.#redis.hgetall(k.jobs);
    const superseded = Object.entries(listed)
      .filter(([id, json]) => !(id in entries) && outputs.has((JSON.parse(json) as { output: string }).output))
      .map(([id]) => id);
    for (const part of chunks(superseded, 500)) await this.#redis.hdel(k.jobs, ...part);
    for (const part of chunks(Object.entries(entries), 500)) await this.#redis.hset(k.jobs, Object.fromEntries(part));
    const total = Object.keys(listed).length - superseded.length + Object.keys(entries).filter((id) => !(id in listed)).length;
    await this.#redis.hset(k.meta, { total, submittedAt: new Date().toISOString() });
  }

  /**
   * Queues the jobs of batch `batchId` that are not done yet, adding them to the batch (items added earlier, by
   * this or by {@link submitLong}, stay in it). Submitting again (after a crash, a 402, or to add jobs) queues only
   * what is neither done nor already queued; failed jobs are queued again.
   * @throws InputError for a malformed batch id; the read error of an input file (its content is hashed).
   */
  async submit(batchId: string, jobs: readonly BatchJob[], options: { overwrite?: boolean | undefined; signal?: AbortSignal | undefined } = {}): Promise<QueueSubmitResult> {
    if (!BATCH_ID_PATTERN.test(batchId)) throw new InputError(`A batch id is 1 to 100 letters, digits, ".", "_" or "-" (got ${JSON.stringify(batchId)}).`, 'TLA_ERR_INPUT_OPTION');
    const k = batchKeys(this.queueName, batchId);
    const statuses = await this.#redis.hgetall(k.status);
    const meta: Record<string, string> = {};
    const adds: { name: string; data: QueueJobData; opts: { jobId: string; attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: boolean; removeOnFail: boolean } }[] = [];
    let alreadyDone = 0;
    let alreadyQueued = 0;
    for (const job of jobs) {
      const key = await batchJobKey(job, options.signal);
      const jobId = queueJobId(key, job.output);
      meta[jobId] = JSON.stringify({ name: job.name, output: job.output, kind: job.kind });
      const status = statuses[jobId];
      if (status === 'done' && !options.overwrite) {
        alreadyDone++;
        continue;
      }
      if (status !== undefined) await this.#redis.hdel(k.status, jobId);
      const existing = await this.#queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') {
          alreadyQueued++;
          continue;
        }
        await existing.remove().catch(() => {});
      }
      adds.push({
        name: job.kind,
        data: { batchId, jobId, key, job },
        opts: { jobId, attempts: QUEUE_JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: false },
      });
    }
    await this.#redis.del(k.stop);
    await this.#addToBatch(k, meta);
    for (const part of chunks(adds, 500)) await this.#queue.addBulk(part);
    return { batchId, total: jobs.length, submitted: adds.length, alreadyDone, alreadyQueued };
  }

  /**
   * Queues a long file (any length, past the upload limit) as one item of batch `batchId`: the file is cut here at
   * pauses into pieces in `job.workDir` (shared storage), each piece becomes a queue job that any worker runs with
   * `transcribePiece`, and a merge job (a BullMQ flow parent) writes the transcript once every piece is done. Keyed by
   * the file's content and the options: enqueuing it again requests no finished piece again, and a done item is not
   * queued at all.
   * @throws InputError for a bad batch id, a missing file or one with no speech; FormatError when it is not audio.
   */
  async submitLong(batchId: string, job: LongQueueJob, options: { signal?: AbortSignal | undefined; ffmpegPath?: string | undefined } = {}): Promise<QueueSubmitResult & { readonly pieces: number }> {
    if (!BATCH_ID_PATTERN.test(batchId)) throw new InputError(`A batch id is 1 to 100 letters, digits, ".", "_" or "-" (got ${JSON.stringify(batchId)}).`, 'TLA_ERR_INPUT_OPTION');
    const k = batchKeys(this.queueName, batchId);
    const cut = await cutLongQueueJob(job, options);
    const jobId = queueJobId(cut.jobKey, job.output);
    const task = job.kind === 'translate-long' ? 'translate' : 'transcribe';
    await this.#addToBatch(k, { [jobId]: JSON.stringify({ name: job.name, output: job.output, kind: task }) });
    const status = await this.#redis.hget(k.status, jobId);
    if (status === 'done') return { batchId, total: 1, submitted: 0, alreadyDone: 1, alreadyQueued: 0, pieces: cut.units.length };
    if (status !== null) await this.#redis.hdel(k.status, jobId);
    await this.#redis.del(k.stop);
    const existing = await this.#queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return { batchId, total: 1, submitted: 0, alreadyDone: 0, alreadyQueued: 1, pieces: cut.units.length };
      // A merge that failed (a piece failed, or the batch stopped): queue it and its pieces anew; finished pieces answer from their saved results.
      await existing.remove({ removeChildren: true }).catch(() => {});
    }
    const { FlowProducer } = await loadBullmq();
    this.#flow ??= new FlowProducer({ connection: this.#connection });
    const merge: LongMergeJobData = { batchId, jobId, key: cut.jobKey, long: job, task, pieceCount: cut.units.length, sourceDurationMs: cut.sourceDurationMs };
    await this.#flow.add({
      name: LONG_MERGE_JOB,
      queueName: this.queueName,
      data: merge as unknown as QueueJobData,
      opts: { jobId, attempts: QUEUE_JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: false },
      children: cut.units.map((unit) => {
        const data: LongPieceJobData = { batchId, jobId: pieceJobId(cut.jobKey, unit.index, jobId), key: cut.jobKey, name: job.name, unit };
        return {
          name: LONG_PIECE_JOB,
          queueName: this.queueName,
          data: data as unknown as QueueJobData,
          // A piece that fails for good fails the merge (recorded as the item's failure); the rest stay saved.
          opts: { jobId: data.jobId, attempts: QUEUE_JOB_ATTEMPTS, backoff: { type: 'exponential' as const, delay: 1000 }, failParentOnFailure: true, removeOnComplete: true, removeOnFail: false },
        };
      }),
    });
    return { batchId, total: 1, submitted: 1, alreadyDone: 0, alreadyQueued: 0, pieces: cut.units.length };
  }

  /** Counts of the batch's jobs by status. */
  async progress(batchId: string): Promise<QueueBatchProgress> {
    const k = batchKeys(this.queueName, batchId);
    const [jobs, statuses, inflight] = await Promise.all([this.#redis.hgetall(k.jobs), this.#redis.hgetall(k.status), this.#redis.hgetall(k.inflight)]);
    let done = 0;
    let failed = 0;
    let notStarted = 0;
    let total = 0;
    for (const jobId of Object.keys(jobs)) {
      total++;
      const s = statuses[jobId];
      if (s === 'done') done++;
      else if (s === 'failed') failed++;
      else if (s === 'not-started') notStarted++;
    }
    return { total, done, failed, notStarted, pending: total - done - failed - notStarted, inFlight: Object.keys(inflight).filter((id) => id in jobs).length };
  }

  /** The batch's report as it stands. */
  async report(batchId: string): Promise<QueueBatchReport> {
    const k = batchKeys(this.queueName, batchId);
    const [progress, jobs, results, suspects, inflight, completions, stop] = await Promise.all([
      this.progress(batchId),
      this.#redis.hgetall(k.jobs),
      this.#redis.hgetall(k.results),
      this.#redis.hgetall(k.suspect),
      this.#redis.hgetall(k.inflight),
      this.#redis.hgetall(k.completions),
      this.#redis.get(k.stop),
    ]);
    const records = Object.entries(results)
      .filter(([id]) => id in jobs)
      .map(([, json]) => JSON.parse(json) as QueueRecord)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      batchId,
      ...progress,
      records,
      possibleDoubleCharges: Object.entries(suspects)
        .filter(([id]) => id in jobs || isPieceJobId(id))
        .map(([, json]) => JSON.parse(json) as PossibleDoubleCharge),
      inFlightRequests: Object.entries(inflight)
        .filter(([id]) => id in jobs || isPieceJobId(id))
        .map(([jobId, json]) => {
          const e = JSON.parse(json) as { name: string; worker: string; since: string };
          return { jobId, name: e.name, worker: e.worker, since: e.since };
        }),
      stoppedBy: stop ?? undefined,
      duplicateResults: Object.values(completions).filter((n) => Number(n) > 1).length,
    };
  }

  /**
   * Waits until every job of the batch has a final status, then returns the report. Jobs BullMQ gave up on
   * (stalled too often) are recorded as failed with its reason, so the wait ends.
   * @throws AbortError when `signal` fires (the batch goes on in the workers).
   */
  async wait(batchId: string, options: QueueWaitOptions = {}): Promise<QueueBatchReport> {
    const pollMs = options.pollIntervalMs ?? 250;
    for (let round = 0; ; round++) {
      options.signal?.throwIfAborted();
      const progress = await this.progress(batchId);
      options.onProgress?.(progress);
      if (progress.pending === 0) return this.report(batchId);
      if (round % 8 === 7) await this.#recordGivenUp(batchId);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done(): void {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
        options.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async #recordGivenUp(batchId: string): Promise<void> {
    const k = batchKeys(this.queueName, batchId);
    const [jobs, statuses] = await Promise.all([this.#redis.hgetall(k.jobs), this.#redis.hgetall(k.status)]);
    for (const [jobId, json] of Object.entries(jobs)) {
      if (statuses[jobId] !== undefined) continue;
      const job = await this.#queue.getJob(jobId);
      if (!job || (await job.getState()) !== 'failed') continue;
      const meta = JSON.parse(json) as { name: string; output: string; kind: BatchRecord['kind'] };
      const line: BatchRecord = {
        type: 'item',
        key: job.data.key,
        name: meta.name,
        kind: meta.kind,
        output: meta.output,
        status: 'failed',
        requestIds: [],
        error: { code: 'TLA_ERR_QUEUE_JOB_FAILED', message: `The queue gave the job up: ${job.failedReason ?? 'no reason given'}`, status: null, requestId: null },
        warning: null,
        fromCache: false,
        attempts: job.attemptsMade,
        durationMs: 0,
        costUsd: null,
        worker: 'queue',
        at: new Date().toISOString(),
      };
      await recordResult(this.#redis, k, jobId, line);
    }
  }

  /** Deletes everything the queue keeps about the batch (not its output files). */
  async forget(batchId: string): Promise<void> {
    const k = batchKeys(this.queueName, batchId);
    await this.#redis.del(...Object.values(k));
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#flow?.close();
    await this.#queue.close();
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
