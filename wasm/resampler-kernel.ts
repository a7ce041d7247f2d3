// AssemblyScript source of the resampler's inner loop (built by `npm run generate`, see scripts/generated-files.ts).
// Pure functions over linear memory laid out by src/core/resampler.ts; no allocation, no runtime.
//
// Arithmetic order is part of the contract: every output is the same sum in the same order however
// the caller batches outputs, so any chunking of the input gives bit-identical output. For taps
// j = 8i + l: lane l of `a` accumulates taps 8i+l (l < 4), lane l of `b` taps 8i+4+l, then
// s = a + b and out = (s0 + s1) + (s2 + s3). The JS fallback in resampler-kernel.ts mirrors it.

@inline
function hsum(a: v128, b: v128): f32 {
  const s = f32x4.add(a, b);
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

/** Three outputs that share one coefficient row (six accumulator chains: the most V8 keeps in registers). */
@inline
function triple(c: usize, x: usize, gap: usize, tapBytes: usize, o: usize, outGap: usize): void {
  let a0 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  const x1 = x + gap;
  const x2 = x1 + gap;
  for (let j: usize = 0; j < tapBytes; j += 32) {
    const ca = v128.load(c + j);
    const cb = v128.load(c + j, 16);
    a0 = f32x4.add(a0, f32x4.mul(ca, v128.load(x + j)));
    b0 = f32x4.add(b0, f32x4.mul(cb, v128.load(x + j, 16)));
    a1 = f32x4.add(a1, f32x4.mul(ca, v128.load(x1 + j)));
    b1 = f32x4.add(b1, f32x4.mul(cb, v128.load(x1 + j, 16)));
    a2 = f32x4.add(a2, f32x4.mul(ca, v128.load(x2 + j)));
    b2 = f32x4.add(b2, f32x4.mul(cb, v128.load(x2 + j, 16)));
  }
  store<f32>(o, hsum(a0, b0));
  store<f32>(o + outGap, hsum(a1, b1));
  store<f32>(o + 2 * outGap, hsum(a2, b2));
}

/** Two outputs that share one coefficient row: each row load feeds two windows `gap` bytes apart. */
@inline
function pair(c: usize, x: usize, gap: usize, tapBytes: usize, o: usize, outGap: usize): void {
  let a0 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  const x1 = x + gap;
  for (let j: usize = 0; j < tapBytes; j += 32) {
    const ca = v128.load(c + j);
    const cb = v128.load(c + j, 16);
    a0 = f32x4.add(a0, f32x4.mul(ca, v128.load(x + j)));
    b0 = f32x4.add(b0, f32x4.mul(cb, v128.load(x + j, 16)));
    a1 = f32x4.add(a1, f32x4.mul(ca, v128.load(x1 + j)));
    b1 = f32x4.add(b1, f32x4.mul(cb, v128.load(x1 + j, 16)));
  }
  store<f32>(o, hsum(a0, b0));
  store<f32>(o + outGap, hsum(a1, b1));
}

/**
 * Three outputs of one row whose windows start 4 samples (16 bytes) apart: the second half-block of
 * one window is the first half-block of the next, so each 8-tap step loads the row once and only two
 * new 4-sample vectors (the last two carry into the next step), 4 loads for 24 multiply-adds instead of 8.
 * The kernel is bound by loads, so this is the fast path for gaps of 1, 2 and 4 samples (see `run`).
 * Same sums in the same order as `triple`.
 */
@inline
function tripleShared(c: usize, x: usize, tapBytes: usize, o: usize, outGap: usize): void {
  let a0 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  let v0 = v128.load(x);
  let v1 = v128.load(x, 16);
  for (let j: usize = 0; j < tapBytes; j += 32) {
    const ca = v128.load(c + j);
    const cb = v128.load(c + j, 16);
    const v2 = v128.load(x + j, 32);
    const v3 = v128.load(x + j, 48);
    a0 = f32x4.add(a0, f32x4.mul(ca, v0));
    b0 = f32x4.add(b0, f32x4.mul(cb, v1));
    a1 = f32x4.add(a1, f32x4.mul(ca, v1));
    b1 = f32x4.add(b1, f32x4.mul(cb, v2));
    a2 = f32x4.add(a2, f32x4.mul(ca, v2));
    b2 = f32x4.add(b2, f32x4.mul(cb, v3));
    v0 = v2;
    v1 = v3;
  }
  store<f32>(o, hsum(a0, b0));
  store<f32>(o + outGap, hsum(a1, b1));
  store<f32>(o + 2 * outGap, hsum(a2, b2));
}

@inline
function single(c: usize, x: usize, tapBytes: usize, o: usize): void {
  let a0 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  for (let j: usize = 0; j < tapBytes; j += 32) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(c + j), v128.load(x + j)));
    b0 = f32x4.add(b0, f32x4.mul(v128.load(c + j, 16), v128.load(x + j, 16)));
  }
  store<f32>(o, hsum(a0, b0));
}

