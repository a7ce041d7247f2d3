import type { AudioInput } from './input-source.js';
import type { DecodeOptions } from './decode/decode-options.js';
import { DecodeStream } from './decode/decode-stream.js';

export type { DecodeFrom, DecodeOptions, DecodePath, G711Layout } from './decode/decode-options.js';
export { DecodeStream } from './decode/decode-stream.js';

/**
 * Decodes audio bytes (a file path, Buffer, Node Readable, web ReadableStream or async iterable) to
 * PCM, choosing the cheapest path by sniffing the first bytes: in-process for WAV, raw PCM, G.711,
 * Ogg/Opus and WebM/Opus; ffmpeg for MP3, AAC, M4A/MP4, FLAC, Vorbis and anything else; then our
 * resampler (or ffmpeg's, on the ffmpeg path) to `to`.
 *
 * A stream gives the same samples as the file it came from: an `fs.ReadStream` is read by ffmpeg as
 * its file; an MP3 from a pipe is cut to the exact length its LAME tag gives (as ffmpeg does for a
 * file); an MP4/M4A whose index comes after its media is copied to a temporary file first (bounded by
 * `spoolLimitBytes`, removed on close), since it cannot be decoded from a pipe.
 *
 * Never reports success for a partial or empty result: all audio decoded before a fault is delivered,
 * then the stream fails.
 *
 * @throws InputError (synchronously) for unusable options or an input that is not bytes.
 * The stream errors (after delivering all audio decoded before the fault) with: FormatError for
 * empty, garbage, truncated, damaged or mislabelled input (codes `TLA_ERR_EMPTY_INPUT`,
 * `TLA_ERR_NOT_AUDIO`, `TLA_ERR_NO_AUDIO` (non-empty input, no audio decoded), `TLA_ERR_TRUNCATED`,
 * `TLA_ERR_DECODE_DAMAGED` (bad Ogg CRCs, undecodable packets, errors ffmpeg reported while exiting 0),
 * `TLA_ERR_WAV_*`, `TLA_ERR_PCM_LAYOUT_UNKNOWN`, `TLA_ERR_NEEDS_FFMPEG`); InputError
 * `TLA_ERR_SPOOL_LIMIT` when an input that must be spooled is too big; FfmpegNotFoundError when
 * `ffmpegPath` is wrong; FfmpegError when ffmpeg fails or is killed; InputError when a file cannot be read.
 */
export function decode(input: AudioInput, options: DecodeOptions = {}): DecodeStream {
  return new DecodeStream(input, options);
}
