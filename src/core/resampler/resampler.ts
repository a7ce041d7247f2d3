import { FormatError, InputError } from '../errors.js';
import { f32ToS16, remixChannels, s16ToF32 } from '../pcm/pcm-convert.js';
import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../pcm/pcm-format.js';
import { filterDesign } from './filter-design-cache.js';
import { gcd } from './filter-design.js';
import { QUALITY, type ResampleQuality } from './quality-presets.js';
import { createResamplerKernel, type ResamplerKernel } from './resampler-kernel.js';

export type { ResampleQuality } from './quality-presets.js';

/** Options of {@link Resampler} and {@link resample}. */
export interface ResamplerOptions {
  /** Input sample rate in Hz (integer, 8000..384000). */
  inputRate: number;
  /** Output sample rate in Hz (integer, 8000..384000). */
  outputRate: number;
  /** Interleaved channels of the input (1..8). */
  channels: number;
  /** Interleaved channels of the output (1..8); defaults to `channels`. */
  outputChannels?: number;
  /** Defaults to `'default'`. */
  quality?: ResampleQuality;
}

/**
 * Streaming sample-rate and channel-count converter for interleaved float32 PCM: a polyphase FIR
 * (equiripple for the default preset where the prototype is short enough, else a Kaiser-windowed
 * sinc) at the exact rational ratio `outputRate / inputRate` (reduced by their gcd), so
 * 44.1 kHz → 16 kHz is 160/441 with no drift, ever. Equiripple prototypes for every pair of the
 * common rates (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 96000) ship
 * precomputed (src/core/filter-tables.ts); any other ratio designs its prototype on first use
 * (Remez exchange: 50-250 ms of CPU once per ratio and process). Polyphase tables are cached per
 * conversion and preset, so a second resampler for the same conversion only copies its table.
 *
 * - Channels are down-mixed to the output count before filtering and up-mixed after, so a
 *   48 kHz stereo → 24 kHz mono conversion filters one channel.
 * - Output is time-aligned with the input: the filter's group delay is compensated, output frame
 *   `k` is the input signal at time `k / outputRate`. The price is that the last `latencyMs` of
 *   output waits for more input or {@link Resampler.flush}.
 * - State is carried across calls; any split of the input into chunks gives bit-identical output.
 * - The inner loop is WebAssembly SIMD built in this repo (wasm/resampler-kernel.ts), embedded in the
 *   package; where WebAssembly is unavailable a JS loop with the same float32 arithmetic runs instead
 *   (same output, ~13x slower). Upsampling by 2.5x or more runs as two stages (the sharp filter at
 *   half the output rate, then a cheap 2x stage); the result meets the same preset figures.
 * - NaN becomes 0 and ±Infinity ±1 on the way in (after a down-mix), so one bad sample cannot
 *   poison the stream. Copy-in, stereo down-mix, sanitising and mono up-mix run inside the kernel.
 * - Equal rates and channel counts: {@link Resampler.passthrough}; input is returned as is.
 */
