import { InputError } from '../errors.js';
import type { VadEngine } from './vad-engine.js';

/** Options of {@link createSpectralVad}. */
export interface SpectralVadOptions {
  /** Engine input rate: 16000 (default, 16 ms frames of 256 samples) or 8000 (16 ms frames of 128 samples). */
  sampleRate?: 8000 | 16000;
}

// Tuned constants (see bench/vad.bench.ts). Probabilities are a logistic of a weighted evidence sum.
const MIN_HZ = 200;
const MAX_HZ = 5500;
const BANDS = 14;
const PITCH_MIN_HZ = 70;
const PITCH_MAX_HZ = 420;
/** Floor drift up per frame (×) while the band is louder than its floor: about 2 dB/s at 16 ms frames. */
const FLOOR_RISE = 1.0075;
/** Weight of the new value when the band falls under its floor: follows quiet quickly. */
const FLOOR_FALL = 0.15;
const EPS = 1e-10;

/**
 * A cheap, allocation-free speech detector for low-power use or as a pre-gate in front of a heavier
 * engine. Per 16 ms frame: a 2-frame Hann window and FFT, band energies against per-band noise floors
 * that fall fast and rise slowly (stationary noise, hum and tones sink into the floor), and a harmonicity
 * measure (the autocorrelation peak of the noise-subtracted spectrum at voice pitch lags). Evidence from
 * both goes through a logistic to a probability. Far better than an energy threshold in noise; less
 * accurate than Silero on music and babble.
 *
 * @throws InputError (`TLA_ERR_VAD_OPTIONS`) for an unsupported sample rate.
 */
export function createSpectralVad(options: SpectralVadOptions = {}): VadEngine {
  return new SpectralVad(options.sampleRate ?? 16000);
}

class SpectralVad implements VadEngine {
  readonly name = 'spectral';
  readonly sampleRate: number;
  readonly frameSamples: number;

  private readonly n: number;
  private readonly window: Float32Array;
  private readonly history: Float32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  private readonly power: Float64Array;
  private readonly binFloor: Float64Array;
  private readonly bandLo: Uint16Array;
  private readonly bandHi: Uint16Array;
  private readonly bandFloor: Float64Array;
  private readonly bandSmooth: Float64Array;
  private readonly binSmooth: Float64Array;
  private readonly windowCorr: Float64Array;
  private readonly lagMin: number;
  private readonly lagMax: number;
  private frames = 0;
  private smooth = 0;

