import { FormatError } from '../errors.js';

/** Sample encodings carried by PCM streams: signed 16-bit or 32-bit float, little-endian, interleaved. */
export type PcmEncoding = 's16le' | 'f32le';

/** An uncompressed, interleaved, little-endian PCM layout. Every PCM stream exposes one as `format`. */
export interface PcmFormat {
  /** Samples per second per channel (integer, 8000..384000). */
  readonly sampleRate: number;
  /** Interleaved channels (1..8). */
  readonly channels: number;
  readonly encoding: PcmEncoding;
}

/** The realtime API's audio: 24 kHz mono s16le (`audio/pcm` rate 24000). */
export const REALTIME_PCM: PcmFormat = Object.freeze({ sampleRate: 24_000, channels: 1, encoding: 's16le' });
/** What Discord sends and plays: 48 kHz stereo s16le in 20 ms frames. */
export const DISCORD_PCM: PcmFormat = Object.freeze({ sampleRate: 48_000, channels: 2, encoding: 's16le' });
/** What speech recognizers and VAD engines want: 16 kHz mono s16le. */
export const STT_PCM: PcmFormat = Object.freeze({ sampleRate: 16_000, channels: 1, encoding: 's16le' });

export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 384_000;
export const MAX_CHANNELS = 8;

/**
 * Checks a format and returns it frozen.
 * @throws FormatError (`TLA_ERR_PCM_FORMAT`) naming the bad field and the accepted range.
 */
export function pcmFormat(format: PcmFormat): PcmFormat {
  assertPcmFormat(format);
  return Object.isFrozen(format) ? format : Object.freeze({ sampleRate: format.sampleRate, channels: format.channels, encoding: format.encoding });
}

/** @throws FormatError when the format cannot describe real PCM. */
export function assertPcmFormat(format: PcmFormat, what = 'PCM format'): void {
  if (format === null || typeof format !== 'object') {
    throw new FormatError(`${what} must be an object like { sampleRate: 24000, channels: 1, encoding: 's16le' }.`, 'TLA_ERR_PCM_FORMAT');
  }
  const { sampleRate, channels, encoding } = format;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new FormatError(
      `${what}: sampleRate ${String(sampleRate)} is not supported; use a whole number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}.`,
      'TLA_ERR_PCM_FORMAT',
    );
  }
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new FormatError(`${what}: channels ${String(channels)} is not supported; use 1 to ${MAX_CHANNELS}.`, 'TLA_ERR_PCM_FORMAT');
  }
  if (encoding !== 's16le' && encoding !== 'f32le') {
    throw new FormatError(`${what}: encoding ${JSON.stringify(encoding)} is unknown; use 's16le' or 'f32le'.`, 'TLA_ERR_PCM_FORMAT');
  }
}

/** True when both formats describe the same byte layout. */
export function samePcmFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sampleRate === b.sampleRate && a.channels === b.channels && a.encoding === b.encoding;
}

/** Bytes in one sample of one channel. */
export function bytesPerSample(encoding: PcmEncoding): number {
  return encoding === 's16le' ? 2 : 4;
}

/** Bytes in one sample frame (one sample for every channel). PCM streams never split a frame. */
export function bytesPerFrame(format: PcmFormat): number {
  return bytesPerSample(format.encoding) * format.channels;
}

/** Sample frames (samples per channel) in `byteLength` bytes, rounded down to whole frames. */
export function bytesToFrames(format: PcmFormat, byteLength: number): number {
  return Math.floor(byteLength / bytesPerFrame(format));
}

/** Bytes taken by `frames` sample frames. */
export function framesToBytes(format: PcmFormat, frames: number): number {
  return frames * bytesPerFrame(format);
}

/** Duration in ms of `byteLength` bytes (whole frames only). */
export function bytesToMs(format: PcmFormat, byteLength: number): number {
  return (bytesToFrames(format, byteLength) * 1000) / format.sampleRate;
}

/** Bytes for `durationMs` of audio, rounded to whole frames (nearest). */
export function msToBytes(format: PcmFormat, durationMs: number): number {
  return framesToBytes(format, msToFrames(format, durationMs));
}

/** Sample frames in `durationMs`, rounded to the nearest frame. */
export function msToFrames(format: PcmFormat, durationMs: number): number {
  return Math.round((durationMs * format.sampleRate) / 1000);
}

/** Duration in ms of `frames` sample frames. */
export function framesToMs(format: PcmFormat, frames: number): number {
  return (frames * 1000) / format.sampleRate;
}

/** A short human label such as `24000 Hz mono s16le`. */
export function describePcmFormat(format: PcmFormat): string {
  const ch = format.channels === 1 ? 'mono' : format.channels === 2 ? 'stereo' : `${format.channels} ch`;
  return `${format.sampleRate} Hz ${ch} ${format.encoding}`;
}
