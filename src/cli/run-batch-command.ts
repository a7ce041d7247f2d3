import { stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { formatUsd } from '../api/cost/budget-exceeded-error.js';
import { InputError } from '../core/errors.js';
import { BatchCostMeter, type BatchCostEstimate } from '../jobs/batch/batch-cost.js';
import { BatchManifest } from '../jobs/batch/batch-manifest.js';
import { numberOption } from './parse-command-args.js';
import { runQueuedBatch, type QueueTarget } from './run-queued-batch.js';
import type { TokenLab } from '../client.js';
import { batchJobKey, type BatchJob } from '../jobs/batch/batch-job.js';
import { runBatch, type BatchReport } from '../jobs/batch/run-batch.js';
import { formatMs, printJson, status, type CliIo, type CommonFlags } from './cli-io.js';
import { exitCodeFor } from './describe-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** Flags every batch command takes. */
export const BATCH_OPTIONS = {
  concurrency: { type: 'string' },
  manifest: { type: 'string' },
  overwrite: { type: 'boolean' },
  'max-cost': { type: 'string' },
  'dry-run': { type: 'boolean' },
  queue: { type: 'string' },
  'queue-name': { type: 'string' },
  'batch-id': { type: 'string' },
  detach: { type: 'boolean' },
} as const;

/** Help lines of {@link BATCH_OPTIONS}. */
export const BATCH_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--concurrency N', 'batch: items in flight at once, 1 to 64 (default 4); a rate limit lowers it for a while'],
  ['--manifest FILE', 'batch: the JSONL manifest of results, request ids and errors (default: OUTDIR/manifest.jsonl)'],
  ['--overwrite', 'batch: redo items that are already done (default: skip them)'],
  ['--queue URL', 'batch or --long: hand the work to workers through Redis (tokenlab-audio worker --redis URL) instead of running it here; waits for the results'],
  ['--batch-id ID', 'batch with --queue: the batch\'s name in the queue (default: from the output directory)'],
  ['--queue-name NAME', 'batch with --queue: the BullMQ queue name the workers use (default tokenlab-audio)'],
  ['--detach', 'batch with --queue: submit and return; the same command without it waits for the results'],
];

/** Help lines of the cost flags as a batch reads them. */
export const BATCH_COST_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--max-cost USD', 'stop before the estimated cost would pass USD; finished work is kept (--queue: nothing is queued over it)'],
  ['--dry-run', 'estimate the cost from catalog prices and the audio\'s length or the text\'s characters; sends nothing billable'],
];

/** What a batch command passes to {@link runBatchCommand}. */
export interface BatchCommandOptions {
  readonly concurrency: number;
  readonly manifestPath: string;
  readonly overwrite: boolean;
  readonly label: string;
  /** `--dry-run`: estimate the cost and stop. */
  readonly dryRun?: boolean | undefined;
  /** `--max-cost`. */
  readonly maxCostUsd?: number | undefined;
  /** `--queue URL`: the workers run the items. */
  readonly queue?: QueueTarget | undefined;
}

/** The values of {@link BATCH_OPTIONS} a command parsed, read once for every batch command. */
export function batchCommandOptions(command: string, values: Record<string, unknown>, io: CliIo, defaultManifest: string, label: string): BatchCommandOptions {
  const concurrency = numberOption(command, 'concurrency', values['concurrency'], 1, 64) ?? 4;
  const maxCostUsd = numberOption(command, 'max-cost', values['max-cost'], 0, Number.MAX_SAFE_INTEGER);
  return {
    concurrency: Math.floor(concurrency),
    manifestPath: typeof values['manifest'] === 'string' ? path.resolve(io.cwd, values['manifest']) : defaultManifest,
    overwrite: values['overwrite'] === true,
    label,
    dryRun: values['dry-run'] === true,
    maxCostUsd,
    ...(typeof values['queue'] === 'string'
      ? {
          queue: {
            redis: values['queue'],
            queueName: typeof values['queue-name'] === 'string' ? values['queue-name'] : undefined,
            batchId: typeof values['batch-id'] === 'string' ? values['batch-id'] : undefined,
            detach: values['detach'] === true,
          },
        }
      : {}),
  };
}

function costText(usd: number | undefined, unpriced: number): string {
  if (usd === undefined && unpriced === 0) return '';
  const sum = `about $${formatUsd(usd ?? 0)}`;
  return unpriced > 0 ? `, ${sum} (${unpriced} item${unpriced === 1 ? '' : 's'} could not be priced: see costNote in the manifest)` : `, ${sum}`;
}

