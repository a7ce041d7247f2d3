import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { createPreGatedVad } from '../../../src/core/vad/pre-gated-vad.js';
import { createSpectralVad } from '../../../src/core/vad/spectral-vad.js';
import type { VadEngine } from '../../../src/core/vad/vad-engine.js';
import { loudnessEngine } from './fake-engine.js';

/** A gate that answers from a script, one probability per frame. */
function scriptedGate(script: number[]): VadEngine {
  let i = 0;
  return { name: 'script', sampleRate: 16000, frameSamples: 160, process: () => script[i++] ?? 0, reset: () => (i = 0) };
}

describe('createPreGatedVad', () => {
  const loud = new Float32Array(160).fill(0.5);

  it('runs the engine only while the gate is open (plus holdMs), keeps its state, answers 0 when closed', () => {
    const engine = loudnessEngine();
    // 10 ms frames, holdMs 20: the gate opens at frame 2 and again at frame 10.
    const vad = createPreGatedVad({ gate: scriptedGate([0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.9, 0, 0, 0]), engine, openThreshold: 0.2, holdMs: 20 });
    const out = Array.from({ length: 14 }, () => vad.process(loud));
    // Open at 2 and the 2 frames after (hold), closed, open at 10 and 2 after.
    expect(out).toEqual([0, 0, 0.9, 0.9, 0.9, 0, 0, 0, 0, 0, 0.9, 0.9, 0.9, 0]);
    expect(engine.frames).toBe(6);
    expect(engine.resets).toBe(0);
    vad.reset();
    expect(engine.resets).toBe(1);
    expect(vad.name).toBe('script>loudness');
  });

  it('refuses engines with different frames, a pre-gate as the engine, and bad options', () => {
    expect(() => createPreGatedVad({ gate: createSpectralVad(), engine: loudnessEngine() })).toThrow(/same frames/);
    expect(() => createPreGatedVad({ engine: createSpectralVad() })).toThrow(InputError);
    expect(() => createPreGatedVad({ gate: scriptedGate([]), engine: loudnessEngine(), holdMs: -1 })).toThrow(/holdMs/);
    expect(() => createPreGatedVad({ gate: scriptedGate([]), engine: loudnessEngine(), openThreshold: 2 })).toThrow(/openThreshold/);
  });

  it('defaults to spectral in front of Silero v5', () => {
    const vad = createPreGatedVad();
    expect(vad.name).toBe('spectral>silero-v5');
    expect(vad.preGateOnly).toBeUndefined();
    expect(vad.process(new Float32Array(512))).toBe(0);
  });
});