/**
 * Computes `count` outputs of one channel and stores them `outStride` floats apart from `out`.
 * Output m reads `taps` samples from hist + 4 * first_m (oldest first) and coefficient row phase_m
 * (`taps` floats at coeffs + 4 * taps * phase_m); first/phase advance by stepWhole/stepFrac per
 * output with the phase wrapping at `phases`. `taps` is a multiple of 8.
 *
 * Outputs m and m + phases use the same row, with windows `stepWhole * phases + stepFrac` samples
 * apart, so they are computed in pairs per row: one coefficient load serves two outputs and four
 * independent accumulator chains keep the FP pipes busy (more chains spill registers in V8).
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
  const outStep = <usize>outStride << 2;
  const gap = <usize>(stepWhole * phases + stepFrac) << 2;
  const outGap = outStep * <usize>phases;
  const groups = count < phases ? count : phases;
  // Outputs of one row are `gap` bytes apart; when `spread` of those steps make 4 samples, triples of
  // every spread-th output share their loads (tripleShared).
  const spread = gap == 16 ? 1 : gap == 8 ? 2 : gap == 4 ? 4 : 0;
  let base = first;
  let ph = phase;
  for (let r = 0; r < groups; r++) {
    const c = coeffs + <usize>ph * rowBytes;
    let x = hist + (<usize>base << 2);
    let o = out + <usize>r * outStep;
    let left = (count - r + phases - 1) / phases;
    if (spread > 0) {
      // Blocks of 3 * spread outputs as `spread` interleaved triples whose windows are 4 samples apart.
      const block = 3 * spread;
      const tripleGap = outGap * <usize>spread;
      while (left >= block) {
        for (let t = 0; t < spread; t++) tripleShared(c, x + <usize>t * gap, rowBytes, o + <usize>t * outGap, tripleGap);
        x += gap * <usize>block;
        o += outGap * <usize>block;
        left -= block;
      }
    }
    while (left >= 3) {
      triple(c, x, gap, rowBytes, o, outGap);
      x += gap * 3;
      o += outGap * 3;
      left -= 3;
    }
    while (left >= 2) {
      pair(c, x, gap, rowBytes, o, outGap);
      x += gap << 1;
      o += outGap << 1;
      left -= 2;
    }
    while (left > 0) {
      single(c, x, rowBytes, o);
      x += gap;
      o += outGap;
      left--;
    }
    base += stepWhole;
    ph += stepFrac;
    if (ph >= phases) {
      ph -= phases;
      base++;
    }
  }
}

// NaN -> 0, ±Infinity -> ±1, finite values unchanged (the resampler's input sanitising).
@inline
function clean(x: f32): f32 {
  if (x - x != 0) return x != x ? 0 : x > 0 ? 1 : -1;
  return x;
}

@inline
function cleanV(x: v128): v128 {
  const d = f32x4.sub(x, x);
  const finite = f32x4.eq(d, d);
  const clamped = v128.and(f32x4.min(f32x4.max(x, f32x4.splat(-1)), f32x4.splat(1)), f32x4.eq(x, x));
  return v128.bitselect(x, clamped, finite);
}

/**
 * Moves `frames` interleaved frames of `channels` floats at `src` into the filter histories, sanitised:
 * mode 0 de-interleaves channel c to dst + c * dstGap (bytes); mode 1 mixes stereo to mono as
 * f32(l + r) * 0.5. One call per chunk instead of a JS loop per sample.
 */
