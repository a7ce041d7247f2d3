import { describe, expect, it } from 'vitest';
import { RealtimeTurnTracker, realtimeVadEngine, type TurnEvent } from '../../../src/emulator/realtime/realtime-turn-tracker.js';
import { defaultVadEngine } from '../../../src/core/vad/vad-tracker.js';
import type { VadEngine } from '../../../src/core/vad/vad-engine.js';
import { speechPcm } from './realtime-test-client.js';

/** Runs 24 kHz PCM16 through a server-VAD tracker in 20 ms appends; returns its turn events. */
function track(pcm: Int16Array, makeEngine: () => VadEngine): { events: TurnEvent[] } {
  const events: TurnEvent[] = [];
  const detection = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true, idle_timeout_ms: null };
  const tracker = new RealtimeTurnTracker(24000, detection as never, makeEngine, (e) => events.push(e));
  for (let at = 0; at < pcm.length; at += 480) tracker.write(pcm.subarray(at, at + 480));
  return { events };
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const s16 = (b: Buffer) => new Int16Array(b.buffer, b.byteOffset, b.length / 2);

describe('realtimeVadEngine (Silero skipped on digital silence)', () => {
  it('finds the same turns as Silero alone in speech between stretches of zeros and of a noise floor', () => {
    const zeros = new Int16Array(24000 * 3);
    const floor = new Int16Array(24000 * 2);
    let seed = 7;
    for (let i = 0; i < floor.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      floor[i] = ((seed >>> 16) % 41) - 20; // about -64 dBFS of noise: a quiet microphone
    }
    const pcm = concat(zeros, s16(speechPcm('hello there, how are you today', 800)), zeros, floor, s16(speechPcm('one two three four five', 800)), zeros);
    const plain = track(pcm, defaultVadEngine).events;
    const gated = track(pcm, realtimeVadEngine).events;
    expect(plain.filter((e) => e.kind === 'end').length).toBe(2);
    // Same turns; a boundary may move by one Silero frame (32 ms), as Silero did not run over the zeros
    // before a turn (its state differs slightly at the onset).
    expect(gated.map((e) => e.kind)).toEqual(plain.map((e) => e.kind));
    gated.forEach((e, i) => {
      const p = plain[i]!;
      expect(Math.abs(e.startMs - p.startMs)).toBeLessThanOrEqual(32);
      expect(Math.abs(e.speechStartMs - p.speechStartMs)).toBeLessThanOrEqual(32);
      if (e.kind === 'end' && p.kind === 'end') {
        expect(Math.abs(e.speechEndMs - p.speechEndMs)).toBeLessThanOrEqual(32);
        expect(Math.abs(e.atMs - p.atMs)).toBeLessThanOrEqual(32);
      }
    });
  });

  it('answers 0 without running Silero on zeros, and Silero again as soon as there is sound', () => {
    const engine = realtimeVadEngine();
    const zeros = new Float32Array(engine.frameSamples);
    for (let i = 0; i < 100; i++) expect(engine.process(zeros)).toBe(0);
    const tone = new Float32Array(engine.frameSamples).map((_, i) => 0.3 * Math.sin(i / 5));
    // A real engine's probability (Silero's), not the gate's 0/1.
    const p = engine.process(tone);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(1);
    expect(p).not.toBe(0);
  });
});
