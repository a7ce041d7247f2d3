import type { Duplex, Readable } from 'node:stream';
import { InputError } from '../core/errors.js';
import { bytesPerFrame, pcmFormat, samePcmFormat, type PcmEncoding, type PcmFormat } from '../core/pcm/pcm-format.js';
import { ffmpegArgs, type FfmpegOutputOptions } from '../codecs/ffmpeg/ffmpeg-args.js';
import { FfmpegProcess } from '../codecs/ffmpeg/ffmpeg-process.js';
import type { G711Law } from '../codecs/g711/g711.js';
import { G711Encoder } from '../codecs/g711/g711-transform.js';
import { WavWriter } from '../codecs/wav/wav-writer.js';
import { OggOpusEncoder } from '../codecs/ogg/ogg-opus-encoder.js';
import type { OpusSampleRate } from '../codecs/opus/opus.js';
import { ChainReadable } from './chain-readable.js';
import { FrameAligner } from '../codecs/frame-aligner.js';
import { openInputSource, type AudioInput } from './input-source.js';
import { ResampleStream } from './resample-stream.js';

/** Output formats of {@link encode}. `'opus'` is Ogg/Opus too (what OpenAI-style APIs call `opus`); `'webm'` is WebM/Opus. */
export type EncodeFormat = 'wav' | 'pcm' | 'mulaw' | 'alaw' | 'ogg-opus' | 'opus' | 'webm' | 'mp3' | 'flac' | 'aac';

/** How {@link encode} produced the bytes: in-process, or `ffmpeg:<format>`. */
export type EncodePath = 'wav' | 'pcm' | 'g711' | 'ogg-opus' | `ffmpeg:${string}`;

/** Options of {@link encode}. */
export interface EncodeOptions {
  format: EncodeFormat;
  /** Layout of the PCM given. Default: the input stream's own `format` (every PCM stream of ours has one). */
  inputFormat?: PcmFormat;
  /**
   * Output sample rate in Hz. Default: the input's; 8000 for µ-law/A-law; for Opus the nearest of
   * 8/12/16/24/48 kHz at or above the input's; for MP3 the nearest rate MP3 allows.
   */
  sampleRate?: number;
  /** Output channels. Default: the input's (mono for µ-law/A-law, at most 2 for Opus, MP3 and AAC). */
  channels?: number;
  /** Sample encoding of `wav` and `pcm` output. Default: the input's. */
  encoding?: PcmEncoding;
  /** Bits per second for lossy formats (mp3, aac, opus). Default: the encoder's (ffmpeg's defaults; 64 kb/s Opus mono). */
  bitrate?: number;
  /** `'auto'` (default): in-process where we can; `'ffmpeg'`: always ffmpeg (for comparison and debugging). */
  encoder?: 'auto' | 'ffmpeg';
  ffmpegPath?: string;
  /** Aborting destroys the stream with an `AbortError` and stops any ffmpeg child. */
  signal?: AbortSignal;
}

interface Target {
  readonly container: EncodeFormat;
  readonly contentType: string;
  readonly extension: string;
}

const TARGETS: Record<EncodeFormat, Target> = {
  wav: { container: 'wav', contentType: 'audio/wav', extension: 'wav' },
  pcm: { container: 'pcm', contentType: 'audio/pcm', extension: 'pcm' },
  mulaw: { container: 'mulaw', contentType: 'audio/basic', extension: 'ulaw' },
  alaw: { container: 'alaw', contentType: 'audio/x-alaw-basic', extension: 'alaw' },
  'ogg-opus': { container: 'ogg-opus', contentType: 'audio/ogg; codecs=opus', extension: 'ogg' },
  opus: { container: 'opus', contentType: 'audio/ogg; codecs=opus', extension: 'opus' },
  webm: { container: 'webm', contentType: 'audio/webm; codecs=opus', extension: 'webm' },
  mp3: { container: 'mp3', contentType: 'audio/mpeg', extension: 'mp3' },
  flac: { container: 'flac', contentType: 'audio/flac', extension: 'flac' },
  aac: { container: 'aac', contentType: 'audio/aac', extension: 'aac' },
};

const OPUS_RATES = [8_000, 12_000, 16_000, 24_000, 48_000];
const MP3_RATES = [8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000];

/**
 * Encoded audio bytes as a Readable (see {@link encode}). `path` says how they are made,
 * `contentType` and `extension` what they are, `pcmFormat` the PCM that went into the encoder.
 */
export class EncodeStream extends ChainReadable {
  readonly path: EncodePath;
  readonly contentType: string;
  readonly extension: string;
  /** The PCM layout encoded (after any resampling). */
  readonly pcmFormat: PcmFormat;
  /** Layout of the PCM given. */
  readonly inputFormat: PcmFormat;
  /** The ffmpeg arguments when the path is ffmpeg. */
  readonly ffmpegArgs: readonly string[] | undefined;

