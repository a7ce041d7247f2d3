import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenLabAudioError } from '../errors.js';
import type { ErrorCode } from '../../core/error-codes.js';

/** Silero VAD model generations whose weights ship with this package. */
export type SileroVersion = 'v5' | 'v6';

/** Input rates the Silero network has a branch for. Other rates go through a `Resampler` first. */
export type SileroSampleRate = 8000 | 16000;

/** The shipped Silero weights are missing or damaged (a broken install, or a bundler that dropped `assets/`). */
export class SileroWeightsError extends TokenLabAudioError {
  static override brandName = 'SileroWeightsError';
  constructor(message: string, code: ErrorCode = 'TLA_ERR_SILERO_WEIGHTS', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/**
 * The weights of one Silero branch (one sample rate), in the layouts the forward pass uses. Immutable after load and
 * shared by every engine instance of that version and rate.
 */
export interface SileroWeights {
  readonly version: SileroVersion;
  readonly sampleRate: SileroSampleRate;
  /** STFT frame length n (256 at 16 kHz, 128 at 8 kHz); hop n/2; bins n/2+1. */
  readonly filterLength: number;
  readonly hopLength: number;
  /** Samples reflected past the end of the window before the STFT (n/4). */
  readonly padRight: number;
  /** Samples of the previous window prepended to each window (64 at 16 kHz, 32 at 8 kHz). */
  readonly contextSamples: number;
  /** New samples per window (512 at 16 kHz, 256 at 8 kHz). */
  readonly windowSamples: number;
  readonly stftWindow: Float32Array;
  /** encoder.i conv weights in ONNX layout [out][in][3] and biases [out]. */
  readonly enc0Weight: Float32Array;
  readonly enc0Bias: Float32Array;
  readonly enc1Weight: Float32Array;
  readonly enc1Bias: Float32Array;
  readonly enc2Weight: Float32Array;
  readonly enc2Bias: Float32Array;
  readonly enc3Weight: Float32Array;
  readonly enc3Bias: Float32Array;
  /** LSTM: [W_ih | W_hh] fused to [512][256] (gate order i, f, g, o, PyTorch's), bias b_ih + b_hh [512]. */
  readonly lstmWeight: Float32Array;
  readonly lstmBias: Float32Array;
  /** Output 1x1 conv: weight [128], bias [1]. */
  readonly outWeight: Float32Array;
  readonly outBias: number;
}

interface IndexEntry {
  offset: number;
  shape: number[];
}

interface RateIndex {
  filterLength: number;
  hopLength: number;
  padRight: number;
  contextSamples: number;
  windowSamples: number;
  tensors: Record<string, IndexEntry>;
}

interface WeightsIndex {
  format: string;
  version: string;
  binSha256: string;
  floats: number;
  rates: Record<string, RateIndex>;
}

const cache = new Map<string, SileroWeights>();
const blobs = new Map<string, { index: WeightsIndex; data: Float32Array }>();

/** Finds `assets/silero` walking up from this module: works from src/ (tests, tsx) and from dist/esm or dist/cjs. */
function assetsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'assets', 'silero');
    if (existsSync(path.join(candidate, 'silero-vad-v5.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SileroWeightsError(
    'Silero VAD weights not found: the package folder assets/silero/ is missing next to dist/. ' +
      'Reinstall tokenlab-audio; if you bundle your app, copy node_modules/tokenlab-audio/assets alongside the bundle.',
  );
}

function loadBlob(version: SileroVersion, weightsDir: string | undefined): { index: WeightsIndex; data: Float32Array } {
  const dir = weightsDir ?? assetsDir();
  const key = `${dir}\0${version}`;
  const known = blobs.get(key);
  if (known) return known;
  const jsonPath = path.join(dir, `silero-vad-${version}.json`);
  const binPath = path.join(dir, `silero-vad-${version}.bin`);
  let index: WeightsIndex;
  let bytes: Buffer;
  try {
    index = JSON.parse(readFileSync(jsonPath, 'utf8')) as WeightsIndex;
    bytes = readFileSync(binPath);
  } catch (cause) {
    throw new SileroWeightsError(`cannot read the Silero ${version} weights in ${dir}: ${(cause as Error).message}`, undefined, { cause });
  }
  if (index.format !== 'tokenlab-silero-weights/1') {
    throw new SileroWeightsError(`${jsonPath}: unknown weights format ${JSON.stringify(index.format)}`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (bytes.byteLength !== index.floats * 4 || sha !== index.binSha256) {
    throw new SileroWeightsError(`${binPath} is damaged (size or checksum differs from its index); reinstall tokenlab-audio`);
  }
  const data = new Float32Array(index.floats);
  if (os.endianness() === 'LE') {
    new Uint8Array(data.buffer).set(bytes);
  } else {
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
  }
  const blob = { index, data };
  blobs.set(key, blob);
  return blob;
}

/**
 * Loads (once per process) the weights of one Silero version and sample rate from the package's `assets/silero/`,
 * or from `weightsDir` (a copy of that folder, for apps bundled into one file).
 * @throws SileroWeightsError when the files are missing or damaged.
 */
export function loadSileroWeights(version: SileroVersion, sampleRate: SileroSampleRate, weightsDir?: string): SileroWeights {
  const key = `${weightsDir ?? ''}\0${version}/${sampleRate}`;
  const known = cache.get(key);
  if (known) return known;
  const { index, data } = loadBlob(version, weightsDir);
  const rate = index.rates[String(sampleRate)];
  if (!rate) throw new SileroWeightsError(`the Silero ${version} weights have no ${sampleRate} Hz branch`);
  const tensor = (name: string, shape: number[]): Float32Array => {
    const entry = rate.tensors[name];
    if (!entry || entry.shape.join(',') !== shape.join(',')) {
      throw new SileroWeightsError(`Silero ${version} ${sampleRate} Hz: tensor ${name} missing or not of shape [${shape}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (entry.offset < 0 || entry.offset + size > data.length) throw new SileroWeightsError(`Silero ${version}: tensor ${name} out of range`);
    return data.subarray(entry.offset, entry.offset + size);
  };
  const n = rate.filterLength;
  const bins = n / 2 + 1;
  const wih = tensor('decoder.rnn.weight_ih', [512, 128]);
  const whh = tensor('decoder.rnn.weight_hh', [512, 128]);
  const lstmWeight = new Float32Array(512 * 256);
  for (let r = 0; r < 512; r++) {
    lstmWeight.set(wih.subarray(r * 128, r * 128 + 128), r * 256);
    lstmWeight.set(whh.subarray(r * 128, r * 128 + 128), r * 256 + 128);
  }
  const bih = tensor('decoder.rnn.bias_ih', [512]);
  const bhh = tensor('decoder.rnn.bias_hh', [512]);
  const lstmBias = new Float32Array(512);
  // ONNX Runtime adds the two biases in float32 too, so summing them here changes nothing it would not.
  for (let i = 0; i < 512; i++) lstmBias[i] = bih[i]! + bhh[i]!;
  const weights: SileroWeights = Object.freeze({
    version,
    sampleRate,
    filterLength: n,
    hopLength: rate.hopLength,
    padRight: rate.padRight,
    contextSamples: rate.contextSamples,
    windowSamples: rate.windowSamples,
    stftWindow: tensor('stft.window', [n]),
    enc0Weight: tensor('encoder.0.reparam_conv.weight', [128, bins, 3]),
    enc0Bias: tensor('encoder.0.reparam_conv.bias', [128]),
    enc1Weight: tensor('encoder.1.reparam_conv.weight', [64, 128, 3]),
    enc1Bias: tensor('encoder.1.reparam_conv.bias', [64]),
    enc2Weight: tensor('encoder.2.reparam_conv.weight', [64, 64, 3]),
    enc2Bias: tensor('encoder.2.reparam_conv.bias', [64]),
    enc3Weight: tensor('encoder.3.reparam_conv.weight', [128, 64, 3]),
    enc3Bias: tensor('encoder.3.reparam_conv.bias', [128]),
    lstmWeight,
    lstmBias,
    outWeight: tensor('decoder.decoder.2.weight', [1, 128, 1]),
    outBias: tensor('decoder.decoder.2.bias', [1])[0]!,
  });
  if (rate.hopLength !== n / 2 || rate.padRight !== n / 4 || rate.windowSamples !== 2 * n || (rate.windowSamples + rate.contextSamples + rate.padRight - n) / rate.hopLength + 1 !== 4) {
    throw new SileroWeightsError(`Silero ${version} ${sampleRate} Hz: unexpected STFT geometry in the weights index`);
  }
  cache.set(key, weights);
  return weights;
}
