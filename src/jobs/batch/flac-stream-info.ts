/** What a FLAC file's STREAMINFO block says about its length. */
export interface FlacStreamInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per channel, or undefined when the encoder did not know it (a FLAC written to a pipe). */
  readonly totalSamples: number | undefined;
}

/** Bytes of an ID3v2 tag at `at` (header, body and footer), or 0 when there is none. */
export function id3v2ByteLength(bytes: Uint8Array, at = 0): number {
  if (bytes.length < at + 10 || bytes[at] !== 0x49 || bytes[at + 1] !== 0x44 || bytes[at + 2] !== 0x33) return 0;
  const size = ((bytes[at + 6]! & 0x7f) << 21) | ((bytes[at + 7]! & 0x7f) << 14) | ((bytes[at + 8]! & 0x7f) << 7) | (bytes[at + 9]! & 0x7f);
  const footer = (bytes[at + 5]! & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Reads the STREAMINFO block of a native FLAC stream (`fLaC`, possibly after an ID3v2 tag) from the start of a
 * file. STREAMINFO is always the first metadata block, so 42 bytes after the marker are enough.
 * @returns undefined when `bytes` is not the start of a FLAC stream with a valid STREAMINFO.
 */
export function readFlacStreamInfo(bytes: Uint8Array): FlacStreamInfo | undefined {
  const at = id3v2ByteLength(bytes);
  if (bytes.length < at + 42) return undefined;
  if (bytes[at] !== 0x66 || bytes[at + 1] !== 0x4c || bytes[at + 2] !== 0x61 || bytes[at + 3] !== 0x43) return undefined;
  const block = at + 4;
  // Block header: last-block flag (1 bit), type (7 bits, 0 = STREAMINFO), length (24 bits, 34 for STREAMINFO).
  if ((bytes[block]! & 0x7f) !== 0 || ((bytes[block + 1]! << 16) | (bytes[block + 2]! << 8) | bytes[block + 3]!) !== 34) return undefined;
  const s = block + 4;
  // Bytes 10..17 of STREAMINFO: sample rate (20 bits), channels - 1 (3), bits - 1 (5), total samples (36).
  const sampleRate = (bytes[s + 10]! << 12) | (bytes[s + 11]! << 4) | (bytes[s + 12]! >> 4);
  const channels = ((bytes[s + 12]! >> 1) & 0x07) + 1;
  const low = ((bytes[s + 14]! << 24) | (bytes[s + 15]! << 16) | (bytes[s + 16]! << 8) | bytes[s + 17]!) >>> 0;
  const totalSamples = (bytes[s + 13]! & 0x0f) * 2 ** 32 + low;
  if (sampleRate === 0) return undefined;
  return { sampleRate, channels, totalSamples: totalSamples > 0 ? totalSamples : undefined };
}