  constructor(input: AudioInput, options: EncodeOptions) {
    // Everything that can throw runs before the stream exists, so a bad call leaves nothing behind.
    const plan = planEncode(input, options);
    super({ signal: options.signal, what: 'Encoding' });
    this.path = plan.path;
    this.inputFormat = plan.from;
    this.pcmFormat = plan.out;
    this.contentType = plan.target.contentType;
    this.extension = plan.target.extension;
    this.ffmpegArgs = plan.ffmpegArgs;
    if (options.signal?.aborted) {
      // Aborted before we began (ChainReadable destroys this stream with the AbortError): read nothing.
      plan.source.destroy();
      for (const s of plan.stages) s.destroy();
      return;
    }
    this.wire(plan.source, plan.stages);
  }
}

interface EncodePlan {
  path: EncodePath;
  target: Target;
  from: PcmFormat;
  out: PcmFormat;
  ffmpegArgs: readonly string[] | undefined;
  source: Readable;
  stages: Duplex[];
}

function planEncode(input: AudioInput, options: EncodeOptions): EncodePlan {
  if (options === null || typeof options !== 'object') throw new InputError("encode: options are required, e.g. { format: 'mp3' }.");
  const target = TARGETS[options.format];
  if (!target) {
    throw new InputError(`encode: format ${JSON.stringify(options.format)} is unknown; use one of ${Object.keys(TARGETS).join(', ')}.`);
  }
  const declared = options.inputFormat ?? (input as { format?: PcmFormat } | null)?.format;
  if (declared === undefined) {
    throw new InputError(
      'encode: the layout of the PCM is unknown; pass { inputFormat: { sampleRate, channels, encoding } }, ' +
        'or give decode() a { to } format (without it, decode() learns the format from the header: await its formatReady first).',
    );
  }
  const from = pcmFormat(declared);
  const out = pcmFormat(outputFormat(options.format, from, options));
  if (options.bitrate !== undefined && (!Number.isInteger(options.bitrate) || options.bitrate < 6_000 || options.bitrate > 512_000)) {
    throw new InputError(`encode: bitrate ${String(options.bitrate)} must be a whole number of bits per second from 6000 to 512000.`);
  }
  const useFfmpeg = options.encoder === 'ffmpeg' || !IN_PROCESS.has(options.format);
  if (useFfmpeg) {
    const args = ffmpegEncodeArgs(options.format, from, out, options.bitrate);
    // ffmpeg converts rate and channels itself: same quality, one stage fewer. No child when already aborted.
    const stages: Duplex[] = options.signal?.aborted ? [] : [new FfmpegProcess({ args, ffmpegPath: options.ffmpegPath })];
    return { path: `ffmpeg:${options.format}`, target, from, out, ffmpegArgs: args, source: openSource(input, stages), stages };
  }
  const stages: Duplex[] = [samePcmFormat(from, out) ? new FrameAligner(bytesPerFrame(from)) : new ResampleStream({ from, to: out })];
  let path: EncodePath;
  switch (options.format) {
    case 'wav':
      path = 'wav';
      stages.push(new WavWriter({ format: out }));
      break;
    case 'pcm':
      path = 'pcm';
      break;
    case 'ogg-opus':
    case 'opus':
      path = 'ogg-opus';
      stages.push(
        new OggOpusEncoder({
          sampleRate: out.sampleRate as OpusSampleRate,
          channels: out.channels as 1 | 2,
          ...(options.bitrate !== undefined ? { bitrate: options.bitrate } : {}),
        }),
      );
      break;
    default:
      path = 'g711';
      stages.push(new G711Encoder({ law: options.format as G711Law }));
  }
  return { path, target, from, out, ffmpegArgs: undefined, source: openSource(input, stages), stages };
}

/** Opens the input; if that throws, the stages already made (an ffmpeg child) are destroyed first. */
function openSource(input: AudioInput, stages: Duplex[]): Readable {
  try {
    return openInputSource(input).stream;
  } catch (err) {
    for (const s of stages) s.destroy();
    throw err;
  }
}

const IN_PROCESS: ReadonlySet<EncodeFormat> = new Set(['wav', 'pcm', 'mulaw', 'alaw', 'ogg-opus', 'opus']);

