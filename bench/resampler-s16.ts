// The s16 path of the resampler bench (the headline: what streams carry), side by side with speexdsp's
// own s16 API (speex_resampler_process_int, WebAssembly SIMD build), in one run, rounds interleaved.
//
// Two levels, as users run them:
//   - `Resampler` with Int16Array chunks in and out (ours) against speex process_int with a JS s16
//     down-mix before / up-mix after where the channel counts differ (speex filters one channel);
//   - `ResampleStream` s16le -> s16le (a Transform, 20 ms Buffers written, 'data' listened to) against
//     the same speex calls in a minimal Transform (whole frames only: the bench writes whole 20 ms
//     frames, so the peer carries no partial frame; ours does, at no cost here).
import { Transform, type TransformCallback } from 'node:stream';
import { Resampler, type ResampleQuality } from '../src/core/resampler/resampler.js';
import { ResampleStream } from '../src/streams/resample-stream.js';

export interface S16Conversion {
  name: string;
  inRate: number;
  inCh: number;
  outRate: number;
  outCh: number;
}

/** The parts of the speex module used here. */
export interface SpeexS16Module {
  _malloc(n: number): number;
  _speex_resampler_init(ch: number, inRate: number, outRate: number, q: number, err: number): number;
  _speex_resampler_process_int(st: number, ch: number, inp: number, inLen: number, out: number, outLen: number): number;
  HEAP16: Int16Array;
  HEAPU32: Uint32Array;
}

/** A speex resampler for s16 chunks of `inCh` channels to `outCh` channels (mixing in JS, filtering one channel). */
function speexS16(m: SpeexS16Module, c: S16Conversion, quality: number): (x: Int16Array) => Int16Array {
  const err = m._malloc(4);
  const st = m._speex_resampler_init(1, c.inRate, c.outRate, quality, err);
  const maxIn = c.inRate;
  const maxOut = Math.ceil((maxIn * c.outRate) / c.inRate) + 64;
  const inPtr = m._malloc(maxIn * 2);
  const outPtr = m._malloc(maxOut * 2);
  const inLen = m._malloc(4);
  const outLen = m._malloc(4);
  const out = new Int16Array(maxOut * c.outCh);
  return (x) => {
    const frames = x.length / c.inCh;
    const heap = m.HEAP16;
    const base = inPtr >> 1;
    if (c.inCh === 2) {
      for (let i = 0, j = 0; i < frames; i++, j += 2) heap[base + i] = (x[j]! + x[j + 1]!) >> 1;
    } else {
      heap.set(x, base);
    }
    m.HEAPU32[inLen >> 2] = frames;
    m.HEAPU32[outLen >> 2] = maxOut;
    m._speex_resampler_process_int(st, 0, inPtr, inLen, outPtr, outLen);
    const n = m.HEAPU32[outLen >> 2]!;
    const o = outPtr >> 1;
    if (c.outCh === 2) {
      const h = m.HEAP16;
      for (let i = 0, j = 0; i < n; i++, j += 2) out[j] = out[j + 1] = h[o + i]!;
      return out.subarray(0, 2 * n);
    }
    out.set(m.HEAP16.subarray(o, o + n));
    return out.subarray(0, n);
  };
}

/** speex s16 in a minimal Transform: one output Buffer per chunk. */
class SpeexS16Stream extends Transform {
  readonly #convert: (x: Int16Array) => Int16Array;
  readonly #inCh: number;
  #view: Int16Array | null = null;
  #viewBytes: Buffer | null = null;
  constructor(m: SpeexS16Module, c: S16Conversion, quality: number) {
    super();
    this.#convert = speexS16(m, c, quality);
    this.#inCh = c.inCh;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const x = new Int16Array(chunk.buffer, chunk.byteOffset, chunk.length >> 1);
    const y = this.#convert(x);
    if (this.#view !== y) {
      this.#view = y;
      this.#viewBytes = Buffer.from(y.buffer, y.byteOffset, y.length * 2);
    }
    const out = Buffer.allocUnsafe(y.length * 2);
    this.#viewBytes!.copy(out);
    this.push(out);
    cb();
    void this.#inCh;
  }
}

function noiseS16(samples: number, seed: number): Int16Array {
  let s = seed >>> 0;
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = Math.round((s / 2 ** 32 - 0.5) * 0.8 * 65535);
  }
  return x;
}

/** One subject: `run()` converts AUDIO_S seconds in 20 ms chunks. */
type Job = () => void;

const AUDIO_S = 2;

function arrayJob(convert: (x: Int16Array) => unknown, x: Int16Array, chunkSamples: number): Job {
  return () => {
    for (let p = 0; p + chunkSamples <= x.length; p += chunkSamples) convert(x.subarray(p, p + chunkSamples));
  };
}

