/**
 * Where an MP4/M4A/MOV file keeps its index (the `moov` box): before the media data, so it can be
 * decoded as it streams in, or after it (ffmpeg's default without `-movflags +faststart`, and most
 * cameras), so a reader needs the whole file and must seek back, which a pipe cannot do.
 */

/** The answer of {@link mp4IndexPosition}: `'more'` when the bytes end before either box is reached. */
export type Mp4IndexPosition = 'start' | 'end' | 'more';

/**
 * Walks the top-level boxes of an ISO BMFF file from its first bytes and tells whether `moov` comes
 * before `mdat`. Box sizes let it step over a big `mdat` without reading it, so the first few KB say
 * `'end'` for a moov-at-end file. A file with neither box in a sane layout answers `'end'` (the safe
 * choice: decode from a file).
 */
export function mp4IndexPosition(bytes: Uint8Array): Mp4IndexPosition {
  let at = 0;
  while (at + 8 <= bytes.length) {
    const size32 = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    if (type === 'moov') return 'start';
    if (type === 'mdat') return 'end';
    let size = size32;
    if (size32 === 1) {
      // 64-bit size after the type.
      if (at + 16 > bytes.length) return 'more';
      const hi = ((bytes[at + 8]! << 24) | (bytes[at + 9]! << 16) | (bytes[at + 10]! << 8) | bytes[at + 11]!) >>> 0;
      const lo = ((bytes[at + 12]! << 24) | (bytes[at + 13]! << 16) | (bytes[at + 14]! << 8) | bytes[at + 15]!) >>> 0;
      size = hi * 2 ** 32 + lo;
    }
    // Size 0 ("to the end of the file") or a size too small to be a box: not a layout to stream.
    if (size < 8) return 'end';
    at += size;
  }
  return 'more';
}
