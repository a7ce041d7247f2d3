// Silero VAD v5/v6 forward pass for WebAssembly SIMD (AssemblyScript; built by `npm run generate` into
// src/core/vad/wasm/silero-wasm-binary.ts). The host (src/core/vad/silero-wasm.ts) owns the memory map:
//
//   w   weights block of one (version, rate): a header of i32 byte offsets (see W_* below), then the tensors,
//       re-laid out so that every inner loop streams 16-byte vectors of 4 output channels/rows.
//   io  one stream's state and input, f32: h[128] | c[128] | context[ctx] | window[len] | reflect pad[n/4]
//   s   scratch shared by every stream (each call finishes before the next starts)
//
// Lanes: the STFT runs its 4 frames in the 4 lanes of each vector; convolutions and the LSTM put 4 output
// channels in the lanes and broadcast the input scalar. Float32 throughout, like the reference runtime.

// weights header (i32 slots)
const W_N = 0; // STFT frame length n (256 at 16 kHz, 128 at 8 kHz)
const W_WINDOW = 1; // f32[n]
const W_COS = 2; // f32[n/2]
const W_SIN = 3; // f32[n/2]
const W_BITREV = 4; // i32[n]
const W_ENC0 = 5; // [32 groups][bins][3 taps][4 lanes]
const W_ENC0_B = 6; // f32[128]
const W_ENC1 = 7; // [16][128][3][4]
const W_ENC1_B = 8;
const W_ENC2 = 9; // [16][64][taps 1,2][4]
const W_ENC2_B = 10;
const W_ENC3 = 11; // [32][64][4] (centre tap only)
const W_ENC3_B = 12;
const W_LSTM = 13; // [32 passes][256 inputs][16 rows]; rows are gates i, f, g, o (128 each)
const W_LSTM_B = 14; // f32[512]
const W_OUT = 15; // f32[128]
const W_OUT_B = 16; // f32[1]

// scratch layout (bytes), sized for n = 256
const S_RE: usize = 0; // v128[n]
const S_IM: usize = 4096; // v128[n]
const S_MAG: usize = 8192; // f32[bins][6]: frames in columns 1..4, zero columns 0 and 5 (the conv padding)
const S_E0: usize = 11392; // f32[128][6], same padding
const S_E1: usize = 14464; // f32[64][2]
const S_E2: usize = 15488; // f32[64]
const S_XH: usize = 15744; // f32[256]: encoder output | h
const S_G: usize = 16768; // f32[512] gate pre-activations
/** Bytes of scratch the host must reserve. */
export const SCRATCH_BYTES: i32 = 18816;

@inline function wp(w: usize, slot: i32): usize {
  return w + <usize>load<i32>(w + (<usize>slot << 2));
}

@inline function splat4(ptr: usize): v128 {
  return v128.load32_splat(ptr);
}

