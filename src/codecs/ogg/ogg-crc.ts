/**
 * The CRC-32 of Ogg pages: polynomial 0x04C11DB7, MSB first (not reflected), initial value 0, no
 * final XOR, computed over the whole page with its CRC field set to zero (RFC 3533 §6).
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/**
 * Updates an Ogg CRC with `bytes[start..end)`.
 * @param crc the running value (0 to start).
 * @returns the new CRC as an unsigned 32-bit number.
 */
export function oggCrc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = crc >>> 0;
  for (let i = start; i < end; i++) c = ((c << 8) ^ TABLE[((c >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return c;
}
