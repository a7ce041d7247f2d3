import { TokenLab } from '../../client.js';
import { status, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { numberOption, parseCommandArgs, secondsOption } from '../parse-command-args.js';
import { UsageError } from '../usage-error.js';
import type { CommandHelp } from '../command-help.js';

/** `tokenlab-audio worker --help`. */
export const workerHelp: CommandHelp = {
  name: 'worker',
  summary: 'run batch jobs from a BullMQ queue on Redis (many machines share one batch)',
  usage: 'worker --redis URL [options]',
  description: [
    'Takes transcription, translation and speech jobs that a producer (BatchQueue from tokenlab-audio/queue) submitted, until Ctrl-C (running jobs finish first).',
    'Inputs and outputs are file paths: every worker must see the same files (shared storage). Needs the optional package bullmq (npm install bullmq).',
  ],
  options: [
    ['--redis URL', 'the Redis server, redis://host:6379[/db] or rediss:// (required)'],
    ['--queue NAME', 'the BullMQ queue name (default tokenlab-audio)'],
    ['--concurrency N', 'jobs in flight at once in this worker, 1 to 64 (default 4)'],
    ['--speech-cache DIR', 'serve identical speech requests from this directory (default: no cache)'],
    ['--worker-id ID', 'name of this worker in records and reports (default host:pid:random)'],
    ['--lock-duration-ms N', "a dead worker's jobs go back to the queue after this (default 30000)"],
  ],
  examples: ['tokenlab-audio worker --redis redis://127.0.0.1:6379', 'tokenlab-audio worker --redis redis://queue.internal:6379/2 --concurrency 8 --queue archive'],
};

/** `worker`: a queue worker until Ctrl-C / SIGTERM. bullmq is loaded only here, when the command runs. */
export async function workerCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs('worker', args, {
    redis: { type: 'string' },
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    'speech-cache': { type: 'string' },
    'worker-id': { type: 'string' },
    'lock-duration-ms': { type: 'string' },
  }, 0);
  const redis = values['redis'] as string | undefined;
  if (!redis) throw new UsageError('worker needs --redis URL, e.g. --redis redis://127.0.0.1:6379', 'worker');
  const concurrency = numberOption('worker', 'concurrency', values['concurrency'], 1, 64);
  const lockDurationMs = numberOption('worker', 'lock-duration-ms', values['lock-duration-ms'], 500, 3_600_000);
  const deadlineMs = common.timeoutMs ?? secondsOption('', 'TOKENLAB_TIMEOUT', io.env['TOKENLAB_TIMEOUT']);
  const client = new TokenLab({
    apiKey: common.apiKey ?? io.env['TOKENLAB_API_KEY'],
    baseURL: common.baseURL ?? io.env['TOKENLAB_BASE_URL'],
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(typeof values['speech-cache'] === 'string' ? { speechCacheDir: values['speech-cache'] } : {}),
  });
  // Loaded here, not at the top: users who never run a worker never load bullmq.
  const { startBatchWorker } = await import('../../queue/start-batch-worker.js');
  let worker;
  try {
    worker = await startBatchWorker({
      redis,
      client,
      ...(typeof values['queue'] === 'string' ? { queueName: values['queue'] } : {}),
      ...(typeof values['worker-id'] === 'string' ? { workerId: values['worker-id'] } : {}),
      ...(concurrency !== undefined ? { concurrency: Math.floor(concurrency) } : {}),
      ...(lockDurationMs !== undefined ? { lockDurationMs, stalledIntervalMs: Math.max(250, Math.floor(lockDurationMs / 2)) } : {}),
      onItem: (record, detail) => {
        if (common.json) io.stdout.write(`${JSON.stringify({ ...record, possibleDoubleCharge: detail.possibleDoubleCharge ?? null })}\n`);
        else {
          const what = record.status === 'done' ? `done, request ${record.requestIds.join(', ') || '- (cache)'}` : `${record.status}: ${record.error?.message ?? ''}`;
          status(io, common, `${record.name}: ${what}`);
          if (detail.possibleDoubleCharge) {
            const d = detail.possibleDoubleCharge;
            status(io, common, `  ${record.name}: a request of worker ${d.worker} was in flight since ${d.since} when it went away; it may have been charged twice`);
          }
        }
      },
    });
  } catch (error) {
    await client.close();
    throw error;
  }
  if (common.json) io.stdout.write(`${JSON.stringify({ type: 'ready', worker: worker.workerId, queue: values['queue'] ?? 'tokenlab-audio' })}\n`);
  else status(io, common, `worker ${worker.workerId} ready on ${redis.replace(/\/\/[^@/]*@/, '//***@')}; Ctrl-C stops after the running jobs`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.close();
  status(io, common, `worker ${worker.workerId} stopped`);
  return EXIT.ok;
}
