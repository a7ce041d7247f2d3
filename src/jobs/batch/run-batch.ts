/**
 * Runs many jobs with bounded concurrency: a bad item is recorded and skipped, a rate limit slows the batch down
 * (it is never an item failure), a 402 or an unwritable output stops it with what is done kept, and a rerun skips
 * what the manifest (or the outputs) say is done.
 */
import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenLab } from '../../client.js';
import { InputError } from '../../core/errors.js';
import { ApiError, ConnectionError, TimeoutError } from '../../transports/http-errors.js';
import { BatchOutputError } from './batch-errors.js';
import { batchJobKey, type BatchJob } from './batch-job.js';
import { BatchManifest, batchRecord, type BatchItemError, type BatchRecord } from './batch-manifest.js';
import { runBatchJob, type BatchJobResult } from './run-batch-job.js';
import type { BatchItemCost } from './batch-cost.js';
import { BudgetExceededError } from '../../api/cost/budget-exceeded-error.js';

/** Why a batch stopped before its end. */
export type BatchStopReason = 'insufficient-balance' | 'authentication' | 'output' | 'network' | 'budget' | 'aborted';

/** The stop, with the error that caused it and what to do. */
export interface BatchStop {
  readonly reason: BatchStopReason;
  /** For people: what happened, where, and how to resume. */
  readonly message: string;
  /** The item whose failure stopped the batch (its name), when one did. */
  readonly item: string | undefined;
  readonly error: unknown;
}

/** Progress of a running batch (also given once at the end). */
export interface BatchProgress {
  readonly total: number;
  readonly done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly running: number;
  /** The concurrency in force now (lowered after a rate limit, raised again as calls succeed). */
  readonly concurrency: number;
  readonly elapsedMs: number;
  /** Estimated time to the end from the pace of finished items; undefined until one has finished. */
  readonly etaMs: number | undefined;
}

/** What {@link runBatch} returns. It never throws for an item's failure. */
export interface BatchReport {
  readonly total: number;
  /** Finished in this run. */
  readonly done: number;
  /** Already done by an earlier run (the manifest says so) or whose output already existed. */
  readonly skipped: number;
  readonly failed: number;
  /** Not started because the batch stopped. */
  readonly notStarted: number;
  /** Items whose result is valid but worth a look (e.g. an empty transcript). */
  readonly warnings: number;
  /** Speech items served from the speech cache (not billed). */
  readonly fromCache: number;
  /** Times a rate limit made the batch wait and put an item back. */
  readonly rateLimitWaits: number;
  /** The failed items' records (the first 100; the manifest has them all). */
  readonly failures: readonly BatchRecord[];
  readonly stoppedBy: BatchStop | undefined;
  readonly durationMs: number;
  /** Items finished in this run per second of wall time. */
  readonly itemsPerSecond: number;
  /** Sum of the items' estimated costs, or undefined when no cost was known. */
  readonly costUsd: number | undefined;
  /** Items done in this run whose cost is unknown (`costUsd` is then a lower bound); 0 when not metered. */
  readonly unpricedItems: number;
  readonly manifestPath: string | undefined;
}

/** Options of {@link runBatch}. */
export interface RunBatchOptions {
  readonly jobs: readonly BatchJob[];
  /** The client the jobs run with (required unless `execute` is given). */
  readonly client?: TokenLab | undefined;
  /** Runs one job (default: {@link runBatchJob} with `client`). */
  readonly execute?: ((job: BatchJob, signal: AbortSignal) => Promise<BatchJobResult>) | undefined;
  /** A JSONL manifest: read to skip finished items, appended with one line per item and a summary. */
  readonly manifestPath?: string | undefined;
  /** Jobs in flight at once, 1 to 256. Default 4. */
  readonly concurrency?: number | undefined;
  /** Redo items even when done (the manifest says so, or the output exists). Default false. */
  readonly overwrite?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: BatchProgress) => void) | undefined;
  /** Called with each item's record as it is written. */
  readonly onItem?: ((record: BatchRecord) => void) | undefined;
  /** Waits for a rate limit per item before it counts as failed. Default 8. */
  readonly maxRateLimitWaits?: number | undefined;
  /** Network failures in a row (after the client's own retries) that stop the batch. Default 5. */
  readonly maxConsecutiveNetworkFailures?: number | undefined;
  /**
   * The cost of a finished item in USD, or undefined when unknown; or `{ costUsd, note }` where `note` says
   * what the number rests on or why it is unknown (see {@link BatchCostMeter.costOf}).
   */
  readonly costOf?: ((job: BatchJob, result: BatchJobResult) => number | BatchItemCost | undefined | Promise<number | BatchItemCost | undefined>) | undefined;
  /** Stop before the summed estimated cost would pass this (USD); needs `costOf`. */
  readonly maxCostUsd?: number | undefined;
  /** The estimated cost of a job before it runs, for `maxCostUsd` (default: the largest finished item's cost). */
  readonly estimateCostUsd?: ((job: BatchJob) => number | undefined) | undefined;
  /** Written into each record's `worker` field. Default `local`. */
  readonly workerId?: string | undefined;
}

