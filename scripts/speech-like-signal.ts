import type { PcmFormat } from '../src/core/pcm/pcm-format.js';
import { seededRandom } from './seeded-random.js';

/**
 * Deterministic speech-like test audio (s16le in `format`): six harmonics of a pitch wandering around 140 Hz
 * under a 4 Hz syllable envelope, plus a little seeded noise. Used by the Discord tests and bench, which need
 * audio an Opus encoder treats like a voice and whose decodes can be correlated.
 */
export function speechLikeSignal(format: PcmFormat, durationMs: number, seed = 1): Buffer {
  const frames = Math.round((durationMs * format.sampleRate) / 1000);
  const out = Buffer.alloc(frames * format.channels * 2);
  const rand = seededRandom(seed);
  let phase = 0;
  for (let i = 0; i < frames; i++) {
    const t = i / format.sampleRate;
    phase += (2 * Math.PI * (140 + 40 * Math.sin(2 * Math.PI * 0.7 * t + seed))) / format.sampleRate;
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin(h * phase) / h;
    v = (0.35 + 0.3 * Math.sin(2 * Math.PI * 4 * t + seed)) * v * 0.5 + (rand() - 0.5) * 0.01;
    const s = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
    for (let c = 0; c < format.channels; c++) out.writeInt16LE(s, (i * format.channels + c) * 2);
  }
  return out;
}

/** Pearson correlation of two s16le buffers over their common length, at the best lag within ±maxLag samples (step `lagStep`). */
export function pcmCorrelation(a: Buffer, b: Buffer, maxLag = 0, lagStep = 1): { r: number; lag: number } {
  const n = Math.min(a.length, b.length) >> 1;
  let best = { r: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag += lagStep) {
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = Math.max(0, -lag); i < n && i + lag < n; i++) {
      const x = a.readInt16LE(i * 2);
      const y = b.readInt16LE((i + lag) * 2);
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
    const r = saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
    if (r > best.r) best = { r, lag };
  }
  return best;
}
