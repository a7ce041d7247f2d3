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
