import { FormatError, InputError } from './errors.js';
import { besselI0, designLowpass, gcd, kaiserBeta, kaiserSinc, kaiserTaps } from './filter-design.js';
import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './pcm-format.js';
import { remixChannels } from './pcm-convert.js';

/**
 * Quality presets of {@link Resampler}. Edges are fractions of the lower of the two rates.
 * - `default`: flat (ripple < 0.01 dB) to 0.45, ≥ 110 dB down from 0.5 (nothing aliases), ~3 ms delay at 48 kHz.
 * - `high`: flat to 0.47, ≥ 130 dB down from 0.5.
 * - `low-latency`: group delay ≤ 1 ms and ≥ 90 dB rejection of anything that would alias into its
 *   passband; the transition band is centred on the lower Nyquist frequency and is as narrow as 1 ms
 *   allows (about 2.9 kHz wide), so its passband reaches ~2.6 kHz at 8 kHz, ~6.6 kHz at 16 kHz, ~10.6 kHz at 24 kHz.
 */
export type ResampleQuality = 'low-latency' | 'default' | 'high';

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

interface QualitySpec {
  attenuationDb: number;
  passband: number;
  stopband: number;
  maxDelayMs: number;
}

const QUALITY: Record<ResampleQuality, QualitySpec> = {
  // Designed with a little margin over the promised figures (Kaiser's length formula is an estimate).
  default: { attenuationDb: 114, passband: 0.45, stopband: 0.5, maxDelayMs: Infinity },
  high: { attenuationDb: 135, passband: 0.47, stopband: 0.5, maxDelayMs: Infinity },
  'low-latency': { attenuationDb: 93, passband: 0.45, stopband: 0.5, maxDelayMs: 1 },
};

/** Exact polyphase tables up to this many floats (4 MiB); beyond, coefficients are interpolated. */
const MAX_TABLE_FLOATS = 1 << 20;
/** Rows of the interpolation table (more rows, smaller interpolation error: ~1.2 / rows² per tap). */
const MAX_TABLE_ROWS = 4096;

