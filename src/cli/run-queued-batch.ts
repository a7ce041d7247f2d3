import { createHash } from 'node:crypto';
import { formatUsd } from '../api/cost/budget-exceeded-error.js';
import type { BatchJob } from '../jobs/batch/batch-job.js';
import { BatchManifest, type BatchRecord } from '../jobs/batch/batch-manifest.js';
import { formatMs, printJson, status, type CliIo, type CommonFlags } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/** Where a batch command sends its items instead of running them (`--queue URL`). */
export interface QueueTarget {
  readonly redis: string;
  readonly queueName: string | undefined;
  /** Default: from the manifest path, so the same command finds the same batch. */
  readonly batchId: string | undefined;
  /** Submit and return without waiting. */
  readonly detach: boolean;
}

/** The batch id a command uses when none is given: stable for the same output (manifest), so a rerun resumes it. */
export function defaultBatchId(manifestPath: string): string {
  return `batch-${createHash('sha256').update(manifestPath).digest('hex').slice(0, 16)}`;
}

/** The exit code of a queued batch the workers stopped (`stoppedBy`): 4 for a 402 or 401, else 3. */
export function queueStopExitCode(stoppedBy: string): ExitCode {
  return stoppedBy.startsWith('insufficient-balance') || stoppedBy.startsWith('authentication') ? EXIT.api : EXIT.input;
}

/**
 * The producer side of a batch command: submits the items to the queue (nothing done or already queued is queued
 * again), then, unless detached, waits for the workers, appends their records to the manifest, prints the summary
 * and exits with the same codes as a local batch (0, 7 some failed, 4 a 402 stopped it, 130 Ctrl-C).
 * bullmq is imported here, only when `--queue` is used.
 */
export async function runQueuedBatch(io: CliIo, common: CommonFlags, jobs: readonly BatchJob[], target: QueueTarget, options: { manifestPath: string; overwrite: boolean }): Promise<ExitCode> {
  const { BatchQueue } = await import('../queue/batch-queue.js');
  const safeUrl = target.redis.replace(/\/\/[^@/]*@/, '//***@');
  const batchId = target.batchId ?? defaultBatchId(options.manifestPath);
  const queue = await BatchQueue.open({ redis: target.redis, ...(target.queueName ? { queueName: target.queueName } : {}) });
  const started = performance.now();
  try {
    const submitted = await queue.submit(batchId, jobs, { overwrite: options.overwrite, signal: io.signal });
    const workers = `tokenlab-audio worker --redis ${safeUrl}${target.queueName ? ` --queue ${target.queueName}` : ''}`;
    if (target.detach) {
      if (common.json) printJson(io, { ...submitted, queue: queue.queueName, detached: true });
      else status(io, common, `queued ${submitted.submitted} of ${submitted.total} items as batch ${batchId} (${submitted.alreadyDone} already done, ${submitted.alreadyQueued} already queued); workers: ${workers}. The same command without --detach waits for the results and writes the manifest.`);
      return EXIT.ok;
    }
    status(io, common, `queued ${submitted.submitted} of ${submitted.total} items as batch ${batchId} (${submitted.alreadyDone} already done, ${submitted.alreadyQueued} already queued); waiting for the workers (${workers}); Ctrl-C stops waiting, not the batch`);
    let last = '';
    let report;
    try {
      report = await queue.wait(batchId, {
        signal: io.signal,
        onProgress: (p) => {
          const line = `${p.done + p.failed + p.notStarted}/${p.total} finished (${p.failed} failed, ${p.inFlight} in flight)`;
          if (line !== last && io.stderr.isTTY && !common.json && !common.quiet) io.stderr.write(`\r${line}\x1b[K`);
          last = line;
        },
      });
    } catch (error) {
      if (!io.signal.aborted) throw error;
      status(io, common, `\nStopped waiting; batch ${batchId} goes on in the workers. Run the same command again to wait for it and write the manifest.`);
      return EXIT.interrupted;
    }
    if (io.stderr.isTTY && !common.json && !common.quiet) io.stderr.write('\r\x1b[K');

    // The workers' records become manifest lines (each once: a rerun appends only what the manifest lacks).
    const manifest = await BatchManifest.open(options.manifestPath);
    let costUsd = 0;
    let unpriced = 0;
    try {
      for (const r of report.records) {
        if (r.status === 'not-started') continue;
        const line = r as BatchRecord;
        if (line.status === 'done') {
          if (line.costUsd === null) unpriced++;
          else costUsd += line.costUsd;
        }
        if (manifest.keyOf(line.output) === line.key && (line.status === 'failed' || manifest.isDone(line.output, line.key))) continue;
        await manifest.append(line);
      }
      await manifest.append({
        type: 'summary',
        at: new Date().toISOString(),
        total: report.total,
        done: report.done,
        skipped: submitted.alreadyDone,
        failed: report.failed,
        notStarted: report.notStarted,
        stoppedBy: report.stoppedBy ? report.stoppedBy.split(' ')[0]! : null,
        durationMs: Math.round(performance.now() - started),
        costUsd,
        unpricedItems: unpriced,
      });
    } finally {
      await manifest.close();
    }
    const stopped = report.stoppedBy;
    const code: ExitCode = stopped ? queueStopExitCode(stopped) : report.failed > 0 ? EXIT.batchIncomplete : EXIT.ok;
    const resume = 'Finished items are kept; run the same command again to queue only the unfinished ones.';
    const stopAdvice = stopped?.startsWith('insufficient-balance') ? ' Top up the balance, then resume.' : stopped?.startsWith('authentication') ? ' Fix the API key the workers use, then resume.' : '';
    if (common.json) {
      printJson(io, {
        batchId,
        queue: queue.queueName,
        total: report.total,
        done: report.done,
        failed: report.failed,
        notStarted: report.notStarted,
        costUsd,
        unpricedItems: unpriced,
        manifest: manifest.path,
        stoppedBy: stopped ?? null,
        possibleDoubleCharges: report.possibleDoubleCharges,
        failures: report.records.filter((r) => r.status === 'failed').map((r) => ({ name: r.name, error: r.error })),
        exitCode: code,
      });
    } else {
      for (const r of report.records) if (r.status === 'failed') status(io, common, `${r.name}: failed: ${r.error?.message ?? 'unknown error'}`);
      for (const d of report.possibleDoubleCharges) status(io, common, `${d.name}: a request of worker ${d.worker} was in flight since ${d.since} when it went away; it may have been charged twice${d.requestIds.length ? ` (request ${d.requestIds.join(', ')})` : ''}`);
      if (stopped) io.stderr.write(`tokenlab-audio: Stopped: ${stopped}.${stopAdvice} ${resume}\n`);
      status(
        io,
        common,
        `${report.done} done, ${report.failed} failed${report.notStarted ? `, ${report.notStarted} not started` : ''} by the workers in ${formatMs(performance.now() - started)}, about $${formatUsd(costUsd)}${unpriced ? ` (${unpriced} unpriced)` : ''}; manifest ${manifest.path}${report.failed > 0 && !stopped ? `\n  ${resume}` : ''}`,
      );
    }
    return code;
  } finally {
    await queue.close();
  }
}
