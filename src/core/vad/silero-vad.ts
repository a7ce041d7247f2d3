import { InputError } from '../errors.js';
import type { VadEngine } from './vad-engine.js';
import { StftMagnitude } from './stft-magnitude.js';
import { SileroVadWasm, sileroWasmRuntime } from './silero-wasm.js';
import { loadSileroWeights, type SileroSampleRate, type SileroVersion, type SileroWeights } from './silero-weights.js';

/** Options of {@link createSileroVad}. */
export interface SileroVadOptions {
  /** Input rate in Hz: 16000 (default, 512-sample = 32 ms frames) or 8000 (256-sample frames). Resample other rates. */
  sampleRate?: 8000 | 16000;
  /** Model generation: `v5` (default) or `v6`. */
  version?: 'v5' | 'v6';
  /**
   * Implementation: `auto` (default) uses WebAssembly SIMD when the runtime has it and falls back to `js`;
   * `wasm` requires it; `js` is the plain TypeScript forward pass. All give the same probabilities to ~1e-6.
   */
  backend?: 'auto' | 'wasm' | 'js';
  /**
   * Folder holding `silero-vad-<version>.bin/.json`. Default: the package's own `assets/silero/`. Set it when the
   * app is bundled into one file and the assets were copied elsewhere.
   */
  weightsDir?: string;
}

const FRAMES = 4; // STFT frames per window: (context + window + pad - n) / hop + 1 for both rates

/**
 * Silero VAD v5/v6 in plain TypeScript: the network's forward pass (STFT magnitude by FFT, four conv1d+ReLU layers,
 * one LSTM step, 1x1 conv + sigmoid) over preallocated typed arrays, with the 64-sample (32 at 8 kHz) context and
 * the LSTM state carried from window to window exactly as Silero's reference wrapper does.
 * One instance per stream; weights are shared. `process` does not allocate.
 */
export class SileroVadTs implements VadEngine {
  readonly name: string;
  readonly sampleRate: number;
  readonly frameSamples: number;
  private readonly w: SileroWeights;
  private readonly stft: StftMagnitude;
  private readonly bins: number;
  /** context | window | reflect pad */
  private readonly input: Float32Array;
  /** STFT magnitudes [bins][FRAMES + 2], zero columns at both ends (the conv's padding). */
  private readonly mag: Float64Array;
  /** encoder 0 output [128][FRAMES + 2], padded the same way. */
  private readonly e0: Float64Array;
  /** encoder 1 output [64][2 + 2], padded. */
  private readonly e1: Float64Array;
  private readonly e2: Float64Array;
  /** [encoder 3 output (128) | h (128)]: the LSTM's input and recurrent vector side by side. */
  private readonly xh: Float64Array;
  private readonly c: Float64Array;
  private readonly gates: Float64Array;

  constructor(weights: SileroWeights) {
    this.w = weights;
    this.name = `silero-${weights.version}`;
    this.sampleRate = weights.sampleRate;
    this.frameSamples = weights.windowSamples;
    this.stft = new StftMagnitude(weights.stftWindow);
    this.bins = this.stft.bins;
    this.input = new Float32Array(weights.contextSamples + weights.windowSamples + weights.padRight);
    this.mag = new Float64Array(this.bins * (FRAMES + 2));
    this.e0 = new Float64Array(128 * (FRAMES + 2));
    this.e1 = new Float64Array(64 * 4);
    this.e2 = new Float64Array(64);
    this.xh = new Float64Array(256);
    this.c = new Float64Array(128);
    this.gates = new Float64Array(512);
  }

  reset(): void {
    this.input.fill(0);
    this.xh.fill(0);
    this.c.fill(0);
  }

