import { InputError } from '../errors.js';
import type { VadEngine } from './vad-engine.js';
import type { SileroWeights } from './silero-weights.js';
import { SILERO_WASM_BASE64 } from './wasm/silero-wasm-binary.js';

// Memory map shared with wasm/vad/silero.ts: scratch at 0, one io block, then the weight blocks.
const IO_BYTES = 4096; // h[128] c[128] ctx[64] window[512] pad[64] = 3072 bytes at 16 kHz, rounded up
const STATE_FLOATS = 256; // h | c
const PAGE = 65536;

// The project's lib settings (ES2023, no DOM) carry no WebAssembly types: declare the little we use.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmExports {
  memory: WasmMemory;
  forward(w: number, io: number, s: number): number;
  SCRATCH_BYTES: { value: number };
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** The one WebAssembly instance of the process: its memory holds every loaded weight block and one scratch area. */
class SileroWasmRuntime {
  readonly forward: (w: number, io: number, s: number) => number;
  readonly scratchPtr = 0;
  readonly ioPtr: number;
  /** Changes whenever memory grows (typed-array views over the old buffer are then detached). */
  generation = 0;
  heap: Float32Array;
  private readonly memory: WasmMemory;
  private top: number;
  private readonly blocks = new Map<SileroWeights, number>();

  constructor(exports: WasmExports) {
    this.memory = exports.memory;
    this.forward = exports.forward;
    const scratch = Number(exports.SCRATCH_BYTES.value);
    this.ioPtr = align(scratch, 64);
    this.top = this.ioPtr + IO_BYTES;
    this.ensure(this.top);
    this.heap = new Float32Array(this.memory.buffer);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.heap = new Float32Array(this.memory.buffer);
    this.generation++;
  }

  private alloc(bytes: number): number {
    const at = align(this.top, 16);
    this.top = at + bytes;
    this.ensure(this.top);
    return at;
  }

  /** Copies one branch's weights into linear memory (once), re-laid out for the SIMD loops; returns the block's address. */
  weightsBlock(w: SileroWeights): number {
    const known = this.blocks.get(w);
    if (known !== undefined) return known;
    const n = w.filterLength;
    const bins = n / 2 + 1;
    const sections: Float32Array[] = [];
    const win = w.stftWindow;
    const cos = new Float32Array(n / 2);
    const sin = new Float32Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    const bitrev = new Int32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      bitrev[i] = r;
    }
    // conv weight [out][in][3] -> [out/4][in][taps][4]
    const lanes = (src: Float32Array, outC: number, inC: number, taps: readonly number[]): Float32Array => {
      const dst = new Float32Array((outC / 4) * inC * taps.length * 4);
      let at = 0;
      for (let g = 0; g < outC / 4; g++) {
        for (let c = 0; c < inC; c++) {
          for (const k of taps) {
            for (let l = 0; l < 4; l++) dst[at++] = src[((g * 4 + l) * inC + c) * 3 + k]!;
          }
        }
      }
      return dst;
    };
    // LSTM [512][256] -> [32 passes][256][16 rows]
    const lstm = new Float32Array(512 * 256);
    {
      let at = 0;
      for (let pass = 0; pass < 32; pass++) {
        for (let j = 0; j < 256; j++) {
          for (let r = 0; r < 16; r++) lstm[at++] = w.lstmWeight[(pass * 16 + r) * 256 + j]!;
        }
      }
    }
    sections.push(
      win,
      cos,
      sin,
      new Float32Array(bitrev.buffer),
      lanes(w.enc0Weight, 128, bins, [0, 1, 2]),
      w.enc0Bias,
      lanes(w.enc1Weight, 64, 128, [0, 1, 2]),
      w.enc1Bias,
      lanes(w.enc2Weight, 64, 64, [1, 2]),
      w.enc2Bias,
      lanes(w.enc3Weight, 128, 64, [1]),
      w.enc3Bias,
      lstm,
      w.lstmBias,
      w.outWeight,
      Float32Array.of(w.outBias),
    );
    const headerBytes = 128;
    let size = headerBytes;
    const offsets: number[] = [n];
    for (const s of sections) {
      offsets.push(size);
      size = align(size + s.byteLength, 16);
    }
    const base = this.alloc(size);
    const header = new Int32Array(this.memory.buffer, base, offsets.length);
    header.set(offsets);
    const heap = this.heap;
    sections.forEach((s, i) => heap.set(s, (base + offsets[i + 1]!) / 4));
    this.blocks.set(w, base);
    return base;
  }
}

function align(v: number, to: number): number {
  return Math.ceil(v / to) * to;
}

let runtime: SileroWasmRuntime | null | undefined;

/** The shared WebAssembly runtime, or null when this JavaScript engine has no WebAssembly SIMD. */
export function sileroWasmRuntime(): SileroWasmRuntime | null {
  if (runtime !== undefined) return runtime;
  try {
    const bytes = Buffer.from(SILERO_WASM_BASE64, 'base64');
    // Synchronous compile is fine in Node for a module this small (5 KB).
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(bytes);
    const instance = new wasm.Instance(module, {});
    runtime = new SileroWasmRuntime(instance.exports as unknown as WasmExports);
  } catch {
    runtime = null;
  }
  return runtime;
}

/**
 * Silero VAD v5/v6 on WebAssembly SIMD (built in this repo from wasm/vad/silero.ts). Same contract and numbers as
 * {@link SileroVadTs}; this instance keeps only its own state (h, c, context) and copies it in and out of the shared
 * linear memory around each call, so any number of streams share one module and one copy of the weights.
 */
export class SileroVadWasm implements VadEngine {
  readonly name: string;
  readonly sampleRate: number;
  readonly frameSamples: number;
  private readonly rt: SileroWasmRuntime;
  private readonly block: number;
  private readonly persist: Float32Array;
  private readonly frameIndex: number;
  private ioView: Float32Array;
  private generation: number;

  constructor(weights: SileroWeights, rt: SileroWasmRuntime) {
    this.name = `silero-${weights.version}`;
    this.sampleRate = weights.sampleRate;
    this.frameSamples = weights.windowSamples;
    this.rt = rt;
    this.block = rt.weightsBlock(weights);
    this.persist = new Float32Array(STATE_FLOATS + weights.contextSamples);
    this.frameIndex = rt.ioPtr / 4 + STATE_FLOATS + weights.contextSamples;
    this.generation = rt.generation;
    this.ioView = new Float32Array(rt.heap.buffer, rt.ioPtr, this.persist.length);
  }

  reset(): void {
    this.persist.fill(0);
  }

  /**
   * Speech probability of the next `frameSamples` samples (NaN and ±Infinity read as 0).
   * @throws InputError when the frame does not hold exactly `frameSamples` samples.
   */
  process(frame: Float32Array): number {
    if (frame.length !== this.frameSamples) {
      throw new InputError(`${this.name} at ${this.sampleRate} Hz takes frames of exactly ${this.frameSamples} samples, got ${frame.length}`);
    }
    const rt = this.rt;
    if (this.generation !== rt.generation) {
      this.generation = rt.generation;
      this.ioView = new Float32Array(rt.heap.buffer, rt.ioPtr, this.persist.length);
    }
    const view = this.ioView;
    view.set(this.persist);
    rt.heap.set(frame, this.frameIndex);
    const p = rt.forward(this.block, rt.ioPtr, rt.scratchPtr);
    this.persist.set(view);
    return p;
  }
}
