import { bytesToF32, downmixToMono } from '../pcm/pcm-convert.js';
import { assertPcmFormat, bytesPerFrame, type PcmFormat } from '../pcm/pcm-format.js';
import { FrameCarry } from '../pcm/frame-carry.js';
import { InputError } from '../errors.js';

/** The part of a streaming resampler the feeder needs (mono in, mono out, state kept across calls). */
export interface MonoResampler {
  /** Resamples `frames` mono samples; returns a view valid until the next call. */
  process(input: Float32Array, frames?: number): Float32Array;
  /** Drains the filter tail at the end of the stream. */
  flush(): Float32Array;
  /** Group delay in output samples, if the resampler reports it (used to keep timestamps exact). */
  readonly latencyFrames?: number;
}

/** Called once per engine frame; `frame` is reused after the call returns. */
export type VadFrameHandler = (frame: Float32Array, startMs: number, durationMs: number, level: number) => void;

/** Options of {@link FrameFeeder}. */
export interface FrameFeederOptions {
  /** Layout of the bytes passed to `write`. */
  format: PcmFormat;
  /** Rate the engine wants (Hz). */
  engineRate: number;
  /** Samples per engine frame. */
  frameSamples: number;
  /** Receives each full frame (and the zero-padded last one on `end`). */
  onFrame: VadFrameHandler;
  /**
   * Makes the rate converter when `format.sampleRate !== engineRate`. Required in that case; the VAD
   * streams pass the toolkit's Resampler.
   */
  createResampler?: (inputRate: number, outputRate: number) => MonoResampler;
  /** Removes DC offset with a gentle high-pass (about 10 Hz) before the engine. Default true. */
  dcBlock?: boolean;
}

/**
 * Adapts PCM bytes in any {@link PcmFormat} and any chunking (down to one byte at a time) to mono engine
 * frames at the engine's rate, with the exact stream time of each frame, so every chunking of the same
 * audio gives the same frames. Partial sample frames and partial engine frames are carried between
 * writes; NaN samples become 0, ±Infinity ±1. No allocation per frame (scratch arrays grow only when a
 * bigger chunk than before arrives).
 *
 * @throws FormatError (`TLA_ERR_PCM_FORMAT`) for an invalid format; Error from `createResampler`.
 */
export class FrameFeeder {
  readonly format: PcmFormat;
  readonly engineRate: number;
  readonly frameSamples: number;
  private readonly onFrame: VadFrameHandler;
  private readonly bpf: number;
  private readonly carry: FrameCarry;
  private interleaved = new Float32Array(0);
  private mono = new Float32Array(0);
  private readonly frame: Float32Array;
  private fill = 0;
  private readonly resampler: MonoResampler | null;
  private readonly dcBlock: boolean;
  private dcX = 0;
  private dcY = 0;
  private readonly dcPole: number;
  /** Sample frames received (input rate). */
  private inputFrames = 0;
  /** Engine frames emitted. */
  private framesOut = 0;
  private ended = false;

  constructor(options: FrameFeederOptions) {
    assertPcmFormat(options.format);
    this.format = options.format;
    this.engineRate = options.engineRate;
    this.frameSamples = options.frameSamples;
    this.onFrame = options.onFrame;
    this.bpf = bytesPerFrame(options.format);
    this.carry = new FrameCarry(this.bpf);
    this.frame = new Float32Array(options.frameSamples);
    this.dcBlock = options.dcBlock ?? true;
    this.dcPole = 1 - (2 * Math.PI * 10) / options.format.sampleRate;
    if (options.format.sampleRate !== options.engineRate) {
      if (!options.createResampler) {
        throw new InputError(`FrameFeeder needs createResampler to convert ${options.format.sampleRate} Hz to the engine's ${options.engineRate} Hz.`, 'TLA_ERR_VAD_OPTIONS');
      }
      this.resampler = options.createResampler(options.format.sampleRate, options.engineRate);
    } else {
      this.resampler = null;
    }
  }

