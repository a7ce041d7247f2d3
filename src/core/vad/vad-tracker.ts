import { InputError } from '../errors.js';
import { assertPcmFormat, bytesPerFrame, type PcmFormat } from '../pcm/pcm-format.js';
import { AudioHistory } from './audio-history.js';
import { FrameFeeder, type MonoResampler } from './frame-feeder.js';
import { Segmenter, type SegmenterEvent, type SegmenterOptions } from './segmenter.js';
import { Resampler } from '../resampler/resampler.js';
import { createSileroVad } from './silero-vad.js';
import type { VadEngine } from './vad-engine.js';

/** How a VAD stream gets its engine: an instance (used by this stream only) or a factory. */
export type VadEngineOption = VadEngine | (() => VadEngine);

/** Options shared by the VAD streams and {@link VadTracker}. */
export interface VadTrackerOptions extends SegmenterOptions {
  /** Layout of the input PCM. */
  format: PcmFormat;
  /** The frame classifier. Default: Silero v5 in TypeScript (`defaultVadEngine()`). */
  engine?: VadEngineOption;
  /** Rate converter for inputs at another rate than the engine's. Default: the toolkit's Resampler (`defaultVadResampler`). */
  createResampler?: (inputRate: number, outputRate: number) => MonoResampler;
}

/** Positions of an event in input sample frames (absolute, from the start of the stream). */
export interface VadEventFrames {
  /** Start of the utterance's audio (pre-roll included). */
  readonly startFrame: number;
  /** End of the utterance's audio (for `speech-end`), else the same as `atFrame`. */
  readonly endFrame: number;
  /** Where the decision was made. */
  readonly atFrame: number;
}

/** A fresh instance of the default engine: Silero v5 at 16 kHz, in-process, no native addon. */
export function defaultVadEngine(): VadEngine {
  return createSileroVad({ sampleRate: 16000, version: 'v5' });
}

/** The default rate converter of the VAD path: the toolkit's Resampler, mono, low-latency preset. */
export function defaultVadResampler(inputRate: number, outputRate: number): MonoResampler {
  return new Resampler({ inputRate, outputRate, channels: 1, quality: 'low-latency' });
}

/**
 * Everything the VAD streams share, without the stream: splits raw bytes into whole sample frames, keeps
 * the recent audio in an {@link AudioHistory}, runs the engine through a {@link FrameFeeder} and the
 * {@link Segmenter}, and reports each event with its input-frame positions. Pure: no I/O, no timers.
 *
 * @throws FormatError for a bad format; InputError for bad options or an engine that is not one.
 */
export class VadTracker {
  readonly format: PcmFormat;
  readonly engine: VadEngine;
  readonly segmenter: Segmenter;
  readonly history: AudioHistory;
  private readonly feeder: FrameFeeder;
  private readonly bpf: number;
  private readonly carry: Buffer;
  private carryLength = 0;
  private readonly idleKeepFrames: number;

  constructor(options: VadTrackerOptions, onEvent: (event: SegmenterEvent, frames: VadEventFrames) => void) {
    assertPcmFormat(options.format, 'VAD input format');
    this.format = options.format;
    const engine = typeof options.engine === 'function' ? options.engine() : (options.engine ?? defaultVadEngine());
    if (!engine || typeof engine.process !== 'function' || !(engine.frameSamples > 0) || !(engine.sampleRate > 0)) {
      throw new InputError('VAD engine must implement VadEngine: { sampleRate, frameSamples, process(frame), reset() }.', 'TLA_ERR_VAD_OPTIONS');
    }
    if (engine.preGateOnly) {
      throw new InputError(
        `The ${engine.name} VAD engine is a pre-gate only: alone it stays "in speech" through music, so turns would never end. ` +
          'Put it in front of a real engine with createPreGatedVad({ gate: createSpectralVad(), engine: createSileroVad() }), or use the default engine.',
        'TLA_ERR_VAD_OPTIONS',
      );
    }
    engine.reset();
    this.engine = engine;
    const rate = options.format.sampleRate;
    const toFrame = (ms: number) => Math.round((ms * rate) / 1000);
    this.segmenter = new Segmenter((ev) => {
      const atFrame = toFrame(ev.atMs);
      const startFrame = toFrame(ev.startMs);
      onEvent(ev, { startFrame, endFrame: ev.type === 'speech-end' ? toFrame(ev.endMs) : atFrame, atFrame });
    }, options);
    const createResampler = options.createResampler ?? defaultVadResampler;
    const seg = this.segmenter;
    this.feeder = new FrameFeeder({
      format: options.format,
      engineRate: engine.sampleRate,
      frameSamples: engine.frameSamples,
      onFrame: (frame, startMs, durationMs, level) => seg.push(engine.process(frame), startMs, durationMs, level),
      createResampler,
    });
    this.bpf = bytesPerFrame(options.format);
    this.carry = Buffer.alloc(this.bpf);
    const frameMs = (engine.frameSamples * 1000) / engine.sampleRate;
    // Idle: the pre-roll before an onset that is detected up to a frame (plus filter delay) later.
    this.idleKeepFrames = toFrame(seg.options.preRollMs + 2 * frameMs + 50);
    this.history = new AudioHistory(this.bpf, toFrame(seg.options.preRollMs + seg.options.minSpeechMs + seg.options.minSilenceMs + 500));
  }

  /** Input sample frames received so far. */
  get positionFrames(): number {
    return this.history.endFrame;
  }

  /** Converts ms of the input stream to input frames. */
  msToFrame(ms: number): number {
    return Math.round((ms * this.format.sampleRate) / 1000);
  }

  /** Feeds bytes (any length; a partial sample frame waits for the rest). Events fire before it returns. */
  write(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carryLength > 0) {
      const take = Math.min(this.bpf - this.carryLength, bytes.length);
      this.carry.set(bytes.subarray(0, take), this.carryLength);
      this.carryLength += take;
      bytes = bytes.subarray(take);
      if (this.carryLength < this.bpf) return;
      this.carryLength = 0;
      this.feedWhole(this.carry);
    }
    const whole = bytes.length - (bytes.length % this.bpf);
    if (whole > 0) this.feedWhole(bytes.subarray(0, whole));
    if (whole < bytes.length) {
      this.carry.set(bytes.subarray(whole));
      this.carryLength = bytes.length - whole;
    }
  }

  /** Ends the stream: the last partial engine frame is classified and an open utterance is closed. */
  end(): void {
    this.carryLength = 0; // a trailing partial sample frame is not audio
    this.feeder.end();
    this.segmenter.end();
  }

  private feedWhole(bytes: Uint8Array): void {
    this.history.append(bytes);
    this.feeder.write(bytes);
    if (!this.segmenter.active) this.history.keepAfter(this.history.endFrame - this.idleKeepFrames);
  }
}
