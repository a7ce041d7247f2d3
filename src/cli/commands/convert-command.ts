import path from 'node:path';
import type { EncodeFormat } from '../../streams/encode.js';
import { convertFile } from '../../streams/convert.js';
import { formatBytes, formatMs, printJson, status, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { choiceOption, numberOption, parseCommandArgs } from '../parse-command-args.js';
import { UsageError } from '../usage-error.js';
import { assertOutputDir } from '../assert-output-dir.js';
import { checkAudioFile } from './transcribe-command.js';
import type { CommandHelp } from '../command-help.js';

const FORMATS = ['wav', 'pcm', 'mulaw', 'alaw', 'ogg-opus', 'opus', 'webm', 'mp3', 'flac', 'aac'] as const satisfies readonly EncodeFormat[];
const BY_EXTENSION: Record<string, EncodeFormat> = {
  '.wav': 'wav', '.pcm': 'pcm', '.raw': 'pcm', '.ulaw': 'mulaw', '.mulaw': 'mulaw', '.alaw': 'alaw',
  '.ogg': 'ogg-opus', '.opus': 'opus', '.oga': 'ogg-opus', '.webm': 'webm', '.mp3': 'mp3', '.flac': 'flac', '.aac': 'aac',
};

/** `tokenlab-audio convert --help`. */
export const convertHelp: CommandHelp = {
  name: 'convert',
  summary: 'any audio or video file to WAV, raw PCM, G.711, Ogg/Opus, WebM, MP3, FLAC or AAC',
  usage: 'convert FILE -o OUT [options]',
  description: ['The output format comes from the extension of OUT (or --to); rate and channels are mapped on the way.'],
  options: [
    ['-o, --output FILE', 'where to write (written to a temp file, then renamed)'],
    ['--to F', `output format: ${FORMATS.join(', ')} (default: from the extension)`],
    ['--rate HZ', 'output sample rate, e.g. 16000'],
    ['--channels N', 'output channels, e.g. 1 (down-mix) or 2'],
    ['--encoding E', 's16le or f32le (wav and pcm output)'],
    ['--bitrate BPS', 'bits per second of lossy output, e.g. 24000'],
  ],
  examples: ['tokenlab-audio convert talk.mp4 -o talk.wav --rate 16000 --channels 1', 'tokenlab-audio convert call.wav -o call.ulaw', 'tokenlab-audio convert lecture.flac -o lecture.ogg --bitrate 24000'],
};

/** `convert`: decode any input, encode into the format of the output. */
export async function convertCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { positionals, values, common } = parseCommandArgs('convert', args, {
    output: { type: 'string', short: 'o' },
    to: { type: 'string' },
    rate: { type: 'string' },
    channels: { type: 'string' },
    encoding: { type: 'string' },
    bitrate: { type: 'string' },
  }, 1);
  const file = positionals[0];
  if (!file) throw new UsageError('convert needs an input file, e.g. convert talk.mp4 -o talk.wav', 'convert');
  const output = values['output'];
  if (typeof output !== 'string' || output === '') throw new UsageError('convert needs -o OUT (its extension picks the format, or pass --to)', 'convert');
  const format = choiceOption('convert', 'to', values['to'], FORMATS) ?? BY_EXTENSION[path.extname(output).toLowerCase()];
  if (!format) throw new UsageError(`cannot tell the format from "${path.extname(output) || output}"; pass --to (${FORMATS.join(', ')})`, 'convert');
  const sampleRate = numberOption('convert', 'rate', values['rate'], 1000, 384_000);
  const channels = numberOption('convert', 'channels', values['channels'], 1, 8);
  const encoding = choiceOption('convert', 'encoding', values['encoding'], ['s16le', 'f32le'] as const);
  const bitrate = numberOption('convert', 'bitrate', values['bitrate'], 6000, 512_000);
  const input = path.resolve(io.cwd, file);
  const size = await checkAudioFile(input);
  const target = path.resolve(io.cwd, output);
  await assertOutputDir(target);
  const started = performance.now();
  const r = await convertFile(input, target, {
    format,
    signal: io.signal,
    ...(sampleRate !== undefined ? { sampleRate: Math.round(sampleRate) } : {}),
    ...(channels !== undefined ? { channels: Math.round(channels) } : {}),
    ...(encoding !== undefined ? { encoding } : {}),
    ...(bitrate !== undefined ? { bitrate: Math.round(bitrate) } : {}),
  });
  if (common.json) printJson(io, { input: file, output, format, byteLength: r.byteLength, pcmFormat: r.pcmFormat, path: r.encodePath });
  status(io, common, `converted ${file} (${formatBytes(size)}) to ${output} (${format}, ${r.pcmFormat.sampleRate} Hz, ${r.pcmFormat.channels} ch, ${formatBytes(r.byteLength)}) in ${formatMs(performance.now() - started)}`);
  return EXIT.ok;
}
