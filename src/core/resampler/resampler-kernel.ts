import { floatToS16 } from '../pcm/pcm-convert.js';
import { RESAMPLER_KERNEL_WASM_BASE64 } from './resampler-kernel-wasm.js';

/**
 * The resampler's inner loop over one float32 memory: WebAssembly SIMD (built in this repo from
 * wasm/resampler-kernel.ts) when the runtime has it, else a JS loop with the same arithmetic, so both
 * give bit-identical output. All offsets are in floats (4-byte units) into `mem`.
 * @internal
 */
export interface ResamplerKernel {
  /** The float32 memory; replaced after {@link ResamplerKernel.ensure} grows it. */
  mem: Float32Array;
  /** The same memory as s16 (index = byte offset / 2); replaced with `mem`. */
  mem16: Int16Array;
  readonly simd: boolean;
  /** Makes `mem` at least `floats` long (keeping its contents). */
  ensure(floats: number): void;
  /**
   * `count` outputs of one channel: output m = Σ_j coeffs[coeffOff + phase_m * taps + j] * mem[first_m + j],
   * stored at out + m * outStride; first/phase advance by stepWhole/stepFrac, phase wrapping at `phases`.
   */
  run(
    coeffOff: number,
    taps: number,
    phases: number,
    first: number,
    phase: number,
    stepWhole: number,
    stepFrac: number,
    count: number,
    out: number,
    outStride: number,
  ): void;
  /**
   * Moves `frames` interleaved frames (`channels` floats each, at float offset `src`) into the
   * histories, sanitised (NaN → 0, ±Infinity → ±1): mode 0 de-interleaves channel c to
   * dst + c * dstGap; mode 1 mixes stereo to one channel as f32(l + r) * 0.5.
   */
  mixIn(src: number, frames: number, channels: number, dst: number, dstGap: number, mode: 0 | 1): void;
  /** In place: copies the first float of each of `frames` frames (`channels` wide, from `at`) to the frame's other floats. */
  upmix(at: number, frames: number, channels: number): void;
  /**
   * `mixIn` for s16 input at s16 index `src16`: x / 32768 (mode 1: stereo to mono as (l + r) / 65536,
   * bit-identical to the float path's mix of the same samples). `dst`/`dstGap` in floats.
   */
  mixInS16(src16: number, frames: number, channels: number, dst: number, dstGap: number, mode: 0 | 1): void;
  /**
   * In place: `frames` frames of floats at float offset `at` become s16 from s16 index `2 * at`, as
   * pcm-convert's floatToS16 rounds and clips. Mode 0: `channels` floats per frame; mode 1: the first
   * float of each `channels`-wide frame, written to every channel (the mono up-mix).
   */
  toS16(at: number, frames: number, channels: number, mode: 0 | 1): void;
}

type RunFn = (
  coeffs: number,
  taps: number,
  phases: number,
  hist: number,
  first: number,
  phase: number,
  stepWhole: number,
  stepFrac: number,
  count: number,
  out: number,
  outStride: number,
) => void;

// The few WebAssembly APIs used; our lib settings (no DOM) do not declare them.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

let compiled: object | null | undefined;

function wasmModule(): object | null {
  if (compiled === undefined) {
    try {
      const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
      compiled = api ? new api.Module(Buffer.from(RESAMPLER_KERNEL_WASM_BASE64, 'base64')) : null;
    } catch {
      // No WebAssembly SIMD here (very old or locked-down runtime): the JS loop does the same work.
      compiled = null;
    }
  }
  return compiled;
}

