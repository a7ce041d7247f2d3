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
}

const FRAMES = 4; // STFT frames per window: (context + window + pad - n) / hop + 1 for both rates

/**
 * Silero VAD v5/v6 in plain TypeScript: the network's forward pass (STFT magnitude by FFT, four conv1d+ReLU layers,
 * one LSTM step, 1x1 conv + sigmoid) over preallocated Float32Arrays, with the 64-sample (32 at 8 kHz) context and
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
  private readonly mag: Float32Array;
  /** encoder 0 output [128][FRAMES + 2], padded the same way. */
  private readonly e0: Float32Array;
  /** encoder 1 output [64][2 + 2], padded. */
  private readonly e1: Float32Array;
  private readonly e2: Float32Array;
  /** [encoder 3 output (128) | h (128)]: the LSTM's input and recurrent vector side by side. */
  private readonly xh: Float32Array;
  private readonly c: Float32Array;
  private readonly gates: Float32Array;

  constructor(weights: SileroWeights) {
    this.w = weights;
    this.name = `silero-${weights.version}`;
    this.sampleRate = weights.sampleRate;
    this.frameSamples = weights.windowSamples;
    this.stft = new StftMagnitude(weights.stftWindow);
    this.bins = this.stft.bins;
    this.input = new Float32Array(weights.contextSamples + weights.windowSamples + weights.padRight);
    this.mag = new Float32Array(this.bins * (FRAMES + 2));
    this.e0 = new Float32Array(128 * (FRAMES + 2));
    this.e1 = new Float32Array(64 * 4);
    this.e2 = new Float32Array(64);
    this.xh = new Float32Array(256);
    this.c = new Float32Array(128);
    this.gates = new Float32Array(512);
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

    conv3(this.mag, this.bins, stride, FRAMES, w.enc0Weight, w.enc0Bias, 128, 1, this.e0, stride);
    conv3(this.e0, 128, stride, FRAMES, w.enc1Weight, w.enc1Bias, 64, 2, this.e1, 4);
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
    for (let r = 0; r < 512; r++) {
      const base = r * 256;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let j = 0; j < 256; j += 4) {
        a0 += lw[base + j]! * xh[j]!;
        a1 += lw[base + j + 1]! * xh[j + 1]!;
        a2 += lw[base + j + 2]! * xh[j + 2]!;
        a3 += lw[base + j + 3]! * xh[j + 3]!;
      }
      g[r] = w.lstmBias[r]! + (a0 + a1) + (a2 + a3);
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
 * conv1d, kernel 3, padding 1, stride 1 or 2, + ReLU, over inputs stored [channel][frames + 2] with zero end columns.
 * Output goes to [channel][outFrames + 2] at column 1 (same padded layout, ready for the next layer).
 */
function conv3(
  input: Float32Array,
  inChannels: number,
  inStride: number,
  inFrames: number,
  weight: Float32Array,
  bias: Float32Array,
  outChannels: number,
  step: 1 | 2,
  out: Float32Array,
  outStride: number,
): void {
  const outFrames = step === 1 ? inFrames : inFrames >> 1;
  for (let o = 0; o < outChannels; o++) {
    const b = bias[o]!;
    for (let f = 0; f < outFrames; f++) {
      let acc = b;
      const at = f * step; // padded column of tap 0
      let wi = o * inChannels * 3;
      let xi = at;
      for (let ch = 0; ch < inChannels; ch++, wi += 3, xi += inStride) {
        acc += weight[wi]! * input[xi]! + weight[wi + 1]! * input[xi + 1]! + weight[wi + 2]! * input[xi + 2]!;
      }
      out[o * outStride + 1 + f] = acc > 0 ? acc : 0;
    }
  }
}

/**
 * Creates a Silero VAD engine (v5 by default) that runs in-process with no native addon, from the weights shipped in
 * `assets/silero/` (loaded once per process and shared): WebAssembly SIMD built in this repo, or plain TypeScript.
 * Synchronous. One engine per stream; frames of `frameSamples` (512 at 16 kHz, 256 at 8 kHz) mono float samples.
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
  const weights = loadSileroWeights(version as SileroVersion, sampleRate as SileroSampleRate);
  if (backend !== 'js') {
    const rt = sileroWasmRuntime();
    if (rt) return new SileroVadWasm(weights, rt);
    if (backend === 'wasm') throw new InputError('this JavaScript runtime has no WebAssembly SIMD: use backend "js" (or "auto")');
  }
  return new SileroVadTs(weights);
}
