/**
 * `convert()`: any input decode() reads → any format encode() writes, with resampling and channel mapping on the
 * way. Thin on purpose: decode() and encode() do the work; this only joins them and picks the output layout.
 */
import { InputError } from '../core/errors.js';
import type { PcmEncoding, PcmFormat } from '../core/pcm/pcm-format.js';
import type { ResampleQuality } from '../core/resampler/resampler.js';
import { writeStreamAtomic } from '../api/write-file-atomic.js';
import { decode, type DecodeFrom } from './decode.js';
import { encode, type EncodeFormat, type EncodeStream } from './encode.js';
import type { AudioInput } from './input-source.js';

/** Options of {@link convert}. */
export interface ConvertOptions {
  /** Output format. */
  readonly format: EncodeFormat;
  /** Output rate, Hz. Default: the input's (or the nearest the format allows). */
  readonly sampleRate?: number | undefined;
  /** Output channels (down-mixed or up-mixed). Default: the input's (as the format allows). */
  readonly channels?: number | undefined;
  /** Sample type of `wav` / `pcm` output. Default: the input's. */
  readonly encoding?: PcmEncoding | undefined;
  /** Bits per second of lossy output (mp3, aac, opus, webm). */
  readonly bitrate?: number | undefined;
  /** Layout of raw input (PCM or G.711), or a container hint. */
  readonly from?: DecodeFrom | undefined;
  /** Resampling quality. Default `default`. */
  readonly quality?: ResampleQuality | undefined;
  readonly ffmpegPath?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Converts audio: resolves with the encoded stream once the input's layout is known (at once for raw input with
 * `from`; after the header otherwise). Rate and channel conversion happen in encode().
 * @throws InputError / FormatError for bad options or input that is not audio (the promise rejects).
 */
export async function convert(input: AudioInput, options: ConvertOptions): Promise<EncodeStream> {
  if (options === null || typeof options !== 'object' || typeof options.format !== 'string') throw new InputError("convert: options need { format }, e.g. { format: 'wav' }.", 'TLA_ERR_INPUT_OPTION');
  const common = {
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.quality !== undefined ? { quality: options.quality } : {}),
    ...(options.ffmpegPath !== undefined ? { ffmpegPath: options.ffmpegPath } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const pcm = decode(input, common);
  // Until the layout is known the failure reaches the caller through formatReady; the stream's own 'error'
  // event then has no reader yet and would be an uncaught exception. After that, encode() listens.
  const beforeLayout = (): void => undefined;
  pcm.on('error', beforeLayout);
  let source: PcmFormat;
  try {
    source = await pcm.formatReady;
  } catch (error) {
    pcm.destroy();
    throw error;
  }
  pcm.off('error', beforeLayout);
  // encode() maps rate, channels and sample type on its way in (our resampler, or ffmpeg's for ffmpeg formats).
  return encode(pcm, {
    format: options.format,
    inputFormat: source,
    ...(options.sampleRate !== undefined ? { sampleRate: options.sampleRate } : {}),
    ...(options.channels !== undefined ? { channels: options.channels } : {}),
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.bitrate !== undefined ? { bitrate: options.bitrate } : {}),
    ...(options.ffmpegPath !== undefined ? { ffmpegPath: options.ffmpegPath } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** What {@link convertFile} wrote. */
export interface ConvertFileResult {
  readonly path: string;
  readonly byteLength: number;
  /** The PCM layout encoded. */
  readonly pcmFormat: PcmFormat;
  /** How the bytes were made (`wav`, `ogg-opus`, `ffmpeg:mp3` …). */
  readonly encodePath: string;
}

/** Converts into a file that appears complete or not at all (temp file + rename). */
export async function convertFile(input: AudioInput, outputPath: string, options: ConvertOptions): Promise<ConvertFileResult> {
  const encoded = await convert(input, options);
  const byteLength = await writeStreamAtomic(outputPath, encoded, [], options.signal);
  return { path: outputPath, byteLength, pcmFormat: encoded.pcmFormat, encodePath: encoded.path };
}
