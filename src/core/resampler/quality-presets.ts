/**
 * Quality presets of {@link Resampler}. Edges are fractions of the lower of the two rates.
 * - `default`: ≥ 110 dB down from 0.5, i.e. nothing that would alias gets through; passband within
 *   ±0.0001 dB to 0.4 and ±0.03 dB to 0.45. An equiripple (Remez) design for 111.5 dB where the
 *   prototype has ≤ 1600 taps (~30 % fewer taps than a Kaiser window for the same figures), else a
 *   Kaiser window designed for 114 dB (e.g. 44.1k → 16k); 2.2 ms delay for 48k ↔ 24k.
 * - `high`: flat to 0.47, ≥ 130 dB down from 0.5 (designed for 135 dB); about twice the delay and work.
 * - `low-latency`: group delay ≤ 1 ms and ≥ 90 dB rejection of anything that would alias into its
 *   passband. 1 ms of linear-phase filter buys a transition about 2.9 kHz wide, centred on the lower
 *   Nyquist frequency, so the passband reaches ~2.5 kHz at 8 kHz, ~6.5 kHz at 16 kHz, ~10.5 kHz at
 *   24 kHz (see {@link Resampler.passbandHz}); its transition band may receive aliases.
 */
export type ResampleQuality = 'low-latency' | 'default' | 'high';

/** What a preset promises, as design targets. */
export interface QualitySpec {
  attenuationDb: number;
  /**
   * Passband deviation (linear, ±) the equiripple design may spend; 0 = Kaiser window only.
   * Relative to the DC gain (each branch is normalised to exactly 1 at DC), the passband then
   * stays within ±2·passRipple.
   */
  passRipple: number;
  /** Stopband attenuation (dB) of the equiripple design: the promise plus a small margin. */
  minimaxDb: number;
  /** Passband deviation (linear, ±) below `flatband` (fraction of the lower rate); 0 = uniform passRipple. */
  flatRipple: number;
  flatband: number;
  passband: number;
  stopband: number;
  maxDelayMs: number;
}

export const QUALITY: Record<ResampleQuality, QualitySpec> = {
  // Kaiser designs carry a little margin over the promised figures (its length formula is an estimate).
  // Equiripple: ≥ 111.5 dB from 0.5 (1.5 dB over the promise, for float32 taps), within ±0.0001 dB
  // (transparent) to 0.4 and ±0.03 dB (±0.06 dB worst case, against the 0.1 dB promise) to 0.45.
  default: { attenuationDb: 114, passRipple: 0.0035, minimaxDb: 111.5, flatRipple: 0.000006, flatband: 0.4, passband: 0.45, stopband: 0.5, maxDelayMs: Infinity },
  high: { attenuationDb: 135, passRipple: 0, minimaxDb: 0, flatRipple: 0, flatband: 0, passband: 0.47, stopband: 0.5, maxDelayMs: Infinity },
  'low-latency': { attenuationDb: 93, passRipple: 0, minimaxDb: 0, flatRipple: 0, flatband: 0, passband: 0.45, stopband: 0.5, maxDelayMs: 1 },
};
