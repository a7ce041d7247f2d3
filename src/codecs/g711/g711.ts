/**
 * G.711 µ-law and A-law, bit-exact with ffmpeg's `pcm_mulaw` / `pcm_alaw` in both directions.
 *
 * Decoding maps each 8-bit code to the 16-bit value at the centre of its quantization step (the
 * classic expansion: µ-law peaks at ±32124, A-law at ±32256). Encoding works on the top 14 bits of
 * the sample and picks the code whose decoded value is nearest, with decision thresholds halfway
 * between neighbouring decoded values; that is how ffmpeg builds its tables, so our bytes match.
 *
 * Every function writes into caller buffers and allocates nothing; tables are built once at load.
 */

/** Which G.711 law. */
export type G711Law = 'mulaw' | 'alaw';

// Code bits that are inverted on the wire: all of them for µ-law, the even bits (0x55) for A-law.
const MULAW_INVERT = 0xff;
const ALAW_INVERT = 0xd5;

function expandMulaw(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  // Bias of 33 (in 2-LSB units, 132 after <<2) makes the segments line up; removed after the shift.
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function expandAlaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? ((mantissa << 1) + 1) << 3 : ((mantissa << 1) + 1 + 32) << (exponent + 2);
  return a & 0x80 ? magnitude : -magnitude;
}

function buildDecodeTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

/**
 * Encode table indexed by `(sample + 32768) >> 2` (14-bit). Magnitude index `m` (0..127) is the code
 * `m ^ invert` on the positive side and `m ^ invert ^ 0x80` on the negative side; its decoded value
 * grows with `m`, so walking outward from zero and switching at each midpoint gives nearest-code encoding.
 */
function buildEncodeTable(expand: (code: number) => number, invert: number): Uint8Array {
  const table = new Uint8Array(16384);
  const centre = 8192;
  const positive = (m: number): number => m ^ invert;
  const negative = (m: number): number => m ^ invert ^ 0x80;
  table[centre] = invert;
  let offset = 1;
  for (let m = 0; m < 127; m++) {
    const lower = expand(positive(m));
    const upper = expand(positive(m + 1));
    // Midpoint of two 16-bit values, expressed in 14-bit units, rounded.
    const threshold = (lower + upper + 4) >> 3;
    for (; offset < threshold; offset++) {
      table[centre - offset] = negative(m);
      table[centre + offset] = positive(m);
    }
  }
  for (; offset < centre; offset++) {
    table[centre - offset] = negative(127);
    table[centre + offset] = positive(127);
  }
  table[0] = table[1]!;
  return table;
}

const MULAW_DECODE = buildDecodeTable(expandMulaw);
const ALAW_DECODE = buildDecodeTable(expandAlaw);
const MULAW_ENCODE = buildEncodeTable(expandMulaw, MULAW_INVERT);
const ALAW_ENCODE = buildEncodeTable(expandAlaw, ALAW_INVERT);

/** One µ-law code (0..255) to a 16-bit sample. */
export function mulawToLinear(code: number): number {
  return MULAW_DECODE[code & 0xff]!;
}

/** One A-law code (0..255) to a 16-bit sample. */
export function alawToLinear(code: number): number {
  return ALAW_DECODE[code & 0xff]!;
}

/** One 16-bit sample (clamped to -32768..32767) to a µ-law code. */
export function linearToMulaw(sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return MULAW_ENCODE[(s + 32768) >> 2]!;
}

/** One 16-bit sample (clamped to -32768..32767) to an A-law code. */
export function linearToAlaw(sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return ALAW_ENCODE[(s + 32768) >> 2]!;
}

function decodeTable(law: G711Law): Int16Array {
  return law === 'mulaw' ? MULAW_DECODE : ALAW_DECODE;
}

function encodeTable(law: G711Law): Uint8Array {
  return law === 'mulaw' ? MULAW_ENCODE : ALAW_ENCODE;
}

/**
 * Decodes `count` G.711 bytes into 16-bit samples.
 * @returns samples written (`count`). `output` must hold `count` samples.
 */
export function g711Decode(law: G711Law, input: Uint8Array, output: Int16Array, count = input.length): number {
  const table = decodeTable(law);
  for (let i = 0; i < count; i++) output[i] = table[input[i]!]!;
  return count;
}

/**
 * Encodes `count` 16-bit samples into G.711 bytes.
 * @returns bytes written (`count`).
 */
export function g711Encode(law: G711Law, input: Int16Array, output: Uint8Array, count = input.length): number {
  const table = encodeTable(law);
  for (let i = 0; i < count; i++) output[i] = table[(input[i]! + 32768) >> 2]!;
  return count;
}

/**
 * Decodes `count` G.711 bytes into s16le bytes at any alignment (Node Buffers are often odd-aligned).
 * @returns bytes written (`2 * count`).
 */
export function g711DecodeToS16le(law: G711Law, input: Uint8Array, output: Uint8Array, count = input.length): number {
  const table = decodeTable(law);
  for (let i = 0, b = 0; i < count; i++, b += 2) {
    const v = table[input[i]!]!;
    output[b] = v & 0xff;
    output[b + 1] = (v >> 8) & 0xff;
  }
  return count * 2;
}

/**
 * Decodes `count` G.711 bytes into f32 samples (s16 value / 32768, the same scale as the rest of the toolkit).
 * @returns samples written.
 */
export function g711DecodeToF32(law: G711Law, input: Uint8Array, output: Float32Array, count = input.length): number {
  const table = decodeTable(law);
  for (let i = 0; i < count; i++) output[i] = table[input[i]!]! / 32768;
  return count;
}

/**
 * Encodes s16le bytes (any alignment) into G.711 bytes. `sampleCount` samples are read (2 bytes each).
 * @returns bytes written (`sampleCount`).
 */
export function g711EncodeFromS16le(law: G711Law, input: Uint8Array, output: Uint8Array, sampleCount = input.length >> 1): number {
  const table = encodeTable(law);
  for (let i = 0, b = 0; i < sampleCount; i++, b += 2) {
    const v = ((input[b]! | (input[b + 1]! << 8)) << 16) >> 16;
    output[i] = table[(v + 32768) >> 2]!;
  }
  return sampleCount;
}

/** µ-law decode into 16-bit samples (see {@link g711Decode}). */
export function mulawDecode(input: Uint8Array, output: Int16Array, count = input.length): number {
  return g711Decode('mulaw', input, output, count);
}
/** µ-law encode of 16-bit samples (see {@link g711Encode}). */
export function mulawEncode(input: Int16Array, output: Uint8Array, count = input.length): number {
  return g711Encode('mulaw', input, output, count);
}
/** A-law decode into 16-bit samples (see {@link g711Decode}). */
export function alawDecode(input: Uint8Array, output: Int16Array, count = input.length): number {
  return g711Decode('alaw', input, output, count);
}
/** A-law encode of 16-bit samples (see {@link g711Encode}). */
export function alawEncode(input: Int16Array, output: Uint8Array, count = input.length): number {
  return g711Encode('alaw', input, output, count);
}
