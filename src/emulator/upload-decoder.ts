import type { Readable } from 'node:stream';
import { ffmpegArgs } from '../codecs/ffmpeg-args.js';
import { FfmpegProcess } from '../codecs/ffmpeg-process.js';

/** Rate the emulator analyses uploads at (mono s16le). */
export const STT_SAMPLE_RATE = 16_000;

/**
 * Decodes an uploaded audio file (any container ffmpeg reads from a pipe) to 16 kHz mono s16le as it
 * arrives. Errors (not audio, truncated) surface as a stream error.
 */
export function decodeUploadToPcm(file: Readable, options: { signal?: AbortSignal; ffmpegPath?: string | undefined } = {}): Readable {
  const args = ffmpegArgs()
    .input('pipe:0')
    .output('pipe:1', { format: 's16le', codec: 'pcm_s16le', sampleRate: STT_SAMPLE_RATE, channels: 1 })
    .build();
  const decoder = new FfmpegProcess({ args, ffmpegPath: options.ffmpegPath, ...(options.signal ? { signal: options.signal } : {}) });
  file.pipe(decoder);
  file.once('error', (error) => decoder.destroy(error));
  return decoder;
}