  /** Stream time (ms) of the audio written so far (whole sample frames only). */
  get positionMs(): number {
    return (this.inputFrames * 1000) / this.format.sampleRate;
  }

  /** Feeds bytes; full engine frames are handed to `onFrame` before this returns. */
  write(bytes: Uint8Array): void {
    if (this.ended) throw new InputError('FrameFeeder.write() after end(): create a new FrameFeeder for new audio.', 'TLA_ERR_WRITE_AFTER_END');
    const carry = this.carry;
    let offset = 0;
    if (!carry.isEmpty) {
      offset = carry.fill(bytes, 0, bytes.length);
      if (!carry.isFull) return;
      this.decode(carry.frame, 1);
      carry.clear();
    }
    const whole = carry.wholeBytes(bytes.length - offset);
    if (whole > 0) this.decode(bytes.subarray(offset, offset + whole), whole / this.bpf);
    carry.hold(bytes, offset + whole, bytes.length);
  }

  /**
   * Ends the stream: drains the resampler and hands over the last partial frame padded with zeros (its
   * `durationMs` is only the real audio). A trailing partial sample frame is dropped.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.carry.clear();
    if (this.resampler) {
      const tail = this.resampler.flush();
      this.append(tail, tail.length);
    }
    if (this.fill > 0) {
      const startMs = Math.max(0, this.frameStartMs(this.framesOut));
      const endMs = this.positionMs;
      let sum = 0;
      for (let i = 0; i < this.fill; i++) sum += this.frame[i]! * this.frame[i]!;
      const level = Math.sqrt(sum / this.fill);
      this.frame.fill(0, this.fill);
      this.fill = 0;
      this.framesOut++;
      if (endMs > startMs) this.onFrame(this.frame, startMs, endMs - startMs, level);
    }
  }

  /** Stream time of an engine frame's start; negative while the resampler's delay is being filled. */
  private frameStartMs(index: number): number {
    const delay = this.resampler?.latencyFrames ?? 0;
    return ((index * this.frameSamples - delay) * 1000) / this.engineRate;
  }

  private decode(bytes: Uint8Array, frames: number): void {
    const channels = this.format.channels;
    const samples = frames * channels;
    if (this.interleaved.length < samples) this.interleaved = new Float32Array(grow(samples));
    if (this.mono.length < frames) this.mono = new Float32Array(grow(frames));
    bytesToF32(bytes, this.format.encoding, this.interleaved, samples);
    downmixToMono(this.interleaved, this.mono, channels, frames);
    const mono = this.mono;
    // Sanitize and DC-block in one pass.
    let x1 = this.dcX;
    let y1 = this.dcY;
    const pole = this.dcPole;
    const dc = this.dcBlock;
    for (let i = 0; i < frames; i++) {
      let x = mono[i]!;
      if (x !== x) x = 0;
      else if (x > 1) x = 1;
      else if (x < -1) x = -1;
      if (dc) {
        const y = x - x1 + pole * y1;
        x1 = x;
        y1 = y;
        x = y;
      }
      mono[i] = x;
    }
    this.dcX = x1;
    this.dcY = y1;
    this.inputFrames += frames;
    if (this.resampler) {
      const out = this.resampler.process(mono, frames);
      this.append(out, out.length);
    } else {
      this.append(mono, frames);
    }
  }

  private append(samples: Float32Array, count: number): void {
    const n = this.frameSamples;
    const frame = this.frame;
    let i = 0;
    while (i < count) {
      const take = Math.min(n - this.fill, count - i);
      frame.set(samples.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === n) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += frame[k]! * frame[k]!;
        const index = this.framesOut++;
        this.fill = 0;
        const endMs = this.frameStartMs(index + 1);
        // Frames made only of the resampler's start-up delay are not part of the stream.
        if (endMs > 0) {
          const startMs = Math.max(0, this.frameStartMs(index));
          this.onFrame(frame, startMs, endMs - startMs, Math.sqrt(sum / n));
        }
      }
    }
  }
}

function grow(n: number): number {
  let c = 256;
  while (c < n) c *= 2;
  return c;
}