// e^x for 4 lanes: range reduction to r in [-ln2/2, ln2/2], degree-6 minimax polynomial, scale by 2^k.
@inline function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(k, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

@inline function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

@inline function tanhv(x: v128): v128 {
  // tanh(x) = 2·sigmoid(2x) - 1: absolute error ~1e-7, which is what matters downstream.
  const two = f32x4.splat(2.0);
  return f32x4.sub(f32x4.mul(two, sigmoidv(f32x4.mul(two, x))), f32x4.splat(1.0));
}

@inline function relu(v: v128): v128 {
  return f32x4.max(v, f32x4.splat(0.0));
}

/** Runs one window; returns the speech probability and leaves the new h, c and context in `io`. */
export function forward(w: usize, io: usize, s: usize): f32 {
  const n = load<i32>(w + (<usize>W_N << 2));
  const half = n >> 1;
  const bins = half + 1;
  const hop = half;
  const ctx = n >> 2;
  const len = n << 1;
  const pad = n >> 2;
  const x: usize = io + 1024; // after h and c

  // Non-finite samples become 0 so a NaN cannot poison the recurrent state (x - x is 0 only for finite x).
  const zero = f32x4.splat(0.0);
  for (let i = ctx; i < ctx + len; i += 4) {
    const p = x + (<usize>i << 2);
    const v = v128.load(p);
    v128.store(p, v128.and(v, f32x4.eq(f32x4.sub(v, v), zero)));
  }
  // torch 'reflect' padding on the right: the edge sample is not repeated.
  const total = ctx + len;
  for (let j = 0; j < pad; j++) {
    store<f32>(x + (<usize>(total + j) << 2), load<f32>(x + (<usize>(total - 2 - j) << 2)));
  }

  // STFT: 4 frames at hop offsets, one per lane; windowed, bit-reversed, then an in-place radix-2 FFT.
  const win = wp(w, W_WINDOW);
  const rev = wp(w, W_BITREV);
  const re = s + S_RE;
  const im = s + S_IM;
  for (let t = 0; t < n; t++) {
    const p = x + (<usize>t << 2);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>hop << 2)));
    v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>(2 * hop) << 2)));
    v = f32x4.replace_lane(v, 3, load<f32>(p + (<usize>(3 * hop) << 2)));
    v = f32x4.mul(v, splat4(win + (<usize>t << 2)));
    const j = <usize>load<i32>(rev + (<usize>t << 2)) << 4;
    v128.store(re + j, v);
    v128.store(im + j, zero);
  }
  const cosT = wp(w, W_COS);
  const sinT = wp(w, W_SIN);
  for (let size = 2; size <= n; size <<= 1) {
    const h = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < h; k++) {
        const c = splat4(cosT + (<usize>(k * step) << 2));
        const sn = splat4(sinT + (<usize>(k * step) << 2));
        const a = <usize>(start + k) << 4;
        const b = a + (<usize>h << 4);
        const ar = v128.load(re + a);
        const ai = v128.load(im + a);
        const br = v128.load(re + b);
        const bi = v128.load(im + b);
        const tr = f32x4.add(f32x4.mul(br, c), f32x4.mul(bi, sn));
        const ti = f32x4.sub(f32x4.mul(bi, c), f32x4.mul(br, sn));
        v128.store(re + b, f32x4.sub(ar, tr));
        v128.store(im + b, f32x4.sub(ai, ti));
        v128.store(re + a, f32x4.add(ar, tr));
        v128.store(im + a, f32x4.add(ai, ti));
      }
    }
  }
  const mag = s + S_MAG;
  for (let k = 0; k < bins; k++) {
    const r = v128.load(re + (<usize>k << 4));
    const i = v128.load(im + (<usize>k << 4));
    const row = mag + <usize>(k * 24);
    store<f32>(row, 0.0);
    v128.store(row + 4, f32x4.sqrt(f32x4.add(f32x4.mul(r, r), f32x4.mul(i, i))));
    store<f32>(row + 20, 0.0);
  }

  // encoder 0: conv k3 s1 p1, bins -> 128 channels, 4 frames.
  const e0 = s + S_E0;
  {
    let wv = wp(w, W_ENC0);
    const bias = wp(w, W_ENC0_B);
    for (let g = 0; g < 32; g++) {
      const b = v128.load(bias + (<usize>g << 4));
      let a0 = b;
      let a1 = b;
      let a2 = b;
      let a3 = b;
      let row = mag;
      for (let c = 0; c < bins; c++, row += 24, wv += 48) {
        const w0 = v128.load(wv);
        const w1 = v128.load(wv, 16);
        const w2 = v128.load(wv, 32);
        const s0 = splat4(row);
        const s1 = splat4(row + 4);
        const s2 = splat4(row + 8);
        const s3 = splat4(row + 12);
        const s4 = splat4(row + 16);
        const s5 = splat4(row + 20);
        a0 = f32x4.add(a0, f32x4.add(f32x4.add(f32x4.mul(w0, s0), f32x4.mul(w1, s1)), f32x4.mul(w2, s2)));
        a1 = f32x4.add(a1, f32x4.add(f32x4.add(f32x4.mul(w0, s1), f32x4.mul(w1, s2)), f32x4.mul(w2, s3)));
        a2 = f32x4.add(a2, f32x4.add(f32x4.add(f32x4.mul(w0, s2), f32x4.mul(w1, s3)), f32x4.mul(w2, s4)));
        a3 = f32x4.add(a3, f32x4.add(f32x4.add(f32x4.mul(w0, s3), f32x4.mul(w1, s4)), f32x4.mul(w2, s5)));
      }
      a0 = relu(a0);
      a1 = relu(a1);
      a2 = relu(a2);
      a3 = relu(a3);
      // Transpose 4 channels x 4 frames into 4 rows of e0[channel][1..4].
      const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5); // c0f0 c0f1 c1f0 c1f1
      const t1 = i32x4.shuffle(a2, a3, 0, 4, 1, 5); // c0f2 c0f3 c1f2 c1f3
      const t2 = i32x4.shuffle(a0, a1, 2, 6, 3, 7); // c2f0 c2f1 c3f0 c3f1
      const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7); // c2f2 c2f3 c3f2 c3f3
      const out = e0 + <usize>(g * 4 * 24);
      store<f32>(out, 0.0);
      v128.store(out + 4, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      store<f32>(out + 20, 0.0);
      store<f32>(out + 24, 0.0);
      v128.store(out + 28, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
      store<f32>(out + 44, 0.0);
      store<f32>(out + 48, 0.0);
      v128.store(out + 52, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
      store<f32>(out + 68, 0.0);
      store<f32>(out + 72, 0.0);
      v128.store(out + 76, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
      store<f32>(out + 92, 0.0);
    }
  }

  // encoder 1: conv k3 s2 p1, 128 -> 64 channels, 4 -> 2 frames.
  const e1 = s + S_E1;
  {
    let wv = wp(w, W_ENC1);
    const bias = wp(w, W_ENC1_B);
    for (let g = 0; g < 16; g++) {
      let a0 = v128.load(bias + (<usize>g << 4));
      let a1 = a0;
      let row = e0;
      for (let c = 0; c < 128; c++, row += 24, wv += 48) {
        const w0 = v128.load(wv);
        const w1 = v128.load(wv, 16);
        const w2 = v128.load(wv, 32);
        const s0 = splat4(row);
        const s1 = splat4(row + 4);
        const s2 = splat4(row + 8);
        const s3 = splat4(row + 12);
        const s4 = splat4(row + 16);
        a0 = f32x4.add(a0, f32x4.add(f32x4.add(f32x4.mul(w0, s0), f32x4.mul(w1, s1)), f32x4.mul(w2, s2)));
        a1 = f32x4.add(a1, f32x4.add(f32x4.add(f32x4.mul(w0, s2), f32x4.mul(w1, s3)), f32x4.mul(w2, s4)));
      }
      a0 = relu(a0);
      a1 = relu(a1);
      // e1[channel][frame], 2 frames per channel: interleave.
      const out = e1 + <usize>(g * 32);
      v128.store(out, i32x4.shuffle(a0, a1, 0, 4, 1, 5));
      v128.store(out + 16, i32x4.shuffle(a0, a1, 2, 6, 3, 7));
    }
  }

  // encoder 2: conv k3 s2 p1, 2 -> 1 frame: taps 1 and 2 see frames 0 and 1, tap 0 the zero pad.
  const e2 = s + S_E2;
  {
    let wv = wp(w, W_ENC2);
    const bias = wp(w, W_ENC2_B);
    for (let g = 0; g < 16; g++) {
      let a = v128.load(bias + (<usize>g << 4));
      let b = zero;
      let row = e1;
      for (let c = 0; c < 64; c++, row += 8, wv += 32) {
        a = f32x4.add(a, f32x4.mul(v128.load(wv), splat4(row)));
        b = f32x4.add(b, f32x4.mul(v128.load(wv, 16), splat4(row + 4)));
      }
      v128.store(e2 + (<usize>g << 4), relu(f32x4.add(a, b)));
    }
  }

  // encoder 3: conv k3 s1 p1 on one frame: only the centre tap sees data.
  const xh = s + S_XH;
  {
    let wv = wp(w, W_ENC3);
    const bias = wp(w, W_ENC3_B);
    for (let g = 0; g < 32; g++) {
      let a = v128.load(bias + (<usize>g << 4));
      let b = zero;
      let e = e2;
      for (let c = 0; c < 64; c += 2, e += 8, wv += 32) {
        a = f32x4.add(a, f32x4.mul(v128.load(wv), splat4(e)));
        b = f32x4.add(b, f32x4.mul(v128.load(wv, 16), splat4(e + 4)));
      }
      v128.store(xh + (<usize>g << 4), relu(f32x4.add(a, b)));
    }
  }
  memory.copy(xh + 512, io, 512); // h

  // LSTM gates = [W_ih | W_hh]·[x | h] + b, 16 rows per pass.
  const gates = s + S_G;
  {
    let wv = wp(w, W_LSTM);
    const bias = wp(w, W_LSTM_B);
    for (let pass = 0; pass < 32; pass++) {
      const bp = bias + (<usize>pass << 6);
      let a0 = v128.load(bp);
      let a1 = v128.load(bp, 16);
      let a2 = v128.load(bp, 32);
      let a3 = v128.load(bp, 48);
      for (let j = 0; j < 256; j++, wv += 64) {
        const v = splat4(xh + (<usize>j << 2));
        a0 = f32x4.add(a0, f32x4.mul(v128.load(wv), v));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(wv, 16), v));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(wv, 32), v));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(wv, 48), v));
      }
      const gp = gates + (<usize>pass << 6);
      v128.store(gp, a0);
      v128.store(gp, a1, 16);
      v128.store(gp, a2, 32);
      v128.store(gp, a3, 48);
    }
  }

  // Cell update, new h, and the decoder (ReLU, 1x1 conv, sigmoid) in one sweep.
  const outW = wp(w, W_OUT);
  let logit = zero;
  for (let j = 0; j < 128; j += 4) {
    const off = <usize>j << 2;
    const i = sigmoidv(v128.load(gates + off));
    const f = sigmoidv(v128.load(gates + 512 + off));
    const gg = tanhv(v128.load(gates + 1024 + off));
    const o = sigmoidv(v128.load(gates + 1536 + off));
    const c = f32x4.add(f32x4.mul(f, v128.load(io + 512 + off)), f32x4.mul(i, gg));
    const h = f32x4.mul(o, tanhv(c));
    v128.store(io + 512 + off, c);
    v128.store(io + off, h);
    logit = f32x4.add(logit, f32x4.mul(relu(h), v128.load(outW + off)));
  }
  const sum =
    f32x4.extract_lane(logit, 0) + f32x4.extract_lane(logit, 1) + f32x4.extract_lane(logit, 2) + f32x4.extract_lane(logit, 3);
  const l = sum + load<f32>(wp(w, W_OUT_B));
  const prob = f32x4.extract_lane(sigmoidv(f32x4.splat(l)), 0);

  // Next window's context: the last ctx samples of this one.
  memory.copy(x, x + (<usize>len << 2), <usize>ctx << 2);
  return prob;
}
