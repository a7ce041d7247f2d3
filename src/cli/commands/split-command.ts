import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encodeWav } from '../../codecs/wav/wav-writer.js';
import { STT_PCM } from '../../core/pcm/pcm-format.js';
import { decode } from '../../streams/decode.js';
import { encode } from '../../streams/encode.js';
import { VadChunker, type VadUtterance } from '../../streams/vad-chunker.js';
import { formatMs, printJson, status, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { choiceOption, numberOption, parseCommandArgs } from '../parse-command-args.js';
import { ProgressReporter } from '../progress-reporter.js';
import { UsageError } from '../usage-error.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import { checkAudioFile } from './transcribe-command.js';
import type { CommandHelp } from '../command-help.js';

/** One line of the split's `index.json`. */
export interface SplitIndexEntry {
  index: number;
  file: string;
  /** Start and end of the file's audio in the input, ms (pre-roll and padding included). */
  startMs: number;
  endMs: number;
  /** Detected speech inside it, ms of the input. */
  speechStartMs: number;
  speechEndMs: number;
  reason: string;
}

// The VAD's own rate: 16 kHz mono, what speech-to-text needs too.
const FORMAT = STT_PCM;

async function writeUtterance(u: VadUtterance, target: string, kind: 'wav' | 'ogg-opus', io: CliIo): Promise<void> {
  if (kind === 'wav') {
    await writeFileAtomic(target, encodeWav(u.pcm, u.format), io.signal);
    return;
  }
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await pipeline(encode(u.pcm, { format: 'ogg-opus', inputFormat: u.format, bitrate: 32_000, signal: io.signal }), createWriteStream(temp));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** `tokenlab-audio split --help`. */
export const splitHelp: CommandHelp = {
  name: 'split',
  summary: 'cut a recording into one file per utterance with the VAD, plus index.json of times',
  usage: 'split FILE -o DIR [options]',
  description: ['Runs offline (no API call). Files are 16 kHz mono, named utterance-0001.wav, …'],
  options: [
    ['-o, --output DIR', 'directory for the files and index.json (required; created if missing)'],
    ['--min-silence-ms N', 'a pause at least this long ends an utterance, 50 to 10000 (default 500)'],
    ['--max-utterance-ms N', 'cut utterances longer than this, 1000 to 3600000 (default 30000)'],
    ['--format F', 'wav or ogg-opus (default: wav)'],
  ],
  examples: ['tokenlab-audio split meeting.mp3 -o parts/', 'tokenlab-audio split podcast.m4a -o parts/ --format ogg-opus --min-silence-ms 800'],
  usesApi: false,
};

/** Removes `dir` and its parents up to `top` (the first one this run created) while they are empty. */
async function removeEmptyDirs(top: string, dir: string): Promise<void> {
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (some utterances were written: kept) or already gone
    }
    if (d === top) return;
  }
}

/** `split`: one file per utterance found by the VAD, plus `index.json` with their times. */
export async function splitCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { positionals, values, common } = parseCommandArgs('split', args, {
    output: { type: 'string', short: 'o' },
    'min-silence-ms': { type: 'string' },
    'max-utterance-ms': { type: 'string' },
    format: { type: 'string' },
  }, 1);
  const file = positionals[0];
  if (!file) throw new UsageError('split needs an audio file, e.g. split talk.mp3 -o parts/', 'split');
  const outDir = values['output'] as string | undefined;
  if (!outDir) throw new UsageError('split needs an output directory: -o DIR', 'split');
  const minSilenceMs = numberOption('split', 'min-silence-ms', values['min-silence-ms'], 50, 10_000);
  const maxUtteranceMs = numberOption('split', 'max-utterance-ms', values['max-utterance-ms'], 1000, 3_600_000);
  const kind = choiceOption('split', 'format', values['format'], ['wav', 'ogg-opus'] as const) ?? 'wav';
  const filePath = path.resolve(io.cwd, file);
  const size = await checkAudioFile(filePath);
  const dir = path.resolve(io.cwd, outDir);
  // The first directory this run created (undefined when it existed): removed again if the split fails and leaves it empty.
  const created = await mkdir(dir, { recursive: true });

  const started = performance.now();
  const progress = new ProgressReporter(io, common, 'Splitting');
  let readBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      readBytes += chunk.length;
      progress.upload(readBytes, size);
      callback(null, chunk);
    },
  });
  const chunker = new VadChunker({
    format: FORMAT,
    signal: io.signal,
    ...(minSilenceMs !== undefined ? { minSilenceMs } : {}),
    ...(maxUtteranceMs !== undefined ? { maxUtteranceMs } : {}),
  });
  const entries: SplitIndexEntry[] = [];
  const extension = kind === 'wav' ? 'wav' : 'opus';
  const writer = new Transform({
    writableObjectMode: true,
    transform(u: VadUtterance, _enc, callback) {
      const name = `utterance-${String(u.index + 1).padStart(4, '0')}.${extension}`;
      writeUtterance(u, path.join(dir, name), kind, io).then(() => {
        entries.push({ index: u.index, file: name, startMs: u.startMs, endMs: u.endMs, speechStartMs: u.speechStartMs, speechEndMs: u.speechEndMs, reason: u.reason });
        callback();
      }, callback);
    },
  });
  try {
    const input = createReadStream(filePath).pipe(counter);
    await pipeline(decode(input, { to: FORMAT, signal: io.signal }), chunker, writer, { signal: io.signal });
  } catch (error) {
    if (created !== undefined) await removeEmptyDirs(created, dir);
    throw error;
  } finally {
    progress.done();
  }
  const index = { source: file, format: kind, sampleRate: FORMAT.sampleRate, utterances: entries };
  await writeFileAtomic(path.join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`, io.signal);
  if (common.json) printJson(io, { ...index, directory: dir });
  else {
    for (const e of entries) io.stdout.write(`${e.file}  ${formatMs(e.speechStartMs)} – ${formatMs(e.speechEndMs)}\n`);
    status(io, common, `${entries.length} utterance${entries.length === 1 ? '' : 's'} in ${dir} (index.json) in ${formatMs(performance.now() - started)}`);
  }
  return EXIT.ok;
}
