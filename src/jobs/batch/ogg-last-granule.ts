import { oggCrc32 } from '../../codecs/ogg/ogg-crc.js';

const HEADER = 27;
const ZERO4 = new Uint8Array(4);

/** The end of an Ogg stream as its last page states it. */
export interface OggLastGranule {
  readonly serial: number;
  /** Granule position of the last page that completes a packet (codec-defined: 48 kHz samples for Opus). */
  readonly granulePosition: number;
}

/** True when a whole page with a matching CRC starts at `p` and ends inside `tail`; returns its length or 0. */
function pageLengthAt(tail: Uint8Array, p: number): number {
  if (p + HEADER > tail.length || tail[p + 4] !== 0) return 0;
  const segments = tail[p + 26]!;
  if (p + HEADER + segments > tail.length) return 0;
  let length = HEADER + segments;
  for (let i = 0; i < segments; i++) length += tail[p + HEADER + i]!;
  if (p + length > tail.length) return 0;
  const stored = (tail[p + 22]! | (tail[p + 23]! << 8) | (tail[p + 24]! << 16) | (tail[p + 25]! << 24)) >>> 0;
  let crc = oggCrc32(tail, p, p + 22, 0);
  crc = oggCrc32(ZERO4, 0, 4, crc);
  crc = oggCrc32(tail, p + 26, p + length, crc);
  return crc === stored ? length : 0;
}

/**
 * Finds the last intact page of an Ogg stream in the file's last bytes (a page is at most 65,307 bytes, so the
 * last 64 KiB plus one page hold it) that has a granule position, walking back from the end over pages whose
 * CRC does not match (a file cut short in its last page).
 * @returns undefined when `tail` holds no intact page with a granule position.
 */
export function findOggLastGranule(tail: Uint8Array): OggLastGranule | undefined {
  for (let p = tail.length - HEADER; p >= 0; p--) {
    if (tail[p] !== 0x4f || tail[p + 1] !== 0x67 || tail[p + 2] !== 0x67 || tail[p + 3] !== 0x53) continue;
    if (pageLengthAt(tail, p) === 0) continue;
    const lo = (tail[p + 6]! | (tail[p + 7]! << 8) | (tail[p + 8]! << 16) | (tail[p + 9]! << 24)) >>> 0;
    const hi = (tail[p + 10]! | (tail[p + 11]! << 8) | (tail[p + 12]! << 16) | (tail[p + 13]! << 24)) >>> 0;
    if (hi === 0xffffffff && lo === 0xffffffff) continue;
    const serial = (tail[p + 14]! | (tail[p + 15]! << 8) | (tail[p + 16]! << 16) | (tail[p + 17]! << 24)) >>> 0;
    return { serial, granulePosition: hi * 0x1_0000_0000 + lo };
  }
  return undefined;
}
