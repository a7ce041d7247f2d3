import { defaultVadEngine, VadTracker } from '../../core/vad/vad-tracker.js';
import { createPreGatedVad } from '../../core/vad/pre-gated-vad.js';
import type { VadEngine } from '../../core/vad/vad-engine.js';
import type { SegmenterEvent, SegmenterOptions } from '../../core/vad/segmenter.js';
import type { TurnDetectionSettings } from './realtime-session-config.js';

/** What the tracker reports, in ms of all audio appended during the session. */
export type TurnEvent =
  /** Speech confirmed: `startMs` includes the prefix padding. */
  | { kind: 'start'; startMs: number; speechStartMs: number }
  /** The pause reached the silence duration: `atMs` is where it was decided (end of the silence). */
  | { kind: 'end'; startMs: number; speechStartMs: number; speechEndMs: number; atMs: number };

/** A turn longer than this is committed in parts (bounds the audio the VAD keeps for an endless one). */
const MAX_TURN_MS = 120_000;

/** Silence that ends a turn under `semantic_vad`, by eagerness (an approximation: no language model here). */
const SEMANTIC_SILENCE_MS = { low: 1200, medium: 650, auto: 650, high: 300 } as const;

/** Sample magnitude under which a frame counts as digital silence: about -80 dBFS (3 LSB of PCM16). */
const DIGITAL_SILENCE = 1e-4;

/**
 * The VAD of the emulator's realtime sessions: Silero, skipped on frames of digital silence (a muted or
 * idle client sending zeros, which Silero scores as no speech anyway). The gate holds open for the
 * pre-gate's default hold after any sound, and Silero keeps its state across a skipped stretch, so real
 * input (a microphone's noise floor is far above the threshold) runs through Silero exactly as before.
 * Silero costs about 1 ms of CPU per second of input; an emulator serving hundreds of idle sessions spent
 * most of its CPU on it.
 */
export function realtimeVadEngine(): VadEngine {
  const engine = defaultVadEngine();
  const gate: VadEngine = {
    name: 'digital-silence',
    sampleRate: engine.sampleRate,
    frameSamples: engine.frameSamples,
    preGateOnly: true,
    process(frame: Float32Array): number {
      for (let i = 0; i < frame.length; i++) {
        const x = frame[i]!;
        if (x > DIGITAL_SILENCE || x < -DIGITAL_SILENCE) return 1;
      }
      return 0;
    },
    reset(): void {},
  };
  return createPreGatedVad({ gate, engine, openThreshold: 0.5 });
}

/** Segmenter options for a session's turn detection (`null`: the defaults, used only for honest transcripts). */
export function segmenterOptionsFor(detection: TurnDetectionSettings | null): SegmenterOptions {
  if (detection?.type === 'server_vad') {
    return {
      threshold: detection.threshold,
      endThreshold: Math.max(0.01, detection.threshold - 0.1),
      minSpeechMs: Math.min(100, detection.silence_duration_ms),
      minSilenceMs: detection.silence_duration_ms,
      preRollMs: detection.prefix_padding_ms,
      postPadMs: 0,
      maxUtteranceMs: MAX_TURN_MS,
    };
  }
  const silence = detection?.type === 'semantic_vad' ? SEMANTIC_SILENCE_MS[detection.eagerness] : 500;
  return { threshold: 0.5, minSpeechMs: 100, minSilenceMs: silence, preRollMs: 300, postPadMs: 0, maxUtteranceMs: MAX_TURN_MS };
}

/**
 * The toolkit's own VAD (VadTracker: Silero through the FrameFeeder and Segmenter) over a session's input
 * audio, with times on the session's timeline. Turn detection settings can change mid-session: the
 * tracker is rebuilt and continues at the current position.
 */
export class RealtimeTurnTracker {
  private tracker: VadTracker;
  private offsetMs = 0;
  private writtenSamples = 0;

  constructor(
    private readonly sampleRate: number,
    detection: TurnDetectionSettings | null,
    private readonly createEngine: () => VadEngine,
    private readonly onEvent: (event: TurnEvent) => void,
  ) {
    this.tracker = this.build(detection);
  }

  /** Ms of audio written so far (session timeline). */
  get positionMs(): number {
    return (this.writtenSamples * 1000) / this.sampleRate;
  }

  /** True while an utterance is open (tentative or confirmed). */
  get inSpeech(): boolean {
    return this.tracker.segmenter.active;
  }

  /** Feeds signed 16-bit mono samples at the tracker's rate. Events fire before it returns. */
  write(samples: Int16Array): void {
    this.writtenSamples += samples.length;
    this.tracker.write(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  /** New settings from now on (an open utterance is dropped, as when the API's VAD is reconfigured). */
  reconfigure(detection: TurnDetectionSettings | null, sampleRate = this.sampleRate): RealtimeTurnTracker {
    if (sampleRate !== this.sampleRate) {
      const next = new RealtimeTurnTracker(sampleRate, detection, this.createEngine, this.onEvent);
      next.offsetMs = this.positionMs;
      return next;
    }
    this.offsetMs = this.positionMs;
    this.tracker = this.build(detection);
    return this;
  }

  private build(detection: TurnDetectionSettings | null): VadTracker {
    return new VadTracker({ format: { sampleRate: this.sampleRate, channels: 1, encoding: 's16le' }, engine: this.createEngine, ...segmenterOptionsFor(detection) }, (ev: SegmenterEvent) => {
      const o = this.offsetMs;
      if (ev.type === 'speech-start' && ev.confirmed) this.onEvent({ kind: 'start', startMs: o + ev.startMs, speechStartMs: o + ev.speechStartMs });
      else if (ev.type === 'speech-end') {
        this.onEvent({ kind: 'end', startMs: o + ev.startMs, speechStartMs: o + ev.speechStartMs, speechEndMs: o + ev.speechEndMs, atMs: o + ev.atMs });
      }
    });
  }
}
