import path from 'node:path';
import type { TokenLab } from '../../client.js';
import { CostMeter } from '../../api/cost/cost-meter.js';
import { formatUsd } from '../../api/cost/budget-exceeded-error.js';
import { decode } from '../../streams/decode.js';
import { transcribeLong, translateLong, type LongJobProgress } from '../../jobs/long-transcription/transcribe-long.js';
import type { LongTranscriptFormat } from '../../jobs/long-transcription/merge-transcript.js';
import { formatBytes, formatMs, printJson, status, type CliIo, type CommonFlags } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';

/** Flags of the long-file path of `transcribe` / `translate`. */
export const LONG_OPTIONS = {
  long: { type: 'boolean' },
  'work-dir': { type: 'string' },
  'max-cost': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

/** Help lines of {@link LONG_OPTIONS} (the cost flags are shared with batches: `BATCH_COST_FLAG_HELP`). */
export const LONG_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--long', 'cut the file at pauses into pieces and transcribe them in parallel (automatic over the upload limit); resumable'],
  ['--work-dir DIR', 'long: where finished pieces are kept for resuming (default: the system temp dir)'],
];

/** What the long path needs from the `transcribe` command. */
export interface LongCommandInput {
  readonly task: 'transcribe' | 'translate';
  readonly file: string;
  readonly filePath: string;
  readonly size: number;
  readonly automatic: boolean;
  readonly limitBytes: number;
  readonly format: LongTranscriptFormat;
  readonly model: string;
  readonly language: string | undefined;
  readonly prompt: string | undefined;
  readonly temperature: number | undefined;
  readonly concurrency: number | undefined;
  readonly workDir: string | undefined;
  readonly maxCostUsd: number | undefined;
  readonly dryRun: boolean;
  readonly output: string | undefined;
}

function progressLine(p: LongJobProgress): string {
  const total = p.piecesTotal !== undefined ? String(p.piecesTotal) : `${p.piecesCut}+`;
  const hours = (ms: number | undefined) => (ms === undefined ? '?' : (ms / 3_600_000).toFixed(2));
  const eta = p.etaMs !== undefined ? `, ETA ${formatMs(p.etaMs)}` : '';
  const cost = p.spentUsd !== undefined ? `, $${formatUsd(p.spentUsd)}` : '';
  return `pieces ${p.piecesDone}/${total} (${p.piecesReused} resumed, ${p.inFlight} in flight), audio ${hours(p.sourceMsDecoded)}/${hours(p.sourceMsTotal)} h${eta}${cost}`;
}

/** The long-file path: a line saying why, progress for the whole job, the merged transcript. */
export async function transcribeLongCommand(client: TokenLab, input: LongCommandInput, common: CommonFlags, io: CliIo): Promise<ExitCode> {
  const { task, file } = input;
  if (input.automatic) {
    status(io, common, `${file} is ${formatBytes(input.size)}, over the ${formatBytes(input.limitBytes)} upload limit: transcribing it in pieces cut at pauses (--long).`);
  }
  if (input.dryRun) {
    const meter = new CostMeter({ client });
    let pcmBytes = 0;
    for await (const chunk of decode(input.filePath, { to: { sampleRate: 16_000, channels: 1, encoding: 's16le' }, signal: io.signal })) pcmBytes += (chunk as Buffer).length;
    const durationMs = pcmBytes / 32;
    const est = await meter.expectTranscription(input.model, durationMs);
    const line = est.costUsd !== undefined
      ? `dry run: ${file} is ${formatMs(durationMs)} of audio; ${task} with ${input.model} would cost at most about $${formatUsd(est.costUsd)} (pauses are not sent, so less)${est.notes.length ? `; ${est.notes.join('; ')}` : ''}. Nothing was sent.`
      : `dry run: ${file} is ${formatMs(durationMs)} of audio; the cost cannot be estimated: ${est.missing}. Nothing was sent.`;
    if (common.json) printJson(io, { file, dryRun: true, durationMs, model: input.model, estimatedCostUsd: est.costUsd ?? null, missing: est.missing ?? null, notes: est.notes });
    else io.stdout.write(`${line}\n`);
    return EXIT.ok;
  }
  const started = performance.now();
  let lastLine = 0;
  const onProgress = (p: LongJobProgress) => {
    if (common.json || common.quiet) return;
    const now = performance.now();
    if (now - lastLine < (io.stderr.isTTY ? 250 : 5000) && p.piecesDone !== p.piecesTotal) return;
    lastLine = now;
    io.stderr.write(io.stderr.isTTY ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`);
  };
  const options = {
    file: input.filePath,
    model: input.model,
    responseFormat: input.format,
    signal: io.signal,
    onProgress,
    ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
    ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
    ...(input.workDir !== undefined ? { workDir: input.workDir } : {}),
    ...(input.maxCostUsd !== undefined ? { maxCostUsd: input.maxCostUsd } : {}),
  };
  try {
    const result = task === 'transcribe' ? await transcribeLong(client, { ...options, ...(input.language !== undefined ? { language: input.language } : {}) }) : await translateLong(client, options);
    if (io.stderr.isTTY && !common.json && !common.quiet) io.stderr.write('\n');
    const { output } = input;
    if (output && output !== '-') await writeFileAtomic(path.resolve(io.cwd, output), result.output, io.signal);
    const requestIds = result.pieces.map((p) => p.requestId ?? null);
    if (common.json) {
      printJson(io, { file, format: input.format, output: output ?? null, long: true, pieces: result.pieces.length, piecesReused: result.piecesReused, requestIds, workDir: result.workDir, costUsd: result.cost?.totalUsd ?? null, result: input.format === 'json' || input.format === 'verbose_json' ? JSON.parse(result.output) : result.output });
    } else if (!output || output === '-') {
      io.stdout.write(result.output);
    }
    const cost = result.cost ? `, about $${formatUsd(result.cost.totalUsd)}${result.cost.complete ? '' : ' (some requests unpriced)'}` : '';
    status(io, common, `${task === 'transcribe' ? 'transcribed' : 'translated'} ${file} in ${result.pieces.length} pieces (${result.requestsMade} requested, ${result.piecesReused} resumed) in ${formatMs(performance.now() - started)}${cost}${output && output !== '-' ? `, wrote ${output}` : ''}; work dir ${result.workDir}`);
    return EXIT.ok;
  } finally {
    if (io.stderr.isTTY && !common.json && !common.quiet) io.stderr.write('\x1b[K');
  }
}
