import { InputError } from './errors.js';
/**
 * Forward DFT of a real sequence of power-of-two length n, through one complex FFT of size n/2 (even samples
 * as the real part, odd as the imaginary part) and a split step: half the work of a complex FFT of size n.
 * Float64 throughout, preallocated: `transform` does not allocate.
 *
 * Usage: write the n samples into `re`, call `transform()`, read bins k = 0..n/2 from `re[k]` and `im[k]`
 * (`re[n/2+1..n)` is left as scratch and may be overwritten by the caller for the next input).
 */
export class RealFft {
  /** Transform length in samples (a power of two, 4..65536). */
  readonly size: number;
  /** Input samples (length `size`); after `transform()`, the real parts of bins 0..size/2. */
  readonly re: Float64Array;
  /** After `transform()`, the imaginary parts of bins 0..size/2 (length size/2 + 1). */
  readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  /** @throws RangeError when `size` is not a power of two from 4 to 65536. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new InputError(`RealFft size must be a power of two from 4 to 65536, got ${size}.`, 'TLA_ERR_INPUT_OPTION');
    }
    const n = size;
    const m = n >> 1;
    this.size = n;
    this.re = new Float64Array(n);
    this.im = new Float64Array(m + 1);
    this.cos = new Float64Array(m);
    this.sin = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / n);
    }
    this.zr = new Float64Array(m);
    this.zi = new Float64Array(m);
    this.rev = new Uint32Array(m);
    const bits = Math.log2(m);
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** Spectrum of `re[0..size)` into `re[k]`, `im[k]` for k = 0..size/2. */
  transform(): void {
    const n = this.size;
    const m = n >> 1;
    const re = this.re;
    const im = this.im;
    const zr = this.zr;
    const zi = this.zi;
    const rev = this.rev;
    for (let k = 0; k < m; k++) {
      const j = rev[k]!;
      zr[j] = re[2 * k]!;
      zi[j] = re[2 * k + 1]!;
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let size = 2; size <= m; size <<= 1) {
      const half = size >> 1;
      const step = (n / size) | 0; // twiddles of size m sit at even indices of the size-n tables
      for (let start = 0; start < m; start += size) {
        for (let k = 0, t = 0; k < half; k++, t += step) {
          const wr = cos[t]!;
          const wi = sin[t]!;
          const a = start + k;
          const b = a + half;
          const br = zr[b]!;
          const bi = zi[b]!;
          const xr = br * wr - bi * wi;
          const xi = br * wi + bi * wr;
          const ar = zr[a]!;
          const ai = zi[a]!;
          zr[b] = ar - xr;
          zi[b] = ai - xi;
          zr[a] = ar + xr;
          zi[a] = ai + xi;
        }
      }
    }
    // Split: X[k] = E[k] + W^k O[k], with E, O from Z[k] and conj(Z[m-k]).
    for (let k = 0; k <= m; k++) {
      const k1 = k === m ? 0 : k;
      const k2 = k === 0 ? 0 : m - k;
      const ar = zr[k1]!;
      const ai = zi[k1]!;
      const br = zr[k2]!;
      const bi = -zi[k2]!;
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai + bi);
      // O = (A - B) / (2i)
      const or = 0.5 * (ai - bi);
      const oi = -0.5 * (ar - br);
      const wr = k === m ? -1 : cos[k]!;
      const wi = k === m ? 0 : sin[k]!;
      re[k] = er + or * wr - oi * wi;
      im[k] = ei + or * wi + oi * wr;
    }
  }
}