const MAX_KEPT_FAILURES = 100;

/** The error of a failed item as the manifest keeps it. */
export function batchItemError(error: unknown): BatchItemError {
  const e = error as { code?: unknown; status?: unknown; requestId?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : null,
    message: typeof e?.message === 'string' ? e.message : String(error),
    status: error instanceof ApiError && error.status > 0 ? error.status : null,
    requestId: typeof e?.requestId === 'string' ? e.requestId : null,
  };
}

/** What a failure means for the whole batch: stop (and why), wait (rate limit), or only this item failed. */
function classify(error: unknown): BatchStopReason | 'rate-limit' | 'network' | 'item' {
  if ((error as { name?: string } | null)?.name === 'AbortError') return 'aborted';
  if (error instanceof BatchOutputError) return 'output';
  if (error instanceof ApiError) {
    if (error.status === 402) return 'insufficient-balance';
    if (error.status === 401) return 'authentication';
    if (error.status === 429) return 'rate-limit';
  }
  if (error instanceof TimeoutError || error instanceof ConnectionError || (error instanceof ApiError && error.status === 0)) return 'network';
  return 'item';
}

function stopMessage(reason: BatchStopReason, item: string | undefined, error: unknown, manifestPath: string | undefined): string {
  const resume = `Finished items are kept${manifestPath ? ` (manifest ${manifestPath})` : ''}; run the same command again to resume: nothing done is redone.`;
  const detail = (error as Error | null)?.message ?? String(error);
  switch (reason) {
    case 'insufficient-balance':
      return `Stopped at ${item}: the account balance is exhausted (402). Top up the balance, then resume. ${resume}\n  ${detail}`;
    case 'authentication':
      return `Stopped at ${item}: the API key was refused (401). Fix the key, then resume. ${resume}\n  ${detail}`;
    case 'output':
      return `Stopped at ${item}: ${detail}`;
    case 'network':
      return `Stopped at ${item}: the API could not be reached several times in a row. ${resume}\n  ${detail}`;
    case 'budget':
      return `${detail} The cap counts each run's spending. ${resume.replace('run the same command again', 'run it again (with a higher --max-cost / maxCostUsd)')}`;
    case 'aborted':
      return `Interrupted. ${resume}`;
  }
}

/**
 * Runs `jobs` with bounded concurrency and returns a report; never throws for an item's failure (bad file,
 * 400, 5xx after retries): it is recorded and the batch goes on.
 *
 * - 429: the item is put back, concurrency halves and the batch waits as long as the server asked
 *   (then grows back by one per window of successes).
 * - 402 (balance), 401 (key), an output that cannot be written, repeated network failures, the budget, or
 *   `signal`: no new item starts; the report's `stoppedBy` says why and how to resume. Items already running
 *   finish (they are being paid for), except on abort.
 * - Done items (manifest record with the same key and the output present, or an output that exists with no
 *   record) are skipped unless `overwrite`.
 * @throws InputError for bad options; {@link BatchOutputError} when the manifest cannot be opened.
 */
