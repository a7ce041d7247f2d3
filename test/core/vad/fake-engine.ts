import type { VadEngine } from '../../../src/core/vad/vad-engine.js';

/** A scripted engine for tests: probability 0.9 when the frame's RMS exceeds `rms`, else 0.05. Counts frames. */
export function loudnessEngine(rms = 0.05, sampleRate = 16000, frameSamples = 160): VadEngine & { frames: number; resets: number } {
  return {
    name: 'loudness',
    sampleRate,
    frameSamples,
    frames: 0,
    resets: 0,
    process(frame: Float32Array): number {
      this.frames++;
      let s = 0;
      for (let i = 0; i < frame.length; i++) s += frame[i]! * frame[i]!;
      return Math.sqrt(s / frame.length) > rms ? 0.9 : 0.05;
    },
    reset() {
      this.resets++;
    },
  };
}

/** A buffer of `durationMs` mono float samples with 0.3-amplitude tone bursts over the given [startMs, endMs) spans. */
export function bursts(sampleRate: number, durationMs: number, spans: [number, number][], hz = 440): Float32Array {
  const x = new Float32Array(Math.round((durationMs * sampleRate) / 1000));
  for (const [a, b] of spans) {
    for (let i = Math.round((a * sampleRate) / 1000); i < Math.round((b * sampleRate) / 1000); i++) x[i] = 0.3 * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  }
  return x;
}