  constructor(sampleRate: number) {
    if (sampleRate !== 16000 && sampleRate !== 8000) {
      throw new InputError(`Spectral VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}; resample first (the VAD streams do).`, 'TLA_ERR_VAD_OPTIONS');
    }
    this.sampleRate = sampleRate;
    this.frameSamples = sampleRate === 16000 ? 256 : 128;
    const n = (this.n = this.frameSamples * 2);
    this.window = new Float32Array(n);
    for (let i = 0; i < n; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
    this.history = new Float32Array(n);
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / n);
    }
    this.rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    const bins = n / 2 + 1;
    this.power = new Float64Array(bins);
    this.binFloor = new Float64Array(bins);
    const hzPerBin = sampleRate / n;
    const maxHz = Math.min(MAX_HZ, sampleRate / 2 - hzPerBin);
    this.bandLo = new Uint16Array(BANDS);
    this.bandHi = new Uint16Array(BANDS);
    for (let b = 0; b < BANDS; b++) {
      const lo = MIN_HZ * Math.pow(maxHz / MIN_HZ, b / BANDS);
      const hi = MIN_HZ * Math.pow(maxHz / MIN_HZ, (b + 1) / BANDS);
      this.bandLo[b] = Math.max(1, Math.round(lo / hzPerBin));
      this.bandHi[b] = Math.max(this.bandLo[b]! + 1, Math.round(hi / hzPerBin));
    }
    this.bandFloor = new Float64Array(BANDS);
    this.bandSmooth = new Float64Array(BANDS);
    this.binSmooth = new Float64Array(bins);
    this.lagMin = Math.floor(sampleRate / PITCH_MAX_HZ);
    this.lagMax = Math.ceil(sampleRate / PITCH_MIN_HZ);
    // Autocorrelation of the window itself, to undo its taper at long lags.
    this.windowCorr = new Float64Array(this.lagMax + 1);
    let w0 = 0;
    for (let i = 0; i < n; i++) w0 += this.window[i]! * this.window[i]!;
    for (let lag = 0; lag <= this.lagMax; lag++) {
      let s = 0;
      for (let i = 0; i + lag < n; i++) s += this.window[i]! * this.window[i + lag]!;
      this.windowCorr[lag] = s / w0;
    }
  }

  process(frame: Float32Array): number {
    const n = this.n;
    const half = this.frameSamples;
    const hist = this.history;
    hist.copyWithin(0, half);
    for (let i = 0; i < half; i++) {
      const x = frame[i]!;
      hist[half + i] = x === x ? (x > 1 ? 1 : x < -1 ? -1 : x) : 0;
    }
    // Remove the DC of the window so offsets do not read as energy.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += hist[i]!;
    mean /= n;
    const re = this.re;
    const im = this.im;
    for (let i = 0; i < n; i++) {
      re[i] = (hist[i]! - mean) * this.window[i]!;
      im[i] = 0;
    }
    this.fft();
    const bins = n / 2 + 1;
    const power = this.power;
    for (let k = 0; k < bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]! + EPS;

    const first = this.frames === 0;
    this.frames++;

    // Band SNRs against adaptive floors.
    let snrSum = 0;
    let snrTop = 0;
    for (let b = 0; b < BANDS; b++) {
      let e = 0;
      const lo = this.bandLo[b]!;
      const hi = this.bandHi[b]!;
      for (let k = lo; k < hi; k++) e += power[k]!;
      e /= hi - lo;
      let floor = this.bandFloor[b]!;
      // The floor follows a smoothed energy, so frame-to-frame ripple of steady sounds is not speech.
      // Smoothed in the log domain: a linear average would take ages to fall after loud speech.
      const es = first ? e : Math.exp(Math.log(this.bandSmooth[b]!) * 0.6 + Math.log(e) * 0.4);
      this.bandSmooth[b] = es;
      if (first) floor = e;
      const snrDb = 10 * Math.log10(es / floor);
      if (es < floor) floor += (es - floor) * FLOOR_FALL;
      else floor *= FLOOR_RISE;
      this.bandFloor[b] = floor;
      const s = snrDb < 0 ? 0 : snrDb > 30 ? 30 : snrDb;
      snrSum += s;
      if (s > snrTop) snrTop = s;
    }
    const snrMean = snrSum / BANDS;

    // Per-bin floor for noise subtraction before the harmonicity measure.
    const bf = this.binFloor;
    for (let k = 0; k < bins; k++) {
      const p = power[k]!;
      const prev = this.binSmooth[k]!;
      const ps = first ? p : p < prev ? p : prev * 0.7 + p * 0.3;
      this.binSmooth[k] = ps;
      let f = bf[k]!;
      if (first) f = ps;
      if (ps < f) f += (ps - f) * FLOOR_FALL;
      else f *= FLOOR_RISE;
      bf[k] = f;
      const clean = p - 3 * f;
      re[k] = clean > 0 ? clean : 0;
      im[k] = 0;
    }
    // Only voice bands count towards pitch; the rest of the spectrum (hum, hiss) is zeroed.
    const loBin = this.bandLo[0]!;
    const hiBin = this.bandHi[BANDS - 1]!;
    for (let k = 0; k < bins; k++) if (k < loBin || k >= hiBin) re[k] = 0;
    for (let k = 1; k < n / 2; k++) {
      re[n - k] = re[k]!;
      im[n - k] = 0;
    }
    this.fft(); // a real, even spectrum: its FFT is the (circular) autocorrelation, scaled
    const r0 = re[0]!;
    let harmonicity = 0;
    if (r0 > EPS) {
      for (let lag = this.lagMin; lag <= this.lagMax; lag++) {
        const r = re[lag]! / (r0 * this.windowCorr[lag]!);
        if (r > harmonicity) harmonicity = r;
      }
      if (harmonicity > 1) harmonicity = 1;
    }

    // Evidence: loud-above-floor in several bands, or clearly harmonic and somewhat above the floor.
    const evidence = 0.45 * (snrMean - 4) + 0.12 * (snrTop - 10) + 6 * (harmonicity - 0.45) * (snrTop > 3 ? 1 : 0);
    const p = 1 / (1 + Math.exp(-evidence));
    // A short release keeps the probability up across the gaps between phonemes.
    this.smooth = p > this.smooth ? p : 0.6 * this.smooth + 0.4 * p;
    return this.smooth;
  }

  reset(): void {
    this.history.fill(0);
    this.bandFloor.fill(0);
    this.bandSmooth.fill(0);
    this.binFloor.fill(0);
    this.binSmooth.fill(0);
    this.frames = 0;
    this.smooth = 0;
  }

  /** In-place iterative radix-2 complex FFT of `re`/`im`. */
  private fft(): void {
    const n = this.n;
    const re = this.re;
    const im = this.im;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        const tr = re[i]!;
        re[i] = re[j]!;
        re[j] = tr;
        const ti = im[i]!;
        im[i] = im[j]!;
        im[j] = ti;
      }
    }
    for (let size = 2; size <= n; size <<= 1) {
      const halfSize = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0, t = 0; k < halfSize; k++, t += step) {
          const wr = this.cos[t]!;
          const wi = this.sin[t]!;
          const a = start + k;
          const b = a + halfSize;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
  }
}
