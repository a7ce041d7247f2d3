/**
 * Base64 between byte arrays, without strings: for hot paths that build or read JSON messages as bytes
 * (a realtime `input_audio_buffer.append` every 20-100 ms), where Node's string-based base64 would
 * allocate a string per message.
 */

const ALPHABET = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
const PAD = 0x3d; // '='

/** Characters of the base64 (padded) of `byteLength` bytes. */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/**
 * Writes the padded standard base64 of `src[srcStart..srcEnd)` into `dst` at `dstOffset` (ASCII bytes) and
 * returns the number of bytes written ({@link base64Length}). `dst` must have room for them.
 * @throws RangeError when it has not.
 */
export function base64EncodeInto(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstOffset: number): number {
  const n = srcEnd - srcStart;
  const out = base64Length(n);
  if (dstOffset + out > dst.length) throw new RangeError(`base64EncodeInto: ${out} bytes do not fit at offset ${dstOffset} of ${dst.length}.`);
  let i = srcStart;
  let o = dstOffset;
  const whole = srcStart + n - (n % 3);
  while (i < whole) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    dst[o] = ALPHABET[v >>> 18]!;
    dst[o + 1] = ALPHABET[(v >>> 12) & 63]!;
    dst[o + 2] = ALPHABET[(v >>> 6) & 63]!;
    dst[o + 3] = ALPHABET[v & 63]!;
    i += 3;
    o += 4;
  }
  const rest = srcEnd - i;
  if (rest === 1) {
    const v = src[i]!;
    dst[o] = ALPHABET[v >>> 2]!;
    dst[o + 1] = ALPHABET[(v & 3) << 4]!;
    dst[o + 2] = PAD;
    dst[o + 3] = PAD;
  } else if (rest === 2) {
    const v = (src[i]! << 8) | src[i + 1]!;
    dst[o] = ALPHABET[v >>> 10]!;
    dst[o + 1] = ALPHABET[(v >>> 4) & 63]!;
    dst[o + 2] = ALPHABET[(v & 15) << 2]!;
    dst[o + 3] = PAD;
  }
  return out;
}

/** Sextet of each ASCII code (-1: not in the standard alphabet). */
const SEXTET = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET[i]!] = i;

/**
 * Decodes the standard base64 in `src[srcStart..srcEnd)` (ASCII bytes; padding optional) into `dst` at
 * `dstOffset` and returns the number of bytes written, or -1 when a byte is not base64 (nothing is promised
 * about `dst` then: decode the text another way). `dst` needs room for `Math.floor(chars * 3 / 4)` bytes.
 */
export function base64DecodeInto(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstOffset: number): number {
  let end = srcEnd;
  if (end > srcStart && src[end - 1] === PAD) end--;
  if (end > srcStart && src[end - 1] === PAD) end--;
  const n = end - srcStart;
  if (n % 4 === 1) return -1;
  const out = Math.floor((n * 3) / 4);
  if (dstOffset + out > dst.length) throw new RangeError(`base64DecodeInto: ${out} bytes do not fit at offset ${dstOffset} of ${dst.length}.`);
  let i = srcStart;
  let o = dstOffset;
  const whole = srcStart + n - (n % 4);
  while (i < whole) {
    const a = SEXTET[src[i]!]!;
    const b = SEXTET[src[i + 1]!]!;
    const c = SEXTET[src[i + 2]!]!;
    const d = SEXTET[src[i + 3]!]!;
    if ((a | b | c | d) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[o] = v >>> 16;
    dst[o + 1] = (v >>> 8) & 255;
    dst[o + 2] = v & 255;
    i += 4;
    o += 3;
  }
  const rest = end - i;
  if (rest >= 2) {
    const a = SEXTET[src[i]!]!;
    const b = SEXTET[src[i + 1]!]!;
    const c = rest === 3 ? SEXTET[src[i + 2]!]! : 0;
    if ((a | b | c) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6);
    dst[o++] = v >>> 16;
    if (rest === 3) dst[o++] = (v >>> 8) & 255;
  }
  return o - dstOffset;
}
