import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { createSileroVad } from '../../../src/core/vad/silero-vad.js';

// Reference probabilities were produced once by onnxruntime-node from the original ONNX files
// (scripts/make-silero-reference.ts); this test needs no onnxruntime.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'vad');

interface RateReference {
  audio: string;
  sampleRate: 8000 | 16000;
  samples: number;
  /** The reference streamed the clip this many times back to back, state carried. */
  loops: number;
  v5: number[];
  v6: number[];
}

const reference = JSON.parse(readFileSync(path.join(fixtures, 'silero-reference.json'), 'utf8')) as Record<string, RateReference>;

/** The reference stream: the stored clip repeated `loops` times. */
function loadAudio(entry: RateReference): Float32Array {
  const bytes = readFileSync(path.join(fixtures, entry.audio));
  const clip = bytes.length >> 1;
  const out = new Float32Array(clip * entry.loops);
  for (let i = 0; i < clip; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
  for (let l = 1; l < entry.loops; l++) out.copyWithin(l * clip, 0, clip);
  return out;
}

function run(vad: ReturnType<typeof createSileroVad>, audio: Float32Array, windows: number): number[] {
  const n = vad.frameSamples;
  const out: number[] = [];
  for (let k = 0; k < windows; k++) out.push(vad.process(audio.subarray(k * n, k * n + n)));
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.each(['wasm', 'js'] as const)('createSileroVad (backend %s)', (backend) => {
  for (const rate of ['16000', '8000'] as const) {
    for (const version of ['v5', 'v6'] as const) {
      it(`matches the ONNX reference within 1e-3 over a long stream (${backend}, ${version}, ${rate} Hz)`, () => {
        const entry = reference[rate]!;
        const expected = entry[version];
        const audio = loadAudio(entry);
        const vad = createSileroVad({ sampleRate: entry.sampleRate, version, backend });
        expect(vad.sampleRate).toBe(entry.sampleRate);
        expect(vad.frameSamples).toBe(entry.sampleRate === 16000 ? 512 : 256);
        expect(vad.name).toBe(`silero-${version}`);
        expect(expected.length).toBeGreaterThan(1700); // about 55 s
        const got = run(vad, audio, expected.length);
        expect(maxAbsDiff(got, expected)).toBeLessThan(1e-3);
        // The fixture is varied: both clear speech and clear non-speech are in it.
        expect(expected.filter((p) => p > 0.9).length).toBeGreaterThan(200);
        expect(expected.filter((p) => p < 0.1).length).toBeGreaterThan(200);
      });
    }
  }

  it('carries the context: feeding windows without the previous tail gives other numbers', () => {
    const entry = reference['16000']!;
    const audio = loadAudio(entry);
    const vad = createSileroVad({ backend });
    const fresh = createSileroVad({ backend });
    let maxDiff = 0;
    for (let k = 0; k < 120; k++) {
      const frame = audio.subarray(k * 512, k * 512 + 512);
      const carried = vad.process(frame);
      fresh.reset();
      const alone = fresh.process(frame);
      if (k === 0) expect(alone).toBe(carried);
      maxDiff = Math.max(maxDiff, Math.abs(carried - alone));
    }
    expect(maxDiff).toBeGreaterThan(0.01);
  });

  it('reset() forgets everything: the stream replays identically', () => {
    const entry = reference['8000']!;
    const audio = loadAudio(entry);
    const vad = createSileroVad({ sampleRate: 8000, backend });
    const first = run(vad, audio, 100);
    vad.reset();
    expect(run(vad, audio, 100)).toEqual(first);
  });

  it('instances share weights but not state', () => {
    const entry = reference['16000']!;
    const audio = loadAudio(entry);
    const a = createSileroVad({ backend });
    const b = createSileroVad({ backend });
    const alone = run(createSileroVad({ backend }), audio, 60);
    const silence = new Float32Array(512);
    const interleaved: number[] = [];
    for (let k = 0; k < 60; k++) {
      interleaved.push(a.process(audio.subarray(k * 512, k * 512 + 512)));
      b.process(silence);
    }
    expect(interleaved).toEqual(alone);
  });

  it('reads NaN and Infinity samples as silence instead of poisoning the state', () => {
    const vad = createSileroVad({ backend });
    const bad = new Float32Array(512);
    bad[3] = Number.NaN;
    bad[100] = Number.POSITIVE_INFINITY;
    bad[200] = Number.NEGATIVE_INFINITY;
    const p = vad.process(bad);
    expect(Number.isFinite(p)).toBe(true);
    const q = vad.process(new Float32Array(512));
    expect(q).toBeGreaterThanOrEqual(0);
    expect(q).toBeLessThanOrEqual(1);
    const clean = createSileroVad({ backend });
    expect(p).toBe(clean.process(new Float32Array(512)));
  });

  it('gives a probability in [0, 1] for clipped, DC and full-scale input', () => {
    const vad = createSileroVad({ backend });
    const frame = new Float32Array(512);
    for (const fill of [1, -1, 0.5]) {
      frame.fill(fill);
      const p = vad.process(frame);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  });

  it('rejects frames of the wrong length and unsupported options with InputError', () => {
    const vad = createSileroVad({ backend });
    expect(() => vad.process(new Float32Array(480))).toThrow(InputError);
    expect(() => vad.process(new Float32Array(480))).toThrow(/exactly 512 samples/);
    expect(() => createSileroVad({ sampleRate: 48000 as 16000, backend })).toThrow(/resample/);
    expect(() => createSileroVad({ version: 'v4' as 'v5', backend })).toThrow(InputError);
  });
});

describe('createSileroVad backends', () => {
  it('picks WebAssembly by default and agrees with the TypeScript pass to 1e-5', () => {
    const entry = reference['16000']!;
    const audio = loadAudio(entry);
    const auto = createSileroVad();
    const wasm = createSileroVad({ backend: 'wasm' });
    const js = createSileroVad({ backend: 'js' });
    expect(auto.constructor.name).toBe('SileroVadWasm');
    const a = run(auto, audio, 200);
    expect(run(wasm, audio, 200)).toEqual(a);
    expect(maxAbsDiff(run(js, audio, 200), a)).toBeLessThan(1e-5);
  });

  it('keeps working for streams created before and after another model was loaded', () => {
    const entry = reference['8000']!;
    const audio = loadAudio(entry);
    const before = createSileroVad({ sampleRate: 8000, version: 'v6' });
    const first = run(before, audio, 50);
    createSileroVad({ sampleRate: 16000, version: 'v6' });
    createSileroVad({ sampleRate: 8000, version: 'v5' });
    before.reset();
    expect(run(before, audio, 50)).toEqual(first);
  });

  it('rejects an unknown backend', () => {
    expect(() => createSileroVad({ backend: 'gpu' as 'js' })).toThrow(InputError);
  });
});
