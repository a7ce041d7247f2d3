import type { Readable } from 'node:stream';
import type { PcmFormat } from '../core/pcm/pcm-format.js';
import { decode } from '../streams/decode.js';

/** Rate the emulator analyses uploads at (mono s16le). */
export const STT_SAMPLE_RATE = 16_000;

const STT_FORMAT: PcmFormat = { sampleRate: STT_SAMPLE_RATE, channels: 1, encoding: 's16le' };

/**
 * Decodes an uploaded audio file (any format the toolkit's `decode()` reads: WAV, PCM, Ogg/Opus,
 * WebM/Opus in-process, the rest through ffmpeg) to 16 kHz mono s16le as it arrives. `contentType`
 * (the multipart part's) is only a hint: the bytes are sniffed. Errors (not audio, truncated)
 * surface as a stream error.
 */
export function decodeUploadToPcm(file: Readable, options: { signal?: AbortSignal; ffmpegPath?: string | undefined; contentType?: string | undefined } = {}): Readable {
  return decode(file, {
    to: STT_FORMAT,
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
  });
}
