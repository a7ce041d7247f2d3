import cliProgress from 'cli-progress';
import type { TokenLab } from '../api/client.js';
import type { BatchJob } from '../jobs/batch/batch-job.js';
import { runBatch, type BatchReport } from '../jobs/batch/run-batch.js';
import { formatMs, printJson, status, type CliIo, type CommonFlags } from './cli-io.js';
import { exitCodeFor } from './describe-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** Flags every batch command takes. */
export const BATCH_OPTIONS = {
  concurrency: { type: 'string' },
  manifest: { type: 'string' },
  overwrite: { type: 'boolean' },
} as const;

/** Help lines of {@link BATCH_OPTIONS}. */
export const BATCH_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--concurrency N', 'batch: items in flight at once, 1 to 64 (default 4); a rate limit lowers it for a while'],
  ['--manifest FILE', 'batch: the JSONL manifest of results, request ids and errors (default: OUTDIR/manifest.jsonl)'],
  ['--overwrite', 'batch: redo items that are already done (default: skip them)'],
];

/**
 * Runs a batch for a command: an overall progress bar on a terminal, one status line per failed item, a
 * summary (or one JSON document with `--json`), and the exit code scripts can trust ({@link EXIT}).
 */
export async function runBatchCommand(io: CliIo, common: CommonFlags, client: TokenLab, jobs: readonly BatchJob[], options: { concurrency: number; manifestPath: string; overwrite: boolean; label: string }): Promise<ExitCode> {
  const bar =
    io.stderr.isTTY === true && !common.json && !common.quiet
      ? new cliProgress.SingleBar(
          { stream: io.stderr as NodeJS.WritableStream, format: `${options.label} |{bar}| {value}/{total} done {failed} failed, ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, barsize: 30 },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(jobs.length, 0, { failed: 0 });
  let report: BatchReport;
  try {
    report = await runBatch({
      client,
      jobs,
      manifestPath: options.manifestPath,
      concurrency: options.concurrency,
      overwrite: options.overwrite,
      signal: io.signal,
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
  const code: ExitCode = stop ? (stop.reason === 'aborted' ? EXIT.interrupted : stop.reason === 'output' ? EXIT.input : exitCodeFor(stop.error)) : report.failed > 0 ? EXIT.batchIncomplete : EXIT.ok;
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
      `${report.done} done, ${report.skipped} already done, ${report.failed} failed${report.notStarted ? `, ${report.notStarted} not started` : ''}${report.warnings ? `, ${report.warnings} with warnings` : ''}${report.fromCache ? `, ${report.fromCache} from the speech cache` : ''}${report.rateLimitWaits ? `, slowed down ${report.rateLimitWaits}x by rate limits` : ''} in ${formatMs(report.durationMs)}; manifest ${report.manifestPath}${report.failed > 0 && !stop ? '\n  run the same command again to retry only the failed items' : ''}`,
    );
  }
  return code;
}
