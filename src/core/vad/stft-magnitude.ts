/**
 * Magnitude spectrum of one windowed frame, |DFT(window · x)| for bins 0..n/2, by an in-place radix-2 FFT.
 * It replaces Silero's STFT front end (a conv1d with a fixed windowed-Fourier basis, 2·(n/2+1)·n multiply-adds per
 * frame) with O(n log n) work and the same numbers to float32 rounding. Preallocated: `compute` does not allocate.
 */
export class StftMagnitude {
  /** Frame length in samples (a power of two). */
  readonly frameSamples: number;
  /** Number of magnitude bins produced: frameSamples / 2 + 1. */
  readonly bins: number;
  private readonly window: Float32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly bitReverse: Uint16Array;

  /** @param window analysis window, its length is the frame length (power of two, 4..32768). */
  constructor(window: Float32Array) {
    const n = window.length;
    if (n < 4 || n > 32768 || (n & (n - 1)) !== 0) throw new RangeError(`STFT frame length must be a power of two, got ${n}`);
    this.frameSamples = n;
    this.bins = n / 2 + 1;
    this.window = window;
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.bitReverse = new Uint16Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.bitReverse[i] = r;
    }
  }

  /**
   * Writes |X[k]| for k = 0..bins-1 to `out[outOffset + k * outStride]`, where X is the DFT of
   * `window[t] · input[inOffset + t]`, t = 0..frameSamples-1.
   */
  compute(input: Float32Array, inOffset: number, out: Float64Array, outOffset: number, outStride: number): void {
    const n = this.frameSamples;
    const re = this.re;
    const im = this.im;
    const w = this.window;
    const rev = this.bitReverse;
    for (let t = 0; t < n; t++) {
      const j = rev[t]!;
      re[j] = w[t]! * input[inOffset + t]!;
      im[j] = 0;
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >>> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const c = cos[k * step]!;
          const s = sin[k * step]!;
          const a = start + k;
          const b = a + half;
          // X[b]·e^{-iθ}
          const tr = re[b]! * c + im[b]! * s;
          const ti = im[b]! * c - re[b]! * s;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a] = re[a]! + tr;
          im[a] = im[a]! + ti;
        }
      }
    }
    for (let k = 0; k < this.bins; k++) {
      const r = re[k]!;
      const i = im[k]!;
      out[outOffset + k * outStride] = Math.sqrt(r * r + i * i);
    }
  }
}
