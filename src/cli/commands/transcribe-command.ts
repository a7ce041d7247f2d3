import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../../core/errors.js';
import type { UploadProgressEvent } from '../../api/transcriptions.js';
import { formatBytes, formatMs, printJson, status, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { makeClient } from '../make-client.js';
import { choiceOption, numberOption, parseCommandArgs } from '../parse-command-args.js';
import { ProgressReporter } from '../progress-reporter.js';
import { UsageError } from '../usage-error.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import { assertOutputDir } from '../assert-output-dir.js';
import type { CommandHelp } from '../command-help.js';
import { BATCH_COST_FLAG_HELP, BATCH_FLAG_HELP, BATCH_OPTIONS } from '../run-batch-command.js';
import { LONG_FLAG_HELP, LONG_OPTIONS, transcribeLongCommand } from './transcribe-long-command.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES } from '../../api/audio-upload.js';
import { isTranscribeBatch, transcribeBatch } from './transcribe-batch.js';
import { runQueuedLong } from '../run-queued-long.js';

const FORMATS = ['text', 'srt', 'vtt', 'json', 'verbose_json'] as const;

/** Checks that `file` is a readable, non-empty regular file; returns its size. @throws InputError. */
export async function checkAudioFile(file: string): Promise<number> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(error.code === 'ENOENT' ? `No such file: ${file}` : `Cannot read ${file}: ${error.message}`);
  });
  if (info.isDirectory()) throw new InputError(`${file} is a directory; give an audio file (e.g. talk.mp3).`);
  if (!info.isFile()) throw new InputError(`${file} is not a regular file.`);
  if (info.size === 0) throw new InputError(`${file} is empty (0 bytes).`);
  return info.size;
}

/** `tokenlab-audio transcribe --help`. */
export const transcribeHelp: CommandHelp = {
  name: 'transcribe',
  summary: 'speech to text; text, SRT, VTT or JSON on stdout or into -o',
  usage: 'transcribe FILE|- [options]',
  description: [
    'Reads an audio or video file (- reads it from stdin) and uploads it with a progress bar.',
    'Batch: several files, a directory or a quoted glob ("calls/**/*.mp3") with -o DIR writes one transcript per file, a manifest (JSONL: request ids, errors) and a summary; a bad file is reported and skipped; rerunning skips what is done. Exit 7 when some items failed.',
  ],
  options: [
    ['-o, --output FILE', 'write the transcript to FILE (default: stdout)'],
    ['--format F', 'text, srt, vtt, json or verbose_json (default: text)'],
    ['--model M', 'transcription model (default: whisper-1); list them with: tokenlab-audio models --recommended-for stt'],
    ['--language xx', 'the spoken language as ISO-639-1, e.g. en (default: detected)'],
    ['--prompt TEXT', 'words and spellings to expect'],
    ['--temperature X', 'sampling temperature from 0 to 1 (default: the server\'s)'],
    ['--upload-limit-bytes N', 'refuse uploads larger than N bytes (default 26214400, the API\'s limit)'],
    ...BATCH_FLAG_HELP,
    ...LONG_FLAG_HELP,
    ...BATCH_COST_FLAG_HELP,
  ],
  examples: [
    'tokenlab-audio transcribe talk.mp3',
    'tokenlab-audio transcribe interview.m4a --format srt -o interview.srt',
    'ffmpeg -i talk.mkv -f wav - | tokenlab-audio transcribe - --language de',
    'tokenlab-audio transcribe recordings/ -o transcripts/ --format srt --concurrency 8',
  ],
};

/** `tokenlab-audio translate --help`. */
export const translateHelp: CommandHelp = {
  name: 'translate',
  summary: 'speech in any language to English text',
  usage: 'translate FILE|- [options]',
  options: transcribeHelp.options.filter(([flag]) => !flag.startsWith('--language')).map(([flag, text]) =>
    flag.startsWith('--model') ? [flag, 'translation model (default: the server\'s, whisper-1)'] as const : [flag, text] as const),
  examples: ['tokenlab-audio translate rede.mp3', 'tokenlab-audio translate rede.mp3 --format vtt -o rede.en.vtt'],
};

