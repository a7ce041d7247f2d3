import os from 'node:os';
import path from 'node:path';
import { formatUsd } from '../api/cost/budget-exceeded-error.js';
import type { LongTranscriptFormat } from '../jobs/long-transcription/merge-transcript.js';
import { formatMs, printJson, status, type CliIo, type CommonFlags } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { defaultBatchId, queueStopExitCode, type QueueTarget } from './run-queued-batch.js';
import { UsageError } from './usage-error.js';

/** What `transcribe --long --queue URL` hands to the workers. */
export interface QueuedLongInput {
  readonly task: 'transcribe' | 'translate';
  readonly file: string;
  readonly filePath: string;
  readonly output: string | undefined;
  readonly format: LongTranscriptFormat;
  readonly model: string;
  readonly language: string | undefined;
  readonly prompt: string | undefined;
  readonly temperature: number | undefined;
  readonly workDir: string | undefined;
  readonly maxCostUsd: number | undefined;
}

/**
 * `transcribe FILE --long --queue URL -o OUT`: the file is cut here at pauses (into the work directory, which the
 * workers must see: shared storage), each piece becomes a queue job any `tokenlab-audio worker` runs, and a merge
 * job writes OUT once every piece is done ({@link BatchQueue.submitLong}). Unless detached, waits and reports like a
 * queued batch (exit 0, 7 the item failed, 4 a 402 or 401 stopped it, 130 Ctrl-C). bullmq is imported only here.
 */
export async function runQueuedLong(io: CliIo, common: CommonFlags, input: QueuedLongInput, target: QueueTarget): Promise<ExitCode> {
  const { task } = input;
  if (!input.output || input.output === '-') throw new UsageError(`${task} --long --queue needs -o FILE: a worker writes the merged transcript there (storage every worker sees)`, task);
  if (input.maxCostUsd !== undefined) throw new UsageError('--max-cost is kept by a long job run here, not through --queue; estimate first with --dry-run', task);
  const output = path.resolve(io.cwd, input.output);
  const workDir = input.workDir ?? path.join(os.tmpdir(), 'tokenlab-audio-long');
  const { BatchQueue } = await import('../queue/batch-queue.js');
  const batchId = target.batchId ?? defaultBatchId(output);
  const safeUrl = target.redis.replace(/\/\/[^@/]*@/, '//***@');
  const queue = await BatchQueue.open({ redis: target.redis, ...(target.queueName ? { queueName: target.queueName } : {}) });
  const started = performance.now();
  try {
    const submitted = await queue.submitLong(batchId, {
      kind: task === 'transcribe' ? 'transcribe-long' : 'translate-long',
      name: path.basename(input.filePath),
      file: input.filePath,
      output,
      model: input.model,
      responseFormat: input.format,
      workDir,
      ...(task === 'transcribe' && input.language !== undefined ? { language: input.language } : {}),
      ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    }, { signal: io.signal });
    const what = submitted.alreadyDone ? 'already done' : submitted.alreadyQueued ? 'already queued' : `queued in ${submitted.pieces} pieces`;
    const workers = `tokenlab-audio worker --redis ${safeUrl}${target.queueName ? ` --queue ${target.queueName}` : ''}`;
    if (target.detach) {
      if (common.json) printJson(io, { ...submitted, queue: queue.queueName, output, workDir, detached: true });
      else status(io, common, `${input.file}: ${what} as batch ${batchId} (work dir ${workDir}); workers: ${workers}. The same command without --detach waits for it.`);
      return EXIT.ok;
    }
    status(io, common, `${input.file}: ${what} as batch ${batchId} (work dir ${workDir}); waiting for the workers (${workers}); Ctrl-C stops waiting, not the job`);
    let report;
    try {
      report = await queue.wait(batchId, { signal: io.signal });
    } catch (error) {
      if (!io.signal.aborted) throw error;
      status(io, common, `Stopped waiting; batch ${batchId} goes on in the workers. Run the same command again to wait for it.`);
      return EXIT.interrupted;
    }
    const record = report.records.find((r) => r.output === output);
    const stopped = report.stoppedBy;
    const code: ExitCode = stopped ? queueStopExitCode(stopped) : record?.status === 'done' ? EXIT.ok : EXIT.batchIncomplete;
    const costUsd = record?.status === 'done' ? (record.costUsd ?? undefined) : undefined;
    if (common.json) {
      printJson(io, { batchId, queue: queue.queueName, file: input.file, output, workDir, pieces: submitted.pieces, status: record?.status ?? null, requestIds: record?.requestIds ?? [], costUsd: costUsd ?? null, error: record?.error ?? null, stoppedBy: stopped ?? null, possibleDoubleCharges: report.possibleDoubleCharges, exitCode: code });
      return code;
    }
    for (const d of report.possibleDoubleCharges) status(io, common, `${d.name}: a request of worker ${d.worker} was in flight since ${d.since} when it went away; it may have been charged twice${d.requestIds.length ? ` (request ${d.requestIds.join(', ')})` : ''}`);
    if (stopped) io.stderr.write(`tokenlab-audio: Stopped: ${stopped}. Finished pieces are kept; run the same command again to queue only the rest.\n`);
    if (record?.status === 'done') {
      status(io, common, `${task === 'transcribe' ? 'transcribed' : 'translated'} ${input.file} in ${submitted.pieces} pieces by the workers in ${formatMs(performance.now() - started)}${costUsd !== undefined ? `, about $${formatUsd(costUsd)}` : ''}, wrote ${input.output}`);
    } else if (record) {
      status(io, common, `${input.file}: failed: ${record.error?.message ?? 'unknown error'}. Finished pieces are kept; run the same command again to retry the rest.`);
    }
    return code;
  } finally {
    await queue.close();
  }
}
