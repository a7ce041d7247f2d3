import { open, readFile, rename, rm } from 'node:fs/promises';
import { runFfmpeg } from '../../codecs/ffmpeg/ffmpeg-process.js';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../../core/errors.js';
import { formatBytes, formatMs, printJson, status, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { assertOutputDir } from '../assert-output-dir.js';
import { makeClient } from '../make-client.js';
import { choiceOption, numberOption, parseCommandArgs } from '../parse-command-args.js';
import { UsageError } from '../usage-error.js';
import type { CommandHelp } from '../command-help.js';
import { BATCH_COST_FLAG_HELP, BATCH_FLAG_HELP, BATCH_OPTIONS } from '../run-batch-command.js';
import { speakBatch } from './speak-batch.js';

const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
type Format = (typeof FORMATS)[number];
const BY_EXTENSION: Record<string, Format> = { '.mp3': 'mp3', '.opus': 'opus', '.ogg': 'opus', '.aac': 'aac', '.flac': 'flac', '.wav': 'wav', '.pcm': 'pcm', '.raw': 'pcm' };

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Total samples from a FLAC file's STREAMINFO (0 = unknown), or undefined when the bytes are not FLAC. */
export function flacTotalSamples(head: Buffer): number | undefined {
  if (head.length < 26 || head.toString('latin1', 0, 4) !== 'fLaC' || (head[4]! & 0x7f) !== 0) return undefined;
  return (head[21]! & 0x0f) * 2 ** 32 + head.readUInt32BE(22);
}

/**
 * A FLAC encoder writing to a pipe cannot go back to fill in STREAMINFO's length, so streamed FLAC says "length
 * unknown" (players show no duration and cannot seek). ffmpeg re-encoding it into a file (seekable) writes the length.
 * Returns a note for the status line when the file could not be fixed.
 */
async function fixFlacLength(file: string, signal: AbortSignal): Promise<string> {
  const handle = await open(file, 'r');
  const head = Buffer.alloc(26);
  try {
    await handle.read(head, 0, 26, 0);
  } finally {
    await handle.close();
  }
  if (flacTotalSamples(head) !== 0) return '';
  const temp = `${file}.${process.pid}.flac`;
  try {
    // Re-encoded, not copied: FLAC is lossless (the same samples) and only the encoder fills in the length and MD5.
    await runFfmpeg(['-y', '-i', file, '-map', '0:a', '-c:a', 'flac', '-f', 'flac', temp], { signal });
    await rename(temp, file);
    return '';
  } catch (error) {
    await rm(temp, { force: true });
    if (signal.aborted) throw error;
    return ' (the FLAC header gives no length: ffmpeg could not rewrite it)';
  }
}

/** `tokenlab-audio speak --help`. */
export const speakHelp: CommandHelp = {
  name: 'speak',
  summary: 'text to speech into a file (-o - writes to stdout)',
  usage: 'speak TEXT|- -o FILE [options]',
  description: ['The text is the argument, the contents of --input-file, or stdin with "-". Text longer than 4096 characters is sent in pieces and joined.'],
  options: [
    ['-o, --output FILE', 'where to write the audio; - for stdout (required)'],
    ['--input-file FILE', 'read the text from a file instead of the argument'],
    ['--model M', 'speech model (default: the server\'s, tts-1); list them with: tokenlab-audio models --recommended-for tts'],
    ['--voice V', 'voice (default: the server\'s, alloy); list them with: tokenlab-audio voices'],
    ['--format F', 'mp3, opus, aac, flac, wav or pcm (default: from the -o extension, else mp3; a different extension is refused). pcm is raw 24 kHz mono s16le unless the server says otherwise'],
    ['--speed X', 'speaking rate from 0.25 to 4 (default 1)'],
    ['--instructions TEXT', 'how to speak (tone, pace); models that take it'],
    ['--allow-secrets', 'send text that looks like it holds a key, token, private URL or card number (default: refused)'],
    ['--batch LIST', 'batch: one clip per line of a .txt, .csv (header with text; optional id, voice, model, instructions, speed) or .jsonl file, into -o DIR'],
    ['--speech-cache DIR', 'batch: the speech cache, so no clip is paid for twice (default: DIR/.speech-cache)'],
    ...BATCH_FLAG_HELP,
    ...BATCH_COST_FLAG_HELP,
  ],
  examples: [
    'tokenlab-audio speak "Hello there" -o hello.mp3',
    'tokenlab-audio speak --input-file story.txt --voice nova -o story.opus',
    'echo "Build finished" | tokenlab-audio speak - -o - --format wav | ffplay -nodisp -autoexit -',
    'tokenlab-audio speak --batch prompts.csv -o clips/ --format wav --concurrency 4',
  ],
};

/** `speak`: text (argument, `--input-file`, or `-` for stdin) to an audio file (`-o -`: stdout). */
export async function speakCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { positionals, values, common } = parseCommandArgs('speak', args, {
    output: { type: 'string', short: 'o' },
    'input-file': { type: 'string' },
    model: { type: 'string' },
    voice: { type: 'string' },
    format: { type: 'string' },
    speed: { type: 'string' },
    instructions: { type: 'string' },
    'allow-secrets': { type: 'boolean' },
    batch: { type: 'string' },
    'speech-cache': { type: 'string' },
    ...BATCH_OPTIONS,
  }, 1);
  if (typeof values['batch'] === 'string') {
    if (positionals.length > 0 || values['input-file'] !== undefined) throw new UsageError('--batch reads the texts from its list: give no text argument or --input-file', 'speak');
    return speakBatch(values['batch'], values, common, io);
  }
  const output = values['output'] as string | undefined;
  if (!output) throw new UsageError('speak needs an output file: -o out.mp3 (or -o - for stdout)', 'speak');
  const inputFile = values['input-file'] as string | undefined;
  if (inputFile && positionals.length > 0) throw new UsageError('give the text as an argument or --input-file, not both', 'speak');
  let text: string;
  if (inputFile) {
    text = await readFile(path.resolve(io.cwd, inputFile), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new InputError(`Cannot read --input-file ${inputFile}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
  } else if (positionals[0] === '-') {
    text = await readStdin(io);
  } else if (positionals[0] !== undefined) {
    text = positionals[0];
  } else {
    throw new UsageError('speak needs the text to say, e.g. speak "Hello there" -o hello.mp3', 'speak');
  }
  if (text.trim() === '') throw new InputError('The text to speak is empty.');
  const speed = numberOption('speak', 'speed', values['speed'], 0.25, 4);
  const explicit = choiceOption('speak', 'format', values['format'], FORMATS);
  const fromExtension = output === '-' ? undefined : BY_EXTENSION[path.extname(output).toLowerCase()];
  if (explicit && fromExtension && explicit !== fromExtension) {
    throw new UsageError(`-o ${output} names ${fromExtension} audio but --format says ${explicit}: drop --format (the extension decides) or name the file .${explicit === 'opus' ? 'ogg' : explicit}`, 'speak');
  }
  const format: Format = explicit ?? fromExtension ?? 'mp3';

  if (output !== '-') await assertOutputDir(path.resolve(io.cwd, output));
  const client = makeClient(io, common);
  const started = performance.now();
  try {
    const audio = await client.audio.speech.create(
      {
        input: text,
        response_format: format,
        ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
        ...(typeof values['voice'] === 'string' ? { voice: values['voice'] } : {}),
        ...(speed !== undefined ? { speed } : {}),
        ...(typeof values['instructions'] === 'string' ? { instructions: values['instructions'] } : {}),
      },
      { signal: io.signal, ...(values['allow-secrets'] === true ? { allowSecrets: true } : {}) },
    );
    const firstByteMs = performance.now() - started;
    let byteLength: number;
    let target: string;
    let note = '';
    if (output === '-') {
      byteLength = 0;
      audio.on('data', (c: Buffer) => {
        byteLength += c.length;
      });
      await pipeline(audio, io.stdout, { signal: io.signal, end: false });
      target = '-';
    } else {
      const saved = await audio.save(path.resolve(io.cwd, output), { signal: io.signal });
      byteLength = saved.byteLength;
      target = saved.path;
      if (audio.format === 'flac') note = await fixFlacLength(saved.path, io.signal);
    }
    const totalMs = performance.now() - started;
    // Raw PCM has no header: say its layout, or nothing can play it back.
    const layout = audio.format === 'pcm' && audio.nativePcmFormat ? audio.nativePcmFormat : undefined;
    const layoutText = layout ? `, raw ${layout.encoding} ${layout.sampleRate} Hz ${layout.channels === 1 ? 'mono' : `${layout.channels} channels`} (ffplay -f ${layout.encoding} -ar ${layout.sampleRate} -ch_layout ${layout.channels === 1 ? 'mono' : 'stereo'})` : '';
    const summary = {
      output: target,
      format: audio.format,
      ...(layout ? { pcm: layout } : {}),
      byteLength,
      requestId: audio.requestId,
      firstByteMs: Math.round(firstByteMs),
      totalMs: Math.round(totalMs),
    };
    if (common.json && output !== '-') printJson(io, summary);
    else status(io, common, `wrote ${target === '-' ? 'stdout' : output} (${formatBytes(byteLength)}, ${audio.format}${layoutText}) in ${formatMs(totalMs)}, first audio after ${formatMs(firstByteMs)}; request ${audio.requestId ?? '-'}${note}`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