/**
 * Encodes PCM (a PCM stream of ours, any Readable / web stream / Buffer / file of raw PCM with
 * `inputFormat`) into `format`. In-process for WAV, raw PCM, G.711 and Ogg/Opus (our muxer); ffmpeg for
 * MP3, FLAC and AAC (and for anything with `encoder: 'ffmpeg'`). Rate, channel and sample-type conversion happen on the way.
 *
 * @throws InputError for unknown formats and missing/unusable options; FormatError for bad PCM formats;
 *   FfmpegNotFoundError when the format needs ffmpeg and none is found. Failures while encoding
 *   (FfmpegError, I/O errors) are emitted after all bytes produced before them.
 */
export function encode(input: AudioInput, options: EncodeOptions): EncodeStream {
  return new EncodeStream(input, options);
}

function nearestAtOrAbove(rates: readonly number[], rate: number): number {
  return rates.find((r) => r >= rate) ?? rates[rates.length - 1]!;
}

function outputFormat(format: EncodeFormat, from: PcmFormat, options: EncodeOptions): PcmFormat {
  switch (format) {
    case 'mulaw':
    case 'alaw':
      if (options.encoding !== undefined && options.encoding !== 's16le') throw new InputError('encode: G.711 encodes 16-bit samples; omit { encoding }.');
      return { sampleRate: options.sampleRate ?? 8_000, channels: options.channels ?? 1, encoding: 's16le' };
    case 'ogg-opus':
    case 'opus':
    case 'webm': {
      const sampleRate = options.sampleRate ?? nearestAtOrAbove(OPUS_RATES, from.sampleRate);
      if (!OPUS_RATES.includes(sampleRate)) throw new InputError(`encode: Opus runs at ${OPUS_RATES.join(', ')} Hz, not ${sampleRate}.`);
      const channels = options.channels ?? Math.min(from.channels, 2);
      if (channels > 2) throw new InputError('encode: Opus here encodes mono or stereo; pass { channels: 1 } or { channels: 2 }.');
      return { sampleRate, channels, encoding: 's16le' };
    }
    case 'mp3': {
      const sampleRate = options.sampleRate ?? nearestAtOrAbove(MP3_RATES, from.sampleRate);
      if (!MP3_RATES.includes(sampleRate)) throw new InputError(`encode: MP3 allows ${MP3_RATES.join(', ')} Hz, not ${sampleRate}.`);
      return { sampleRate, channels: Math.min(options.channels ?? from.channels, 2), encoding: 's16le' };
    }
    case 'aac':
      return { sampleRate: options.sampleRate ?? from.sampleRate, channels: Math.min(options.channels ?? from.channels, 2), encoding: 's16le' };
    case 'flac':
      return { sampleRate: options.sampleRate ?? from.sampleRate, channels: options.channels ?? from.channels, encoding: 's16le' };
    case 'wav':
    case 'pcm':
      return {
        sampleRate: options.sampleRate ?? from.sampleRate,
        channels: options.channels ?? from.channels,
        encoding: options.encoding ?? from.encoding,
      };
  }
}

function rawName(format: PcmFormat): string {
  return format.encoding === 's16le' ? 's16le' : 'f32le';
}

/** ffmpeg arguments: raw PCM on stdin → `format` on stdout. */
export function ffmpegEncodeArgs(format: EncodeFormat, from: PcmFormat, out: PcmFormat, bitrate?: number): string[] {
  const output: FfmpegOutputOptions = { sampleRate: out.sampleRate, channels: out.channels };
  const withBitrate = bitrate !== undefined ? { bitrate } : {};
  let spec: FfmpegOutputOptions;
  switch (format) {
    case 'mp3':
      spec = { format: 'mp3', codec: 'libmp3lame', ...withBitrate };
      break;
    case 'aac':
      spec = { format: 'adts', codec: 'aac', ...withBitrate };
      break;
    case 'flac':
      spec = { format: 'flac', codec: 'flac' };
      break;
    case 'ogg-opus':
    case 'opus':
      spec = { format: 'ogg', codec: 'libopus', ...withBitrate };
      break;
    case 'webm':
      spec = { format: 'webm', codec: 'libopus', ...withBitrate };
      break;
    case 'wav':
      spec = { format: 'wav', codec: out.encoding === 's16le' ? 'pcm_s16le' : 'pcm_f32le' };
      break;
    case 'pcm':
      spec = { format: rawName(out), codec: out.encoding === 's16le' ? 'pcm_s16le' : 'pcm_f32le' };
      break;
    case 'mulaw':
      spec = { format: 'mulaw', codec: 'pcm_mulaw' };
      break;
    case 'alaw':
      spec = { format: 'alaw', codec: 'pcm_alaw' };
      break;
  }
  return ffmpegArgs()
    .input('pipe:0', { format: rawName(from), sampleRate: from.sampleRate, channels: from.channels })
    .output('pipe:1', { ...output, ...spec })
    .build();
}