export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  readonly outputChannels: number;
  readonly quality: ResampleQuality;
  /** Group delay of the filter in ms, i.e. how much audio is held back until more input or `flush()`. */
  readonly latencyMs: number;
  /** True when rates and channel counts are equal: `process` returns its input untouched. */
  readonly passthrough: boolean;
  /** Upsampling factor after reduction by the gcd. */
  readonly interpolation: number;
  /** Downsampling factor after reduction by the gcd. */
  readonly decimation: number;
  /** Filter taps per output sample (per polyphase branch); 0 when rates are equal. */
  readonly tapsPerOutput: number;
  /** Highest frequency (Hz) passed within the preset's ripple; Nyquist of the lower rate when rates are equal. */
  readonly passbandHz: number;
  /**
   * Lowest frequency (Hz) rejected by the preset's full attenuation. Anything at or above it that
   * would alias (or image) is that far down; `default`/`high` put it at the lower rate's Nyquist
   * frequency, `low-latency` may put it above (mirroring `passbandHz`), so aliases can reach the
   * transition band but never the passband.
   */
  readonly stopbandHz: number;

  /** Channels actually filtered: the smaller of the two counts. */
  private readonly filterChannels: number;
  /** Taps per branch, padded to a multiple of 8 for the kernel. */
  private readonly taps: number;
  /** When > 0, coefficients are interpolated between this many table rows (rare ratios). */
  private readonly tableRows: number;
  /** Per branch, the tap index of a branch that is just one unit tap (a copy), else -1; null when none is. */
  private readonly delayTaps: Int32Array | null = null;
  /** Group delay in units of 1 / (inputRate * interpolation). */
  private readonly delay: number;
  private readonly stepWhole: number;
  private readonly stepFrac: number;

  /**
   * Everything the inner loop touches lives in the kernel's float32 memory (WebAssembly when
   * available): the coefficient table at 0, then per filtered channel a history of `histCap`
   * samples x[histStart .. histEnd) of the mixed input, then `outCap` floats of interleaved output,
   * then (interpolated mode) one coefficient row.
   */
  private readonly kernel: ResamplerKernel;
  private readonly coeffFloats: number;
  private histOff = 0;
  private histCap = 0;
  private outOff = 0;
  private outCap = 0;
  private rowOff = 0;
  /** Staging area for one step of raw interleaved input (copied in with one memcpy, mixed by the kernel). */
  private stageOff = 0;
  /** Floats between consecutive output frames in the output area: outputChannels when one channel is filtered (the kernel up-mixes in place), else filterChannels. */
  private readonly outStride: number;
  private histStart = 0;
  private histEnd = 0;
  /** Input frames received since the start / last flush or reset. */
  private inputFrames = 0;
  /** Output frames produced since the start / last flush or reset. */
  private outputFrames = 0;
  /** Index of the newest input sample the next output needs, and the branch it uses. */
  private nextNewest = 0;
  private nextPhase = 0;

  /** Two-stage design (see the constructor): both stages, and the signal's output frame count. */
  private readonly chain: [Resampler, Resampler] | null = null;
  private mixScratch = new Float32Array(0);
  private lastView: Float32Array | null = null;
  private lastView16: Int16Array | null = null;
  private lastOutput: Float32Array | null = null;
  private lastOutput16: Int16Array | null = null;
  /** The kernel mixes this input layout itself (else s16 input is converted to float in JS first). */
  private readonly kernelMixes: boolean;
  /** s16 input may be written straight into the staging area ({@link Resampler.s16Staging}). */
  private readonly takesStaged: boolean;
  private lastStaging: Uint8Array | null = null;
  /** s16 scratch of the paths that do not run in kernel memory (rare layouts, equal rates, flushS16). */
  private s16Scratch = new Int16Array(0);
  private f32Scratch = new Float32Array(0);
  private monoScratch = new Float32Array(0);
  private output = new Float32Array(0);

  /**
   * @throws FormatError (`TLA_ERR_PCM_FORMAT`) for a rate that is not a whole number of Hz in
   *   8000..384000, or a channel count outside 1..8.
   * @throws InputError for an unknown quality.
   */
  constructor(
    options: ResamplerOptions,
    /** @internal tests compare wasm with the JS loop */ useWasm = true,
    /** @internal band edges (Hz) of an inner stage of a two-stage design, instead of the preset's */
    stageBand?: { passbandHz: number; stopbandHz: number },
    /** @internal the bench measures the Kaiser-window design against the equiripple one */ kaiserOnly = false,
    /** @internal the bench measures one stage against the two-stage upsampler */ singleStage = false,
  ) {
    if (options === null || typeof options !== 'object') {
      throw new InputError('Resampler options must be an object like { inputRate: 48000, outputRate: 24000, channels: 2 }.');
    }
    const { inputRate, outputRate, channels } = options;
    const outputChannels = options.outputChannels ?? channels;
    const quality = options.quality ?? 'default';
    checkRate('inputRate', inputRate);
    checkRate('outputRate', outputRate);
    checkChannels('channels', channels);
    checkChannels('outputChannels', outputChannels);
    if (!Object.hasOwn(QUALITY, quality)) {
      throw new InputError(
        `Resampler quality ${JSON.stringify(quality)} is unknown; use 'low-latency', 'default' or 'high'.`,
        'TLA_ERR_RESAMPLER_QUALITY',
      );
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.channels = channels;
    this.outputChannels = outputChannels;
    this.quality = quality;
    this.filterChannels = Math.min(channels, outputChannels);
    this.outStride = this.filterChannels === 1 ? outputChannels : this.filterChannels;
    this.kernelMixes = this.filterChannels === channels || (this.filterChannels === 1 && channels === 2);
    this.takesStaged = this.kernelMixes && this.outStride === this.outputChannels && inputRate !== outputRate;
    this.passthrough = inputRate === outputRate && channels === outputChannels;

    const g = gcd(inputRate, outputRate);
    const L = outputRate / g;
    const M = inputRate / g;
    this.interpolation = L;
    this.decimation = M;
    this.stepWhole = Math.floor(M / L);
    this.stepFrac = M % L;

    if (inputRate === outputRate) {
      this.taps = 0;
      this.tableRows = 0;
      this.delay = 0;
      this.latencyMs = 0;
      this.tapsPerOutput = 0;
      this.passbandHz = inputRate / 2;
      this.stopbandHz = inputRate / 2;
      this.coeffFloats = 0;
      this.kernel = createResamplerKernel(false);
      return;
    }
    if (stageBand === undefined && !singleStage && quality !== 'low-latency' && outputRate % 2 === 0 && outputRate / 2 >= 1.25 * inputRate) {
      // Upsampling by 2.5x or more: the sharp filter runs at half the output rate and a cheap
      // 2x stage with a wide transition (it only has to remove images of a band that stops at
      // inputRate / 2) finishes the job. 8k -> 24k does ~87 multiply-adds per output instead of 144.
      const mid = outputRate / 2;
      const first = new Resampler({ inputRate, outputRate: mid, channels, outputChannels: this.filterChannels, quality }, useWasm, undefined, kaiserOnly);
      const second = new Resampler({ inputRate: mid, outputRate, channels: this.filterChannels, outputChannels, quality }, useWasm, {
        // Symmetric about mid / 2: a half-band, whose odd branch is a plain copy of the input.
        passbandHz: inputRate / 2,
        stopbandHz: mid - inputRate / 2,
      });
      this.chain = [first, second];
      this.taps = 0;
      this.tableRows = 0;
      this.delay = 0;
      this.latencyMs = first.latencyMs + second.latencyMs;
      this.tapsPerOutput = Math.ceil(first.tapsPerOutput / 2 + second.tapsPerOutput);
      this.passbandHz = first.passbandHz;
      this.stopbandHz = first.stopbandHz;
      this.coeffFloats = 0;
      this.kernel = createResamplerKernel(false);
      return;
    }
    const design = filterDesign(inputRate, outputRate, quality, stageBand, kaiserOnly);
    this.passbandHz = design.passbandHz;
    this.stopbandHz = design.stopbandHz;
    this.taps = design.perBranch;
    this.tapsPerOutput = Math.ceil(design.protoTaps / L);
    this.delay = (design.protoTaps - 1) / 2;
    this.latencyMs = (this.delay / (inputRate * L)) * 1000;
    this.tableRows = design.tableRows;
    this.delayTaps = design.delayTaps;
    const table = design.table;
    this.coeffFloats = table.length;
    this.kernel = createResamplerKernel(useWasm);
    this.layout(Math.max(4096, design.perBranch * 4), 4096);
    this.kernel.mem.set(table, 0);
    this.reset();
  }

  /** True when the inner loop runs as WebAssembly SIMD (else a JS loop with identical results). */
  get simd(): boolean {
    return this.chain ? this.chain[0].simd : this.kernel.simd;
  }

  /** Forgets all state: the next `process` call starts a new signal. */
  reset(): void {
    this.inputFrames = 0;
    this.outputFrames = 0;
    if (this.chain) {
      this.chain[0].reset();
      this.chain[1].reset();
      return;
    }
    if (this.taps === 0) return;
    this.nextNewest = Math.floor(this.delay / this.interpolation);
    this.nextPhase = this.delay % this.interpolation;
    // The history starts with the zeros before the signal that the first outputs reach back to.
    this.histStart = this.nextNewest - this.taps + 1;
    this.histEnd = 0;
    this.kernel.mem.fill(0, this.histOff, this.histOff + this.histCap * this.filterChannels);
  }

  /** Upper bound of output frames `process` returns for `inputFrames` more input frames. */
  maxOutputFrames(inputFrames: number): number {
    if (this.chain) return this.chain[1].maxOutputFrames(this.chain[0].maxOutputFrames(inputFrames));
    if (this.taps === 0) return inputFrames;
    return Math.floor((inputFrames * this.interpolation) / this.decimation) + 2;
  }

  /**
   * Converts `frames` interleaved frames of `input` (default: all of it). Returns interleaved output
   * frames in a buffer owned by the resampler, valid until the next call; in passthrough mode,
   * `input` itself (or a view of its first `frames` frames).
   *
   * Int16Array input (s16 PCM) gives Int16Array output: the samples are x / 32768 on the way in and
   * rounded and clipped (as {@link floatToS16}) on the way out, inside the WebAssembly kernel, with
   * the same filter arithmetic as float input: the output equals `f32ToS16(process(s16ToF32(input)))`.
   * @throws InputError when `input` is not a Float32Array or Int16Array of whole frames.
   */
  process(input: Float32Array, frames?: number): Float32Array;
  process(input: Int16Array, frames?: number): Int16Array;
  process(input: Float32Array | Int16Array, frames?: number): Float32Array | Int16Array {
    const n = this.checkInput(input, frames);
    if (this.passthrough) return n * this.channels === input.length ? input : input.subarray(0, n * this.channels);
    if (input instanceof Int16Array) return this.convert(input, n, true);
    return this.convert(input, n, false);
  }

  /**
   * @internal For {@link ResampleStream}: the kernel memory where `frames` frames of s16le input
   * (at most {@link STAGED_FRAMES_MAX}) are to be written as bytes, from offset 0, before
   * {@link Resampler.processStagedS16}, so a stream's bytes are copied once, straight to where the
   * kernel reads them. Null when this conversion takes no staged input (equal rates, rare layouts):
   * use `process` then. The view is valid until the next call.
   */
  s16Staging(frames: number): Uint8Array | null {
    if (this.chain) return this.chain[0].s16Staging(frames);
    if (!this.takesStaged || frames > STAGED_FRAMES_MAX) return null;
    // Sized now: a layout change after the caller's copy would move the staging area.
    this.reserve(frames);
    const bytes = STAGED_FRAMES_MAX * this.channels * 2;
    const buffer = this.kernel.mem.buffer;
    const v = this.lastStaging;
    if (v !== null && v.buffer === buffer && v.byteOffset === this.stageOff * 4) return v;
    this.lastStaging = new Uint8Array(buffer, this.stageOff * 4, bytes);
    return this.lastStaging;
  }

  /** @internal `process` of the `frames` s16le frames written to {@link Resampler.s16Staging}: the s16 output, in a view owned by the resampler. */
  processStagedS16(frames: number): Int16Array {
    return this.convert(null, frames, true) as Int16Array;
  }

  /**
   * One step of a stream: `input` (s16 or float; null: s16 already in the staging area) to s16
   * (`s16Out`) or float output. The output stays in kernel memory where it can (the common
   * layouts); other paths convert in JS.
   */
  private convert(input: Float32Array | Int16Array | null, n: number, s16Out: boolean): Float32Array | Int16Array {
    if (this.chain) {
      this.inputFrames += n;
      const mid = this.chain[0].convert(input, n, false) as Float32Array;
      const y = this.chain[1].convert(mid, mid.length / this.filterChannels, s16Out);
      this.outputFrames += y.length / this.outputChannels;
      return y;
    }
    if (input === null || (this.taps > 0 && this.outStride === this.outputChannels && (this.kernelMixes || !(input instanceof Int16Array)))) {
      // Outputs stay where the kernel wrote them: no copy.
      this.inputFrames += n;
      const upmix = this.filterChannels === 1 && this.outputChannels > 1;
      const written = this.processDirect(input, n, upmix && !s16Out);
      if (!s16Out) return this.outputView(written * this.outputChannels);
      this.kernel.toS16(this.outOff, written, this.outputChannels, upmix ? 1 : 0);
      return this.outputView16(written * this.outputChannels);
    }
    let x: Float32Array;
    if (input instanceof Int16Array) {
      if (this.f32Scratch.length < n * this.channels) this.f32Scratch = new Float32Array(n * this.channels);
      s16ToF32(input, this.f32Scratch, n * this.channels);
      x = this.f32Scratch;
    } else {
      x = input;
    }
    const y = this.processFloat(x, n);
    return s16Out ? this.toS16Scratch(y) : y;
  }

  /** `samples` rounded and clipped to s16 in a scratch owned by the resampler. */
  private toS16Scratch(samples: Float32Array): Int16Array {
    if (this.s16Scratch.length < samples.length) this.s16Scratch = new Int16Array(Math.max(samples.length, this.s16Scratch.length * 2));
    f32ToS16(samples, this.s16Scratch, samples.length);
    return this.s16Scratch.subarray(0, samples.length);
  }

  /** The float path outside kernel memory: equal rates with a channel change, or channel layouts the kernel does not mix. */
  private processFloat(input: Float32Array, n: number): Float32Array {
    const cap = this.maxOutputFrames(n) * this.outputChannels;
    if (this.output.length < cap) this.output = new Float32Array(Math.max(cap, this.output.length * 2));
    const written = this.processInto(input, n, this.output);
    return this.output.subarray(0, written * this.outputChannels);
  }

  /**
   * Like {@link Resampler.process} but writes into `output` (interleaved, `outputChannels` wide,
   * at least `maxOutputFrames(frames)` frames) and returns the frames written. Allocates nothing in
   * steady state. In passthrough mode the input is copied.
   * @throws InputError when `input` is not whole frames or `output` is too small.
   */
  processInto(input: Float32Array, frames: number, output: Float32Array): number;
  processInto(input: Int16Array, frames: number, output: Int16Array): number;
  processInto(input: Float32Array | Int16Array, frames: number, output: Float32Array | Int16Array): number {
    if (input instanceof Int16Array || output instanceof Int16Array) {
      if (!(input instanceof Int16Array && output instanceof Int16Array)) {
        throw new InputError('Resampler.processInto takes s16 in and out (Int16Array, Int16Array) or float in and out (Float32Array, Float32Array).', 'TLA_ERR_RESAMPLER_INPUT');
      }
      const n = this.checkInput(input, frames);
      if (output.length < this.maxOutputFrames(n) * this.outputChannels) {
        throw new InputError(`Resampler output buffer is too small: size it with maxOutputFrames(${n}) * outputChannels.`, 'TLA_ERR_RESAMPLER_INPUT');
      }
      const y = this.process(input, n);
      output.set(y);
      return y.length / this.outputChannels;
    }
    const n = this.checkInput(input, frames);
    if (output.length < this.maxOutputFrames(n) * this.outputChannels) {
      throw new InputError(`Resampler output buffer is too small: size it with maxOutputFrames(${n}) * outputChannels.`, 'TLA_ERR_RESAMPLER_INPUT');
    }
    this.inputFrames += n;
    if (this.chain) {
      const mid = this.chain[0].process(input, n);
      const written = this.chain[1].processInto(mid, mid.length / this.filterChannels, output);
      this.outputFrames += written;
      return written;
    }
    if (this.taps === 0) {
      this.outputFrames += n;
      if (this.passthrough) output.set(input.subarray(0, n * this.channels));
      else remixChannels(input, this.channels, output, this.outputChannels, n, this.mono(n));
      sanitizeInPlace(output, n * this.outputChannels);
      return n;
    }
    let done = 0;
    let written = 0;
    // Bounded steps keep the history (and so memory) small whatever the chunk size.
    while (done < n) {
      const step = Math.min(n - done, STEP_FRAMES);
      this.append(input, done, step, false);
      written += this.run(output, written, Infinity);
      done += step;
    }
    return written;
  }

  /** Filters `n` frames into the kernel's output area (grown to fit); returns the frames there. */
  private processDirect(input: Float32Array | Int16Array | null, n: number, upmix: boolean): number {
    this.reserve(n);
    let done = 0;
    let written = 0;
    while (done < n) {
      const step = Math.min(n - done, STEP_FRAMES);
      this.append(input, done, step, false);
      const count = this.ready(Infinity);
      if (count > 0) this.filter(count, written);
      written += count;
      done += step;
    }
    if (upmix) this.kernel.upmix(this.outOff, written, this.outputChannels);
    return written;
  }

  /** Sizes the history and output areas for `n` more input frames (so no layout change happens while they are processed). */
  private reserve(n: number): void {
    const need = this.maxOutputFrames(n) * this.outStride;
    // Size both areas up front: a layout change between steps would move the outputs already written.
    const histNeed = this.histEnd - this.histStart + this.taps + Math.ceil(this.decimation / this.interpolation) + 8 + Math.min(n, STEP_FRAMES);
    if (this.outCap < need || this.histCap < histNeed) {
      this.layout(Math.max(histNeed, this.histCap), Math.max(need, this.outCap * 2));
    }
  }

  /** How many outputs (at most `limit`) have their whole window in the history. */
  private ready(limit: number): number {
    // Outputs m = next + i with newest_m < histEnd: nextPhase + i * M < (histEnd - nextNewest) * L.
    const room = (this.histEnd - this.nextNewest) * this.interpolation - this.nextPhase;
    const count = room > 0 ? Math.ceil(room / this.decimation) : 0;
    return count > limit ? limit : count;
  }

  /**
   * Ends the signal: returns the last output frames, so that the total output is
   * `round(inputFrames * outputRate / inputRate)` frames, then resets for a new signal.
   * The returned view is valid until the next call.
   */
  flush(): Float32Array {
    const L = BigInt(this.interpolation);
    const M = BigInt(this.decimation);
    const total = Number((2n * BigInt(this.inputFrames) * L + M) / (2n * M));
    const remaining = Math.max(0, total - this.outputFrames);
    if (this.chain) return this.flushChain(remaining);
    if (this.taps === 0 || remaining === 0) {
      this.reset();
      return this.output.subarray(0, 0);
    }
    const cap = remaining * this.outputChannels;
    if (this.output.length < cap) this.output = new Float32Array(cap);
    // Feed silence after the end until every remaining output's window is inside the history.
    let written = 0;
    while (written < remaining) {
      const zeros = Math.min(Math.max(this.newestFor(remaining - written - 1) + 1 - this.histEnd, 0), 4096);
      if (zeros > 0) this.append(this.output, 0, zeros, true);
      written += this.run(this.output, written, remaining - written);
    }
    const out = this.output.subarray(0, written * this.outputChannels);
    this.reset();
    return out;
  }

  /** {@link Resampler.flush} for a stream of s16 (Int16Array) input: the last frames as s16, in a buffer owned by the resampler. */
  flushS16(): Int16Array {
    return this.toS16Scratch(this.flush());
  }

  /**
   * Flush of a two-stage design. Each stage rounds its own length, so one frame of silence more
   * goes through the first stage (flush pads with silence anyway) and the result is cut to `remaining`.
   */
  private flushChain(remaining: number): Float32Array {
    const [first, second] = this.chain!;
    const oc = this.outputChannels;
    if (this.output.length < (remaining + 4) * oc) this.output = new Float32Array((remaining + 4) * oc);
    let written = 0;
    const take = (y: Float32Array): void => {
      const frames = Math.min(y.length / oc, remaining - written);
      this.output.set(y.subarray(0, frames * oc), written * oc);
      written += frames;
    };
    if (remaining > 0) {
      take(second.process(first.process(new Float32Array(this.channels))));
      take(second.process(first.flush()));
      take(second.flush());
    }
    this.reset();
    return this.output.subarray(0, written * oc);
  }

  /** The newest input index the output `ahead` frames after the next one needs. */
  private newestFor(ahead: number): number {
    return this.nextNewest + Math.floor((this.nextPhase + ahead * this.decimation) / this.interpolation);
  }

  private checkInput(input: Float32Array | Int16Array, frames: number | undefined): number {
    if (!(input instanceof Float32Array) && !(input instanceof Int16Array)) {
      throw new InputError('Resampler input must be a Float32Array (float) or Int16Array (s16) of interleaved samples.', 'TLA_ERR_RESAMPLER_INPUT');
    }
    const max = Math.floor(input.length / this.channels);
    if (frames === undefined) {
      if (max * this.channels !== input.length) {
        throw new InputError(
          `Resampler input has ${input.length} samples, not a whole number of ${this.channels}-channel frames; pass whole frames.`,
          'TLA_ERR_RESAMPLER_INPUT',
        );
      }
      return max;
    }
    if (!Number.isInteger(frames) || frames < 0 || frames > max) {
      throw new InputError(`Resampler frames ${String(frames)} must be a whole number from 0 to ${max} (the frames in input).`, 'TLA_ERR_RESAMPLER_INPUT');
    }
    return frames;
  }

  /** The first `count` floats of the output area; the same view object while the size and memory stay (fixed chunks allocate nothing). */
  private outputView(count: number): Float32Array {
    const mem = this.kernel.mem;
    const v = this.lastOutput;
    if (v !== null && v.length === count && v.buffer === mem.buffer && v.byteOffset === this.outOff * 4) return v;
    this.lastOutput = mem.subarray(this.outOff, this.outOff + count);
    return this.lastOutput;
  }

  /** The first `count` s16 samples of the output area (after `toS16` in place); reused like {@link Resampler.outputView}. */
  private outputView16(count: number): Int16Array {
    const mem = this.kernel.mem16;
    const v = this.lastOutput16;
    if (v !== null && v.length === count && v.buffer === mem.buffer && v.byteOffset === this.outOff * 4) return v;
    this.lastOutput16 = mem.subarray(this.outOff * 2, this.outOff * 2 + count);
    return this.lastOutput16;
  }

  /**
   * `src.subarray(at, at + count)`, reusing the last view when it is the same range of the same
   * array (a caller streaming fixed chunks through one scratch buffer then allocates nothing).
   */
  private view(src: Float32Array, at: number, count: number): Float32Array {
    const v = this.lastView;
    if (v !== null && v.buffer === src.buffer && v.byteOffset === src.byteOffset + at * 4 && v.length === count) return v;
    this.lastView = src.subarray(at, at + count);
    return this.lastView;
  }

  private view16(src: Int16Array, at: number, count: number): Int16Array {
    const v = this.lastView16;
    if (v !== null && v.buffer === src.buffer && v.byteOffset === src.byteOffset + at * 2 && v.length === count) return v;
    this.lastView16 = src.subarray(at, at + count);
    return this.lastView16;
  }

  private mono(frames: number): Float32Array {
    if (this.monoScratch.length < frames) this.monoScratch = new Float32Array(frames);
    return this.monoScratch;
  }

  /** Places histories and output after the table with the given capacities, keeping the history. */
  private layout(histCap: number, outCap: number): void {
    const fc = this.filterChannels;
    const len = this.histEnd - this.histStart;
    const old = this.histCap > 0 ? this.kernel.mem.slice(this.histOff, this.histOff + this.histCap * fc) : null;
    // Rows start 32-byte aligned so SIMD loads of coefficients never straddle cache lines needlessly.
    this.histOff = align8(this.coeffFloats);
    this.histCap = align8(histCap);
    this.outOff = this.histOff + this.histCap * fc;
    this.outCap = align8(outCap);
    this.rowOff = this.outOff + this.outCap;
    this.stageOff = align8(this.rowOff + (this.tableRows > 0 ? this.taps : 0));
    this.kernel.ensure(this.stageOff + STEP_FRAMES * Math.max(this.channels, this.filterChannels));
    if (old !== null) {
      const mem = this.kernel.mem;
      for (let c = 0; c < fc; c++) mem.set(old.subarray(c * (old.length / fc), c * (old.length / fc) + len), this.histOff + c * this.histCap);
    }
  }

  /** Appends frames [from, from + n) of `input` (mixed down to the filtered channels, sanitised), or `n` zeros. */
  private append(input: Float32Array | Int16Array | null, from: number, n: number, zeros: boolean): void {
    const fc = this.filterChannels;
    // Drop history no output will read again, then make room.
    const keepFrom = Math.min(this.nextNewest - this.taps + 1, this.histEnd);
    let mem = this.kernel.mem;
    if (keepFrom > this.histStart) {
      const drop = keepFrom - this.histStart;
      const len = this.histEnd - this.histStart;
      for (let c = 0; c < fc; c++) {
        const h = this.histOff + c * this.histCap;
        mem.copyWithin(h, h + drop, h + len);
      }
      this.histStart = keepFrom;
    }
    const len = this.histEnd - this.histStart;
    if (len + n > this.histCap) {
      this.layout(Math.max(len + n, this.histCap * 2), this.outCap);
      mem = this.kernel.mem;
    }
    if (zeros) {
      for (let c = 0; c < fc; c++) {
        const h = this.histOff + c * this.histCap + len;
        mem.fill(0, h, h + n);
      }
    } else if (input === null || input instanceof Int16Array) {
      // s16: one memcpy into kernel memory (null: the caller wrote it there), then the kernel converts and de-interleaves or mixes (see kernelMixes).
      if (input !== null) {
        const count = n * this.channels;
        const at = from * this.channels;
        this.kernel.mem16.set(at === 0 && count === input.length ? input : this.view16(input, at, count), this.stageOff * 2);
      }
      this.kernel.mixInS16(this.stageOff * 2, n, this.channels, this.histOff + len, this.histCap, this.channels === 2 && fc === 1 ? 1 : 0);
    } else {
      // One memcpy into kernel memory, then the kernel de-interleaves (or mixes stereo to mono) and sanitises.
      let src = input;
      let at = from * this.channels;
      let width = this.channels;
      if (fc !== this.channels && !(fc === 1 && this.channels === 2)) {
        // General down-mix (fewer output channels, so they are filtered) in JS first; rare layouts.
        if (this.mixScratch.length < n * fc) this.mixScratch = new Float32Array(n * fc);
        remixChannels(input.subarray(at, at + n * this.channels), this.channels, this.mixScratch, fc, n, this.mono(n));
        src = this.mixScratch;
        at = 0;
        width = fc;
      }
      const count = n * width;
      mem.set(at === 0 && count === src.length ? src : this.view(src, at, count), this.stageOff);
      this.kernel.mixIn(this.stageOff, n, width, this.histOff + len, this.histCap, width === 2 && fc === 1 ? 1 : 0);
    }
    this.histEnd += n;
  }

  /**
   * Computes up to `limit` outputs whose windows are in the history and writes them interleaved
   * (`outputChannels` wide) into `output` from frame `at`. Returns the frames written.
   */
  private run(output: Float32Array, at: number, limit: number): number {
    const count = this.ready(limit);
    if (count === 0) return 0;
    const fc = this.filterChannels;
    const oc = this.outputChannels;
    const os = this.outStride;
    let total = 0;
    while (total < count) {
      const part = Math.min(count - total, Math.floor(this.outCap / os));
      if (part === 0) {
        this.layout(this.histCap, os * 1024);
        continue;
      }
      this.filter(part);
      // Copy (up-mixed by the kernel when one channel was filtered) from kernel memory into the caller's array.
      const mem = this.kernel.mem;
      const src = this.outOff;
      const dst = (at + total) * oc;
      if (os === oc) {
        if (fc === 1 && oc > 1) this.kernel.upmix(src, part, oc);
        for (let i = 0, end = part * oc; i < end; i++) output[dst + i] = mem[src + i]!;
      } else {
        const frames = this.mono(part);
        for (let f = 0; f < part; f++) {
          let s = 0;
          for (let c = 0; c < fc; c++) s += mem[src + f * fc + c]!;
          frames[f] = s / fc;
        }
        for (let f = 0, o = dst; f < part; f++) for (let c = 0; c < oc; c++) output[o++] = frames[f]!;
      }
      total += part;
    }
    return total;
  }

  /** Runs the kernel for `count` outputs into the output area and advances the phase. */
  private filter(count: number, atFrame = 0): void {
    const fc = this.filterChannels;
    const os = this.outStride;
    const outAt = this.outOff + atFrame * os;
    const K = this.taps;
    const L = this.interpolation;
    const first = this.nextNewest - K + 1 - this.histStart;
    if (this.delayTaps !== null) {
      // Outputs m, m + L, m + 2L … share a branch and their windows are M apart: run the kernel
      // per branch, and copy for a branch that is a single unit tap.
      const M = this.decimation;
      let base = first;
      let ph = this.nextPhase;
      const groups = Math.min(count, L);
      for (let r = 0; r < groups; r++) {
        const n = Math.ceil((count - r) / L);
        const tap = this.delayTaps[ph]!;
        for (let c = 0; c < fc; c++) {
          const h = this.histOff + c * this.histCap + base;
          const o = outAt + r * os + c;
          if (tap >= 0) {
            const mem = this.kernel.mem;
            for (let i = 0, src = h + tap, dst = o; i < n; i++, src += M, dst += L * os) mem[dst] = mem[src]!;
          } else {
            this.kernel.run(ph * K, K, 1, h, 0, M, 0, n, o, L * os);
          }
        }
        base += this.stepWhole;
        ph += this.stepFrac;
        if (ph >= L) {
          ph -= L;
          base++;
        }
      }
    } else if (this.tableRows === 0) {
      for (let c = 0; c < fc; c++) {
        this.kernel.run(0, K, L, this.histOff + c * this.histCap + first, this.nextPhase, this.stepWhole, this.stepFrac, count, outAt + c, os);
      }
    } else {
      // Build each output's coefficients by interpolating between table rows, then filter each channel.
      const rows = this.tableRows;
      let base = first;
      let ph = this.nextPhase;
      for (let m = 0; m < count; m++) {
        const mem = this.kernel.mem;
        const pos = ph * rows;
        const q = Math.floor(pos / L);
        const frac = (pos - q * L) / L;
        const r0 = q * K;
        for (let j = 0; j < K; j++) {
          const a = mem[r0 + j]!;
          mem[this.rowOff + j] = a + frac * (mem[r0 + K + j]! - a);
        }
        for (let c = 0; c < fc; c++) this.kernel.run(this.rowOff, K, 1, this.histOff + c * this.histCap + base, 0, 0, 0, 1, outAt + m * os + c, os);
        base += this.stepWhole;
        ph += this.stepFrac;
        if (ph >= L) {
          ph -= L;
          base++;
        }
      }
    }
    const phaseSum = this.nextPhase + count * this.stepFrac;
    this.nextNewest += count * this.stepWhole + Math.floor(phaseSum / L);
    this.nextPhase = phaseSum % L;
    this.outputFrames += count;
  }
}

