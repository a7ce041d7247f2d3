import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InputError, TokenLabAudioError } from '../errors.js';
import type { VadEngine } from './vad-engine.js';
import type { ErrorCode } from '../../core/error-codes.js';

/** Options of {@link createOnnxVad}. */
export interface OnnxVadOptions {
  /** 16000 (default, 512-sample frames) or 8000 (256-sample frames). */
  sampleRate?: 8000 | 16000;
  /**
   * Path to a Silero VAD v5/v6 ONNX file (inputs `input`, `state`, `sr`; outputs `output`, `stateN`). Default: the
   * `silero_vad_<version>.onnx` that @ricky0123/vad-web ships, when that package is installed.
   */
  modelPath?: string;
  /** Which file to pick from @ricky0123/vad-web when `modelPath` is not given. Default `v5`. */
  version?: 'v5' | 'v6';
  /** onnxruntime intra-op threads. Default 1 (one stream per core scales better than threads per stream). */
  intraOpNumThreads?: number;
}

/** onnxruntime-node is not installed, or is a version whose internals this backend does not know. */
export class OnnxRuntimeMissingError extends TokenLabAudioError {
  static override brandName = 'OnnxRuntimeMissingError';
  constructor(message: string, code: ErrorCode = 'TLA_ERR_ONNXRUNTIME_MISSING', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => OrtTensor;
}

/** The native session object of onnxruntime-node (what its InferenceSession wraps): `run` is synchronous there. */
interface NativeSession {
  loadModel(path: string, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose?(): void;
}

interface BindingModule {
  initOrt(): void;
  binding: { InferenceSession: new () => NativeSession };
}

// A variable specifier keeps bundlers and TypeScript from resolving the optional package at build time.
const ORT = 'onnxruntime-node';

/**
 * Silero VAD through onnxruntime-node, for users who already have it installed (it is not a dependency of this
 * package: 290 MB of native binaries). Same contract and numbers as {@link createSileroVad}, which needs nothing
 * native and is faster; this backend exists to cross-check and for users who want the reference runtime.
 *
 * `process` is synchronous (it calls the native session directly, as onnxruntime-node's own `run` does inside a
 * `setImmediate`) and allocates the output tensors ORT returns.
 * @throws OnnxRuntimeMissingError when onnxruntime-node cannot be loaded; InputError for bad options or a model file
 *   that does not exist.
 */
export async function createOnnxVad(options: OnnxVadOptions = {}): Promise<VadEngine> {
  const sampleRate = options.sampleRate ?? 16000;
  if (sampleRate !== 16000 && sampleRate !== 8000) {
    throw new InputError(`Silero VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}: resample first`);
  }
  const version = options.version ?? 'v5';
  const require = createRequire(import.meta.url);
  let modelPath = options.modelPath;
  if (modelPath === undefined) {
    try {
      modelPath = require.resolve(`@ricky0123/vad-web/dist/silero_vad_${version}.onnx`);
    } catch {
      throw new InputError(
        'createOnnxVad needs modelPath: the Silero VAD v5/v6 ONNX file (github.com/snakers4/silero-vad), ' +
          'or install @ricky0123/vad-web, which ships one',
      );
    }
  }
  if (!existsSync(modelPath)) throw new InputError(`Silero ONNX model not found at ${modelPath}`);

  let ort: OrtModule;
  let native: BindingModule;
  try {
    ort = (await import(ORT)) as OrtModule;
  } catch (cause) {
    throw new OnnxRuntimeMissingError(
      'onnxruntime-node is not installed: `npm install onnxruntime-node`, or use createSileroVad(), which runs the ' +
        'same model with no native addon',
      undefined,
      { cause },
    );
  }
  try {
    native = require(`${ORT}/dist/binding.js`) as BindingModule;
    if (typeof native.initOrt !== 'function' || typeof native.binding?.InferenceSession !== 'function') throw new Error('unexpected binding shape');
  } catch (cause) {
    throw new OnnxRuntimeMissingError(
      'this onnxruntime-node version has no synchronous session binding (dist/binding.js) that createOnnxVad knows; ' +
        'use createSileroVad() instead',
      undefined,
      { cause },
    );
  }
  native.initOrt();
  const session = new native.binding.InferenceSession();
  const threads = options.intraOpNumThreads ?? 1;
  session.loadModel(modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
  return new OnnxSileroVad(ort, session, sampleRate, version);
}

class OnnxSileroVad implements VadEngine {
  readonly name: string;
  readonly sampleRate: number;
  readonly frameSamples: number;
  private readonly session: NativeSession;
  private readonly contextSamples: number;
  private readonly input: Float32Array;
  private readonly state: Float32Array;
  private readonly feeds: Record<string, OrtTensor>;
  private readonly fetches = { output: null, stateN: null };
  private readonly runOptions = {};

  constructor(ort: OrtModule, session: NativeSession, sampleRate: 8000 | 16000, version: string) {
    this.name = `silero-${version}-onnxruntime`;
    this.sampleRate = sampleRate;
    this.frameSamples = sampleRate === 16000 ? 512 : 256;
    this.contextSamples = sampleRate === 16000 ? 64 : 32;
    this.session = session;
    this.input = new Float32Array(this.contextSamples + this.frameSamples);
    this.state = new Float32Array(256);
    // The tensors wrap our buffers, so refilling the buffers is enough between calls.
    this.feeds = {
      input: new ort.Tensor('float32', this.input, [1, this.input.length]),
      state: new ort.Tensor('float32', this.state, [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(sampleRate)), []),
    };
  }

  reset(): void {
    this.input.fill(0);
    this.state.fill(0);
  }

  process(frame: Float32Array): number {
    const len = this.frameSamples;
    if (frame.length !== len) {
      throw new InputError(`${this.name} at ${this.sampleRate} Hz takes frames of exactly ${len} samples, got ${frame.length}`);
    }
    const x = this.input;
    const ctx = this.contextSamples;
    x.copyWithin(0, len, len + ctx);
    for (let i = 0; i < len; i++) {
      const v = frame[i]!;
      x[ctx + i] = v - v === 0 ? v : 0;
    }
    const out = this.session.run(this.feeds, this.fetches, this.runOptions);
    this.state.set(out.stateN!.data as Float32Array);
    return (out.output!.data as Float32Array)[0]!;
  }
}
