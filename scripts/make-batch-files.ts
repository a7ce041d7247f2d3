/**
 * Small audio files for batch tests and the batch benchmark: tone bursts (the emulator's energy detector
 * hears them as speech), silence, and corrupt files (a WAV header over random bytes). Deterministic per index.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeWav } from '../src/codecs/wav/wav-writer.js';
import { seededRandom } from './seeded-random.js';

const RATE = 16_000;

/** A 16 kHz mono WAV: `bursts` tone bursts of 200 ms separated by 150 ms of silence (frequency varies with `seed`). */
export function toneWav(seed: number, bursts = 2): Buffer {
  const burst = Math.round(0.2 * RATE);
  const gap = Math.round(0.15 * RATE);
  const samples = new Int16Array(gap + bursts * (burst + gap));
  const hz = 220 + (seed % 17) * 40;
  let at = gap;
  for (let b = 0; b < bursts; b++) {
    for (let i = 0; i < burst; i++) samples[at + i] = Math.round(9000 * Math.sin((2 * Math.PI * hz * i) / RATE));
    at += burst + gap;
  }
  return encodeWav(new Uint8Array(samples.buffer), { sampleRate: RATE, channels: 1, encoding: 's16le' });
}

/** A WAV of `durationMs` of digital silence. */
export function silentWav(durationMs = 600): Buffer {
  return encodeWav(new Uint8Array(Math.round((durationMs / 1000) * RATE) * 2), { sampleRate: RATE, channels: 1, encoding: 's16le' });
}

/** A file that claims to be WAV (`RIFF…WAVE`) but whose chunks are random bytes: no decoder can read it. */
export function corruptWav(seed: number, byteLength = 4000): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(byteLength);
  for (let i = 0; i < byteLength; i++) out[i] = Math.floor(random() * 256);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(byteLength - 8, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('junk', 12, 'latin1');
  out.writeUInt32LE(0xfffffff0, 16);
  return out;
}

/**
 * Writes `count` tone WAVs (`clip-0001.wav` …) into `dir`, with the files at `corruptAt` (indices) replaced by
 * corrupt ones. Returns the paths in order.
 */
export async function writeBatchFiles(dir: string, count: number, corruptAt: readonly number[] = []): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const width = Math.max(4, String(count).length);
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `clip-${String(i + 1).padStart(width, '0')}.wav`);
    await writeFile(file, corruptAt.includes(i) ? corruptWav(i + 1) : toneWav(i + 1));
    files.push(file);
  }
  return files;
}