export async function runBatch(options: RunBatchOptions): Promise<BatchReport> {
  const maxConcurrency = options.concurrency ?? 4;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 256) {
    throw new InputError(`concurrency must be an integer from 1 to 256 (got ${String(options.concurrency)})`, 'TLA_ERR_INPUT_OPTION');
  }
  const client = options.client;
  const execute = options.execute ?? (client ? (job: BatchJob, signal: AbortSignal) => runBatchJob(client, job, { signal }) : undefined);
  if (!execute) throw new InputError('runBatch needs a client (or an execute function).', 'TLA_ERR_INPUT_OPTION');
  if (options.maxCostUsd !== undefined && !options.costOf) throw new InputError('maxCostUsd needs costOf (the cost meter) to know what items cost.', 'TLA_ERR_INPUT_OPTION');
  const maxRateLimitWaits = options.maxRateLimitWaits ?? 8;
  const maxNetwork = options.maxConsecutiveNetworkFailures ?? 5;
  const workerId = options.workerId ?? 'local';
  const jobs = options.jobs;

  const manifest = options.manifestPath ? await BatchManifest.open(options.manifestPath) : undefined;
  const controller = new AbortController();
  // Every running item listens on it (upload, response body): one listener per item in flight is expected.
  setMaxListeners(maxConcurrency * 4 + 10, controller.signal);
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const started = performance.now();
  let done = 0;
  let skipped = 0;
  let failed = 0;
  let warnings = 0;
  let fromCache = 0;
  let rateLimitWaits = 0;
  let running = 0;
  let limit = maxConcurrency;
  let successesAtLimit = 0;
  let pausedUntil = 0;
  let networkStreak = 0;
  let costUsd: number | undefined;
  let unpricedItems = 0;
  let largestCostUsd = 0;
  let inFlightUsd = 0;
  let stop: BatchStop | undefined;
  const failures: BatchRecord[] = [];
  const rateLimitCount = new Map<number, number>();
  const retryFirst: number[] = [];
  let next = 0;
  let wake: () => void = () => {};

  const progress = (): void => {
    const finished = done + failed;
    const left = jobs.length - done - failed - skipped;
    const elapsedMs = performance.now() - started;
    options.onProgress?.({ total: jobs.length, done, skipped, failed, running, concurrency: limit, elapsedMs, etaMs: finished > 0 ? (elapsedMs / finished) * left : undefined });
  };

  const halt = (reason: BatchStopReason, item: string | undefined, error: unknown): void => {
    if (stop) return;
    stop = { reason, item, error, message: stopMessage(reason, item, error, manifest?.path) };
    if (reason === 'aborted') controller.abort(error);
  };

  const record = async (job: BatchJob, key: string, status: 'done' | 'failed', fields: Partial<BatchRecord>, t0: number, attempts: number): Promise<void> => {
    const line: BatchRecord = batchRecord({ key, job, status, attempts, startedAt: t0, worker: workerId }, fields);
    if (status === 'failed' && failures.length < MAX_KEPT_FAILURES) failures.push(line);
    options.onItem?.(line);
    if (manifest) {
      await manifest.append(line).catch((e: unknown) => halt('output', job.name, e));
    }
  };

  const isDone = async (job: BatchJob, key: string): Promise<boolean> => {
    if (options.overwrite) return false;
    const exists = await stat(job.output).then((s) => s.isFile(), () => false);
    if (!exists) return false;
    // An output with no record was finished by a run whose manifest line was lost, or by hand: keep it.
    return manifest ? manifest.isDone(job.output, key) || manifest.keyOf(job.output) === undefined : true;
  };

  const runOne = async (index: number): Promise<void> => {
    const job = jobs[index]!;
    const t0 = performance.now();
    const attempts = (rateLimitCount.get(index) ?? 0) + 1;
    let key = '';
    let reservedUsd = 0;
    try {
      key = await batchJobKey(job, controller.signal);
      if (await isDone(job, key)) {
        skipped++;
        return;
      }
      if (options.maxCostUsd !== undefined) {
        reservedUsd = options.estimateCostUsd?.(job) ?? largestCostUsd;
        // Items in flight hold their estimate: four starting at once cannot pass the cap together.
        const committed = (costUsd ?? 0) + inFlightUsd;
        if (committed + reservedUsd > options.maxCostUsd * (1 + 1e-9)) {
          halt('budget', job.name, new BudgetExceededError({ maxCostUsd: options.maxCostUsd, committedUsd: committed, nextCostUsd: reservedUsd, stoppedAt: job.name }));
          reservedUsd = 0;
          rateLimitCount.set(index, attempts - 1);
          retryFirst.unshift(index);
          return;
        }
        inFlightUsd += reservedUsd;
      }
      const result = await execute(job, controller.signal).finally(() => {
        inFlightUsd = Math.max(0, inFlightUsd - reservedUsd);
      });
      // The item is done (and paid for) whatever the meter says: a pricing failure only leaves its cost unknown.
      const priced = options.costOf ? await Promise.resolve(options.costOf(job, result)).catch((e: unknown): BatchItemCost => ({ costUsd: undefined, note: `cost unknown: ${(e as Error).message}` })) : undefined;
      const itemCost = typeof priced === 'object' ? priced.costUsd : priced;
      const costNote = typeof priced === 'object' ? (priced.note ?? null) : null;
      if (options.costOf && itemCost === undefined) unpricedItems++;
      if (itemCost !== undefined) {
        costUsd = (costUsd ?? 0) + itemCost;
        largestCostUsd = Math.max(largestCostUsd, itemCost);
      }
      done++;
      networkStreak = 0;
      if (result.warning) warnings++;
      if (result.fromCache) fromCache++;
      if (limit < maxConcurrency && ++successesAtLimit >= limit) {
        limit++;
        successesAtLimit = 0;
      }
      await record(job, key, 'done', { requestIds: result.requestIds, warning: result.warning ?? null, fromCache: result.fromCache, costUsd: itemCost ?? null, ...(options.costOf ? { costNote } : {}) }, t0, attempts);
    } catch (error) {
      const kind = classify(error);
      if (kind === 'aborted' && controller.signal.aborted) {
        halt('aborted', job.name, error);
        return;
      }
      if (kind === 'rate-limit' && attempts <= maxRateLimitWaits) {
        rateLimitWaits++;
        rateLimitCount.set(index, attempts);
        retryFirst.push(index);
        limit = Math.max(1, Math.floor(limit / 2));
        successesAtLimit = 0;
        const waitMs = (error as ApiError).retryAfterMs ?? Math.min(30_000, 1000 * 2 ** (attempts - 1));
        pausedUntil = Math.max(pausedUntil, Date.now() + waitMs);
        return;
      }
      failed++;
      const requestIds = (error as { requestIds?: readonly string[] }).requestIds ?? ((error as { requestId?: string }).requestId ? [(error as { requestId: string }).requestId] : []);
      await record(job, key, 'failed', { error: batchItemError(error), requestIds }, t0, attempts);
      if (kind === 'network') {
        if (++networkStreak >= maxNetwork) halt('network', job.name, error);
      } else if (kind !== 'item' && kind !== 'rate-limit') {
        halt(kind, job.name, error);
      }
    } finally {
      running--;
      progress();
      wake();
    }
  };

  try {
    for (;;) {
      if (stop) break;
      const hasNext = retryFirst.length > 0 || next < jobs.length;
      if (!hasNext && running === 0) break;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const waitMs = pausedUntil - Date.now();
      if (!hasNext || running >= limit) {
        await woken;
        continue;
      }
      if (waitMs > 0) {
        await Promise.race([woken, sleep(waitMs, undefined, { signal: controller.signal }).catch(() => {})]);
        if (controller.signal.aborted) halt('aborted', undefined, controller.signal.reason);
        continue;
      }
      const index = retryFirst.length > 0 ? retryFirst.shift()! : next++;
      running++;
      void runOne(index);
    }
    while (running > 0) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (!stop && controller.signal.aborted) halt('aborted', undefined, controller.signal.reason);
  progress();

  const durationMs = performance.now() - started;
  const notStarted = jobs.length - done - skipped - failed;
  if (manifest) {
    await manifest
      .append({ type: 'summary', at: new Date().toISOString(), total: jobs.length, done, skipped, failed, notStarted, stoppedBy: stop?.reason ?? null, durationMs: Math.round(durationMs), costUsd: costUsd ?? null, ...(options.costOf ? { unpricedItems } : {}) })
      .catch((e: unknown) => halt('output', undefined, e));
    await manifest.close().catch(() => {});
  }
  return {
    total: jobs.length,
    done,
    skipped,
    failed,
    notStarted,
    warnings,
    fromCache,
    rateLimitWaits,
    failures,
    stoppedBy: stop,
    durationMs,
    itemsPerSecond: durationMs > 0 ? (done / durationMs) * 1000 : 0,
    costUsd,
    unpricedItems,
    manifestPath: manifest?.path,
  };
}
