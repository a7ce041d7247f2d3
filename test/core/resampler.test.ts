import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../src/core/errors.js';
import { designMinimaxLowpass, firGain, minimaxDesignRuns } from '../../src/core/resampler/filter-design.js';
import { resamplerDesignCache } from '../../src/core/resampler/filter-design-cache.js';
import { Resampler, resample, type ResampleQuality } from '../../src/core/resampler/resampler.js';
import { seededRandom as rng } from '../../scripts/seeded-random.js';

const COMMON = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];

function tone(rate: number, hz: number, frames: number, channels = 1, amplitude = 0.5): Float32Array {
  const x = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
    for (let c = 0; c < channels; c++) x[i * channels + c] = v;
  }
  return x;
}

function noise(frames: number, channels: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(frames * channels);
  for (let i = 0; i < x.length; i++) x[i] = r() * 1.6 - 0.8;
  return x;
}

/** Runs `input` through a fresh resampler in the given chunk sizes (frames), then flushes. */
function runChunked(options: ConstructorParameters<typeof Resampler>[0], input: Float32Array, sizes: (i: number) => number): Float32Array {
  const r = new Resampler(options);
  const ch = options.channels;
  const total = input.length / ch;
  const parts: Float32Array[] = [];
  for (let pos = 0, i = 0; pos < total; i++) {
    const n = Math.min(sizes(i), total - pos);
    parts.push(r.process(input.subarray(pos * ch, (pos + n) * ch)).slice());
    pos += n;
  }
  parts.push(r.flush().slice());
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Amplitude of `hz` in `x` (Goertzel-style projection over whole cycles of the window). */
function amplitudeAt(x: Float32Array, rate: number, hz: number, from: number, to: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i - from)) / (to - from)); // Hann
    re += x[i]! * w * Math.cos((2 * Math.PI * hz * i) / rate);
    im += x[i]! * w * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / ((to - from) * 0.5);
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