/** A kernel with its own memory. `preferWasm: false` forces the JS loop (tests compare the two). */
export function createResamplerKernel(preferWasm = true): ResamplerKernel {
  const mod = preferWasm ? wasmModule() : null;
  if (mod !== null) {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new api.Instance(mod, {});
    const memory = instance.exports.memory as WasmMemory;
    const runWasm = instance.exports.run as RunFn;
    const mixInWasm = instance.exports.mixIn as (src: number, frames: number, channels: number, dst: number, dstGap: number, mode: number) => void;
    const upmixWasm = instance.exports.upmix as (at: number, frames: number, channels: number) => void;
    const mixInS16Wasm = instance.exports.mixInS16 as (src: number, frames: number, channels: number, dst: number, dstGap: number, mode: number) => void;
    const toS16Wasm = instance.exports.toS16 as (at: number, frames: number, channels: number, mode: number) => void;
    const kernel: ResamplerKernel = {
      mem: new Float32Array(memory.buffer),
      mem16: new Int16Array(memory.buffer),
      simd: true,
      ensure(floats: number): void {
        const bytes = floats * 4;
        if (memory.buffer.byteLength >= bytes) return;
        memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
        kernel.mem = new Float32Array(memory.buffer);
        kernel.mem16 = new Int16Array(memory.buffer);
      },
      mixInS16(src16, frames, channels, dst, dstGap, mode): void {
        mixInS16Wasm(src16 * 2, frames, channels, dst * 4, dstGap * 4, mode);
      },
      toS16(at, frames, channels, mode): void {
        toS16Wasm(at * 4, frames, channels, mode);
      },
      run(coeffOff, taps, phases, first, phase, stepWhole, stepFrac, count, out, outStride): void {
        // The wasm side takes byte pointers for the tables and an index for `first` relative to hist = 0.
        runWasm(coeffOff * 4, taps, phases, 0, first, phase, stepWhole, stepFrac, count, out * 4, outStride);
      },
      mixIn(src, frames, channels, dst, dstGap, mode): void {
        mixInWasm(src * 4, frames, channels, dst * 4, dstGap * 4, mode);
      },
      upmix(at, frames, channels): void {
        upmixWasm(at * 4, frames, channels);
      },
    };
    return kernel;
  }
  const kernel: ResamplerKernel = {
    mem: new Float32Array(0),
    mem16: new Int16Array(0),
    simd: false,
    ensure(floats: number): void {
      if (kernel.mem.length >= floats) return;
      const next = new Float32Array(Math.max(floats, kernel.mem.length * 2));
      next.set(kernel.mem);
      kernel.mem = next;
      kernel.mem16 = new Int16Array(next.buffer);
    },
    mixInS16(src16, frames, channels, dst, dstGap, mode): void {
      const mem = kernel.mem;
      const m16 = kernel.mem16;
      if (mode === 1) {
        for (let i = 0, s = src16; i < frames; i++, s += 2) mem[dst + i] = (m16[s]! + m16[s + 1]!) * (1 / 65536);
        return;
      }
      for (let c = 0; c < channels; c++) {
        for (let i = 0, s = src16 + c, d = dst + c * dstGap; i < frames; i++, s += channels) mem[d + i] = m16[s]! * (1 / 32768);
      }
    },
    toS16(at, frames, channels, mode): void {
      const mem = kernel.mem;
      const m16 = kernel.mem16;
      const o = at * 2;
      if (mode === 0) {
        for (let i = 0, n = frames * channels; i < n; i++) m16[o + i] = floatToS16(mem[at + i]!);
        return;
      }
      for (let f = 0; f < frames; f++) {
        const v = floatToS16(mem[at + f * channels]!);
        for (let c = 0; c < channels; c++) m16[o + f * channels + c] = v;
      }
    },
    run(coeffOff, taps, phases, first, phase, stepWhole, stepFrac, count, out, outStride): void {
      runJs(kernel.mem, coeffOff, taps, phases, first, phase, stepWhole, stepFrac, count, out, outStride);
    },
    mixIn(src, frames, channels, dst, dstGap, mode): void {
      const mem = kernel.mem;
      const fr = Math.fround;
      if (mode === 1) {
        for (let i = 0; i < frames; i++) mem[dst + i] = clean(fr(fr(mem[src + 2 * i]! + mem[src + 2 * i + 1]!) * 0.5));
        return;
      }
      for (let c = 0; c < channels; c++) {
        for (let i = 0, s = src + c, d = dst + c * dstGap; i < frames; i++, s += channels) mem[d + i] = clean(mem[s]!);
      }
    },
    upmix(at, frames, channels): void {
      const mem = kernel.mem;
      for (let f = 0, p = at; f < frames; f++, p += channels) {
        for (let c = 1; c < channels; c++) mem[p + c] = mem[p]!;
      }
    },
  };
  return kernel;
}

/** The wasm kernel's arithmetic, operation for operation, in float32 (see wasm/resampler-kernel.ts). */
function runJs(
  mem: Float32Array,
  coeffOff: number,
  taps: number,
  phases: number,
  first: number,
  phase: number,
  stepWhole: number,
  stepFrac: number,
  count: number,
  out: number,
  outStride: number,
): void {
  const fr = Math.fround;
  let base = first;
  let ph = phase;
  for (let m = 0, o = out; m < count; m++, o += outStride) {
    const c = coeffOff + ph * taps;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let j = 0; j < taps; j += 8) {
      const cj = c + j;
      const xj = base + j;
      a0 = fr(a0 + fr(mem[cj]! * mem[xj]!));
      a1 = fr(a1 + fr(mem[cj + 1]! * mem[xj + 1]!));
      a2 = fr(a2 + fr(mem[cj + 2]! * mem[xj + 2]!));
      a3 = fr(a3 + fr(mem[cj + 3]! * mem[xj + 3]!));
      b0 = fr(b0 + fr(mem[cj + 4]! * mem[xj + 4]!));
      b1 = fr(b1 + fr(mem[cj + 5]! * mem[xj + 5]!));
      b2 = fr(b2 + fr(mem[cj + 6]! * mem[xj + 6]!));
      b3 = fr(b3 + fr(mem[cj + 7]! * mem[xj + 7]!));
    }
    mem[o] = fr(fr(fr(a0 + b0) + fr(a1 + b1)) + fr(fr(a2 + b2) + fr(a3 + b3)));
    base += stepWhole;
    ph += stepFrac;
    if (ph >= phases) {
      ph -= phases;
      base++;
    }
  }
}

/** NaN → 0, ±Infinity → ±1 (the wasm side's `clean`). */
function clean(x: number): number {
  return x - x !== 0 ? (x !== x ? 0 : x > 0 ? 1 : -1) : x;
}
