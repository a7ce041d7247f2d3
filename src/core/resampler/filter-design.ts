/**
 * Windowed-sinc low-pass design with a Kaiser window: the filter math behind {@link Resampler}.
 * Pure functions, float64 throughout; the resampler rounds the result to float32 once.
 */

/** Modified Bessel function of the first kind, order 0 (power series; converges for every |x| we use). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's β for a stopband attenuation of `attenuationDb` (positive dB). */
export function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  return 0;
}

/**
 * Taps a Kaiser-windowed sinc needs for `attenuationDb` over a transition `transitionWidth` wide
 * (in cycles per sample, i.e. a fraction of the filter's own sample rate). Always odd, so the
 * filter has an integer group delay of `(taps - 1) / 2` samples.
 */
export function kaiserTaps(attenuationDb: number, transitionWidth: number): number {
  const n = Math.ceil((attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transitionWidth)) + 1;
  return n % 2 === 1 ? n : n + 1;
}

/** Options of {@link designLowpass}. */
export interface LowpassDesign {
  /** Taps (odd). */
  readonly taps: number;
  /** Cutoff (the −6 dB point) in cycles per sample, 0 < cutoff < 0.5. */
  readonly cutoff: number;
  /** Kaiser β (see {@link kaiserBeta}). */
  readonly beta: number;
  /** DC gain of the whole filter (an interpolator by L uses L, so each polyphase branch has gain 1). */
  readonly gain: number;
}

/**
 * A linear-phase low-pass FIR: ideal sinc at `cutoff` times a Kaiser window, scaled so its taps sum
 * exactly to `gain`. Returns `taps` coefficients, symmetric about the centre tap.
 */
export function designLowpass(design: LowpassDesign): Float64Array {
  const { taps, cutoff, beta, gain } = design;
  const h = new Float64Array(taps);
  const centre = (taps - 1) / 2;
  const i0Beta = besselI0(beta);
  // I0(β·√u) as a polynomial in u = 1 − r²: the power series with its coefficients computed once,
  // so each tap costs a Horner pass of multiply-adds (the resampler designs up to ~200k taps).
  const series: number[] = [];
  for (let k = 0, c = 1, total = 0; k < 500; k++) {
    if (k > 0) c *= (beta * beta) / 4 / (k * k);
    series.push(c);
    total += c;
    if (k > 0 && c < total * 1e-17) break;
  }
  const last = series.length - 1;
  let sum = 0;
  // Symmetric about the centre tap: design one half and mirror it.
  for (let n = 0; n <= centre; n++) {
    const t = n - centre;
    const x = 2 * cutoff * t;
    // Exact zeros where the sinc crosses zero (every other tap of a half-band), not sin(kπ) ≈ 1e-16.
    const sinc = t === 0 ? 1 : Number.isInteger(x) ? 0 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = centre === 0 ? 0 : t / centre;
    const u = Math.max(0, 1 - r * r);
    let i0 = series[last]!;
    for (let k = last - 1; k >= 0; k--) i0 = i0 * u + series[k]!;
    const v = 2 * cutoff * sinc * (i0 / i0Beta);
    h[n] = v;
    h[taps - 1 - n] = v;
    sum += n === centre ? v : 2 * v;
  }
  const scale = gain / sum;
  for (let n = 0; n < taps; n++) h[n] = h[n]! * scale;
  return h;
}

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * The continuous Kaiser-windowed sinc behind {@link designLowpass}, evaluated at `offset` samples
 * from its centre: `2·cutoff·sinc(2·cutoff·offset) · I0(β·√(1−(offset/halfLength)²)) / I0(β)`,
 * 0 beyond ±`halfLength`. `cutoff` is in cycles per sample; `i0Beta` is `besselI0(beta)`.
 */
export function kaiserSinc(offset: number, cutoff: number, halfLength: number, beta: number, i0Beta: number): number {
  if (Math.abs(offset) > halfLength) return 0;
  const x = 2 * cutoff * offset;
  const sinc = offset === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  const r = offset / halfLength;
  return 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta);
}

