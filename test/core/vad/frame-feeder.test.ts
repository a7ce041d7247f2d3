import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/core/errors.js';
import { FrameFeeder } from '../../../src/core/vad/frame-feeder.js';
import { Resampler } from '../../../src/core/resampler/resampler.js';
import { bursts } from './fake-engine.js';
import { chunked, toS16 } from './synth-speech.js';

interface Got {
  starts: number[];
  durations: number[];
  sums: number[];
}

function feed(format: { sampleRate: number; channels: number; encoding: 's16le' | 'f32le' }, bytes: Buffer, sizes: number[], frameSamples = 160): Got {
  const got: Got = { starts: [], durations: [], sums: [] };
  const feeder = new FrameFeeder({
    format,
    engineRate: 16000,
    frameSamples,
    onFrame: (frame, startMs, durationMs) => {
      got.starts.push(startMs);
      got.durations.push(durationMs);
      let s = 0;
      for (const x of frame) s += x;
      got.sums.push(s);
    },
    createResampler: (inputRate, outputRate) => new Resampler({ inputRate, outputRate, channels: 1 }),
  });
  for (const c of chunked(bytes, sizes)) feeder.write(c);
  feeder.end();
  return got;
}

describe('FrameFeeder', () => {
  it('cuts 16 kHz mono s16 into engine frames with exact times, the last one zero-padded with its real duration', () => {
    const x = bursts(16000, 1005, [[100, 500]]);
    const got = feed({ sampleRate: 16000, channels: 1, encoding: 's16le' }, toS16(x), [x.length * 2]);
    expect(got.starts.length).toBe(101);
    expect(got.starts.slice(0, 3)).toEqual([0, 10, 20]);
    expect(got.starts.at(-1)).toBe(1000);
    expect(got.durations.at(-1)).toBeCloseTo(5, 9);
  });

  it('any chunking, down to 1 byte, gives identical frames (s16 and f32, mono and stereo, resampled or not)', () => {
    const mono = bursts(48000, 700, [[120, 400]]);
    for (const channels of [1, 2]) {
      for (const encoding of ['s16le', 'f32le'] as const) {
        for (const sampleRate of [16000, 48000, 44100]) {
          const x = sampleRate === 48000 ? mono : bursts(sampleRate, 700, [[120, 400]]);
          const inter = new Float32Array(x.length * channels);
          for (let i = 0; i < x.length; i++) for (let c = 0; c < channels; c++) inter[i * channels + c] = x[i]!;
          const bytes = encoding === 's16le' ? toS16(inter) : Buffer.from(inter.buffer);
          const whole = feed({ sampleRate, channels, encoding }, bytes, [bytes.length]);
          const bits = feed({ sampleRate, channels, encoding }, bytes, [1, 3, 7, 1000, 2, 333]);
          expect(bits).toEqual(whole);
          expect(whole.starts.length).toBe(70);
        }
      }
    }
  });

  it('keeps time aligned through the resampler: a burst lands in the same frames at 16, 44.1 and 48 kHz', () => {
    const frameOf = (rate: number) => {
      const x = bursts(rate, 600, [[200, 300]], 1000);
      const got: number[] = [];
      const feeder = new FrameFeeder({
        format: { sampleRate: rate, channels: 1, encoding: 'f32le' },
        engineRate: 16000,
        frameSamples: 160,
        onFrame: (frame, startMs) => {
          let s = 0;
          for (const v of frame) s += v * v;
          if (s / frame.length > 0.01) got.push(startMs);
        },
        createResampler: (inputRate, outputRate) => new Resampler({ inputRate, outputRate, channels: 1 }),
      });
      feeder.write(Buffer.from(x.buffer));
      feeder.end();
      return got;
    };
    const ref = frameOf(16000);
    expect(ref[0]).toBe(200);
    expect(frameOf(48000)).toEqual(ref);
    expect(frameOf(44100)).toEqual(ref);
  });

  it('sanitizes NaN and infinite samples and removes DC offset', () => {
    const f = new Float32Array(1600).fill(0.5); // a DC offset only
    f[10] = NaN;
    f[20] = Infinity;
    const rms: number[] = [];
    const feeder = new FrameFeeder({
      format: { sampleRate: 16000, channels: 1, encoding: 'f32le' },
      engineRate: 16000,
      frameSamples: 160,
      onFrame: (frame, _s, _d, level) => {
        for (const v of frame) expect(Number.isFinite(v)).toBe(true);
        rms.push(level);
      },
    });
    for (let k = 0; k < 20; k++) feeder.write(Buffer.from(f.buffer));
    feeder.end();
    expect(rms.at(-1)!).toBeLessThan(0.01);
  });

  it('rejects an invalid format and a rate change without a resampler', () => {
    expect(() => new FrameFeeder({ format: { sampleRate: 7000, channels: 1, encoding: 's16le' }, engineRate: 16000, frameSamples: 160, onFrame: () => {} })).toThrow(FormatError);
    expect(() => new FrameFeeder({ format: { sampleRate: 48000, channels: 1, encoding: 's16le' }, engineRate: 16000, frameSamples: 160, onFrame: () => {} })).toThrow(/createResampler/);
  });
});
