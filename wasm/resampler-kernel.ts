// AssemblyScript source of the resampler's inner loop (built by `npm run build:wasm`, see build.mjs).
// Pure functions over linear memory laid out by src/core/resampler.ts; no allocation, no runtime.
//
// Arithmetic order is part of the contract: every output is the same sum in the same order however
// the caller batches outputs, so any chunking of the input gives bit-identical output. For taps
// j = 8i + l: lane l of `a` accumulates taps 8i+l (l < 4), lane l of `b` taps 8i+4+l, then
// s = a + b and out = (s0 + s1) + (s2 + s3). The JS fallback in resampler-kernel-js.ts mirrors it.

@inline
function hsum(a: v128, b: v128): f32 {
  const s = f32x4.add(a, b);
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

/**
 * Computes `count` outputs of one channel and stores them `outStride` floats apart from `out`.
 * Output m reads `taps` samples from hist + 4 * first_m (oldest first) and coefficient row phase_m
 * (`taps` floats at coeffs + 4 * taps * phase_m); first/phase advance by stepWhole/stepFrac per
 * output with the phase wrapping at `phases`. `taps` is a multiple of 8.
 */
export function run(
  coeffs: usize,
  taps: i32,
  phases: i32,
  hist: usize,
  first: i32,
  phase: i32,
  stepWhole: i32,
  stepFrac: i32,
  count: i32,
  out: usize,
  outStride: i32,
): void {
  const rowBytes = <usize>taps << 2;
  const tapBytes = rowBytes;
  const outStep = <usize>outStride << 2;
  let base = first;
  let ph = phase;
  let m = 0;
  let o = out;
  // Two outputs per pass: four independent accumulator chains keep the FP pipes busy, and when both
  // outputs use the same coefficient row (pure decimation) its loads are shared.
  while (m + 1 < count) {
    let base2 = base + stepWhole;
    let ph2 = ph + stepFrac;
    if (ph2 >= phases) {
      ph2 -= phases;
      base2++;
    }
    const c0 = coeffs + <usize>ph * rowBytes;
    const c1 = coeffs + <usize>ph2 * rowBytes;
    const x0 = hist + (<usize>base << 2);
    const x1 = hist + (<usize>base2 << 2);
    let a0 = f32x4.splat(0);
    let b0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    if (c0 == c1) {
      for (let j: usize = 0; j < tapBytes; j += 32) {
        const ca = v128.load(c0 + j);
        const cb = v128.load(c0 + j, 16);
        a0 = f32x4.add(a0, f32x4.mul(ca, v128.load(x0 + j)));
        b0 = f32x4.add(b0, f32x4.mul(cb, v128.load(x0 + j, 16)));
        a1 = f32x4.add(a1, f32x4.mul(ca, v128.load(x1 + j)));
        b1 = f32x4.add(b1, f32x4.mul(cb, v128.load(x1 + j, 16)));
      }
    } else {
      for (let j: usize = 0; j < tapBytes; j += 32) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(c0 + j), v128.load(x0 + j)));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(c0 + j, 16), v128.load(x0 + j, 16)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(c1 + j), v128.load(x1 + j)));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(c1 + j, 16), v128.load(x1 + j, 16)));
      }
    }
    store<f32>(o, hsum(a0, b0));
    store<f32>(o + outStep, hsum(a1, b1));
    o += outStep << 1;
    base = base2 + stepWhole;
    ph = ph2 + stepFrac;
    if (ph >= phases) {
      ph -= phases;
      base++;
    }
    m += 2;
  }
  if (m < count) {
    const c0 = coeffs + <usize>ph * rowBytes;
    const x0 = hist + (<usize>base << 2);
    let a0 = f32x4.splat(0);
    let b0 = f32x4.splat(0);
    for (let j: usize = 0; j < tapBytes; j += 32) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(c0 + j), v128.load(x0 + j)));
      b0 = f32x4.add(b0, f32x4.mul(v128.load(c0 + j, 16), v128.load(x0 + j, 16)));
    }
    store<f32>(o, hsum(a0, b0));
  }
}
