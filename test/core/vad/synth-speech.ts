export { seededRandom as rng } from '../../../scripts/seeded-random.js';
import { seededRandom as rng } from '../../../scripts/seeded-random.js';
// Seeded speech-like test signals (no espeak-ng needed): voiced syllables made of a harmonic series with
// a gliding pitch, shaped by formant-like resonances and a syllable-rate envelope, with short noisy
// consonants between them; plus white/pink noise and hum.


function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** Adds `durationMs` of speech-like sound at `startMs` into `out` (16-bit-scale-free floats), peak ~amp. */
export function addSpeech(out: Float32Array, sampleRate: number, startMs: number, durationMs: number, seed: number, amp = 0.3): void {
  const r = rng(seed);
  const start = Math.round((startMs * sampleRate) / 1000);
  const n = Math.round((durationMs * sampleRate) / 1000);
  let pos = 0;
  let phase = 0;
  while (pos < n) {
    const sylLen = Math.round(((140 + r() * 160) * sampleRate) / 1000);
    const f0a = 100 + r() * 120;
    const f0b = f0a * (0.8 + r() * 0.4);
    const f1 = 300 + r() * 500;
    const f2 = 900 + r() * 1500;
    const consonant = r() < 0.4 ? Math.round(((30 + r() * 40) * sampleRate) / 1000) : 0;
    for (let i = 0; i < consonant && pos < n; i++, pos++) {
      const env = Math.sin((Math.PI * i) / consonant);
      out[start + pos] = (out[start + pos] ?? 0) + amp * 0.25 * env * gauss(r);
    }
    for (let i = 0; i < sylLen && pos < n; i++, pos++) {
      const t = i / sylLen;
      const f0 = f0a + (f0b - f0a) * t;
      phase += (2 * Math.PI * f0) / sampleRate;
      let s = 0;
      for (let h = 1; h * f0 < Math.min(4000, sampleRate / 2); h++) {
        const fh = h * f0;
        const g = 1 / (1 + ((fh - f1) / 120) ** 2) + 0.5 / (1 + ((fh - f2) / 200) ** 2) + 0.05;
        s += g * Math.sin(h * phase);
      }
      const env = Math.sin(Math.PI * t) ** 0.5;
      out[start + pos] = (out[start + pos] ?? 0) + amp * 0.35 * env * s;
    }
  }
}

/** Adds white noise of the given RMS. */
export function addWhiteNoise(out: Float32Array, rms: number, seed: number): void {
  const r = rng(seed);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + rms * gauss(r);
}

/** Adds 50/60 Hz hum with harmonics, peak ~amp. */
export function addHum(out: Float32Array, sampleRate: number, hz: number, amp: number): void {
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRate;
    out[i] = out[i]! + amp * (0.6 * Math.sin(2 * Math.PI * hz * t) + 0.3 * Math.sin(4 * Math.PI * hz * t) + 0.1 * Math.sin(6 * Math.PI * hz * t));
  }
}

/** Float samples to s16le bytes. */
export function toS16(samples: Float32Array): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767))), i * 2);
  return b;
}

/** Splits a buffer into chunks of the given sizes (cycled), e.g. [1, 7, 333]. */
export function chunked(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  let k = 0;
  while (o < buf.length) {
    const n = sizes[k++ % sizes.length]!;
    out.push(buf.subarray(o, o + n));
    o += n;
  }
  return out;
}
