import path from 'node:path';
import { TokenLab } from '../../client.js';
import { planSpeakJobs } from '../../jobs/batch/plan-batch-jobs.js';
import { readSpeechList } from '../../jobs/batch/read-speech-list.js';
import type { CliIo, CommonFlags } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { choiceOption, numberOption, secondsOption } from '../parse-command-args.js';
import { batchCommandOptions, runBatchCommand } from '../run-batch-command.js';
import { UsageError } from '../usage-error.js';

/**
 * `speak --batch LIST -o DIR`: one clip per line of a text, CSV or JSONL list, through the speech cache
 * (default DIR/.speech-cache), so a clip already paid for is never requested again.
 */
export async function speakBatch(list: string, values: Record<string, unknown>, common: CommonFlags, io: CliIo): Promise<ExitCode> {
  const output = values['output'];
  if (typeof output !== 'string' || output === '-') throw new UsageError('speak --batch needs an output directory: -o clips/', 'speak');
  const format = choiceOption('speak', 'format', values['format'], ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const) ?? 'mp3';
  const speed = numberOption('speak', 'speed', values['speed'], 0.25, 4);
  const outputDir = path.resolve(io.cwd, output);
  const jobs = planSpeakJobs(await readSpeechList(path.resolve(io.cwd, list)), {
    outputDir,
    responseFormat: format,
    ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
    ...(typeof values['voice'] === 'string' ? { voice: values['voice'] } : {}),
    ...(typeof values['instructions'] === 'string' ? { instructions: values['instructions'] } : {}),
    ...(speed !== undefined ? { speed } : {}),
  });
  const deadlineMs = common.timeoutMs ?? secondsOption('', 'TOKENLAB_TIMEOUT', io.env['TOKENLAB_TIMEOUT']);
  const client = new TokenLab({
    apiKey: common.apiKey ?? io.env['TOKENLAB_API_KEY'],
    baseURL: common.baseURL ?? io.env['TOKENLAB_BASE_URL'],
    speechCacheDir: typeof values['speech-cache'] === 'string' ? path.resolve(io.cwd, values['speech-cache']) : path.join(outputDir, '.speech-cache'),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
  });
  return runBatchCommand(io, common, client, jobs, batchCommandOptions('speak', values, io, path.join(outputDir, 'manifest.jsonl'), 'Speaking'));
}
