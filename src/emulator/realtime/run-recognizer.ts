import { spawn } from 'node:child_process';
import { f32ToS16, s16ToF32 } from '../../core/pcm/pcm-convert.js';
import { resample } from '../../core/resampler/resampler.js';
import { wavHeader } from '../encode-speech.js';

/** Longest transcript text kept from a recognizer (bounds what a misbehaving command can make us hold). */
const MAX_TRANSCRIPT_CHARS = 20_000;

/**
 * Runs the emulator's local recognizer (argv; reads a 16 kHz mono s16le WAV on stdin, prints the transcript) on
 * mono PCM16 at `sampleRate`, and resolves with its trimmed output.
 * @throws Error when the command cannot start, exits non-zero, or `signal` aborts.
 */
export function runRecognizer(command: readonly string[], samples: Int16Array, sampleRate: number, signal: AbortSignal): Promise<string> {
  let pcm16k = samples;
  if (sampleRate !== 16_000) {
    const f32 = new Float32Array(samples.length);
    s16ToF32(samples, f32);
    const out = resample(f32, { inputRate: sampleRate, outputRate: 16_000, channels: 1 });
    pcm16k = new Int16Array(out.length);
    f32ToS16(out, pcm16k);
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
    child.stdin.write(wavHeader(16_000, pcm16k.byteLength));
    child.stdin.end(Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength));
  });
}
