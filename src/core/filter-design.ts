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
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const t = n - centre;
    const x = 2 * cutoff * t;
    // Exact zeros where the sinc crosses zero (every other tap of a half-band), not sin(kπ) ≈ 1e-16.
    const sinc = t === 0 ? 1 : Number.isInteger(x) ? 0 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = centre === 0 ? 0 : t / centre;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    h[n] = 2 * cutoff * sinc * w;
    sum += h[n]!;
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
