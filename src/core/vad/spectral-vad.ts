import { InputError } from '../errors.js';
import type { VadEngine } from './vad-engine.js';
import { RealFft } from '../real-fft.js';

/** Options of {@link createSpectralVad}. */
export interface SpectralVadOptions {
  /** Engine input rate: 16000 (default, 32 ms frames of 512 samples) or 8000 (32 ms frames of 256 samples). */
  sampleRate?: 8000 | 16000;
}

// Tuned constants (see bench/vad.bench.ts). Probabilities are a logistic of a weighted evidence sum.
const MIN_HZ = 200;
const HPF_HZ = 160;
const MAX_HZ = 5500;
const BANDS = 14;
const PITCH_MIN_HZ = 70;
const PITCH_MAX_HZ = 420;
/** Noise floor = minimum of the smoothed energy over SUB_WINDOWS windows of SUB_FRAMES frames (~1.5 s). */
const SUB_WINDOWS = 8;
const SUB_FRAMES = 6;
const EPS = 1e-10;
/** Minimum statistics sit below the mean noise level; this much of the band SNR is noise's own spread. */
const SNR_BIAS_DB = 3;

/**
 * A cheap, allocation-free speech detector, for use as a pre-gate in front of a heavier engine
 * (`createPreGatedVad`) and nothing else: it stays "in speech" through music and flags about a third
 * of noise-only frames (bench/results/vad.md), so turns it alone would end are never ended. It is
 * marked {@link VadEngine.preGateOnly}, and the VAD streams refuse it as their only engine. Per 32 ms frame: a 160 Hz high-pass, a Hann window and FFT, band energies against per-band noise floors
 * from minimum statistics over ~1.5 s (stationary noise, hum and tones sink into the floor), and a harmonicity
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
  readonly preGateOnly = true;
  readonly sampleRate: number;
  readonly frameSamples: number;

  private readonly n: number;
  private readonly window: Float32Array;
  private readonly history: Float32Array;
  private readonly realFft: RealFft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly power: Float64Array;
  private readonly binMin: MinimumTracker;
  private readonly bandMin: MinimumTracker;
  private readonly bandLo: Uint16Array;
  private readonly bandHi: Uint16Array;
  private readonly bandSmooth: Float64Array;
  private readonly binSmooth: Float64Array;
  private readonly binAvg: Float64Array;
  private readonly windowCorr: Float64Array;
  private readonly lagMin: number;
  private readonly lagMax: number;
  private frames = 0;
  private smooth = 0;
  private prev1 = 0;
  private prev2 = 0;
  private readonly hpf: { b0: number; b1: number; b2: number; a1: number; a2: number };
  private hx1 = 0;
  private hx2 = 0;
  private hy1 = 0;
  private hy2 = 0;

  constructor(sampleRate: number) {
    if (sampleRate !== 16000 && sampleRate !== 8000) {
      throw new InputError(`Spectral VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}; resample first (the VAD streams do).`, 'TLA_ERR_VAD_OPTIONS');
    }
    this.sampleRate = sampleRate;
    // 32 ms hops over a 32 ms Hann window: half the work of 50 % overlap, and still two pitch periods
    // of the lowest voice in every window.
    this.frameSamples = sampleRate === 16000 ? 512 : 256;
    {
      const w = Math.tan((Math.PI * HPF_HZ) / sampleRate);
      const q = Math.SQRT1_2;
      const norm = 1 / (1 + w / q + w * w);
      this.hpf = { b0: norm, b1: -2 * norm, b2: norm, a1: 2 * (w * w - 1) * norm, a2: (1 - w / q + w * w) * norm };
    }
    const n = (this.n = this.frameSamples);
    this.window = new Float32Array(n);
    for (let i = 0; i < n; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
    this.history = new Float32Array(n);
    this.realFft = new RealFft(n);
    this.re = this.realFft.re;
    this.im = this.realFft.im;
    const bins = n / 2 + 1;
    this.power = new Float64Array(bins);
    this.binMin = new MinimumTracker(bins);
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
    this.bandMin = new MinimumTracker(BANDS);
    this.bandSmooth = new Float64Array(BANDS);
    this.binSmooth = new Float64Array(bins);
    this.binAvg = new Float64Array(bins);
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
    const hop = this.frameSamples;
    const keep = n - hop;
    const hist = this.history;
    if (keep > 0) hist.copyWithin(0, hop);
    // High-pass (2nd-order Butterworth at HPF_HZ): mains hum and rumble, and their spectral leakage,
    // never reach the analysis. Speech keeps its harmonics above it.
    const { b0, b1, b2, a1, a2 } = this.hpf;
    let x1 = this.hx1, x2 = this.hx2, y1 = this.hy1, y2 = this.hy2;
    for (let i = 0; i < hop; i++) {
      const v = frame[i]!;
      const x = v === v ? (v > 1 ? 1 : v < -1 ? -1 : v) : 0;
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      hist[keep + i] = y;
    }
    this.hx1 = x1;
    this.hx2 = x2;
    this.hy1 = y1 > 1e-30 || y1 < -1e-30 ? y1 : 0; // no denormals
    this.hy2 = y2 > 1e-30 || y2 < -1e-30 ? y2 : 0;
    // Remove the DC of the window so offsets do not read as energy.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += hist[i]!;
    mean /= n;
    const re = this.re;
    const im = this.im;
    for (let i = 0; i < n; i++) {
      re[i] = (hist[i]! - mean) * this.window[i]!;
    }
    this.realFft.transform();
    const bins = n / 2 + 1;
    const power = this.power;
    for (let k = 0; k < bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]! + EPS;

    const first = this.frames === 0;
    const warm = this.frames >= 1;
    this.frames++;
    this.bandMin.tick();
    this.binMin.tick();

    // Band SNRs against adaptive floors.
    let snrSum = 0;
    let snrTop = 0;
    for (let b = 0; b < BANDS; b++) {
      let e = 0;
      const lo = this.bandLo[b]!;
      const hi = this.bandHi[b]!;
      for (let k = lo; k < hi; k++) e += power[k]!;
      e /= hi - lo;
      // The floor follows a smoothed energy, so frame-to-frame ripple of steady sounds is not speech.
      // Smoothed in the log domain: a linear average would take ages to fall after loud speech.
      const es = first ? e : Math.exp(Math.log(this.bandSmooth[b]!) * 0.36 + Math.log(e) * 0.64);
      this.bandSmooth[b] = es;
      const floor = warm ? this.bandMin.update(b, es) : e;
      // Instantaneous energy against the floor: a click lasts one or two frames, not the smoother's tail.
      const snrDb = 10 * Math.log10(e / floor) - SNR_BIAS_DB;
      const s = snrDb < 0 ? 0 : snrDb > 30 ? 30 : snrDb;
      snrSum += s;
      if (s > snrTop) snrTop = s;
    }
    const snrMean = snrSum / BANDS;

    // Per-bin floor for noise subtraction before the harmonicity measure. Only voice bands count towards
    // pitch; the rest of the spectrum (hum, hiss) is zeroed.
    let voiceBand = 0;
    let voiceClean = 0;
    const learn = this.smooth < 0.3;
    const loBin = this.bandLo[0]!;
    const hiBin = this.bandHi[BANDS - 1]!;
    const binSmooth = this.binSmooth;
    const binAvg = this.binAvg;
    const binMin = this.binMin;
    re.fill(0, 0, loBin);
    re.fill(0, hiBin, bins);
    for (let k = loBin; k < hiBin; k++) {
      const p = power[k]!;
      const prev = binSmooth[k]!;
      const ps = first ? p : p < prev ? p : prev * 0.5 + p * 0.5;
      binSmooth[k] = ps;
      const f = warm ? binMin.update(k, ps) : p;
      // Steady sounds that beat (hum harmonics sharing a bin) swing far above their minimum: also
      // subtract twice their long-term mean, learnt while nothing speech-like is going on.
      let avg = binAvg[k]!;
      if (!warm || avg === 0) avg = p;
      else if (learn) avg += (p - avg) * 0.1;
      binAvg[k] = avg;
      const ref = 3 * f > 2 * avg ? 3 * f : 2 * avg;
      const clean = p - ref > 0 ? p - ref : 0;
      re[k] = clean;
      voiceBand += p;
      voiceClean += clean;
    }
    for (let k = 1; k < n / 2; k++) re[n - k] = re[k]!;
    // Periodicity only matters when something stands above the floor: skip the second FFT otherwise.
    let harmonicity = 0;
    if (snrTop > 3) this.realFft.transform(); // a real, even spectrum: its FFT is the (circular) autocorrelation, scaled
    const r0 = re[0]!;
    if (snrTop > 3 && r0 > EPS) {
      for (let lag = this.lagMin; lag <= this.lagMax; lag++) {
        const r = re[lag]! / (r0 * this.windowCorr[lag]!);
        if (r > harmonicity) harmonicity = r;
      }
      if (harmonicity > 1) harmonicity = 1;
    }
    // Periodicity only counts in proportion to the energy that stands above the noise floor.
    const cleanFrac = voiceBand > 0 ? voiceClean / voiceBand : 0;
    harmonicity *= cleanFrac < 0.3 ? cleanFrac / 0.3 : 1;

    // Evidence: loud-above-floor in several bands, or clearly harmonic and somewhat above the floor.
    const evidence = 0.45 * (snrMean - 4) + 0.12 * (snrTop - 10) + 6 * (harmonicity - 0.45) * (snrTop > 3 ? 1 : 0);
    const raw = 1 / (1 + Math.exp(-evidence));
    // Median of the last three frames drops one-frame transients (clicks, pops); then a short release
    // keeps the probability up across the gaps between phonemes.
    const a = this.prev1;
    const b = this.prev2;
    this.prev2 = a;
    this.prev1 = raw;
    const med = raw > a ? (a > b ? a : raw > b ? b : raw) : raw > b ? raw : a > b ? b : a;
    this.smooth = med > this.smooth ? med : 0.36 * this.smooth + 0.64 * med;
    return this.smooth;
  }

  reset(): void {
    this.history.fill(0);
    this.bandMin.reset();
    this.bandSmooth.fill(0);
    this.binMin.reset();
    this.binSmooth.fill(0);
    this.binAvg.fill(0);
    this.frames = 0;
    this.smooth = 0;
    this.prev1 = 0;
    this.prev2 = 0;
    this.hx1 = this.hx2 = this.hy1 = this.hy2 = 0;
  }
}

/**
 * Minimum statistics per channel (band or bin): the smallest value seen over the last SUB_WINDOWS
 * sub-windows. Falls at once, rises within ~1.5 s to a new steady level; speech, which keeps dipping
 * between syllables and words, barely lifts it.
 */
