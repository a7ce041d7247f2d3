import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { createSpectralVad } from '../../../src/core/vad/spectral-vad.js';
import { addHum, addSpeech, addWhiteNoise, rng } from './synth-speech.js';

/** Per-frame decisions (p >= 0.5) of a fresh engine over `x`. */
function decide(x: Float32Array, sampleRate: 8000 | 16000 = 16000): boolean[] {
  const e = createSpectralVad({ sampleRate });
  const out: boolean[] = [];
  for (let i = 0; i + e.frameSamples <= x.length; i += e.frameSamples) {
    const p = e.process(x.subarray(i, i + e.frameSamples));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
    out.push(p >= 0.5);
  }
  return out;
}

/** Fraction of frames inside [aMs, bMs) flagged as speech (32 ms frames). */
function share(d: boolean[], aMs: number, bMs: number): number {
  const s = d.slice(Math.ceil(aMs / 32), Math.floor(bMs / 32));
  return s.filter(Boolean).length / s.length;
}

describe('spectral VAD', () => {
  const sr = 16000;
  const clean = () => {
    const x = new Float32Array(sr * 7);
    addSpeech(x, sr, 1000, 1500, 1);
    addSpeech(x, sr, 4000, 1500, 2);
    return x;
  };

  it('flags speech-like sound and not silence', () => {
    const d = decide(clean());
    expect(share(d, 1100, 2400)).toBeGreaterThan(0.9);
    expect(share(d, 0, 950)).toBe(0);
    expect(share(d, 6000, 7000)).toBe(0);
  });

  it('holds up in white noise at about 10 dB SNR where an energy threshold cannot', () => {
    const x = clean();
    addWhiteNoise(x, 0.03, 7);
    const d = decide(x);
    expect(share(d, 1100, 2400)).toBeGreaterThan(0.8);
    expect(share(d, 4100, 5400)).toBeGreaterThan(0.8);
    expect(share(d, 6200, 7000)).toBeLessThan(0.05);
    expect(share(d, 2900, 3800)).toBeLessThan(0.05);
  });

  it('ignores hum, DC offset and a steady tone once it has heard them', () => {
    const x = clean();
    addHum(x, sr, 50, 0.2);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + 0.3 + 0.05 * Math.sin((2 * Math.PI * 1000 * i) / sr);
    const d = decide(x);
    expect(share(d, 200, 950)).toBe(0);
    expect(share(d, 6200, 7000)).toBe(0);
    expect(share(d, 1100, 2400)).toBeGreaterThan(0.8);
  });

  it('does not take noise-only audio for speech', () => {
    const x = new Float32Array(sr * 5);
    addWhiteNoise(x, 0.1, 9);
    const d = decide(x);
    expect(share(d, 500, 5000)).toBeLessThan(0.02);
  });

  it('runs at 8 kHz too, survives NaN/Infinity/clipping and is deterministic after reset()', () => {
    const x = new Float32Array(8000 * 3);
    addSpeech(x, 8000, 1000, 1200, 3);
    const d = decide(x, 8000);
    expect(share(d, 1100, 2100)).toBeGreaterThan(0.8);
    const e = createSpectralVad();
    const f = new Float32Array(e.frameSamples);
    const r = rng(1);
    for (let i = 0; i < f.length; i++) f[i] = i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : (r() - 0.5) * 4;
    const a = e.process(f);
    expect(Number.isFinite(a)).toBe(true);
    e.reset();
    expect(e.process(f)).toBe(a);
    expect(() => createSpectralVad({ sampleRate: 44100 as 16000 })).toThrow(InputError);
    expect(createSpectralVad({ sampleRate: 8000 }).frameSamples).toBe(256);
  });
});