/** Options of {@link designMinimaxLowpass}: band edges in cycles per sample, ripples as linear gains. */
export interface MinimaxLowpassDesign {
  /** Taps (odd). */
  readonly taps: number;
  /** Passband edge, 0 < passband < stopband. */
  readonly passband: number;
  /** Stopband edge, stopband < 0.5. */
  readonly stopband: number;
  /** Ratio of the passband deviation to the stopband deviation (the Remez weight of the stopband). */
  readonly weight: number;
  /**
   * Optional: below this frequency the passband is held `flatWeight` times flatter than up to
   * `passband` (transparent where most signal energy lives, the ripple budget spent near the edge).
   */
  readonly flatband?: number;
  readonly flatWeight?: number;
}

/** Result of {@link designMinimaxLowpass}. */
export interface MinimaxLowpass {
  /** Taps, symmetric about the centre, DC gain ≈ 1 (within `passDeviation`). */
  readonly h: Float64Array;
  /** Largest |gain − 1| in the passband (linear). */
  readonly passDeviation: number;
  /** Largest |gain| in the stopband (linear). */
  readonly stopDeviation: number;
  /** False when the exchange did not settle (the caller should fall back to a window design). */
  readonly converged: boolean;
}

let minimaxRuns = 0;

/**
 * How many times {@link designMinimaxLowpass} has run in this process (tests check that the common
 * ratios are served from the shipped tables without a Remez exchange).
 * @internal
 */
export function minimaxDesignRuns(): number {
  return minimaxRuns;
}

/**
 * Equiripple (minimax) linear-phase low-pass by the Parks–McClellan / Remez exchange: for a given
 * length it spends the passband ripple the spec allows to buy stopband attenuation, so at ~110 dB
 * with 0.1 dB of passband tolerance it needs ~40 % fewer taps than a Kaiser window (which forces the
 * passband ripple down to the stopband's). Float64, barycentric Lagrange form on a dense grid.
 */
