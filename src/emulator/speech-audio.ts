import { Readable } from 'node:stream';
import { ffmpegArgs } from '../codecs/ffmpeg-args.js';
import { FfmpegProcess } from '../codecs/ffmpeg-process.js';
import type { SpeechAudioFormat } from './speech-request.js';
import { VoiceSynth } from './voice-synth.js';

/** The API's speech PCM: 24 kHz mono s16le. */
export const SPEECH_SAMPLE_RATE = 24_000;

/** `Content-Type` the emulator answers per speech format (pcm has none declared in the spec; see contract tests). */
export const SPEECH_CONTENT_TYPE: Record<SpeechAudioFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Options of {@link builtinSpeechPcm}. */
export interface SpeechPcmOptions {
  voice: string;
  speed: number;
  /** Samples per pushed chunk (default 100 ms). */
  chunkSamples?: number;
}

/**
 * The built-in synthesizer as a Readable of 24 kHz mono s16le chunks, rendered on demand (pull-driven,
 * so a slow client slows the synthesis). `totalBytes` is known up front.
 */
export function builtinSpeechPcm(text: string, options: SpeechPcmOptions): Readable & { totalBytes: number } {
  const synth = new VoiceSynth(text, { voice: options.voice, speed: options.speed, sampleRate: SPEECH_SAMPLE_RATE });
  const chunkSamples = options.chunkSamples ?? SPEECH_SAMPLE_RATE / 10;
  const stream = new Readable({
    read() {
      // A fresh buffer per chunk: it is handed to the consumer and must not be reused.
      const samples = new Int16Array(Math.min(chunkSamples, synth.remainingSamples));
      const n = samples.length > 0 ? synth.read(samples) : 0;
      if (n === 0) this.push(null);
      else this.push(Buffer.from(samples.buffer, samples.byteOffset, n * 2));
    },
  });
  return Object.assign(stream, { totalBytes: synth.totalSamples * 2 });
}

/** A 44-byte canonical WAV header for mono s16le; `dataBytes` undefined writes the streaming form (sizes 0xFFFFFFFF). */
export function wavHeader(sampleRate: number, dataBytes: number | undefined): Buffer {
  const h = Buffer.alloc(44);
  const unknown = dataBytes === undefined;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(unknown ? 0xffffffff : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(unknown ? 0xffffffff : dataBytes, 40);
  return h;
}

const FFMPEG_OUTPUT: Record<'mp3' | 'aac' | 'flac' | 'opus', { format: string; codec: string; bitrate?: number }> = {
  mp3: { format: 'mp3', codec: 'libmp3lame', bitrate: 64_000 },
  aac: { format: 'adts', codec: 'aac', bitrate: 64_000 },
  flac: { format: 'flac', codec: 'flac' },
  opus: { format: 'ogg', codec: 'libopus', bitrate: 32_000 },
};

/**
 * Encodes a 24 kHz mono s16le PCM stream into a speech response format. pcm passes through; wav
 * gets a header (exact when `totalBytes` is known, streaming otherwise); the compressed formats go
 * through ffmpeg, chunk by chunk. Destroying the result (or aborting `signal`) stops the encoder.
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
  const spec = FFMPEG_OUTPUT[format];
  const args = ffmpegArgs()
    .input('pipe:0', { format: 's16le', sampleRate: SPEECH_SAMPLE_RATE, channels: 1 })
    .output('pipe:1', { format: spec.format, codec: spec.codec, ...(spec.bitrate ? { bitrate: spec.bitrate } : {}), extra: format === 'opus' ? ['-page_duration', '20000'] : ['-flush_packets', '1'] })
    .build();
  const encoder = new FfmpegProcess({ args, ffmpegPath: options.ffmpegPath, signal: options.signal });
  pcm.pipe(encoder);
  pcm.once('error', (error) => encoder.destroy(error));
  encoder.once('close', () => pcm.destroy());
  return encoder;
}