function streamJob(stream: Transform, chunks: Buffer[]): Job {
  stream.on('data', () => {});
  return () => {
    for (const c of chunks) stream.write(c);
  };
}

/**
 * x realtime per job (CPU time of this process, best of `rounds`) and, for each pair (ours, peer) in
 * `pairs`, the median over rounds of the per-round ratio: rounds interleave every job, so load from
 * other processes on a shared machine hits both sides of a ratio alike.
 */
function timeInterleaved(jobs: Job[], pairs: [number, number][], rounds: number, minRoundMs: number): { xrt: number[]; medianRatio: number[] } {
  const best = jobs.map(() => Infinity);
  const perRound: number[][] = jobs.map(() => []);
  for (const job of jobs) job();
  for (let round = 0; round < rounds; round++) {
    jobs.forEach((job, k) => {
      let reps = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      do {
        job();
        reps++;
      } while (performance.now() - t0 < minRoundMs);
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000 / reps;
      perRound[k]!.push(ms);
      best[k] = Math.min(best[k]!, ms);
    });
  }
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  return {
    xrt: best.map((ms) => (AUDIO_S * 1000) / ms),
    medianRatio: pairs.map(([a, b]) => median(perRound[a]!.map((ms, i) => perRound[b]![i]! / ms))),
  };
}

export interface S16Row {
  conversion: string;
  level: 'Resampler (Int16Array)' | 'ResampleStream (s16le)';
  ours: string;
  peer: string;
  oursXrt: number;
  peerXrt: number;
  /** Median of per-round ratios (ours / peer speed). */
  ratio: number;
}

/** Runs the s16 comparison for every conversion: default vs speex q7 and low-latency vs speex q5, at both levels. */
export function measureS16(m: SpeexS16Module, conversions: S16Conversion[], rounds: number, minRoundMs: number): S16Row[] {
  const rows: S16Row[] = [];
  for (const c of conversions) {
    const x = noiseS16(c.inRate * AUDIO_S * c.inCh, 11);
    const chunkSamples = (c.inRate / 50) * c.inCh;
    const bytes = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const chunks: Buffer[] = [];
    for (let p = 0; p + chunkSamples * 2 <= bytes.length; p += chunkSamples * 2) chunks.push(bytes.subarray(p, p + chunkSamples * 2));
    const options = (quality: ResampleQuality) => ({ inputRate: c.inRate, outputRate: c.outRate, channels: c.inCh, outputChannels: c.outCh, quality });
    const stream = (quality: ResampleQuality) =>
      new ResampleStream({
        from: { sampleRate: c.inRate, channels: c.inCh, encoding: 's16le' },
        to: { sampleRate: c.outRate, channels: c.outCh, encoding: 's16le' },
        quality,
      });
    const subjects: { ours: string; peer: string; level: S16Row['level']; a: Job; b: Job }[] = [];
    for (const [quality, q] of [['default', 7], ['low-latency', 5]] as const) {
      const r = new Resampler(options(quality));
      subjects.push({
        ours: `tokenlab ${quality}`,
        peer: `speex SIMD q${q}`,
        level: 'Resampler (Int16Array)',
        a: arrayJob((chunk) => r.process(chunk), x, chunkSamples),
        b: arrayJob(speexS16(m, c, q), x, chunkSamples),
      });
      subjects.push({
        ours: `tokenlab ${quality}`,
        peer: `speex SIMD q${q}`,
        level: 'ResampleStream (s16le)',
        a: streamJob(stream(quality), chunks),
        b: streamJob(new SpeexS16Stream(m, c, q), chunks),
      });
    }
    const jobs = subjects.flatMap((s) => [s.a, s.b]);
    const pairs = subjects.map((_, i): [number, number] => [2 * i, 2 * i + 1]);
    const { xrt, medianRatio } = timeInterleaved(jobs, pairs, rounds, minRoundMs);
    subjects.forEach((s, i) =>
      rows.push({ conversion: c.name, level: s.level, ours: s.ours, peer: s.peer, oursXrt: xrt[2 * i]!, peerXrt: xrt[2 * i + 1]!, ratio: medianRatio[i]! }),
    );
  }
  return rows;
}

