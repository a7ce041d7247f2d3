/**
 * Reads the gapless-playback facts of an MP3 from its first frame: the Xing/Info header's frame count
 * and the LAME tag's encoder delay and padding. A player that reads the file can trim both; one fed
 * from a pipe cannot see the end coming, so it plays the padding (and, on some ffmpeg versions, the
 * delay). With these numbers a pipe decode can be cut to exactly what a file decode gives.
 */

/** What the first MPEG frame of a LAME-style MP3 says about its exact length. */
export interface Mp3GaplessInfo {
  readonly sampleRate: number;
  /** Audio frames counted by the Xing/Info header (the header frame itself not included). */
  readonly mpegFrames: number;
  readonly samplesPerFrame: number;
  /** Encoder delay in samples (LAME tag), 0 when there is no LAME tag. */
  readonly encoderDelay: number;
  /** Padding at the end in samples (LAME tag), 0 when there is no LAME tag. */
  readonly encoderPadding: number;
  /** Samples per channel of the gapless audio: frames × samples per frame − delay − padding. */
  readonly sampleFrames: number;
}

/** The result of {@link readMp3Gapless}: the facts, none (no Xing/Info header), or a need for more bytes. */
export type Mp3GaplessResult = Mp3GaplessInfo | 'none' | 'more';

const RATES = [
  [11025, 12000, 8000], // MPEG 2.5
  [0, 0, 0],
  [22050, 24000, 16000], // MPEG 2
  [44100, 48000, 32000], // MPEG 1
] as const;

/** Bytes of the ID3v2 tag at the start (0 when there is none); may exceed `bytes.length`. */
function id3Length(b: Uint8Array): number {
  if (b.length < 10 || b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return 0;
  const size = ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f);
  return 10 + size + (b[5]! & 0x10 ? 10 : 0);
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Looks for the Xing/Info header (and LAME tag) in the first frame after any ID3v2 tag.
 * Returns `'more'` when `bytes` end before that frame does (call again with more), `'none'` when the
 * first frame has no such header (a CBR file without one: nothing to trim by).
 */
export function readMp3Gapless(bytes: Uint8Array): Mp3GaplessResult {
  const at = id3Length(bytes);
  // The header frame holds side info, a 120-byte Xing block and a 36-byte LAME tag: 200 bytes is enough.
  if (bytes.length < at + 200) return 'more';
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  const b3 = bytes[at + 3]!;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return 'none';
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layer !== 1 || rateIndex === 3) return 'none';
  const mono = (b3 >> 6) === 3;
  const mpeg1 = version === 3;
  const sideInfo = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  let p = at + 4 + sideInfo;
  const tag = String.fromCharCode(bytes[p]!, bytes[p + 1]!, bytes[p + 2]!, bytes[p + 3]!);
  if (tag !== 'Xing' && tag !== 'Info') return 'none';
  const flags = u32(bytes, p + 4);
  p += 8;
  if (!(flags & 1)) return 'none';
  const mpegFrames = u32(bytes, p);
  p += 4;
  if (flags & 2) p += 4;
  if (flags & 4) p += 100;
  if (flags & 8) p += 4;
  let encoderDelay = 0;
  let encoderPadding = 0;
  // LAME tag: 9-byte encoder name, then delay and padding (12 bits each) at offset 21.
  if (p + 24 <= bytes.length && /^(LAME|Lavf|Lavc|L3.99)/.test(String.fromCharCode(...bytes.subarray(p, p + 4)))) {
    encoderDelay = (bytes[p + 21]! << 4) | (bytes[p + 22]! >> 4);
    encoderPadding = ((bytes[p + 22]! & 0x0f) << 8) | bytes[p + 23]!;
  }
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  const sampleFrames = mpegFrames * samplesPerFrame - encoderDelay - encoderPadding;
  if (mpegFrames === 0 || sampleFrames <= 0) return 'none';
  return { sampleRate: RATES[version]![rateIndex]!, mpegFrames, samplesPerFrame, encoderDelay, encoderPadding, sampleFrames };
}
