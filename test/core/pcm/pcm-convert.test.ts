import { describe, expect, it } from 'vitest';
import { downmixToMono, downmixWeights, remixChannels } from '../../../src/core/pcm/pcm-convert.js';

describe('surround down-mix', () => {
  it('5.1 to stereo and mono: centre and surrounds at -3 dB, LFE dropped, rows summing to 1 (no clipping)', () => {
    const w = downmixWeights(6)!;
    const sum = (a: Float32Array) => a.reduce((s, x) => s + x, 0);
    expect(sum(w.left)).toBeCloseTo(1, 6);
    expect(w.left[3]).toBe(0);
    expect(w.left[2]! / w.left[0]!).toBeCloseTo(Math.SQRT1_2, 6);
    expect(w.left[4]! / w.left[0]!).toBeCloseTo(Math.SQRT1_2, 6);
    expect(w.right[5]).toBeCloseTo(w.left[4]!, 6);
    expect(sum(w.mono)).toBeCloseTo(1, 6);
    // Full scale on every channel stays within [-1, 1].
    const frame = new Float32Array(6).fill(1);
    const stereo = new Float32Array(2);
    remixChannels(frame, 6, stereo, 2, 1);
    expect(stereo[0]).toBeCloseTo(1, 6);
    const mono = new Float32Array(1);
    downmixToMono(frame, mono, 6, 1);
    expect(mono[0]).toBeCloseTo(1, 6);
  });

  it('an LFE-only signal vanishes; stereo and unknown layouts keep the plain average', () => {
    const lfe = Float32Array.from([0, 0, 0, 0.8, 0, 0]);
    const out = new Float32Array(2);
    remixChannels(lfe, 6, out, 2, 1);
    expect([...out]).toEqual([0, 0]);
    const m = new Float32Array(1);
    downmixToMono(Float32Array.from([0.2, 0.6]), m, 2, 1);
    expect(m[0]).toBeCloseTo(0.4, 6);
    downmixToMono(Float32Array.from(Array.from({ length: 10 }, () => 0.5)), m, 10, 1);
    expect(m[0]).toBeCloseTo(0.5, 6);
    expect(downmixWeights(2)).toBeUndefined();
    expect(downmixWeights(8)!.left[3]).toBe(0);
  });
});
