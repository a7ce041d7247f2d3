import { InputError } from '../errors.js';
import { createSileroVad } from './silero-vad.js';
import { createSpectralVad } from './spectral-vad.js';
import type { VadEngine } from './vad-engine.js';

/** Options of {@link createPreGatedVad}. */
export interface PreGatedVadOptions {
  /** The cheap engine run on every frame. Default: `createSpectralVad()`. */
  gate?: VadEngine;
  /** The engine whose probabilities count, run only while the gate is open. Default: `createSileroVad()`. */
  engine?: VadEngine;
  /**
   * Gate probability that opens it. Default 0.02: a pre-gate must let every onset through, so it only
   * stays shut in near-silence (chosen on the VAD corpus: no loss of frame F1, no miss, no false alarm).
   */
  openThreshold?: number;
  /** How long the gate stays open after its last frame at `openThreshold`. Default 5000 ms. */
  holdMs?: number;
}

/**
 * A VAD engine that runs a cheap `gate` on every frame and the real `engine` only while the gate has
 * heard something in the last `holdMs`; closed, it answers 0 without running the engine. The engine
 * keeps its state across a closed stretch (a reset on each opening cost onsets on the corpus). The answer is always the
 * engine's, so the gate can only save CPU in silence, never end or start a turn by itself: this is
 * how an engine marked `preGateOnly` (the spectral one) may be used.
 *
 * @throws InputError (`TLA_ERR_VAD_OPTIONS`) when the two engines differ in rate or frame size, or for bad options.
 */
export function createPreGatedVad(options: PreGatedVadOptions = {}): VadEngine {
  const gate = options.gate ?? createSpectralVad();
  const engine = options.engine ?? createSileroVad();
  if (engine.preGateOnly) throw new InputError(`createPreGatedVad: the engine (${engine.name}) is itself a pre-gate only; pass a real engine such as createSileroVad().`, 'TLA_ERR_VAD_OPTIONS');
  if (gate.sampleRate !== engine.sampleRate || gate.frameSamples !== engine.frameSamples) {
    throw new InputError(
      `createPreGatedVad: the gate (${gate.name}: ${gate.frameSamples} samples at ${gate.sampleRate} Hz) and the engine (${engine.name}: ` +
        `${engine.frameSamples} at ${engine.sampleRate} Hz) must take the same frames.`,
      'TLA_ERR_VAD_OPTIONS',
    );
  }
  const openThreshold = options.openThreshold ?? 0.02;
  const holdMs = options.holdMs ?? 5000;
  if (!(openThreshold >= 0 && openThreshold <= 1)) throw new InputError(`createPreGatedVad: openThreshold ${String(openThreshold)} must be from 0 to 1.`, 'TLA_ERR_VAD_OPTIONS');
  if (!(holdMs >= 0 && Number.isFinite(holdMs))) throw new InputError(`createPreGatedVad: holdMs ${String(holdMs)} must be a finite number of ms >= 0.`, 'TLA_ERR_VAD_OPTIONS');
  const holdFrames = Math.ceil((holdMs * engine.sampleRate) / 1000 / engine.frameSamples);
  let framesLeft = 0;
  return {
    name: `${gate.name}>${engine.name}`,
    sampleRate: engine.sampleRate,
    frameSamples: engine.frameSamples,
    process(frame: Float32Array): number {
      const open = gate.process(frame) >= openThreshold;
      if (open) framesLeft = holdFrames + 1;
      if (framesLeft === 0) return 0;
      framesLeft--;
      return engine.process(frame);
    },
    reset(): void {
      gate.reset();
      engine.reset();
      framesLeft = 0;
    },
  };
}