describe('Resampler', () => {
  it('reduces ratios exactly and reports them', () => {
    const r = new Resampler({ inputRate: 44100, outputRate: 16000, channels: 1 });
    expect(r.interpolation).toBe(160);
    expect(r.decimation).toBe(441);
    expect(r.passthrough).toBe(false);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.latencyMs).toBeLessThan(10);
  });

  it.each([
    [{ inputRate: 44100.5, outputRate: 16000, channels: 1 }, FormatError],
    [{ inputRate: 7999, outputRate: 16000, channels: 1 }, FormatError],
    [{ inputRate: 48000, outputRate: 384001, channels: 1 }, FormatError],
    [{ inputRate: 48000, outputRate: 24000, channels: 0 }, FormatError],
    [{ inputRate: 48000, outputRate: 24000, channels: 9 }, FormatError],
    [{ inputRate: 48000, outputRate: 24000, channels: 2, outputChannels: 1.5 }, FormatError],
    [{ inputRate: 48000, outputRate: 24000, channels: 1, quality: 'best' as ResampleQuality }, InputError],
  ])('rejects bad options %j', (options, type) => {
    expect(() => new Resampler(options)).toThrow(type);
  });

  it('rejects input that is not whole float frames', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 24000, channels: 2 });
    expect(() => r.process(new Float32Array(3))).toThrow(InputError);
    expect(() => r.process(new Uint16Array(4) as unknown as Float32Array)).toThrow(InputError);
    expect(() => r.process(new Float32Array(4), 3)).toThrow(InputError);
    expect(() => r.process(new Float32Array(4), -1)).toThrow(/whole number/);
    expect(r.process(new Float32Array(4), 1).length).toBeLessThanOrEqual(2);
  });

  it('passes equal rates and channels through without copying', () => {
    const r = new Resampler({ inputRate: 24000, outputRate: 24000, channels: 1 });
    expect(r.passthrough).toBe(true);
    expect(r.latencyMs).toBe(0);
    const x = tone(24000, 440, 480);
    expect(r.process(x)).toBe(x);
    expect(r.flush().length).toBe(0);
    expect(resample(x, { inputRate: 24000, outputRate: 24000, channels: 1 })).toEqual(x);
  });

  it('only remixes channels when the rates are equal', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 48000, channels: 2, outputChannels: 1 });
    expect(r.passthrough).toBe(false);
    const y = r.process(new Float32Array([1, 0, 0.5, 0.5, NaN, 0]));
    expect(Array.from(y)).toEqual([0.5, 0.5, 0]);
  });

  it.each(['low-latency', 'default', 'high'] as const)('gives exactly round(n * out / in) frames for every common pair (%s)', (quality) => {
    for (const inputRate of COMMON) {
      for (const outputRate of COMMON) {
        const frames = 1000 + (inputRate % 7);
        const y = resample(new Float32Array(frames), { inputRate, outputRate, channels: 1, quality });
        expect(y.length, `${inputRate} -> ${outputRate}`).toBe(Math.round((frames * outputRate) / inputRate));
      }
    }
  });

  it('handles short signals and empty input', () => {
    for (const n of [0, 1, 2, 3, 7]) {
      const y = resample(new Float32Array(n * 2).fill(0.25), { inputRate: 8000, outputRate: 44100, channels: 2 });
      expect(y.length).toBe(Math.round((n * 44100) / 8000) * 2);
      for (const v of y) expect(Number.isFinite(v)).toBe(true);
    }
    const r = new Resampler({ inputRate: 48000, outputRate: 16000, channels: 1 });
    expect(r.process(new Float32Array(0)).length).toBe(0);
    expect(r.flush().length).toBe(0);
  });

  it.each([
    [48000, 24000, 2, 1],
    [24000, 48000, 1, 2],
    [44100, 16000, 1, 1],
    [16000, 24000, 1, 1],
    [8000, 24000, 1, 1],
    [22050, 96000, 2, 2],
    [96000, 11025, 1, 1],
    [11025, 8000, 3, 2],
  ])('is bit-identical for any chunking: %i Hz x%i -> %i Hz', (inputRate, outputRate, channels, outputChannels) => {
    const options = { inputRate, outputRate, channels, outputChannels };
    const frames = Math.round(inputRate * 0.35);
    const x = noise(frames, channels, inputRate + outputRate);
    const whole = runChunked(options, x, () => frames);
    expect(whole.length).toBe(Math.round((frames * outputRate) / inputRate) * outputChannels);
    const r = rng(7);
    const chunkings: ((i: number) => number)[] = [
      () => Math.round(inputRate / 100), // 10 ms
      () => Math.round(inputRate / 50), // 20 ms
      () => 1,
      () => 1 + Math.floor(r() * 700),
      (i) => (i % 3 === 0 ? 0 : 1 + Math.floor(r() * 50)),
    ];
    for (const sizes of chunkings) {
      const y = runChunked(options, x, sizes);
      expect(y.length).toBe(whole.length);
      // Byte equality: bit-identical, not merely close.
      expect(Buffer.from(y.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    }
  });

  it('gives bit-identical output from the WebAssembly kernel and the JS fallback', () => {
    for (const [inputRate, outputRate, channels, outputChannels] of [
      [48000, 24000, 2, 1],
      [24000, 48000, 1, 2],
      [44100, 16000, 1, 1],
      [16000, 24000, 2, 2],
      // Row gaps of 4, 2 and 1 samples take the kernel's shared-load triples.
      [32000, 24000, 1, 1],
      [8000, 11025, 1, 1],
      [8001, 9007, 1, 1],
      [8000, 48000, 2, 2],
    ] as const) {
      const options = { inputRate, outputRate, channels, outputChannels };
      const x = noise(Math.round(inputRate * 0.1), channels, 21);
      const wasm = new Resampler(options);
      const js = new Resampler(options, false);
      expect(wasm.simd).toBe(true);
      expect(js.simd).toBe(false);
      const a = Float32Array.from([...wasm.process(x), ...wasm.flush()]);
      const b = Float32Array.from([...js.process(x), ...js.flush()]);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${inputRate} -> ${outputRate}`).toBe(true);
    }
  });

  it('mixes and sanitises input identically in WebAssembly and JS (NaN, Infinity, tiny values)', () => {
    const specials = [NaN, Infinity, -Infinity, 1e-45, -1e-45, 1.5, -0];
    for (const [channels, outputChannels] of [
      [2, 1],
      [1, 1],
      [1, 2],
      [2, 2],
      [3, 2],
      [1, 3],
    ] as const) {
      const options = { inputRate: 24000, outputRate: 16000, channels, outputChannels };
      const x = noise(2400, channels, 5);
      for (let i = 0; i < x.length; i += 7) x[i] = specials[(i / 7) % specials.length]!;
      const runAll = (r: Resampler): Float32Array => {
        // 20 ms chunks through process() and odd chunks through processInto(): both paths.
        const parts: number[] = [];
        for (let p = 0; p < 1200; p += 480) parts.push(...r.process(x.subarray(p * channels, Math.min(p + 480, 1200) * channels)));
        const out = new Float32Array(r.maxOutputFrames(97) * outputChannels);
        for (let p = 1200; p < 2400; p += 97) {
          const n = Math.min(97, 2400 - p);
          const w = r.processInto(x.subarray(p * channels, (p + n) * channels), n, out);
          parts.push(...out.subarray(0, w * outputChannels));
        }
        parts.push(...r.flush());
        return Float32Array.from(parts);
      };
      const a = runAll(new Resampler(options));
      const b = runAll(new Resampler(options, false));
      // Without a down-mix: the same as feeding the sanitised signal (NaN -> 0, +-Infinity -> +-1).
      const clean = x.map((v) => (Number.isNaN(v) ? 0 : v === Infinity ? 1 : v === -Infinity ? -1 : v));
      const ref = ((): Float32Array => {
        const saved = x.slice();
        x.set(clean);
        const y = runAll(new Resampler(options));
        x.set(saved);
        return y;
      })();
      // (A down-mix is sanitised after mixing, so there only the two backends are compared.)
      if (channels <= outputChannels) {
        expect(Buffer.from(a.buffer).equals(Buffer.from(ref.buffer)), `${channels} -> ${outputChannels} vs sanitised`).toBe(true);
      }
      for (const v of a) expect(Number.isFinite(v)).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${channels} -> ${outputChannels}`).toBe(true);
    }
  });

  it('resets to the same state after flush and reset', () => {
    const options = { inputRate: 44100, outputRate: 48000, channels: 1 };
    const x = noise(5000, 1, 3);
    const r = new Resampler(options);
    const a = Float32Array.from([...r.process(x), ...r.flush()]);
    const b = Float32Array.from([...r.process(x), ...r.flush()]);
    r.process(noise(777, 1, 4));
    r.reset();
    const c = Float32Array.from([...r.process(x), ...r.flush()]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it.each(['low-latency', 'default', 'high'] as const)('keeps a 1 kHz tone at its frequency, level and time (%s)', (quality) => {
    for (const [inputRate, outputRate] of [
      [48000, 24000],
      [24000, 48000],
      [44100, 16000],
      [16000, 24000],
      [8000, 24000],
      [8000, 11025],
    ] as const) {
      const x = tone(inputRate, 1000, inputRate / 2);
      const y = resample(x, { inputRate, outputRate, channels: 1, quality });
      const ref = tone(outputRate, 1000, y.length);
      // Time-aligned: compare sample by sample away from the edges.
      const from = Math.round(outputRate * 0.05);
      const to = y.length - from;
      let err = 0;
      let sig = 0;
      for (let i = from; i < to; i++) {
        err += (y[i]! - ref[i]!) ** 2;
        sig += ref[i]! ** 2;
      }
      const snrDb = 10 * Math.log10(sig / err);
      expect(snrDb, `${inputRate} -> ${outputRate}`).toBeGreaterThan(quality === 'low-latency' ? 80 : 100);
      expect(amplitudeAt(y, outputRate, 1000, from, to)).toBeCloseTo(0.5, 3);
    }
  });

  it.each([
    ['default', 48000, 24000, 100],
    ['default', 44100, 16000, 100],
    ['high', 48000, 24000, 115],
    ['low-latency', 48000, 24000, 80],
  ] as const)('rejects tones that would alias (%s, %i -> %i)', (quality, inputRate, outputRate, minDb) => {
    const lowNyquist = Math.min(inputRate, outputRate) / 2;
    const r = new Resampler({ inputRate, outputRate, channels: 1, quality });
    // Low-latency protects what would alias into its passband; the others everything above Nyquist.
    const start = quality === 'low-latency' ? lowNyquist + lowNyquist * 0.3 : lowNyquist * 1.02;
    for (const hz of [start, lowNyquist * 1.4, Math.min(inputRate / 2 - 500, lowNyquist * 1.9)]) {
      const y = resample(tone(inputRate, hz, inputRate / 4), { inputRate, outputRate, channels: 1, quality });
      const level = rms(y, Math.round(outputRate * 0.03), y.length - Math.round(outputRate * 0.03)) / (0.5 / Math.SQRT2);
      expect(20 * Math.log10(level + 1e-30), `${hz} Hz`).toBeLessThan(-minDb);
    }
    expect(r.latencyMs).toBeLessThan(quality === 'low-latency' ? 1.0001 : 10);
  });

  it('rejects images when upsampling', () => {
    // 8k -> 24k: a 3 kHz tone must not leave images at 5 kHz, 11 kHz, ...
    const y = resample(tone(8000, 3000, 4000), { inputRate: 8000, outputRate: 24000, channels: 1 });
    const from = 1200;
    const to = y.length - 1200;
    expect(amplitudeAt(y, 24000, 3000, from, to)).toBeCloseTo(0.5, 3);
    for (const image of [5000, 11000, 13000]) expect(amplitudeAt(y, 24000, image, from, to)).toBeLessThan(0.5 * 1e-5);
  });

  it('keeps the passband flat to 0.45 of the lower rate', () => {
    for (const [inputRate, outputRate] of [
      [48000, 24000],
      [16000, 24000],
    ] as const) {
      const edge = 0.45 * Math.min(inputRate, outputRate);
      for (const hz of [100, edge * 0.5, edge * 0.9, edge]) {
        const y = resample(tone(inputRate, hz, inputRate / 2), { inputRate, outputRate, channels: 1 });
        const a = amplitudeAt(y, outputRate, hz, 2000, y.length - 2000);
        expect(Math.abs(20 * Math.log10(a / 0.5)), `${hz} Hz`).toBeLessThan(0.1);
      }
    }
  });

  it('down-mixes before filtering and up-mixes after', () => {
    const frames = 4800;
    const stereo = new Float32Array(frames * 2);
    const l = tone(48000, 1000, frames, 1, 0.4);
    for (let i = 0; i < frames; i++) {
      stereo[2 * i] = l[i]!;
      stereo[2 * i + 1] = -l[i]! * 0.5; // L + R = 0.5 L
    }
    const mono = resample(stereo, { inputRate: 48000, outputRate: 24000, channels: 2, outputChannels: 1 });
    const direct = resample(Float32Array.from(l, (v) => v * 0.25), { inputRate: 48000, outputRate: 24000, channels: 1 });
    expect(mono.length).toBe(direct.length);
    for (let i = 0; i < mono.length; i++) expect(mono[i]).toBeCloseTo(direct[i]!, 6);

    const up = resample(l, { inputRate: 48000, outputRate: 24000, channels: 1, outputChannels: 2 });
    const ref = resample(l, { inputRate: 48000, outputRate: 24000, channels: 1 });
    expect(up.length).toBe(ref.length * 2);
    for (let i = 0; i < ref.length; i++) {
      expect(up[2 * i]).toBe(ref[i]);
      expect(up[2 * i + 1]).toBe(ref[i]);
    }
  });

  it('never outputs NaN for NaN or Infinity input', () => {
    const x = tone(16000, 500, 1600);
    x[100] = NaN;
    x[200] = Infinity;
    x[300] = -Infinity;
    for (const quality of ['low-latency', 'default', 'high'] as const) {
      const y = resample(x, { inputRate: 16000, outputRate: 48000, channels: 1, quality });
      for (const v of y) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('sizes output with maxOutputFrames and writes into a caller buffer', () => {
    const r = new Resampler({ inputRate: 44100, outputRate: 48000, channels: 2 });
    const x = noise(441, 2, 9);
    const out = new Float32Array(r.maxOutputFrames(441) * 2);
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const n = r.processInto(x, 441, out);
      expect(n).toBeLessThanOrEqual(r.maxOutputFrames(441));
      total += n;
    }
    total += r.flush().length / 2;
    expect(total).toBe(Math.round((441 * 20 * 48000) / 44100));
    expect(() => r.processInto(x, 441, new Float32Array(10))).toThrow(InputError);
  });

  it('converts between unusual integer rates exactly', () => {
    for (const [inputRate, outputRate] of [
      [8001, 9007],
      [384000, 8000],
      [8000, 384000],
      [37800, 44100],
    ] as const) {
      const frames = 3000;
      const y = resample(tone(inputRate, 1000, frames), { inputRate, outputRate, channels: 1 });
      expect(y.length).toBe(Math.round((frames * outputRate) / inputRate));
      expect(amplitudeAt(y, outputRate, 1000, Math.floor(y.length / 4), Math.floor((3 * y.length) / 4))).toBeCloseTo(0.5, 2);
    }
  });
});

describe('designMinimaxLowpass', () => {
  it('meets its passband and stopband deviations on a dense grid', () => {
    for (const [taps, passband, stopband] of [
      [207, 0.225, 0.25],
      [311, 0.15, 1 / 6],
      [79, 0.2, 0.3],
    ] as const) {
      const stopRipple = 10 ** (-111.5 / 20);
      const d = designMinimaxLowpass({ taps, passband, stopband, weight: 0.0035 / stopRipple, flatband: passband * 0.8, flatWeight: 500 });
      expect(d.converged).toBe(true);
      let pass = 0;
      let flat = 0;
      let stop = 0;
      for (let i = 0; i <= 1000; i++) {
        const f = (passband * i) / 1000;
        const e = Math.abs(firGain(d.h, f) - 1);
        pass = Math.max(pass, e);
        if (f <= passband * 0.8) flat = Math.max(flat, e);
      }
      for (let i = 0; i <= 3000; i++) stop = Math.max(stop, firGain(d.h, stopband + ((0.5 - stopband) * i) / 3000));
      // The exchange's own deviation is what the dense grid sees (to within 5 % between grid points; the flat band's
      // error rises between its last grid point and the weight step, so 1.5x there).
      expect(pass).toBeLessThan(d.passDeviation * 1.05);
      expect(flat).toBeLessThan((d.passDeviation / 500) * 1.5);
      expect(stop).toBeLessThan(d.stopDeviation * 1.05);
      expect(d.h[0]).toBeCloseTo(d.h[taps - 1]!, 15);
    }
  });
});

describe('shipped filter tables', () => {
  const qualities: ResampleQuality[] = ['default', 'high', 'low-latency'];

  it('serves every pair of the common rates without a Remez exchange', () => {
    resamplerDesignCache.clear();
    const before = minimaxDesignRuns();
    for (const quality of qualities) {
      for (const inputRate of COMMON) {
        for (const outputRate of COMMON) {
          if (inputRate !== outputRate) new Resampler({ inputRate, outputRate, channels: 2, outputChannels: 1, quality });
        }
      }
    }
    expect(minimaxDesignRuns() - before).toBe(0);
    // The equiripple prototypes really are in use (not the Kaiser fallback) for the default preset.
    expect([...resamplerDesignCache.prototypes().values()].filter((h) => h !== null).length).toBeGreaterThan(5);
    // An uncommon ratio is designed at run time, once.
    const odd = { inputRate: 8000, outputRate: 10000, channels: 1 };
    const runs = minimaxDesignRuns();
    new Resampler(odd);
    expect(minimaxDesignRuns()).toBeGreaterThan(runs);
    const again = minimaxDesignRuns();
    new Resampler(odd);
    expect(minimaxDesignRuns()).toBe(again);
  });

  it('gives output bit-identical to a filter designed at run time', () => {
    const pairs: [number, number][] = [[48000, 24000], [16000, 24000], [24000, 16000], [8000, 24000], [44100, 48000], [32000, 24000]];
    const input = noise(3000, 1, 7);
    const run = (inputRate: number, outputRate: number): Float32Array => resample(input.subarray(0, Math.floor(inputRate / 16)), { inputRate, outputRate, channels: 1 });
    for (const [inputRate, outputRate] of pairs) {
      resamplerDesignCache.clear();
      const shipped = run(inputRate, outputRate);
      resamplerDesignCache.useShippedTables = false;
      resamplerDesignCache.clear();
      const runs = minimaxDesignRuns();
      let fresh: Float32Array;
      try {
        fresh = run(inputRate, outputRate);
      } finally {
        resamplerDesignCache.useShippedTables = true;
        resamplerDesignCache.clear();
      }
      if (inputRate !== 44100) expect(minimaxDesignRuns(), `${inputRate} -> ${outputRate} designs at run time`).toBeGreaterThan(runs);
      expect(fresh.length).toBe(shipped.length);
      expect(Buffer.from(fresh.buffer).equals(Buffer.from(shipped.buffer)), `${inputRate} -> ${outputRate}`).toBe(true);
    }
  });

  it('reuses a cached polyphase table for a second resampler of the same conversion', () => {
    const input = noise(4410, 2, 3);
    const a = resample(input, { inputRate: 44100, outputRate: 16000, channels: 2 });
    const b = resample(input, { inputRate: 44100, outputRate: 16000, channels: 2 });
    expect(b).toEqual(a);
  });
});

describe('Resampler with s16 (Int16Array) in and out', () => {
  /** Seeded s16 noise with full-scale samples sprinkled in, so that filter overshoot reaches the clip. */
  function s16Noise(frames: number, channels: number, seed: number): Int16Array {
    const r = rng(seed);
    const x = new Int16Array(frames * channels);
    for (let i = 0; i < x.length; i++) x[i] = i % 97 === 0 ? 32767 : i % 89 === 0 ? -32768 : Math.round((r() - 0.5) * 40000);
    return x;
  }

  /** What the float path gives for the same samples: f32ToS16(process(s16ToF32(x))) + the flushed tail, as pcm-convert rounds. */
  function viaFloat(x: Int16Array, options: ConstructorParameters<typeof Resampler>[0], useWasm: boolean): number[] {
    const r = new Resampler(options, useWasm);
    const y = [...r.process(Float32Array.from(x, (v) => v / 32768)), ...r.flush()];
    return y.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) | 0); // | 0: an Int16Array holds no -0
  }

  const layouts = [
    [48000, 2, 24000, 1],
    [24000, 1, 48000, 2],
    [44100, 1, 16000, 1],
    [16000, 1, 24000, 1],
    [8000, 1, 24000, 1],
    [48000, 2, 16000, 2],
    [16000, 3, 48000, 1],
    [24000, 2, 24000, 1],
    [8000, 1, 48000, 6],
  ] as const;

  for (const useWasm of [true, false]) {
    for (const [inputRate, channels, outputRate, outputChannels] of layouts) {
      it(`${inputRate}/${channels} -> ${outputRate}/${outputChannels} equals the float path rounded, for any chunking (${useWasm ? 'wasm' : 'JS'})`, () => {
        const options = { inputRate, outputRate, channels, outputChannels };
        const frames = Math.round(inputRate * 0.3);
        const x = s16Noise(frames, channels, inputRate + channels);
        const expected = viaFloat(x, options, useWasm);
        const r = new Resampler(options, useWasm);
        const got: number[] = [];
        const sizes = [1, 7, 320, 960, 3, 4410];
        for (let p = 0, k = 0; p < frames; k++) {
          const n = Math.min(frames - p, sizes[k % sizes.length]!);
          const y = r.process(x.subarray(p * channels, (p + n) * channels));
          expect(y).toBeInstanceOf(Int16Array);
          got.push(...y);
          p += n;
        }
        got.push(...r.flushS16());
        expect(got.length).toBe(Math.round((frames * outputRate) / inputRate) * outputChannels);
        expect(got).toEqual(expected);
      });
    }
  }

  it('processInto writes s16 into the caller array and checks its size and type', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 24000, channels: 2, outputChannels: 1 });
    const x = s16Noise(960, 2, 5);
    const out = new Int16Array(r.maxOutputFrames(960));
    const n = r.processInto(x, 960, out);
    const again = new Resampler({ inputRate: 48000, outputRate: 24000, channels: 2, outputChannels: 1 }).process(x);
    expect(Array.from(out.subarray(0, n))).toEqual(Array.from(again));
    expect(() => r.processInto(x, 960, new Int16Array(10))).toThrow(InputError);
    expect(() => r.processInto(x, 960, new Float32Array(1000) as unknown as Int16Array)).toThrow(/s16 in and out/);
    expect(() => r.processInto(x, 960, new Int16Array(10))).toThrow(expect.objectContaining({ code: 'TLA_ERR_RESAMPLER_INPUT' }));
  });

  it('passes s16 through untouched when nothing changes', () => {
    const r = new Resampler({ inputRate: 16000, outputRate: 16000, channels: 1 });
    const x = s16Noise(100, 1, 9);
    expect(r.process(x)).toBe(x);
  });
});