class MinimumTracker {
  private readonly channels: number;
  private readonly windows: Float64Array;
  private readonly current: Float64Array;
  /** Minimum over the completed sub-windows, refreshed when one completes (so `update` is O(1)). */
  private readonly past: Float64Array;
  private frame = 0;
  private slot = 0;
  private filled = 0;

  constructor(channels: number) {
    this.channels = channels;
    this.windows = new Float64Array(channels * SUB_WINDOWS);
    this.current = new Float64Array(channels).fill(Infinity);
    this.past = new Float64Array(channels).fill(Infinity);
  }

  /** Advances one frame (call once per frame, before the `update` calls). */
  tick(): void {
    if (this.frame > 0 && this.frame % SUB_FRAMES === 0) {
      const ch = this.channels;
      const base = this.slot * ch;
      for (let c = 0; c < ch; c++) {
        this.windows[base + c] = this.current[c]!;
        this.current[c] = Infinity;
      }
      this.slot = (this.slot + 1) % SUB_WINDOWS;
      if (this.filled < SUB_WINDOWS) this.filled++;
      for (let c = 0; c < ch; c++) {
        let m = Infinity;
        for (let w = 0; w < this.filled; w++) {
          const v = this.windows[w * ch + c]!;
          if (v < m) m = v;
        }
        this.past[c] = m;
      }
    }
    this.frame++;
  }

  /** Records `value` for channel `c` and returns the floor (never below EPS). */
  update(c: number, value: number): number {
    let m = this.current[c]!;
    if (value < m) this.current[c] = m = value;
    const p = this.past[c]!;
    if (p < m) m = p;
    return m > EPS ? m : EPS;
  }

  reset(): void {
    this.current.fill(Infinity);
    this.past.fill(Infinity);
    this.frame = 0;
    this.slot = 0;
    this.filled = 0;
  }
}
