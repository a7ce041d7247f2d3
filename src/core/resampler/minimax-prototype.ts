import { designMinimaxLowpass } from './filter-design.js';
import { MINIMAX_PROTOTYPES } from './filter-tables.js';
import { decodePrototype } from './prototype-codec.js';
import type { QualitySpec } from './quality-presets.js';

/** Longest prototype designed by Remez exchange (longer ones, e.g. 44.1k -> 16k with L = 160, use the Kaiser window). */
export const MAX_MINIMAX_TAPS = 1600;
/** Prototypes by design key: designed or loaded once per process (null: the exchange failed, Kaiser used). */
const minimaxCache = new Map<string, Float64Array | null>();

/**
 * The shortest equiripple prototype (cycles per sample of the prototype rate) meeting the spec, with
 * a length that fills whole 8-tap kernel blocks per branch (L·P − 1 taps, P a multiple of 8), or null
 * if the exchange fails (the caller then uses the Kaiser window). Cached per band and spec: a design
 * takes tens of ms. `useShippedTables: false` designs even where src/core/resampler/filter-tables.ts has one
 * (scripts/make-filter-tables.ts regenerates that file so).
 */
export function minimaxPrototype(L: number, passband: number, stopband: number, spec: QualitySpec, useShippedTables: boolean): Float64Array | null {
  const key = `${L}:${passband}:${stopband}:${spec.passRipple}:${spec.minimaxDb}:${spec.flatRipple}:${spec.flatband}`;
  const cached = minimaxCache.get(key);
  if (cached !== undefined) return cached;
  const shipped = useShippedTables ? MINIMAX_PROTOTYPES.get(key) : undefined;
  if (shipped !== undefined) {
    const h = decodePrototype(shipped);
    minimaxCache.set(key, h);
    return h;
  }
  const stopRipple = 10 ** (-spec.minimaxDb / 20);
  const weight = spec.passRipple / stopRipple;
  // Kaiser's estimate of the equiripple length, as the starting point of the search.
  const estimate = (-20 * Math.log10(Math.sqrt(spec.passRipple * stopRipple)) - 13) / (14.6 * (stopband - passband)) + 1;
  const tapsFor = (blocks: number): number => L * blocks * 8 - 1;
  const meets = (h: ReturnType<typeof designMinimaxLowpass>): boolean => h.converged && h.passDeviation <= spec.passRipple;
  let blocks = Math.max(1, Math.round(estimate / L / 8));
  let best: Float64Array | null = null;
  const flat = spec.flatRipple > 0 ? { flatband: passband * (spec.flatband / spec.passband), flatWeight: spec.passRipple / spec.flatRipple } : {};
  const design = (taps: number) => designMinimaxLowpass({ taps, passband, stopband, weight, ...flat });
  let d = design(tapsFor(blocks));
  if (meets(d)) {
    best = d.h;
    while (blocks > 1) {
      d = design(tapsFor(blocks - 1));
      if (!meets(d)) break;
      best = d.h;
      blocks--;
    }
  } else {
    for (let tries = 0; tries < 16 && best === null; tries++) {
      blocks++;
      if (tapsFor(blocks) > MAX_MINIMAX_TAPS) break;
      d = design(tapsFor(blocks));
      if (meets(d)) best = d.h;
    }
  }
  minimaxCache.set(key, best);
  return best;
}

/** Forgets every prototype designed or loaded. */
export function clearMinimaxPrototypes(): void {
  minimaxCache.clear();
}

/** The prototypes designed or loaded so far, by design key. */
export function minimaxPrototypes(): ReadonlyMap<string, Float64Array | null> {
  return new Map(minimaxCache);
}
