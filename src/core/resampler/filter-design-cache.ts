import { besselI0, designLowpass, gcd, kaiserBeta, kaiserSinc, kaiserTaps } from './filter-design.js';
import { clearMinimaxPrototypes, MAX_MINIMAX_TAPS, minimaxPrototype, minimaxPrototypes } from './minimax-prototype.js';
import { QUALITY, type ResampleQuality } from './quality-presets.js';

/** Exact polyphase tables up to this many floats (4 MiB); beyond, coefficients are interpolated. */
const MAX_TABLE_FLOATS = 1 << 20;
/** Rows of the interpolation table (more rows, smaller interpolation error: ~1.2 / rows² per tap). */
const MAX_TABLE_ROWS = 4096;

/** A resampler's filter for one ratio, preset and band: what the constructor copies into the kernel. */
export interface FilterDesign {
  /** Polyphase coefficients (or interpolation rows when `tableRows` > 0); shared, never written. */
  table: Float32Array;
  tableRows: number;
  /** Per branch, the tap of a branch that is one unit tap, else -1; null when none is. Shared, never written. */
  delayTaps: Int32Array | null;
  /** Taps per branch, padded to a multiple of 8. */
  perBranch: number;
  /** Length of the prototype low-pass. */
  protoTaps: number;
  passbandHz: number;
  stopbandHz: number;
}

/**
 * Designs by ratio, preset and band (most recently used last). Bounded, as a ratio like 9007/8001
 * holds a 4 MiB table: a process that meets many odd ratios keeps only the latest few.
 */
const designCache = new Map<string, FilterDesign>();
const MAX_CACHED_DESIGNS = 64;
const MAX_CACHED_FLOATS = 1 << 23;
let cachedFloats = 0;

/**
 * The filter of a resampler from `inputRate` to `outputRate` (reduced ratio L/M), cached so that a
 * second resampler for the same conversion copies a table instead of designing it again.
 */
export function filterDesign(
  inputRate: number,
  outputRate: number,
  quality: ResampleQuality,
  stageBand: { passbandHz: number; stopbandHz: number } | undefined,
  kaiserOnly: boolean,
): FilterDesign {
  const key = `${inputRate}:${outputRate}:${quality}:${stageBand?.passbandHz}:${stageBand?.stopbandHz}:${kaiserOnly}`;
  const hit = designCache.get(key);
  if (hit !== undefined) {
    designCache.delete(key);
    designCache.set(key, hit);
    return hit;
  }
  const design = computeFilterDesign(inputRate, outputRate, quality, stageBand, kaiserOnly);
  designCache.set(key, design);
  cachedFloats += design.table.length;
  for (const [k, d] of designCache) {
    if (designCache.size <= 1 || (designCache.size <= MAX_CACHED_DESIGNS && cachedFloats <= MAX_CACHED_FLOATS)) break;
    designCache.delete(k);
    cachedFloats -= d.table.length;
  }
  return design;
}

