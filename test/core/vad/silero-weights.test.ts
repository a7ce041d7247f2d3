import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extract } from '../../../scripts/extract-silero-weights.js';
import { createSileroVad } from '../../../src/core/vad/silero-vad.js';
import { loadSileroWeights, SileroWeightsError } from '../../../src/core/vad/silero-weights.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const onnxDir = path.join(root, 'node_modules', '@ricky0123', 'vad-web', 'dist');
const haveOnnx = existsSync(path.join(onnxDir, 'silero_vad_v5.onnx'));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'silero-weights-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadSileroWeights', () => {
  it('loads each branch once and shares it', () => {
    const a = loadSileroWeights('v5', 16000);
    expect(loadSileroWeights('v5', 16000)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a.filterLength).toBe(256);
    expect(a.contextSamples).toBe(64);
    expect(a.windowSamples).toBe(512);
    expect(a.enc0Weight.length).toBe(128 * 129 * 3);
    expect(a.lstmWeight.length).toBe(512 * 256);
    const b = loadSileroWeights('v6', 8000);
    expect(b.filterLength).toBe(128);
    expect(b.contextSamples).toBe(32);
    expect(b.enc0Weight.length).toBe(128 * 65 * 3);
    expect(b.outBias).not.toBe(a.outBias);
  });

  it('ships a periodic Hann analysis window (what the STFT basis of the model was built from)', () => {
    const { stftWindow: w, filterLength: n } = loadSileroWeights('v5', 16000);
    for (let t = 0; t < n; t++) expect(w[t]).toBeCloseTo(0.5 * (1 - Math.cos((2 * Math.PI * t) / n)), 6);
  });
});

describe('weightsDir', () => {
  it('loads a copy of the assets from another folder, and says clearly when the files are not there', () => {
    const copy = path.join(tmp, 'copy');
    mkdirSync(copy);
    for (const f of ['silero-vad-v5.bin', 'silero-vad-v5.json']) copyFileSync(path.join(root, 'assets', 'silero', f), path.join(copy, f));
    const vad = createSileroVad({ weightsDir: copy });
    const ref = createSileroVad();
    const frame = new Float32Array(512).map((_, i) => 0.2 * Math.sin(i / 7));
    expect(vad.process(frame)).toBe(ref.process(frame));
    expect(() => createSileroVad({ weightsDir: path.join(tmp, 'nowhere') })).toThrow(SileroWeightsError);
  });

  it('refuses a damaged weights file', () => {
    const broken = path.join(tmp, 'broken');
    mkdirSync(broken);
    copyFileSync(path.join(root, 'assets', 'silero', 'silero-vad-v6.json'), path.join(broken, 'silero-vad-v6.json'));
    const bin = readFileSync(path.join(root, 'assets', 'silero', 'silero-vad-v6.bin'));
    bin[1000] = bin[1000]! ^ 0xff;
    writeFileSync(path.join(broken, 'silero-vad-v6.bin'), bin);
    expect(() => loadSileroWeights('v6', 16000, broken)).toThrow(/damaged/);
  });
});

describe('scripts/extract-silero-weights', () => {
  it.skipIf(!haveOnnx)('reproduces the committed assets byte for byte from the ONNX files', () => {
    for (const version of ['v5', 'v6']) {
      const r = extract(path.join(onnxDir, `silero_vad_${version}.onnx`), version, tmp);
      const committed = JSON.parse(readFileSync(path.join(root, 'assets', 'silero', `silero-vad-${version}.json`), 'utf8')) as {
        binSha256: string;
      };
      expect(createHash('sha256').update(readFileSync(r.bin)).digest('hex')).toBe(committed.binSha256);
    }
  });

  it.skipIf(!haveOnnx)('refuses a model whose graph is not the Silero v5/v6 shape (the v4 "legacy" file)', () => {
    expect(() => extract(path.join(onnxDir, 'silero_vad_legacy.onnx'), 'v4', tmp)).toThrow(/unexpected Silero graph/);
  });

  it('refuses bytes that are not an ONNX model', () => {
    const bad = path.join(tmp, 'bad.onnx');
    writeFileSync(bad, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(() => extract(bad, 'v5', tmp)).toThrow();
  });
});
