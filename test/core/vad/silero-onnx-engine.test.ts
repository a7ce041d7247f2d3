import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { createOnnxVad } from '../../../src/core/vad/onnx-engine.js';

// The optional onnxruntime-node backend. onnxruntime-node is a devDependency, but the main accuracy test of the
// in-process engine (silero-vad.test.ts) never needs it; here the runtime part is skipped when it cannot load.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'vad');
const reference = JSON.parse(readFileSync(path.join(fixtures, 'silero-reference.json'), 'utf8')) as Record<
  string,
  { audio: string; sampleRate: 8000 | 16000; loops: number; v5: number[]; v6: number[] }
>;

let ortLoads = true;
try {
  await import('onnxruntime-node');
} catch {
  ortLoads = false;
}

describe('createOnnxVad', () => {
  it('rejects unsupported rates and missing model files with InputError', async () => {
    await expect(createOnnxVad({ sampleRate: 44100 as 16000 })).rejects.toThrow(InputError);
    await expect(createOnnxVad({ modelPath: path.join(fixtures, 'no-such-model.onnx') })).rejects.toThrow(/not found/);
  });

  it.skipIf(!ortLoads)('reproduces the reference probabilities with state and context carried (v5 16 kHz, v6 8 kHz)', async () => {
    for (const [rate, version] of [
      ['16000', 'v5'],
      ['8000', 'v6'],
    ] as const) {
      const entry = reference[rate]!;
      const bytes = readFileSync(path.join(fixtures, entry.audio));
      const clip = bytes.length >> 1;
      const audio = new Float32Array(clip * entry.loops);
      for (let i = 0; i < clip; i++) audio[i] = bytes.readInt16LE(i * 2) / 32768;
      for (let l = 1; l < entry.loops; l++) audio.copyWithin(l * clip, 0, clip);
      const vad = await createOnnxVad({ sampleRate: entry.sampleRate, version });
      expect(vad.frameSamples).toBe(entry.sampleRate === 16000 ? 512 : 256);
      const n = vad.frameSamples;
      let maxDiff = 0;
      for (let k = 0; k < entry[version].length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(vad.process(audio.subarray(k * n, k * n + n)) - entry[version][k]!));
      }
      expect(maxDiff).toBeLessThan(1e-5);
      vad.reset();
      expect(Math.abs(vad.process(audio.subarray(0, n)) - entry[version][0]!)).toBeLessThan(1e-5);
      expect(() => vad.process(new Float32Array(n + 1))).toThrow(InputError);
    }
  });
});