function computeFilterDesign(
  inputRate: number,
  outputRate: number,
  quality: ResampleQuality,
  stageBand: { passbandHz: number; stopbandHz: number } | undefined,
  kaiserOnly: boolean,
): FilterDesign {
  const L = outputRate / gcd(inputRate, outputRate);
  let passbandOut: number;
  let stopbandOut: number;
  let tableRows: number;
  let delayTaps: Int32Array | null = null;
  const spec = QUALITY[quality];
  const lowerRate = Math.min(inputRate, outputRate);
  const protoRate = inputRate * L;
  const passbandHz = stageBand?.passbandHz ?? spec.passband * lowerRate;
  const stopbandHz = stageBand?.stopbandHz ?? spec.stopband * lowerRate;
  let cutoffHz = (passbandHz + stopbandHz) / 2;
  let taps = kaiserTaps(spec.attenuationDb, (stopbandHz - passbandHz) / protoRate);
  passbandOut = passbandHz;
  stopbandOut = stopbandHz;
  const maxTaps = 2 * Math.floor((spec.maxDelayMs / 1000) * protoRate) + 1;
  if (taps > maxTaps) {
    // Too long for the delay budget: use the widest transition the budget allows, centred on the
    // lower Nyquist frequency, so nothing aliases into what remains of the passband.
    taps = maxTaps;
    cutoffHz = lowerRate / 2;
    const transitionHz = ((spec.attenuationDb - 7.95) / (2.285 * 2 * Math.PI * (taps - 1))) * protoRate;
    passbandOut = cutoffHz - transitionHz / 2;
    stopbandOut = cutoffHz + transitionHz / 2;
  }
  // Equiripple design where the spec leaves passband ripple to spend (see QualitySpec.passRipple).
  const minimax =
    stageBand === undefined && !kaiserOnly && spec.passRipple > 0 && taps < maxTaps && taps <= MAX_MINIMAX_TAPS
      ? minimaxPrototype(L, passbandHz / protoRate, stopbandHz / protoRate, spec, resamplerDesignCache.useShippedTables)
      : null;
  if (minimax !== null) taps = minimax.length;
  let perBranch = Math.ceil(taps / L);
  perBranch += (8 - (perBranch % 8)) % 8;
  const delay = (taps - 1) / 2;
  const beta = kaiserBeta(spec.attenuationDb);

  let table: Float32Array;
  if (perBranch * L <= MAX_TABLE_FLOATS) {
    const proto = minimax ?? designLowpass({ taps, cutoff: cutoffHz / protoRate, beta, gain: L });
    tableRows = 0;
    table = new Float32Array(perBranch * L);
    let wholeSum = 0;
    if (minimax !== null) for (let idx = 0; idx < taps; idx++) wholeSum += proto[idx]! / L;
    for (let p = 0; p < L; p++) {
      // Each branch is scaled to a DC gain of exactly 1, so no phase adds a DC ripple (an image of 0 Hz).
      // (An equiripple prototype is scaled as a whole instead: its branch gains at DC already agree
      // to within the stopband ripple, and per-branch scaling would lift the images it rejects.)
      let sum = wholeSum;
      if (minimax === null) for (let idx = p; idx < taps; idx += L) sum += proto[idx]!;
      let nonzero = 0;
      let last = -1;
      for (let j = 0; j < perBranch; j++) {
        const idx = p + (perBranch - 1 - j) * L;
        const c = idx < taps ? proto[idx]! / sum : 0;
        table[p * perBranch + j] = c;
        if (c !== 0) {
          nonzero++;
          last = j;
        }
      }
      // A branch that is a single unit tap (the odd branch of a half-band 2x stage) is a plain copy.
      if (nonzero === 1 && table[p * perBranch + last] === 1) {
        delayTaps ??= new Int32Array(L).fill(-1);
        delayTaps[p] = last;
      }
    }
  } else {
    // A ratio like 9007/8001 would need millions of exact coefficients. Tabulate the same
    // continuous filter at `rows` fractional positions instead and interpolate linearly between
    // neighbouring rows for each output's exact phase (still no drift: phases stay integers).
    const rows = Math.max(64, Math.min(MAX_TABLE_ROWS, Math.floor((4 * MAX_TABLE_FLOATS) / perBranch) - 1));
    tableRows = rows;
    table = new Float32Array((rows + 1) * perBranch);
    const i0Beta = besselI0(beta);
    const centre = delay / L;
    const row = new Float64Array(perBranch);
    for (let q = 0; q <= rows; q++) {
      let sum = 0;
      for (let j = 0; j < perBranch; j++) {
        row[j] = kaiserSinc(q / rows + (perBranch - 1 - j) - centre, cutoffHz / inputRate, centre, beta, i0Beta);
        sum += row[j]!;
      }
      // Each row sums to exactly 1, so every interpolated row does too (no DC ripple).
      for (let j = 0; j < perBranch; j++) table[q * perBranch + j] = row[j]! / sum;
    }
  }
  return { table, tableRows, delayTaps, perBranch, protoTaps: taps, passbandHz: passbandOut, stopbandHz: stopbandOut };
}

/**
 * Knobs and contents of the design caches, for tests and scripts/make-filter-tables.ts.
 * @internal
 */
export const resamplerDesignCache = {
  /** When false, equiripple prototypes are designed at run time even where a shipped one exists. */
  useShippedTables: true,
  /** Forgets every cached design (prototypes and polyphase tables). */
  clear(): void {
    clearMinimaxPrototypes();
    designCache.clear();
    cachedFloats = 0;
  },
  /** The equiripple prototypes designed or loaded so far, by design key (null: the exchange failed, Kaiser used). */
  prototypes(): ReadonlyMap<string, Float64Array | null> {
    return minimaxPrototypes();
  },
};