// Standalone: node --import tsx bench/resampler-s16.ts (prints the rows; the bench proper writes them).
if (process.argv[1]?.endsWith('resampler-s16.ts')) {
  const mod = (await import('@echogarden/speex-resampler-wasm/simd' as string)) as { default: () => Promise<SpeexS16Module> };
  const m = await mod.default();
  const convs: S16Conversion[] = [
    { name: '48k stereo -> 24k mono', inRate: 48000, inCh: 2, outRate: 24000, outCh: 1 },
    { name: '24k mono -> 48k stereo', inRate: 24000, inCh: 1, outRate: 48000, outCh: 2 },
    { name: '44.1k -> 16k', inRate: 44100, inCh: 1, outRate: 16000, outCh: 1 },
    { name: '16k -> 24k', inRate: 16000, inCh: 1, outRate: 24000, outCh: 1 },
    { name: '8k -> 24k', inRate: 8000, inCh: 1, outRate: 24000, outCh: 1 },
  ];
  for (const r of measureS16(m, convs, Number(process.env.ROUNDS ?? 9), 30)) {
    console.log(`${r.conversion} | ${r.level} | ${r.ours} ${Math.round(r.oursXrt)} | ${r.peer} ${Math.round(r.peerXrt)} | ratio ${r.ratio.toFixed(2)}`);
  }
}

/** Least-squares fit of a·cos + b·sin at `hz` over y[from, to): amplitude and residual power (everything but the tone). */
export function fitTone(y: ArrayLike<number>, rate: number, hz: number, from: number, to: number): { amplitude: number; residual: number } {
  let cc = 0;
  let ss = 0;
  let cs = 0;
  let yc = 0;
  let ys = 0;
  const w = (2 * Math.PI * hz) / rate;
  for (let i = from; i < to; i++) {
    const c = Math.cos(w * i);
    const s = Math.sin(w * i);
    cc += c * c;
    ss += s * s;
    cs += c * s;
    yc += y[i]! * c;
    ys += y[i]! * s;
  }
  const det = cc * ss - cs * cs;
  const a = (yc * ss - ys * cs) / det;
  const b = (ys * cc - yc * cs) / det;
  let res = 0;
  for (let i = from; i < to; i++) {
    const e = y[i]! - a * Math.cos(w * i) - b * Math.sin(w * i);
    res += e * e;
  }
  return { amplitude: Math.hypot(a, b), residual: res / (to - from) };
}

/** THD+N of a tone at `hz` over y[from, to), in dB: everything but the tone, relative to the tone's power. */
function thdPlusNoiseDb(y: ArrayLike<number>, rate: number, hz: number, from: number, to: number): number {
  const { amplitude, residual } = fitTone(y, rate, hz, from, to);
  return 10 * Math.log10(residual / ((amplitude * amplitude) / 2));
}

export interface S16QualityRow {
  conversion: string;
  /** THD+N (dB) of a 997 Hz tone at -6 dBFS, s16 in and out (mono, first channel of the output). */
  oursDb: number;
  peerDb: number;
  /** THD+N of the ideal output tone rounded to s16: the floor that s16 output sets for any resampler. */
  floorDb: number;
}

/** THD+N with s16 in and out, default preset vs speex q7, against the floor of s16 output. */
export function measureS16Quality(m: SpeexS16Module, conversions: S16Conversion[]): S16QualityRow[] {
  const HZ = 997;
  return conversions.map((c) => {
    const frames = Math.round(c.inRate * 0.5);
    const mono = new Int16Array(frames);
    // 997 Hz (not 1 kHz): a tone commensurate with the rate makes the rounding error periodic, i.e. spurs, not a floor.
    for (let i = 0; i < frames; i++) mono[i] = Math.round(16384 * Math.sin((2 * Math.PI * HZ * i) / c.inRate));
    const x = new Int16Array(frames * c.inCh);
    for (let i = 0; i < frames; i++) for (let ch = 0; ch < c.inCh; ch++) x[i * c.inCh + ch] = mono[i]!;
    const r = new Resampler({ inputRate: c.inRate, outputRate: c.outRate, channels: c.inCh, outputChannels: c.outCh });
    const ours = Int16Array.from([...r.process(x), ...r.flushS16()]);
    const peer = speexS16(m, c, 7)(x);
    const firstChannel = (y: Int16Array): number[] => Array.from({ length: Math.floor(y.length / c.outCh) }, (_, i) => y[i * c.outCh]!);
    const skipOut = Math.round(c.outRate * 0.1);
    const fit = (y: number[]) => thdPlusNoiseDb(y, c.outRate, HZ, skipOut, y.length - skipOut);
    const ideal = Array.from({ length: Math.round((frames * c.outRate) / c.inRate) }, (_, i) => Math.round(16384 * Math.sin((2 * Math.PI * HZ * i) / c.outRate)));
    return {
      conversion: c.name,
      oursDb: fit(firstChannel(ours)),
      peerDb: fit(firstChannel(peer)),
      floorDb: fit(ideal),
    };
  });
}