export function designMinimaxLowpass(design: MinimaxLowpassDesign): MinimaxLowpass {
  minimaxRuns++;
  const { taps, passband, stopband, weight } = design;
  const K = (taps - 1) / 2;
  const r = K + 1; // cosine terms; the alternation set has r + 1 points
  const density = 16;
  const total = passband + (0.5 - stopband);
  const nPass = Math.max(8, Math.ceil((density * r * passband) / total));
  const nStop = Math.max(8, Math.ceil((density * r * (0.5 - stopband)) / total));
  const n = nPass + nStop;
  const grid = new Float64Array(n);
  const want = new Float64Array(n);
  const wgt = new Float64Array(n);
  const flatband = design.flatband ?? 0;
  const flatWeight = design.flatWeight ?? 1;
  for (let i = 0; i < nPass; i++) {
    grid[i] = (passband * i) / (nPass - 1);
    want[i] = 1;
    wgt[i] = grid[i]! <= flatband ? flatWeight : 1;
  }
  for (let i = 0; i < nStop; i++) {
    grid[nPass + i] = stopband + ((0.5 - stopband) * i) / (nStop - 1);
    want[nPass + i] = 0;
    wgt[nPass + i] = weight;
  }
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = Math.cos(2 * Math.PI * grid[i]!);

  let ext = new Int32Array(r + 1);
  for (let k = 0; k <= r; k++) ext[k] = Math.round((k * (n - 1)) / r);
  const ax = new Float64Array(r + 1);
  const bw = new Float64Array(r + 1);
  const cv = new Float64Array(r + 1);
  const err = new Float64Array(n);
  let delta = 0;
  let worst = Infinity;
  let converged = false;
  const interp = (x: number): number => {
    let num = 0;
    let den = 0;
    for (let k = 0; k <= r; k++) {
      const d = x - ax[k]!;
      if (d === 0) return cv[k]!;
      const t = bw[k]! / d;
      num += t * cv[k]!;
      den += t;
    }
    return num / den;
  };
  for (let iter = 0; iter < 60; iter++) {
    for (let k = 0; k <= r; k++) ax[k] = xs[ext[k]!]!;
    // Barycentric weights in the log domain (products of r differences over- or underflow).
    let maxLog = -Infinity;
    const logs = new Float64Array(r + 1);
    const signs = new Int8Array(r + 1);
    for (let k = 0; k <= r; k++) {
      let lg = 0;
      let sg = 1;
      for (let j = 0; j <= r; j++) {
        if (j === k) continue;
        const d = ax[k]! - ax[j]!;
        lg -= Math.log(Math.abs(d));
        if (d < 0) sg = -sg;
      }
      logs[k] = lg;
      signs[k] = sg;
      if (lg > maxLog) maxLog = lg;
    }
    for (let k = 0; k <= r; k++) bw[k] = signs[k]! * Math.exp(logs[k]! - maxLog);
    let num = 0;
    let den = 0;
    for (let k = 0; k <= r; k++) {
      const i = ext[k]!;
      num += bw[k]! * want[i]!;
      den += ((k % 2 === 0 ? 1 : -1) * bw[k]!) / wgt[i]!;
    }
    delta = num / den;
    for (let k = 0; k <= r; k++) {
      const i = ext[k]!;
      cv[k] = want[i]! - ((k % 2 === 0 ? 1 : -1) * delta) / wgt[i]!;
    }
    let maxErr = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      let num = 0;
      let den = 0;
      let hit = -1;
      for (let k = 0; k <= r; k++) {
        const d = x - ax[k]!;
        if (d === 0) {
          hit = k;
          break;
        }
        const t = bw[k]! / d;
        num += t * cv[k]!;
        den += t;
      }
      const e = wgt[i]! * (want[i]! - (hit >= 0 ? cv[hit]! : num / den));
      err[i] = e;
      const a = e < 0 ? -e : e;
      if (a > maxErr) maxErr = a;
    }
    const ad = Math.abs(delta);
    worst = maxErr;
    // Settled when the true peak error is within 0.1 % of the levelled one (reported is the true peak).
    if (maxErr - ad <= 1e-3 * ad) {
      converged = true;
      break;
    }
    // New alternation set: local extrema of the error (band edges included), alternating in sign.
    const cand: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = err[i]!;
      const edge = i === 0 || i === nPass - 1 || i === nPass || i === n - 1;
      const prev = i > 0 && i !== nPass ? err[i - 1]! : e > 0 ? -Infinity : Infinity;
      const next = i < n - 1 && i !== nPass - 1 ? err[i + 1]! : e > 0 ? -Infinity : Infinity;
      const isExt = e > 0 ? e >= prev && e > next : e <= prev && e < next;
      if ((isExt || edge) && Math.abs(e) >= ad * (1 - 1e-3)) cand.push(i);
    }
    const alt: number[] = [];
    for (const i of cand) {
      const last = alt[alt.length - 1];
      if (last !== undefined && Math.sign(err[last]!) === Math.sign(err[i]!)) {
        if (Math.abs(err[i]!) > Math.abs(err[last]!)) alt[alt.length - 1] = i;
      } else alt.push(i);
    }
    while (alt.length > r + 1) {
      if (Math.abs(err[alt[0]!]!) < Math.abs(err[alt[alt.length - 1]!]!)) alt.shift();
      else alt.pop();
    }
    if (alt.length < r + 1) break; // degenerate: report not converged
    ext = Int32Array.from(alt);
  }
  // Taps from the amplitude response sampled at f = k / taps (inverse of a type-I DFT).
  const amp = new Float64Array(K + 1);
  for (let k = 0; k <= K; k++) amp[k] = interp(Math.cos((2 * Math.PI * k) / taps));
  const h = new Float64Array(taps);
  for (let m = 0; m <= K; m++) {
    let s = amp[0]!;
    for (let k = 1; k <= K; k++) s += 2 * amp[k]! * Math.cos((2 * Math.PI * k * m) / taps);
    h[K + m] = s / taps;
    h[K - m] = s / taps;
  }
  return { h, passDeviation: worst, stopDeviation: worst / weight, converged };
}

/** |H(f)| of a real FIR at `f` cycles per sample. */
export function firGain(h: ArrayLike<number>, f: number): number {
  let re = 0;
  let im = 0;
  const w = 2 * Math.PI * f;
  for (let n = 0; n < h.length; n++) {
    re += h[n]! * Math.cos(w * n);
    im -= h[n]! * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}