export function mixIn(src: usize, frames: i32, channels: i32, dst: usize, dstGap: usize, mode: i32): void {
  if (mode == 1) {
    const half = f32x4.splat(0.5);
    let i = 0;
    for (; i + 4 <= frames; i += 4) {
      const a = v128.load(src + (<usize>i << 3));
      const b = v128.load(src + (<usize>i << 3), 16);
      const l = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
      const r = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
      v128.store(dst + (<usize>i << 2), cleanV(f32x4.mul(f32x4.add(l, r), half)));
    }
    for (; i < frames; i++) {
      const p = src + (<usize>i << 3);
      store<f32>(dst + (<usize>i << 2), clean((load<f32>(p) + load<f32>(p, 4)) * 0.5));
    }
    return;
  }
  if (channels == 1) {
    let i = 0;
    for (; i + 4 <= frames; i += 4) v128.store(dst + (<usize>i << 2), cleanV(v128.load(src + (<usize>i << 2))));
    for (; i < frames; i++) store<f32>(dst + (<usize>i << 2), clean(load<f32>(src + (<usize>i << 2))));
    return;
  }
  const frameBytes = <usize>channels << 2;
  for (let c = 0; c < channels; c++) {
    const d = dst + <usize>c * dstGap;
    let s = src + (<usize>c << 2);
    for (let i = 0; i < frames; i++) {
      store<f32>(d + (<usize>i << 2), clean(load<f32>(s)));
      s += frameBytes;
    }
  }
}

/** Up-mix in place: frame f's first float (written by `run` with outStride = channels) copied to its other channels. */
export function upmix(at: usize, frames: i32, channels: i32): void {
  if (channels == 2) {
    let f = 0;
    for (; f + 2 <= frames; f += 2) {
      const p = at + (<usize>f << 3);
      v128.store(p, v128.shuffle<f32>(v128.load(p), v128.load(p), 0, 0, 2, 2));
    }
    for (; f < frames; f++) {
      const p = at + (<usize>f << 3);
      store<f32>(p, load<f32>(p), 4);
    }
    return;
  }
  const frameBytes = <usize>channels << 2;
  for (let f = 0; f < frames; f++) {
    const p = at + <usize>f * frameBytes;
    const x = load<f32>(p);
    for (let c = 1; c < channels; c++) store<f32>(p + (<usize>c << 2), x);
  }
}

// ---------------------------------------------------------------------------------------------
// s16 in and out, so that s16 PCM (what streams carry) never goes through a per-sample JS loop.

/**
 * `mixIn` for s16 input at `src` (interleaved, `channels` wide): samples become x / 32768 (exact in
 * float32, nothing to sanitise). Mode 1 mixes stereo to mono as (l + r) / 65536, which equals the
 * float path's f32(l / 32768 + r / 32768) * 0.5 bit for bit.
 */
export function mixInS16(src: usize, frames: i32, channels: i32, dst: usize, dstGap: usize, mode: i32): void {
  const scale = f32x4.splat(1.0 / 32768.0);
  if (mode == 1) {
    const half = f32x4.splat(1.0 / 65536.0);
    let i = 0;
    for (; i + 4 <= frames; i += 4) {
      // Four stereo frames: pairwise sums are l + r per frame.
      const lr = i32x4.extadd_pairwise_i16x8_s(v128.load(src + (<usize>i << 2)));
      v128.store(dst + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_s(lr), half));
    }
    for (; i < frames; i++) {
      const p = src + (<usize>i << 2);
      store<f32>(dst + (<usize>i << 2), <f32>(<i32>load<i16>(p) + <i32>load<i16>(p, 2)) * (1.0 / 65536.0));
    }
    return;
  }
  if (channels == 1) {
    let i = 0;
    for (; i + 8 <= frames; i += 8) {
      const v = v128.load(src + (<usize>i << 1));
      const d = dst + (<usize>i << 2);
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v)), scale));
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(v)), scale), 16);
    }
    for (; i < frames; i++) store<f32>(dst + (<usize>i << 2), <f32>load<i16>(src + (<usize>i << 1)) * (1.0 / 32768.0));
    return;
  }
  if (channels == 2) {
    // De-interleave four stereo frames per step: even lanes left, odd lanes right.
    const d1 = dst + dstGap;
    let i = 0;
    for (; i + 4 <= frames; i += 4) {
      const v = v128.load(src + (<usize>i << 2));
      const w = i32x4.extend_low_i16x8_s(v128.shuffle<i16>(v, v, 0, 2, 4, 6, 1, 3, 5, 7));
      const z = i32x4.extend_high_i16x8_s(v128.shuffle<i16>(v, v, 0, 2, 4, 6, 1, 3, 5, 7));
      v128.store(dst + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_s(w), scale));
      v128.store(d1 + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_s(z), scale));
    }
    for (; i < frames; i++) {
      const p = src + (<usize>i << 2);
      store<f32>(dst + (<usize>i << 2), <f32>load<i16>(p) * (1.0 / 32768.0));
      store<f32>(d1 + (<usize>i << 2), <f32>load<i16>(p, 2) * (1.0 / 32768.0));
    }
    return;
  }
  const frameBytes = <usize>channels << 1;
  for (let c = 0; c < channels; c++) {
    const d = dst + <usize>c * dstGap;
    let s = src + (<usize>c << 1);
    for (let i = 0; i < frames; i++) {
      store<f32>(d + (<usize>i << 2), <f32>load<i16>(s) * (1.0 / 32768.0));
      s += frameBytes;
    }
  }
}

