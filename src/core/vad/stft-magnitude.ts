import { RealFft } from '../real-fft.js';
import { InputError } from '../errors.js';

/**
 * Magnitude spectrum of one windowed frame, |DFT(window · x)| for bins 0..n/2, by a real FFT.
 * It replaces Silero's STFT front end (a conv1d with a fixed windowed-Fourier basis, 2·(n/2+1)·n multiply-adds per
 * frame) with O(n log n) work and the same numbers to float32 rounding. Preallocated: `compute` does not allocate.
 */
export class StftMagnitude {
  /** Frame length in samples (a power of two). */
  readonly frameSamples: number;
  /** Number of magnitude bins produced: frameSamples / 2 + 1. */
  readonly bins: number;
  private readonly window: Float32Array;
  private readonly fft: RealFft;

  /** @param window analysis window, its length is the frame length (power of two, 4..32768). */
  constructor(window: Float32Array) {
    const n = window.length;
    if (n < 4 || n > 32768 || (n & (n - 1)) !== 0) throw new InputError(`STFT frame length must be a power of two from 4 to 32768, got ${n}.`, 'TLA_ERR_INPUT_OPTION');
    this.frameSamples = n;
    this.bins = n / 2 + 1;
    this.window = window;
    this.fft = new RealFft(n);
  }

  /**
   * Writes |X[k]| for k = 0..bins-1 to `out[outOffset + k * outStride]`, where X is the DFT of
   * `window[t] · input[inOffset + t]`, t = 0..frameSamples-1.
   */
  compute(input: Float32Array, inOffset: number, out: Float64Array, outOffset: number, outStride: number): void {
    const n = this.frameSamples;
    const re = this.fft.re;
    const w = this.window;
    for (let t = 0; t < n; t++) re[t] = w[t]! * input[inOffset + t]!;
    this.fft.transform();
    const im = this.fft.im;
    for (let k = 0; k < this.bins; k++) {
      const r = re[k]!;
      const i = im[k]!;
      out[outOffset + k * outStride] = Math.sqrt(r * r + i * i);
    }
  }
}
