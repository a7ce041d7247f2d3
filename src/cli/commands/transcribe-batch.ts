import { stat } from 'node:fs/promises';
import path from 'node:path';
import { findAudioFiles, isGlobPattern } from '../../jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../jobs/batch/plan-batch-jobs.js';
import type { CliIo, CommonFlags } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { makeClient } from '../make-client.js';
import { choiceOption, numberOption } from '../parse-command-args.js';
import { batchCommandOptions, runBatchCommand } from '../run-batch-command.js';
import { UsageError } from '../usage-error.js';

/** True when the arguments of `transcribe`/`translate` name a batch: several, a directory, or a glob pattern. */
export async function isTranscribeBatch(positionals: readonly string[], cwd: string): Promise<boolean> {
  if (positionals.length > 1) return true;
  const first = positionals[0];
  if (first === undefined || first === '-') return false;
  const info = await stat(path.resolve(cwd, first)).catch(() => undefined);
  return info ? info.isDirectory() : isGlobPattern(first);
}

/** `transcribe DIR|GLOB|FILES… -o OUTDIR`: one transcript per file, a manifest, a summary. */
export async function transcribeBatch(task: 'transcribe' | 'translate', positionals: readonly string[], values: Record<string, unknown>, common: CommonFlags, io: CliIo): Promise<ExitCode> {
  const output = values['output'];
  if (typeof output !== 'string' || output === '-') throw new UsageError(`a batch needs an output directory: ${task} ${positionals[0]} -o transcripts/`, task);
  const format = choiceOption(task, 'format', values['format'], ['text', 'srt', 'vtt', 'json', 'verbose_json'] as const) ?? 'text';
  const temperature = numberOption(task, 'temperature', values['temperature'], 0, 1);
  const uploadLimitBytes = numberOption(task, 'upload-limit-bytes', values['upload-limit-bytes'], 1, Number.MAX_SAFE_INTEGER);
  const outputDir = path.resolve(io.cwd, output);
  const files = await findAudioFiles(positionals, { cwd: io.cwd, signal: io.signal });
  const jobs = planTranscribeJobs(files, {
    kind: task,
    outputDir,
    responseFormat: format,
    ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
    ...(typeof values['language'] === 'string' ? { language: values['language'] } : {}),
    ...(typeof values['prompt'] === 'string' ? { prompt: values['prompt'] } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
  });
  const client = makeClient(io, common, uploadLimitBytes !== undefined ? { uploadLimitBytes: Math.floor(uploadLimitBytes) } : {});
  return runBatchCommand(io, common, client, jobs, batchCommandOptions(task, values, io, path.join(outputDir, 'manifest.jsonl'), task === 'transcribe' ? 'Transcribing' : 'Translating'));
}