/**
 * Streaming sample-rate and channel-count converter for interleaved float32 PCM: polyphase
 * windowed-sinc (Kaiser window) at the exact rational ratio `outputRate / inputRate` (reduced by
 * their gcd), so 44.1 kHz → 16 kHz is 160/441 with no drift, ever.
 *
 * - Channels are down-mixed to the output count before filtering and up-mixed after, so a
 *   48 kHz stereo → 24 kHz mono conversion filters one channel.
 * - Output is time-aligned with the input: the filter's group delay is compensated, output frame
 *   `k` is the input signal at time `k / outputRate`. The price is that the last `latencyMs` of
 *   output waits for more input or {@link Resampler.flush}.
 * - State is carried across calls; any split of the input into chunks gives bit-identical output.
 * - NaN becomes 0 and ±Infinity ±1 on the way in, so one bad sample cannot poison the stream.
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

  /** Channels actually filtered: the smaller of the two counts. */
  private readonly filterChannels: number;
  /** Taps per polyphase branch (a multiple of 4). */
  private readonly taps: number;
  /**
   * `interpolation` branches of `taps` float32 coefficients, each reversed (oldest sample first);
   * or, when `tableRows` > 0, `tableRows + 1` rows of the filter at fractional positions q / tableRows.
   */
  private readonly coeffs: Float32Array;
  private readonly tableRows: number = 0;
  private readonly interpCoeffs: Float32Array = new Float32Array(0);
  /** Group delay in units of 1 / (inputRate * interpolation). */
  private readonly delay: number;
  private readonly stepWhole: number;
  private readonly stepFrac: number;

  /** Per filtered channel, samples x[histStart .. histEnd) of the (mixed) input. */
  private hist: Float32Array[];
  private histStart = 0;
  private histEnd = 0;
  /** Input frames received since the start / last flush or reset. */
  private inputFrames = 0;
  /** Output frames produced since the start / last flush or reset. */
  private outputFrames = 0;
  /** Index of the newest input sample the next output needs, and the branch it uses. */
  private nextNewest = 0;
  private nextPhase = 0;

  private mixScratch: Float32Array;
  private filterOut: Float32Array;
  private output: Float32Array;

  /**
   * @throws FormatError (`TLA_ERR_PCM_FORMAT`) for a rate that is not a whole number of Hz in
   *   8000..384000, or a channel count outside 1..8.
   * @throws InputError for an unknown quality.
   */
  constructor(options: ResamplerOptions) {
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
      this.coeffs = new Float32Array(0);
      this.tableRows = 0;
      this.delay = 0;
      this.latencyMs = 0;
    } else {
      const spec = QUALITY[quality];
      const lowerRate = Math.min(inputRate, outputRate);
      const protoRate = inputRate * L;
      let cutoffHz = ((spec.passband + spec.stopband) / 2) * lowerRate;
      let taps = kaiserTaps(spec.attenuationDb, ((spec.stopband - spec.passband) * lowerRate) / protoRate);
      const maxTaps = 2 * Math.floor((spec.maxDelayMs / 1000) * protoRate) + 1;
      if (taps > maxTaps) {
        // Too long for the delay budget: use the widest transition the budget allows, centred on the
        // lower Nyquist frequency, so nothing aliases into what remains of the passband.
        taps = maxTaps;
        cutoffHz = lowerRate / 2;
      }
      let perBranch = Math.ceil(taps / L);
      perBranch += (4 - (perBranch % 4)) % 4;
      this.taps = perBranch;
      if (perBranch * L <= MAX_TABLE_FLOATS) {
        const proto = designLowpass({ taps, cutoff: cutoffHz / protoRate, beta: kaiserBeta(spec.attenuationDb), gain: L });
        this.tableRows = 0;
        this.coeffs = new Float32Array(perBranch * L);
        for (let p = 0; p < L; p++) {
          for (let j = 0; j < perBranch; j++) {
            const idx = p + (perBranch - 1 - j) * L;
            this.coeffs[p * perBranch + j] = idx < taps ? proto[idx]! : 0;
          }
        }
      } else {
        // A ratio like 9007/8001 would need millions of exact coefficients. Tabulate the same
        // continuous filter at `rows` fractional positions instead and interpolate linearly
        // between neighbouring rows for each output's exact phase (still no drift: phases stay integers).
        const rows = Math.max(64, Math.min(MAX_TABLE_ROWS, Math.floor((4 * MAX_TABLE_FLOATS) / perBranch) - 1));
        this.tableRows = rows;
        this.coeffs = new Float32Array((rows + 1) * perBranch);
        this.interpCoeffs = new Float32Array(perBranch);
        const beta = kaiserBeta(spec.attenuationDb);
        const i0Beta = besselI0(beta);
        const centre = (taps - 1) / 2 / L;
        for (let q = 0; q <= rows; q++) {
          let sum = 0;
          const row = new Float64Array(perBranch);
          for (let j = 0; j < perBranch; j++) {
            const tau = q / rows + (perBranch - 1 - j);
            row[j] = kaiserSinc(tau - centre, cutoffHz / inputRate, centre, beta, i0Beta);
            sum += row[j]!;
          }
          for (let j = 0; j < perBranch; j++) this.coeffs[q * perBranch + j] = row[j]! / sum;
        }
      }
      this.delay = (taps - 1) / 2;
      this.latencyMs = (this.delay / protoRate) * 1000;
    }

    this.hist = [];
    this.mixScratch = new Float32Array(0);
    this.filterOut = new Float32Array(0);
    this.output = new Float32Array(0);
    this.reset();
  }

  /** Forgets all state: the next `process` call starts a new signal. */
  reset(): void {
    this.inputFrames = 0;
    this.outputFrames = 0;
    if (this.taps === 0) return;
    const t = this.delay;
    this.nextNewest = Math.floor(t / this.interpolation);
    this.nextPhase = t % this.interpolation;
    // The history starts with the zeros before the signal that the first outputs reach back to.
    this.histStart = this.nextNewest - this.taps + 1;
    this.histEnd = 0;
    const cap = Math.max(this.hist[0]?.length ?? 0, this.taps * 2 + 4096);
    if (this.hist.length !== this.filterChannels || this.hist[0]!.length < cap) {
      this.hist = Array.from({ length: this.filterChannels }, () => new Float32Array(cap));
    } else {
      for (const h of this.hist) h.fill(0);
    }
  }

  /** Upper bound of output frames `process` returns for `inputFrames` more input frames. */
  maxOutputFrames(inputFrames: number): number {
    if (this.taps === 0) return inputFrames;
    return Math.floor((inputFrames * this.interpolation) / this.decimation) + 2;
  }

  /**
   * Converts `frames` interleaved frames of `input` (default: all of it). Returns interleaved output
   * frames in a buffer owned by the resampler, valid until the next call; in passthrough mode,
   * `input` itself (or a view of its first `frames` frames).
   * @throws InputError when `input` is not a Float32Array of whole frames.
   */
  process(input: Float32Array, frames?: number): Float32Array {
    const n = this.checkInput(input, frames);
    if (this.passthrough) return n * this.channels === input.length ? input : input.subarray(0, n * this.channels);
    const cap = this.maxOutputFrames(n) * this.outputChannels;
    if (this.output.length < cap) this.output = new Float32Array(Math.max(cap, this.output.length * 2));
    const written = this.processInto(input, n, this.output);
    return this.output.subarray(0, written * this.outputChannels);
  }

  /**
   * Like {@link Resampler.process} but writes into `output` (interleaved, `outputChannels` wide,
   * at least `maxOutputFrames(frames)` frames) and returns the frames written. Allocates nothing in
   * steady state. In passthrough mode the input is copied.
   */
  processInto(input: Float32Array, frames: number, output: Float32Array): number {
    const n = this.checkInput(input, frames);
    if (output.length < this.maxOutputFrames(n) * this.outputChannels) {
      throw new InputError(`Resampler output buffer is too small: size it with maxOutputFrames(${n}) * outputChannels.`);
    }
    this.inputFrames += n;
    if (this.taps === 0) {
      this.outputFrames += n;
      if (this.passthrough) output.set(input.subarray(0, n * this.channels));
      else remixChannels(input, this.channels, output, this.outputChannels, n, this.scratch(n));
      sanitizeInPlace(output, n * this.outputChannels);
      return n;
    }
    this.append(input, n, false);
    return this.run(output, Infinity);
  }

  /**
   * Ends the signal: returns the last output frames, so that the total output is
   * `round(inputFrames * outputRate / inputRate)` frames, then resets for a new signal.
   * The returned view is valid until the next call.
   */
  flush(): Float32Array {
    const total = Math.round((this.inputFrames * this.interpolation) / this.decimation);
    const remaining = Math.max(0, total - this.outputFrames);
    if (this.taps === 0 || remaining === 0) {
      this.reset();
      return this.output.subarray(0, 0);
    }
    const cap = remaining * this.outputChannels;
    if (this.output.length < cap) this.output = new Float32Array(cap);
    // Feed silence after the end until every remaining output's window is inside what we hold.
    let written = 0;
    while (written < remaining) {
      const needNewest = this.newestFor(this.outputFrames + (remaining - written) - 1);
      const zeros = Math.min(Math.max(needNewest + 1 - this.histEnd, 0), 4096);
      if (zeros > 0) this.append(this.output, zeros, true);
      written += this.run(this.output.subarray(written * this.outputChannels), remaining - written);
    }
    const out = this.output.subarray(0, written * this.outputChannels);
    this.reset();
    return out;
  }

  /** The newest input index output frame `m` needs. */
  private newestFor(m: number): number {
    return Math.floor((m * this.decimation + this.delay) / this.interpolation);
  }

  private checkInput(input: Float32Array, frames: number | undefined): number {
    if (!(input instanceof Float32Array)) {
      throw new InputError('Resampler input must be a Float32Array of interleaved samples (convert s16 with s16ToF32 first).');
    }
    const max = Math.floor(input.length / this.channels);
    if (frames === undefined) {
      if (max * this.channels !== input.length) {
        throw new InputError(
          `Resampler input has ${input.length} samples, not a whole number of ${this.channels}-channel frames; pass whole frames.`,
        );
      }
      return max;
    }
    if (!Number.isInteger(frames) || frames < 0 || frames > max) {
      throw new InputError(`Resampler frames ${String(frames)} must be a whole number from 0 to ${max} (the frames in input).`);
    }
    return frames;
  }

  private scratch(frames: number): Float32Array {
    if (this.mixScratch.length < frames * this.outputChannels) this.mixScratch = new Float32Array(frames * Math.max(this.outputChannels, this.channels));
    return this.mixScratch;
  }

  /** Appends `n` frames (mixed down to the filtered channels, sanitised), or `n` zeros. */
  private append(input: Float32Array, n: number, zeros: boolean): void {
    // Drop history no output will read again, then make room.
    const keepFrom = Math.min(this.nextNewest - this.taps + 1, this.histEnd);
    if (keepFrom > this.histStart) {
      const drop = keepFrom - this.histStart;
      const len = this.histEnd - this.histStart;
      for (const h of this.hist) h.copyWithin(0, drop, len);
      this.histStart = keepFrom;
    }
    const len = this.histEnd - this.histStart;
    if (len + n > this.hist[0]!.length) {
      const cap = Math.max(len + n, this.hist[0]!.length * 2);
      this.hist = this.hist.map((h) => {
        const g = new Float32Array(cap);
        g.set(h.subarray(0, len));
        return g;
      });
    }
    const fc = this.filterChannels;
    if (zeros) {
      for (const h of this.hist) h.fill(0, len, len + n);
    } else if (fc === this.channels) {
      for (let c = 0; c < fc; c++) {
        const h = this.hist[c]!;
        for (let f = 0, i = c, o = len; f < n; f++, i += fc, o++) {
          let x = input[i]!;
          if (x - x !== 0) x = x !== x ? 0 : x > 0 ? 1 : -1;
          h[o] = x;
        }
      }
    } else {
      // Down-mix: fewer output channels, so they are filtered. Mixing happens before sanitising,
      // so sanitise the mix (NaN in any input channel silences that frame).
      const mixed = this.scratch(n);
      remixChannels(input, this.channels, mixed, fc, n, this.scratchMono(n));
      for (let c = 0; c < fc; c++) {
        const h = this.hist[c]!;
        for (let f = 0, i = c, o = len; f < n; f++, i += fc, o++) {
          let x = mixed[i]!;
          if (x - x !== 0) x = x !== x ? 0 : x > 0 ? 1 : -1;
          h[o] = x;
        }
      }
    }
    this.histEnd += n;
  }

  private monoScratch = new Float32Array(0);
  private scratchMono(n: number): Float32Array {
    if (this.monoScratch.length < n) this.monoScratch = new Float32Array(n);
    return this.monoScratch;
  }

  /** Computes up to `limit` outputs whose windows are in the history; writes them interleaved. */
  private run(output: Float32Array, limit: number): number {
    const fc = this.filterChannels;
    const oc = this.outputChannels;
    const K = this.taps;
    const L = this.interpolation;
    const coeffs = this.coeffs;
    const stepWhole = this.stepWhole;
    const stepFrac = this.stepFrac;
    const avail = this.histEnd;
    let newest = this.nextNewest;
    let phase = this.nextPhase;
    let count = 0;
    // Count first, so each channel runs its own tight loop.
    {
      let nw = newest;
      let ph = phase;
      while (nw < avail && count < limit) {
        count++;
        nw += stepWhole;
        ph += stepFrac;
        if (ph >= L) {
          ph -= L;
          nw++;
        }
      }
    }
    if (count === 0) return 0;
    const direct = fc === oc;
    const dst = direct ? output : this.filterBuffer(count * fc);
    if (this.tableRows > 0) {
      this.runInterpolated(dst, count);
    } else for (let c = 0; c < fc; c++) {
      const h = this.hist[c]!;
      let nw = newest;
      let ph = phase;
      for (let m = 0, o = c; m < count; m++, o += fc) {
        const base = nw - K + 1 - this.histStart;
        const cb = ph * K;
        let acc = 0;
        for (let j = 0; j < K; j++) acc += coeffs[cb + j]! * h[base + j]!;
        dst[o] = acc;
        nw += stepWhole;
        ph += stepFrac;
        if (ph >= L) {
          ph -= L;
          nw++;
        }
      }
      if (c === fc - 1) {
        newest = nw;
        phase = ph;
      }
    }
    if (!direct) remixChannels(dst, fc, output, oc, count, this.scratchMono(count));
    if (this.tableRows === 0) {
      this.nextNewest = newest;
      this.nextPhase = phase;
    }
    this.outputFrames += count;
    return count;
  }

  /** `run` for interpolated coefficients: builds each output's coefficients, then filters every channel. */
  private runInterpolated(dst: Float32Array, count: number): void {
    const fc = this.filterChannels;
    const K = this.taps;
    const L = this.interpolation;
    const rows = this.tableRows;
    const table = this.coeffs;
    const cv = this.interpCoeffs;
    let nw = this.nextNewest;
    let ph = this.nextPhase;
    for (let m = 0; m < count; m++) {
      const pos = ph * rows;
      const q = Math.floor(pos / L);
      const frac = (pos - q * L) / L;
      const r0 = q * K;
      const r1 = r0 + K;
      for (let j = 0; j < K; j++) {
        const a = table[r0 + j]!;
        cv[j] = a + frac * (table[r1 + j]! - a);
      }
      const base = nw - K + 1 - this.histStart;
      for (let c = 0; c < fc; c++) {
        const h = this.hist[c]!;
        let acc = 0;
        for (let j = 0; j < K; j++) acc += cv[j]! * h[base + j]!;
        dst[m * fc + c] = acc;
      }
      nw += this.stepWhole;
      ph += this.stepFrac;
      if (ph >= L) {
        ph -= L;
        nw++;
      }
    }
    this.nextNewest = nw;
    this.nextPhase = ph;
  }

  private filterBuffer(n: number): Float32Array {
    if (this.filterOut.length < n) this.filterOut = new Float32Array(Math.max(n, this.filterOut.length * 2));
    return this.filterOut;
  }
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