  /**
   * Speech probability of the next `frameSamples` samples (mono, float, nominally [-1, 1]; NaN and ±Infinity are read
   * as 0 so one bad sample cannot poison the recurrent state).
   * @throws InputError when the frame does not hold exactly `frameSamples` samples.
   */
  process(frame: Float32Array): number {
    const w = this.w;
    const ctx = w.contextSamples;
    const len = w.windowSamples;
    if (frame.length !== len) {
      throw new InputError(`${this.name} at ${this.sampleRate} Hz takes frames of exactly ${len} samples, got ${frame.length}`);
    }
    const x = this.input;
    // Context = the last `ctx` samples of the previous window (zeros after reset).
    x.copyWithin(0, len, len + ctx);
    for (let i = 0; i < len; i++) {
      const v = frame[i]!;
      x[ctx + i] = v - v === 0 ? v : 0; // finite check without a call
    }
    // Reflect padding on the right (torch 'reflect': the edge sample is not repeated).
    const total = ctx + len;
    for (let j = 0; j < w.padRight; j++) x[total + j] = x[total - 2 - j]!;

    const stride = FRAMES + 2;
    for (let f = 0; f < FRAMES; f++) this.stft.compute(x, f * w.hopLength, this.mag, f + 1, stride);

    encoder0(this.mag, this.bins, w.enc0Weight, w.enc0Bias, this.e0);
    encoder1(this.e0, w.enc1Weight, w.enc1Bias, this.e1);
    // encoder 2 (stride 2, one output frame): taps k = 1, 2 see e1 frames 0, 1; tap 0 sees the zero pad.
    const e1 = this.e1;
    const e2 = this.e2;
    const w2 = w.enc2Weight;
    for (let o = 0; o < 64; o++) {
      let acc = w.enc2Bias[o]!;
      let base = o * 64 * 3;
      for (let c = 0; c < 64; c++, base += 3) acc += w2[base + 1]! * e1[c * 4 + 1]! + w2[base + 2]! * e1[c * 4 + 2]!;
      e2[o] = acc > 0 ? acc : 0;
    }
    // encoder 3 (stride 1, one frame): only the centre tap sees data.
    const xh = this.xh;
    const w3 = w.enc3Weight;
    for (let o = 0; o < 128; o++) {
      let acc = w.enc3Bias[o]!;
      let base = o * 64 * 3 + 1;
      for (let c = 0; c < 64; c++, base += 3) acc += w3[base]! * e2[c]!;
      xh[o] = acc > 0 ? acc : 0;
    }
    // LSTM step: gates = [W_ih | W_hh]·[x | h] + b.
    const g = this.gates;
    const lw = w.lstmWeight;
    const lb = w.lstmBias;
    for (let r = 0; r < 512; r += 4) {
      // Four rows per pass share each load of the input vector.
      let a0 = lb[r]!;
      let a1 = lb[r + 1]!;
      let a2 = lb[r + 2]!;
      let a3 = lb[r + 3]!;
      let p0 = r * 256;
      for (let j = 0; j < 256; j++, p0++) {
        const v = xh[j]!;
        a0 += lw[p0]! * v;
        a1 += lw[p0 + 256]! * v;
        a2 += lw[p0 + 512]! * v;
        a3 += lw[p0 + 768]! * v;
      }
      g[r] = a0;
      g[r + 1] = a1;
      g[r + 2] = a2;
      g[r + 3] = a3;
    }
    const c = this.c;
    let logit = w.outBias;
    for (let j = 0; j < 128; j++) {
      const i = sigmoid(g[j]!);
      const f = sigmoid(g[128 + j]!);
      const gg = Math.tanh(g[256 + j]!);
      const o = sigmoid(g[384 + j]!);
      const cj = f * c[j]! + i * gg;
      c[j] = cj;
      const h = o * Math.tanh(cj);
      xh[128 + j] = h;
      if (h > 0) logit += w.outWeight[j]! * h;
    }
    return sigmoid(logit);
  }
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * encoder 0: conv1d k3, stride 1, pad 1, + ReLU, over 4 frames. Input [bins][6] with zero columns 0 and 5; output
 * [128][6] in the same padded layout. All 4 frames of one output channel are computed together so each weight and
 * input value is loaded once.
 */
function encoder0(mag: Float64Array, bins: number, weight: Float32Array, bias: Float32Array, out: Float64Array): void {
  let wi = 0;
  for (let o = 0; o < 128; o++) {
    const b = bias[o]!;
    let a0 = b;
    let a1 = b;
    let a2 = b;
    let a3 = b;
    for (let c = 0, xi = 0; c < bins; c++, xi += 6, wi += 3) {
      const w0 = weight[wi]!;
      const w1 = weight[wi + 1]!;
      const w2 = weight[wi + 2]!;
      const x0 = mag[xi]!;
      const x1 = mag[xi + 1]!;
      const x2 = mag[xi + 2]!;
      const x3 = mag[xi + 3]!;
      const x4 = mag[xi + 4]!;
      const x5 = mag[xi + 5]!;
      a0 += w0 * x0 + w1 * x1 + w2 * x2;
      a1 += w0 * x1 + w1 * x2 + w2 * x3;
      a2 += w0 * x2 + w1 * x3 + w2 * x4;
      a3 += w0 * x3 + w1 * x4 + w2 * x5;
    }
    const at = o * 6;
    out[at + 1] = a0 > 0 ? a0 : 0;
    out[at + 2] = a1 > 0 ? a1 : 0;
    out[at + 3] = a2 > 0 ? a2 : 0;
    out[at + 4] = a3 > 0 ? a3 : 0;
  }
}

/** encoder 1: conv1d k3, stride 2, pad 1, + ReLU: [128][6] padded -> [64][4] with the 2 frames in columns 1, 2. */
function encoder1(e0: Float64Array, weight: Float32Array, bias: Float32Array, out: Float64Array): void {
  let wi = 0;
  for (let o = 0; o < 64; o++) {
    let a0 = bias[o]!;
    let a1 = a0;
    for (let c = 0, xi = 0; c < 128; c++, xi += 6, wi += 3) {
      const w0 = weight[wi]!;
      const w1 = weight[wi + 1]!;
      const w2 = weight[wi + 2]!;
      const x2 = e0[xi + 2]!;
      a0 += w0 * e0[xi]! + w1 * e0[xi + 1]! + w2 * x2;
      a1 += w0 * x2 + w1 * e0[xi + 3]! + w2 * e0[xi + 4]!;
    }
    out[o * 4 + 1] = a0 > 0 ? a0 : 0;
    out[o * 4 + 2] = a1 > 0 ? a1 : 0;
  }
}

/**
 * Creates a Silero VAD engine (v5 by default) that runs in-process with no native addon, from the weights shipped in
 * `assets/silero/` (loaded once per process and shared): WebAssembly SIMD built in this repo, or plain TypeScript.
 * Synchronous. One engine per stream; frames of `frameSamples` (512 at 16 kHz, 256 at 8 kHz) mono float samples.
 * Audio at other rates (24 kHz realtime, 48 kHz Discord, 44.1 kHz files) goes through a `Resampler` to 16 kHz first
 * (`new Resampler({ inputRate, outputRate: 16000, channels: 1 })`), as the VAD streams do.
 * @throws InputError for an unsupported sample rate or version; SileroWeightsError when the weights are missing.
 */
export function createSileroVad(options: SileroVadOptions = {}): VadEngine {
  const sampleRate = options.sampleRate ?? 16000;
  const version = options.version ?? 'v5';
  if (sampleRate !== 16000 && sampleRate !== 8000) {
    throw new InputError(
      `Silero VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}: resample the audio first (Resampler) and pass sampleRate 16000`,
    );
  }
  if (version !== 'v5' && version !== 'v6') throw new InputError(`unknown Silero VAD version ${String(version)}: use 'v5' or 'v6'`);
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'js') {
    throw new InputError(`unknown Silero VAD backend ${String(backend)}: use 'auto', 'wasm' or 'js'`);
  }
  const weights = loadSileroWeights(version as SileroVersion, sampleRate as SileroSampleRate, options.weightsDir);
  if (backend !== 'js') {
    const rt = sileroWasmRuntime();
    if (rt) return new SileroVadWasm(weights, rt);
    if (backend === 'wasm') throw new InputError('this JavaScript runtime has no WebAssembly SIMD: use backend "js" (or "auto")');
  }
  return new SileroVadTs(weights);
}