/** `--dry-run`: the whole batch's estimated cost, before anything billable is sent. */
async function printDryRun(io: CliIo, common: CommonFlags, jobs: readonly BatchJob[], cost: BatchCostMeter): Promise<ExitCode> {
  const estimate = await cost.estimateAll();
  const models = Object.entries(estimate.byModel).map(([model, m]) => `${m.items} with ${model}: $${formatUsd(m.costUsd)}`);
  if (common.json) {
    printJson(io, {
      dryRun: true,
      total: jobs.length,
      audioMs: estimate.audioMs,
      characters: estimate.characters,
      estimatedCostUsd: estimate.totalUsd,
      complete: estimate.complete,
      byModel: estimate.byModel,
      unpriced: estimate.unpriced.map((u) => ({ name: u.name, missing: u.missing ?? null })),
      notes: estimate.notes,
      items: estimate.items.map((i) => ({ name: i.name, model: i.model ?? null, durationMs: i.durationMs ?? null, characters: i.characters ?? null, costUsd: i.costUsd ?? null, missing: i.missing ?? null })),
    });
    return EXIT.ok;
  }
  const amount = [estimate.audioMs > 0 ? `${formatMs(estimate.audioMs)} of audio` : '', estimate.characters > 0 ? `${estimate.characters} characters` : ''].filter(Boolean).join(', ');
  const lines = [`dry run: ${jobs.length} items${amount ? ` (${amount})` : ''} would cost about $${formatUsd(estimate.totalUsd)}${models.length > 0 ? ` (${models.join('; ')})` : ''}${estimate.complete ? '' : `, plus ${estimate.unpriced.length} item${estimate.unpriced.length === 1 ? '' : 's'} that cannot be priced`}.`];
  for (const u of estimate.unpriced.slice(0, 20)) lines.push(`  ${u.name}: not priced: ${u.missing ?? 'unknown'}`);
  if (estimate.unpriced.length > 20) lines.push(`  … and ${estimate.unpriced.length - 20} more (--json lists them all)`);
  for (const n of estimate.notes) lines.push(`  ${n}`);
  lines.push('Nothing was sent. Items already done by an earlier run are counted too (they will be skipped).');
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/**
 * The estimate a `--max-cost` cap is kept against.
 * @throws InputError (`TLA_ERR_BUDGET_UNPRICED`) when an item's cost cannot be known (a model without prices).
 */
async function estimateForCap(cost: BatchCostMeter): Promise<BatchCostEstimate> {
  const estimate = await cost.estimateAll();
  const unknownPrice = estimate.unpriced.find((u) => u.durationMs !== undefined || u.characters !== undefined);
  if (unknownPrice) {
    throw new InputError(`Cannot keep --max-cost: ${unknownPrice.name} cannot be priced (${unknownPrice.missing}). Run without a cap, or choose a priced model (tokenlab-audio models).`, 'TLA_ERR_BUDGET_UNPRICED');
  }
  return estimate;
}

/**
 * `--max-cost` with `--queue`: the workers do not share a spending counter, so the producer keeps the cap before
 * anything is queued. It estimates the items the manifest does not record as done (as `--dry-run` does) and
 * refuses to submit when that passes the cap (exit 7, as a local batch stopped by its cap). Undefined: go on.
 */
async function refuseQueueOverCap(io: CliIo, common: CommonFlags, client: TokenLab, jobs: readonly BatchJob[], maxCostUsd: number, manifestPath: string): Promise<ExitCode | undefined> {
  const done = await doneInManifest(manifestPath, jobs, io.signal);
  const pending = jobs.filter((job) => !done.has(job));
  const estimate = await estimateForCap(await BatchCostMeter.create(pending, { client, signal: io.signal }));
  if (estimate.totalUsd <= maxCostUsd) return undefined;
  const message =
    `Budget cap: the ${pending.length} item${pending.length === 1 ? '' : 's'} to queue would cost about $${formatUsd(estimate.totalUsd)}, over --max-cost $${formatUsd(maxCostUsd)}; nothing was queued. ` +
    'Raise the cap, or queue fewer files (--dry-run shows each item\'s estimate).';
  if (common.json) printJson(io, { total: jobs.length, alreadyDone: done.size, queued: 0, estimatedCostUsd: estimate.totalUsd, maxCostUsd, stoppedBy: { reason: 'budget', item: null, message }, exitCode: EXIT.batchIncomplete });
  else io.stderr.write(`tokenlab-audio: ${message}\n`);
  await client.close();
  return EXIT.batchIncomplete;
}

/** The jobs an existing manifest records as done with their current key (none when there is no manifest yet). */
async function doneInManifest(manifestPath: string, jobs: readonly BatchJob[], signal: AbortSignal): Promise<Set<BatchJob>> {
  const done = new Set<BatchJob>();
  if (!(await stat(manifestPath).catch(() => undefined))) return done;
  const manifest = await BatchManifest.open(manifestPath);
  try {
    for (const job of jobs) {
      if (manifest.keyOf(job.output) === undefined) continue;
      const key = await batchJobKey(job, signal).catch(() => undefined);
      if (key !== undefined && manifest.isDone(job.output, key)) done.add(job);
    }
  } finally {
    await manifest.close();
  }
  return done;
}

/**
 * Runs a batch for a command: an overall progress bar on a terminal, one status line per failed item, a
 * summary (or one JSON document with `--json`), and the exit code scripts can trust ({@link EXIT}). Every item's
 * cost (catalog prices, the answer's usage) goes into the manifest and the summary; `--dry-run` only estimates;
 * `--max-cost` stops before the cap would be passed.
 */
export async function runBatchCommand(io: CliIo, common: CommonFlags, client: TokenLab, jobs: readonly BatchJob[], options: BatchCommandOptions): Promise<ExitCode> {
  const command = jobs[0]?.kind ?? 'transcribe';
  let report: BatchReport;
  const bar =
    io.stderr.isTTY === true && !common.json && !common.quiet && !options.dryRun
      ? new cliProgress.SingleBar(
          { stream: io.stderr as NodeJS.WritableStream, format: `${options.label} |{bar}| {value}/{total} done {failed} failed, ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, barsize: 30 },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  try {
    if (options.queue && !options.dryRun) {
      if (options.maxCostUsd !== undefined) {
        const refused = await refuseQueueOverCap(io, common, client, jobs, options.maxCostUsd, options.manifestPath);
        if (refused !== undefined) return refused;
      }
      await client.close();
      return await runQueuedBatch(io, common, jobs, options.queue, options);
    }
    const cost = await BatchCostMeter.create(jobs, { client, signal: io.signal });
    if (options.dryRun) return await printDryRun(io, common, jobs, cost);
    if (options.maxCostUsd !== undefined) await estimateForCap(cost);
    bar?.start(jobs.length, 0, { failed: 0 });
    report = await runBatch({
      client,
      jobs,
      manifestPath: options.manifestPath,
      concurrency: options.concurrency,
      overwrite: options.overwrite,
      signal: io.signal,
      costOf: cost.costOf,
      estimateCostUsd: cost.estimateCostUsd,
      ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
      onProgress: (p) => bar?.update(p.done + p.skipped + p.failed, { failed: p.failed }),
      onItem: (r) => {
        if (r.status === 'failed') {
          bar?.stop();
          status(io, common, `${r.name}: failed: ${r.error?.message ?? 'unknown error'}`);
        } else if (r.warning) status(io, common, `${r.name}: ${r.warning}`);
      },
    });
  } finally {
    bar?.stop();
    await client.close();
  }
  const stop = report.stoppedBy;
  const code: ExitCode = stop
    ? stop.reason === 'aborted'
      ? EXIT.interrupted
      : stop.reason === 'output'
        ? EXIT.input
        : stop.reason === 'budget'
          ? EXIT.batchIncomplete
          : exitCodeFor(stop.error)
    : report.failed > 0
      ? EXIT.batchIncomplete
      : EXIT.ok;
  if (common.json) {
    printJson(io, {
      total: report.total,
      done: report.done,
      skipped: report.skipped,
      failed: report.failed,
      notStarted: report.notStarted,
      warnings: report.warnings,
      fromCache: report.fromCache,
      rateLimitWaits: report.rateLimitWaits,
      durationMs: Math.round(report.durationMs),
      itemsPerSecond: Number(report.itemsPerSecond.toFixed(2)),
      costUsd: report.costUsd ?? null,
      unpricedItems: report.unpricedItems,
      maxCostUsd: options.maxCostUsd ?? null,
      manifest: report.manifestPath ?? null,
      stoppedBy: stop ? { reason: stop.reason, item: stop.item ?? null, message: stop.message } : null,
      failures: report.failures.map((f) => ({ name: f.name, error: f.error })),
      exitCode: code,
    });
  } else {
    if (stop) io.stderr.write(`tokenlab-audio: ${stop.message}\n`);
    status(
      io,
      common,
      `${report.done} done, ${report.skipped} already done, ${report.failed} failed${report.notStarted ? `, ${report.notStarted} not started` : ''}${report.warnings ? `, ${report.warnings} with warnings` : ''}${report.fromCache ? `, ${report.fromCache} from the speech cache` : ''}${report.rateLimitWaits ? `, slowed down ${report.rateLimitWaits}x by rate limits` : ''} in ${formatMs(report.durationMs)}${costText(report.costUsd, report.unpricedItems)}; manifest ${report.manifestPath}${report.failed > 0 && !stop ? '\n  run the same command again to retry only the failed items' : ''}`,
    );
  }
  return code;
}
