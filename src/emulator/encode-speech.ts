import { Readable } from 'node:stream';
import { createWavHeader } from '../codecs/wav/wav-writer.js';
import type { PcmFormat } from '../core/pcm/pcm-format.js';
import { encode } from '../streams/encode.js';
import type { SpeechAudioFormat } from './speech-request.js';

/** The API's speech PCM: 24 kHz mono s16le. */
export const SPEECH_SAMPLE_RATE = 24_000;
const SPEECH_PCM: PcmFormat = { sampleRate: SPEECH_SAMPLE_RATE, channels: 1, encoding: 's16le' };

/** `Content-Type` the emulator answers per speech format (pcm has none declared in the spec; see contract tests). */
export const SPEECH_CONTENT_TYPE: Record<SpeechAudioFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** A WAV header for mono s16le at `sampleRate`; `dataBytes` undefined writes the streaming form (sizes 0xFFFFFFFF). */
export function wavHeader(sampleRate: number, dataBytes: number | undefined): Buffer {
  return createWavHeader({ sampleRate, channels: 1, encoding: 's16le' }, dataBytes);
}

const BITRATE: Partial<Record<SpeechAudioFormat, number>> = { mp3: 64_000, aac: 64_000, opus: 32_000 };

/**
 * Encodes a 24 kHz mono s16le PCM stream into a speech response format. pcm passes through; wav
 * gets a header (exact when `totalBytes` is known, streaming otherwise); the compressed formats go
 * through the toolkit's `encode()` (ffmpeg or in-process), chunk by chunk. Destroying the result (or aborting `signal`) stops the encoder.
 */
export function encodeSpeech(
  pcm: Readable,
  format: SpeechAudioFormat,
  options: { totalBytes?: number | undefined; signal?: AbortSignal; ffmpegPath?: string | undefined } = {},
): Readable {
  if (format === 'pcm') return pcm;
  if (format === 'wav') {
    const header = wavHeader(SPEECH_SAMPLE_RATE, options.totalBytes);
    let headerSent = false;
    const out = new Readable({
      read() {
        if (!headerSent) {
          headerSent = true;
          this.push(header);
        }
        pcm.resume();
      },
      destroy(error, callback) {
        pcm.destroy();
        callback(error);
      },
    });
    pcm.on('data', (chunk: Buffer) => {
      if (!out.push(chunk)) pcm.pause();
    });
    pcm.once('end', () => out.push(null));
    pcm.once('error', (error) => out.destroy(error));
    pcm.pause();
    return out;
  }
  const bitrate = BITRATE[format];
  const encoded = encode(pcm, {
    format,
    inputFormat: SPEECH_PCM,
    ...(bitrate ? { bitrate } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
  });
  pcm.once('error', (error) => encoded.destroy(error));
  encoded.once('close', () => pcm.destroy());
  return encoded;
}