/** round(x * 32768) with ties toward +Infinity (JS Math.round, as pcm-convert's floatToS16), as i32; NaN -> 0 after the saturating conversion. */
@inline
function roundS16(x: v128): v128 {
  const v = f32x4.mul(x, f32x4.splat(32768.0));
  const r = f32x4.nearest(v);
  // nearest() rounds ties to even: move a tie that went down (v - r = 0.5, exact) up by one.
  const up = v128.and(f32x4.eq(f32x4.sub(v, r), f32x4.splat(0.5)), f32x4.splat(1.0));
  return i32x4.trunc_sat_f32x4_s(f32x4.add(r, up));
}

@inline
function roundS16Scalar(x: f32): i32 {
  const v = x * 32768.0;
  if (v != v) return 0;
  let r: f32 = nearest<f32>(v);
  if (v - r == 0.5) r += 1;
  return r >= 32767 ? 32767 : r <= -32768 ? -32768 : <i32>r;
}

/**
 * In place: `frames` output frames of float32 at `at` become s16 (from the same address, half the
 * bytes), rounded and clipped like floatToS16. Mode 0: the floats are `channels` wide (interleaved).
 * Mode 1: only the first float of each `channels`-wide frame is set (a filtered mono channel), and
 * it is written to every channel of the s16 frame (the up-mix). Writes never overtake reads.
 */
export function toS16(at: usize, frames: i32, channels: i32, mode: i32): void {
  if (mode == 0) {
    const n = frames * channels;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const p = at + (<usize>i << 2);
      const lo = roundS16(v128.load(p));
      const hi = roundS16(v128.load(p, 16));
      v128.store(at + (<usize>i << 1), i16x8.narrow_i32x4_s(lo, hi));
    }
    for (; i < n; i++) store<i16>(at + (<usize>i << 1), roundS16Scalar(load<f32>(at + (<usize>i << 2))));
    return;
  }
  if (channels == 2) {
    let f = 0;
    for (; f + 4 <= frames; f += 4) {
      const p = at + (<usize>f << 3);
      const a = v128.load(p);
      const b = v128.load(p, 16);
      const lo = roundS16(v128.shuffle<f32>(a, b, 0, 0, 2, 2));
      const hi = roundS16(v128.shuffle<f32>(a, b, 4, 4, 6, 6));
      v128.store(at + (<usize>f << 2), i16x8.narrow_i32x4_s(lo, hi));
    }
    for (; f < frames; f++) {
      const s = <i16>roundS16Scalar(load<f32>(at + (<usize>f << 3)));
      const o = at + (<usize>f << 2);
      store<i16>(o, s);
      store<i16>(o, s, 2);
    }
    return;
  }
  for (let f = 0; f < frames; f++) {
    const s = <i16>roundS16Scalar(load<f32>(at + <usize>f * (<usize>channels << 2)));
    const o = at + <usize>f * (<usize>channels << 1);
    for (let c = 0; c < channels; c++) store<i16>(o + (<usize>c << 1), s);
  }
}
