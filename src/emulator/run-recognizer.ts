import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { f32ToS16, s16ToF32 } from '../core/pcm/pcm-convert.js';
import { resample } from '../core/resampler/resampler.js';
import { wavHeader } from './encode-speech.js';

/** Rate of the WAV a recognizer command reads. */
export const RECOGNIZER_SAMPLE_RATE = 16_000;

/** Longest transcript text kept from a recognizer (bounds what a misbehaving command can make us hold). */
const MAX_TRANSCRIPT_CHARS = 20_000;

/** What the recognizer hears: mono PCM16 in memory at any rate, or a byte range of a 16 kHz mono s16le file. */
export type RecognizerAudio =
  | { readonly samples: Int16Array; readonly sampleRate: number }
  | { readonly pcmPath: string; readonly startByte: number; readonly byteLength: number };

/**
 * Runs the emulator's local recognizer (argv; reads a 16 kHz mono s16le WAV on stdin, prints the transcript) and
 * resolves with its trimmed output (at most 20 000 characters). One runner for the HTTP transcription route (a
 * segment of the upload, read from its temp file) and the realtime session (a committed item, in memory).
 * @throws Error when the command cannot start, exits non-zero, or `signal` aborts.
 */
export function runRecognizer(command: readonly string[], audio: RecognizerAudio, signal: AbortSignal): Promise<string> {
  let pcm: Int16Array | undefined;
  if ('samples' in audio) {
    pcm = audio.samples;
    if (audio.sampleRate !== RECOGNIZER_SAMPLE_RATE) {
      const f32 = new Float32Array(pcm.length);
      s16ToF32(pcm, f32);
      const out = resample(f32, { inputRate: audio.sampleRate, outputRate: RECOGNIZER_SAMPLE_RATE, channels: 1 });
      pcm = new Int16Array(out.length);
      f32ToS16(out, pcm);
    }
  }
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], signal });
    let text = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (text.length < MAX_TRANSCRIPT_CHARS) text += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      errText = (errText + d).slice(-2000);
    });
    child.once('error', (error) => reject(new Error(`recognizer failed to start: ${error.message}`)));
    child.once('close', (code) => (code === 0 ? resolve(text.slice(0, MAX_TRANSCRIPT_CHARS).trim()) : reject(new Error(`recognizer exited with code ${code}: ${errText.trim()}`))));
    child.stdin.on('error', () => undefined);
    if (pcm) {
      child.stdin.write(wavHeader(RECOGNIZER_SAMPLE_RATE, pcm.byteLength));
      child.stdin.end(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    } else if ('pcmPath' in audio) {
      const byteLength = audio.byteLength & ~1;
      child.stdin.write(wavHeader(RECOGNIZER_SAMPLE_RATE, byteLength));
      if (byteLength === 0) child.stdin.end();
      else {
        const file = createReadStream(audio.pcmPath, { start: audio.startByte, end: audio.startByte + byteLength - 1 });
        file.on('error', (error) => {
          child.kill();
          reject(new Error(`recognizer input could not be read: ${error.message}`));
        });
        file.pipe(child.stdin);
      }
    }
  });
}
