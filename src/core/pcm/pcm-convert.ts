/**
 * Sample conversions on typed arrays. Every function writes into a caller's output array and returns
 * the number of samples written, so hot paths can reuse buffers and allocate nothing.
 *
 * Conventions: s16 ↔ f32 uses the 32768 scale (so s16 → f32 → s16 is exact), f32 → s16 rounds to
 * nearest, clips to [-32768, 32767] and maps NaN to 0 (never passes NaN on). Channel data is interleaved.
 */

const S16_SCALE = 32768;
const INV_S16_SCALE = 1 / 32768;

/** s16 samples to float in [-1, 1). */
export function s16ToF32(input: Int16Array, output: Float32Array, count = input.length): number {
  for (let i = 0; i < count; i++) output[i] = input[i]! * INV_S16_SCALE;
  return count;
}

/** Float samples to s16, rounded, clipped; NaN becomes 0. */
export function f32ToS16(input: Float32Array, output: Int16Array, count = input.length): number {
  for (let i = 0; i < count; i++) output[i] = floatToS16(input[i]!);
  return count;
}

/** One float sample to s16 (round to nearest, clip, NaN → 0). */
export function floatToS16(x: number): number {
  const v = Math.round(x * S16_SCALE);
  // `v !== v` is the NaN test; comparisons with NaN are false, so it must come first.
  if (v !== v) return 0;
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Replaces NaN with 0 and clamps ±Infinity to ±1 in place; returns how many samples were fixed. */
export function sanitizeF32(samples: Float32Array, count = samples.length): number {
  let fixed = 0;
  for (let i = 0; i < count; i++) {
    const x = samples[i]!;
    if (x !== x) {
      samples[i] = 0;
      fixed++;
    } else if (x === Infinity || x === -Infinity) {
      samples[i] = x > 0 ? 1 : -1;
      fixed++;
    }
  }
  return fixed;
}

/** Interleaved → one array per channel. `frames` sample frames are read. */
export function deinterleave(input: Float32Array, outputs: Float32Array[], channels: number, frames: number): void {
  for (let c = 0; c < channels; c++) {
    const out = outputs[c]!;
    for (let f = 0, i = c; f < frames; f++, i += channels) out[f] = input[i]!;
  }
}

/** One array per channel → interleaved. */
export function interleave(inputs: Float32Array[], output: Float32Array, channels: number, frames: number): void {
  for (let c = 0; c < channels; c++) {
    const inp = inputs[c]!;
    for (let f = 0, i = c; f < frames; f++, i += channels) output[i] = inp[f]!;
  }
}

/** Weight of the centre channel in a down-mix to stereo, before normalisation (−3 dB, ITU-R BS.775). */
export const CENTER_MIX = Math.SQRT1_2;
/** Weight of each surround (side or back) channel in a down-mix to stereo, before normalisation (−3 dB). */
export const SURROUND_MIX = Math.SQRT1_2;

// Speaker order by channel count: WAVE_FORMAT_EXTENSIBLE's usual masks and ffmpeg's default layouts
// (3.0, quad, 5.0, 5.1, 6.1, 7.1). l/r: weight into the left and right of a stereo down-mix.
const SPEAKER_WEIGHTS: Readonly<Record<number, readonly (readonly [number, number])[]>> = (() => {
  const L = [1, 0] as const;
  const R = [0, 1] as const;
  const C = [CENTER_MIX, CENTER_MIX] as const;
  const LFE = [0, 0] as const;
  const SL = [SURROUND_MIX, 0] as const;
  const SR = [0, SURROUND_MIX] as const;
  const BC = [SURROUND_MIX * Math.SQRT1_2, SURROUND_MIX * Math.SQRT1_2] as const;
  return { 3: [L, R, C], 4: [L, R, SL, SR], 5: [L, R, C, SL, SR], 6: [L, R, C, LFE, SL, SR], 7: [L, R, C, LFE, BC, SL, SR], 8: [L, R, C, LFE, SL, SR, SL, SR] };
})();

interface DownmixWeights {
  readonly left: Float32Array;
  readonly right: Float32Array;
  readonly mono: Float32Array;
}

const DOWNMIX = new Map<number, DownmixWeights>();
for (const [count, speakers] of Object.entries(SPEAKER_WEIGHTS)) {
  // Normalised by the larger row sum, so a full-scale signal on every channel cannot clip (as ffmpeg
  // does for integer output); mono is the mean of that stereo pair.
  const norm = Math.max(...[0, 1].map((side) => speakers.reduce((sum, w) => sum + w[side]!, 0)));
  const left = Float32Array.from(speakers, (w) => w[0] / norm);
  const right = Float32Array.from(speakers, (w) => w[1] / norm);
  DOWNMIX.set(Number(count), { left, right, mono: Float32Array.from(speakers, (_, c) => (left[c]! + right[c]!) / 2) });
}

/**
 * The down-mix weights for a source of `channels` channels in the usual speaker order (3.0, quad, 5.0,
 * 5.1, 6.1, 7.1): centre and surrounds at −3 dB, LFE dropped, normalised so no sum clips. The same
 * coefficients as ffmpeg's default matrix for integer output. Undefined for 1, 2 or more than 8.
 */
export function downmixWeights(channels: number): DownmixWeights | undefined {
  return DOWNMIX.get(channels);
}

/**
 * Mixes interleaved channels into mono: stereo and unknown layouts average the channels (a full-scale
 * mono signal stays full scale); 3 to 8 channels use the standard surround down-mix ({@link downmixWeights}).
 */
export function downmixToMono(input: Float32Array, output: Float32Array, channels: number, frames: number): void {
  if (channels === 1) {
    output.set(input.subarray(0, frames));
    return;
  }
  if (channels === 2) {
    for (let f = 0, i = 0; f < frames; f++, i += 2) output[f] = (input[i]! + input[i + 1]!) * 0.5;
    return;
  }
  const weights = DOWNMIX.get(channels)?.mono;
  if (weights) {
    for (let f = 0, i = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += input[i++]! * weights[c]!;
      output[f] = sum;
    }
    return;
  }
  const inv = 1 / channels;
  for (let f = 0, i = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += input[i++]!;
    output[f] = sum * inv;
  }
}

/** Copies mono into every channel of an interleaved output. */
export function upmixFromMono(input: Float32Array, output: Float32Array, channels: number, frames: number): void {
  if (channels === 1) {
    output.set(input.subarray(0, frames));
    return;
  }
  for (let f = 0, o = 0; f < frames; f++) {
    const x = input[f]!;
    for (let c = 0; c < channels; c++) output[o++] = x;
  }
}

/** Mixes 3 to 8 interleaved surround channels to stereo with {@link downmixWeights}. */
function downmixToStereo(input: Float32Array, output: Float32Array, weights: DownmixWeights, channels: number, frames: number): void {
  const { left, right } = weights;
  for (let f = 0, i = 0, o = 0; f < frames; f++) {
    let l = 0;
    let r = 0;
    for (let c = 0; c < channels; c++, i++) {
      l += input[i]! * left[c]!;
      r += input[i]! * right[c]!;
    }
    output[o++] = l;
    output[o++] = r;
  }
}

/**
 * Maps between channel counts: equal counts copy; to mono mixes ({@link downmixToMono}); from mono
 * duplicates; 3 to 8 channels to stereo use the standard surround down-mix ({@link downmixWeights});
 * otherwise channels are mixed to mono and spread (the general case has no agreed speaker layout).
 * `scratch` needs `frames` samples when neither side is mono and counts differ.
 */
export function remixChannels(
  input: Float32Array,
  inChannels: number,
  output: Float32Array,
  outChannels: number,
  frames: number,
  scratch?: Float32Array,
): void {
  if (inChannels === outChannels) {
    output.set(input.subarray(0, frames * inChannels));
  } else if (outChannels === 1) {
    downmixToMono(input, output, inChannels, frames);
  } else if (inChannels === 1) {
    upmixFromMono(input, output, outChannels, frames);
  } else if (outChannels === 2 && DOWNMIX.has(inChannels)) {
    downmixToStereo(input, output, DOWNMIX.get(inChannels)!, inChannels, frames);
  } else {
    const mono = scratch ?? new Float32Array(frames);
    downmixToMono(input, mono, inChannels, frames);
    upmixFromMono(mono, output, outChannels, frames);
  }
}

/**
 * An Int16Array over a Buffer's bytes without copying when the Buffer is 2-byte aligned, else null
 * (Node's pooled Buffers are often at odd offsets; callers then copy into an aligned scratch).
 */
export function int16View(buf: Uint8Array, byteLength = buf.byteLength): Int16Array | null {
  return (buf.byteOffset & 1) === 0 ? new Int16Array(buf.buffer, buf.byteOffset, byteLength >> 1) : null;
}

/** A Float32Array over a Buffer's bytes when 4-byte aligned, else null. */
export function float32View(buf: Uint8Array, byteLength = buf.byteLength): Float32Array | null {
  return (buf.byteOffset & 3) === 0 ? new Float32Array(buf.buffer, buf.byteOffset, byteLength >> 2) : null;
}

/**
 * Decodes `frames * channels` samples of PCM bytes (s16le or f32le) into floats, whatever the alignment.
 * Little-endian hosts only (every platform Node ships on).
 */
export function bytesToF32(bytes: Uint8Array, encoding: 's16le' | 'f32le', output: Float32Array, samples: number): void {
  if (encoding === 's16le') {
    const view = int16View(bytes, samples * 2);
    if (view) {
      s16ToF32(view, output, samples);
    } else {
      for (let i = 0, b = 0; i < samples; i++, b += 2) {
        const v = bytes[b]! | (bytes[b + 1]! << 8);
        output[i] = ((v << 16) >> 16) * INV_S16_SCALE;
      }
    }
  } else {
    const view = float32View(bytes, samples * 4);
    if (view) output.set(view.subarray(0, samples));
    else new Uint8Array(output.buffer, output.byteOffset, samples * 4).set(bytes.subarray(0, samples * 4));
  }
}

/** Encodes floats as PCM bytes (s16le rounds and clips; f32le copies, NaN → 0). Returns bytes written. */
export function f32ToBytes(input: Float32Array, encoding: 's16le' | 'f32le', output: Uint8Array, samples: number): number {
  if (encoding === 's16le') {
    const view = int16View(output, samples * 2);
    if (view) {
      f32ToS16(input, view, samples);
    } else {
      for (let i = 0, b = 0; i < samples; i++, b += 2) {
        const v = floatToS16(input[i]!);
        output[b] = v & 0xff;
        output[b + 1] = (v >> 8) & 0xff;
      }
    }
    return samples * 2;
  }
  const view = float32View(output, samples * 4);
  if (view) {
    for (let i = 0; i < samples; i++) {
      const x = input[i]!;
      view[i] = x === x ? x : 0;
    }
  } else {
    const dv = new DataView(output.buffer, output.byteOffset, samples * 4);
    for (let i = 0; i < samples; i++) {
      const x = input[i]!;
      dv.setFloat32(i * 4, x === x ? x : 0, true);
    }
  }
  return samples * 4;
}