/** `transcribe` and `translate`: upload a file with a progress bar, print or save the transcript. */
export async function transcribeCommand(task: 'transcribe' | 'translate', args: string[], io: CliIo): Promise<ExitCode> {
  const { positionals, values, common } = parseCommandArgs(task, args, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    model: { type: 'string' },
    language: { type: 'string' },
    prompt: { type: 'string' },
    temperature: { type: 'string' },
    'upload-limit-bytes': { type: 'string' },
    ...BATCH_OPTIONS,
    ...LONG_OPTIONS,
  }, Number.MAX_SAFE_INTEGER);
  if (await isTranscribeBatch(positionals, io.cwd)) return transcribeBatch(task, positionals, values, common, io);
  const file = positionals[0];
  if (!file) throw new UsageError(`${task} needs an audio file, e.g. ${task} talk.mp3`, task);
  if (task === 'translate' && values['language'] !== undefined) throw new UsageError('translate always produces English; --language is for transcribe', task);
  const format = choiceOption(task, 'format', values['format'], FORMATS) ?? 'text';
  const temperature = numberOption(task, 'temperature', values['temperature'], 0, 1);
  const uploadLimitBytes = numberOption(task, 'upload-limit-bytes', values['upload-limit-bytes'], 1, Number.MAX_SAFE_INTEGER);
  // `-`: the audio comes on stdin (a one-shot upload: sent once, never retried after it started).
  const fromStdin = file === '-';
  const filePath = fromStdin ? undefined : path.resolve(io.cwd, file);
  const size = filePath === undefined ? undefined : await checkAudioFile(filePath);
  const output = values['output'] as string | undefined;
  if (output && output !== '-') await assertOutputDir(path.resolve(io.cwd, output));

  const client = makeClient(io, common, uploadLimitBytes !== undefined ? { uploadLimitBytes: Math.floor(uploadLimitBytes) } : {});
  // Long files: asked for, or over the upload limit (said on a status line), go through the piece pipeline.
  const limitBytes = uploadLimitBytes !== undefined ? Math.floor(uploadLimitBytes) : DEFAULT_UPLOAD_LIMIT_BYTES;
  const wantsLong = values['long'] === true || values['dry-run'] === true || values['max-cost'] !== undefined;
  if (filePath !== undefined && size !== undefined && (wantsLong || size > limitBytes)) {
    try {
      if (typeof values['queue'] === 'string' && values['dry-run'] !== true) {
        if (!wantsLong) status(io, common, `${file} is ${formatBytes(size)}, over the ${formatBytes(limitBytes)} upload limit: queuing it in pieces cut at pauses (--long).`);
        return await runQueuedLong(io, common, {
          task, file, filePath, output, format,
          model: typeof values['model'] === 'string' ? values['model'] : 'whisper-1',
          language: typeof values['language'] === 'string' ? values['language'] : undefined,
          prompt: typeof values['prompt'] === 'string' ? values['prompt'] : undefined,
          temperature,
          workDir: typeof values['work-dir'] === 'string' ? path.resolve(io.cwd, values['work-dir']) : undefined,
          maxCostUsd: numberOption(task, 'max-cost', values['max-cost'], 0, Number.MAX_SAFE_INTEGER),
        }, {
          redis: values['queue'],
          queueName: typeof values['queue-name'] === 'string' ? values['queue-name'] : undefined,
          batchId: typeof values['batch-id'] === 'string' ? values['batch-id'] : undefined,
          detach: values['detach'] === true,
        });
      }
      const concurrency = numberOption(task, 'concurrency', values['concurrency'], 1, 64);
      return await transcribeLongCommand(client, {
        task, file, filePath, size, automatic: !wantsLong, limitBytes, format, output,
        model: typeof values['model'] === 'string' ? values['model'] : 'whisper-1',
        language: typeof values['language'] === 'string' ? values['language'] : undefined,
        prompt: typeof values['prompt'] === 'string' ? values['prompt'] : undefined,
        temperature,
        concurrency: concurrency !== undefined ? Math.floor(concurrency) : undefined,
        workDir: typeof values['work-dir'] === 'string' ? path.resolve(io.cwd, values['work-dir']) : undefined,
        maxCostUsd: numberOption(task, 'max-cost', values['max-cost'], 0, Number.MAX_SAFE_INTEGER),
        dryRun: values['dry-run'] === true,
      }, common, io);
    } finally {
      await client.close();
    }
  }
  const progress = new ProgressReporter(io, common, task === 'transcribe' ? 'Transcribing' : 'Translating');
  // Text formats (text, srt, vtt) come back as plain strings: the `done` event is where their request id is.
  let doneRequestId: string | undefined;
  const onProgress = (event: UploadProgressEvent): void => {
    if (event.type === 'upload') progress.upload(event.sentBytes, event.totalBytes ?? size);
    else if (event.type === 'processing') progress.processing();
    else {
      doneRequestId = event.requestId;
      progress.done();
    }
  };
  const started = performance.now();
  try {
    const common2 = {
      file: filePath ?? (io.stdin as unknown as Readable),
      responseFormat: format,
      onProgress,
      signal: io.signal,
      ...(typeof values['prompt'] === 'string' ? { prompt: values['prompt'] } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
    };
    const result: unknown =
      task === 'transcribe'
        ? await client.audio.transcriptions.create({
            ...common2,
            model: typeof values['model'] === 'string' ? values['model'] : 'whisper-1',
            ...(typeof values['language'] === 'string' ? { language: values['language'] } : {}),
          })
        : await client.audio.translations.create({ ...common2, ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}) });
    progress.done();
    const requestId = (typeof result === 'object' && result !== null ? (result as { requestId?: string }).requestId : undefined) ?? doneRequestId;
    const text = typeof result === 'string' ? result : JSON.stringify(result, null, 2) + '\n';
    if (output && output !== '-') await writeFileAtomic(path.resolve(io.cwd, output), text, io.signal);
    if (common.json) {
      printJson(io, { file, format, output: output ?? null, requestId: requestId ?? null, result });
    } else if (!output || output === '-') {
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    status(io, common, `${task === 'transcribe' ? 'transcribed' : 'translated'} ${fromStdin ? 'stdin' : file}${size !== undefined ? ` (${formatBytes(size)})` : ''} in ${formatMs(performance.now() - started)}${output && output !== '-' ? `, wrote ${output}` : ''}; request ${requestId ?? '-'}`);
    return EXIT.ok;
  } finally {
    // Success already ended the line with "processed in"; a failure or Ctrl-C ends it without claiming anything.
    progress.stop();
    await client.close();
  }
}