/** Most input frames mixed into the histories per step (bounds the history and the staging area). */
const STEP_FRAMES = 16384;

/** @internal Most s16 frames {@link Resampler.s16Staging} takes at once (one step: the staging area holds a step of floats). */
export const STAGED_FRAMES_MAX = STEP_FRAMES;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * One-shot conversion of a whole signal (interleaved float32): process + flush into a new array of
 * exactly `round(frames * outputRate / inputRate)` frames.
 * @throws as {@link Resampler}'s constructor and `process`.
 */
export function resample(input: Float32Array, options: ResamplerOptions): Float32Array {
  const r = new Resampler(options);
  const frames = Math.floor(input.length / r.channels);
  if (r.passthrough) return input.slice(0, frames * r.channels);
  const total = r.inputRate === r.outputRate ? frames : Math.round((frames * r.interpolation) / r.decimation);
  const out = new Float32Array(total * r.outputChannels);
  const head = r.process(input, frames);
  out.set(head);
  out.set(r.flush(), head.length);
  return out;
}

function checkRate(name: string, rate: unknown): void {
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw new FormatError(
      `Resampler ${name} ${String(rate)} is not supported; use a whole number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}.`,
      'TLA_ERR_PCM_FORMAT',
    );
  }
}

function checkChannels(name: string, channels: unknown): void {
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new FormatError(`Resampler ${name} ${String(channels)} is not supported; use 1 to ${MAX_CHANNELS}.`, 'TLA_ERR_PCM_FORMAT');
  }
}

function sanitizeInPlace(samples: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const x = samples[i]!;
    if (x - x !== 0) samples[i] = x !== x ? 0 : x > 0 ? 1 : -1;
  }
}
