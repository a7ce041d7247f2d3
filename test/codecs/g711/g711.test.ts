import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawEncode,
  g711Decode,
  g711DecodeToF32,
  g711DecodeToS16le,
  g711Encode,
  g711EncodeFromS16le,
  linearToAlaw,
  linearToMulaw,
  mulawDecode,
  mulawEncode,
  mulawToLinear,
  type G711Law,
} from '../../../src/codecs/g711/g711.js';
import { ffmpegBytes } from '../test-audio.js';

const ALL_SAMPLES = new Int16Array(65536).map((_, i) => i - 32768);
const ALL_CODES = new Uint8Array(256).map((_, i) => i);

describe.each<G711Law>(['mulaw', 'alaw'])('G.711 %s', (law) => {
  it('encodes every 16-bit value exactly as ffmpeg does', async () => {
    const ours = new Uint8Array(65536);
    g711Encode(law, ALL_SAMPLES, ours);
    const theirs = await ffmpegBytes(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-c:a', `pcm_${law}`, '-f', law, 'pipe:1'], new Uint8Array(ALL_SAMPLES.buffer));
    expect(theirs.length).toBe(65536);
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) if (ours[i] !== theirs[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('decodes every code exactly as ffmpeg does', async () => {
    const ours = new Int16Array(256);
    g711Decode(law, ALL_CODES, ours);
    const theirs = await ffmpegBytes(['-f', law, '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], ALL_CODES);
    expect(theirs.length).toBe(512);
    expect(Buffer.from(ours.buffer).equals(theirs)).toBe(true);
  });

  it('byte-level variants at odd offsets equal the typed-array ones', () => {
    const encoded = new Uint8Array(65536);
    g711Encode(law, ALL_SAMPLES, encoded);
    const odd = Buffer.alloc(65536 * 2 + 1).subarray(1);
    odd.set(new Uint8Array(ALL_SAMPLES.buffer));
    const fromBytes = new Uint8Array(65536);
    expect(g711EncodeFromS16le(law, odd, fromBytes)).toBe(65536);
    expect(Buffer.from(fromBytes).equals(Buffer.from(encoded))).toBe(true);

    const decoded = new Int16Array(256);
    g711Decode(law, ALL_CODES, decoded);
    const oddOut = Buffer.alloc(513).subarray(1);
    expect(g711DecodeToS16le(law, ALL_CODES, oddOut)).toBe(512);
    expect(oddOut.equals(Buffer.from(decoded.buffer))).toBe(true);
    const f = new Float32Array(256);
    g711DecodeToF32(law, ALL_CODES, f);
    for (let i = 0; i < 256; i++) expect(f[i]).toBe(decoded[i]! / 32768);
  });

  it('round-trips decoded values: encode(decode(c)) decodes to the same value', () => {
    const decoded = new Int16Array(256);
    g711Decode(law, ALL_CODES, decoded);
    const again = new Uint8Array(256);
    g711Encode(law, decoded, again);
    const twice = new Int16Array(256);
    g711Decode(law, again, twice);
    expect(Array.from(twice)).toEqual(Array.from(decoded));
  });
});

describe('G.711 scalar helpers', () => {
  it('agree with the array functions and clamp out-of-range input', () => {
    const m = new Uint8Array(1);
    const a = new Uint8Array(1);
    for (const s of [-32768, -1000, -1, 0, 1, 77, 32767]) {
      mulawEncode(Int16Array.of(s), m);
      alawEncode(Int16Array.of(s), a);
      expect(linearToMulaw(s)).toBe(m[0]);
      expect(linearToAlaw(s)).toBe(a[0]);
    }
    expect(linearToMulaw(1e9)).toBe(linearToMulaw(32767));
    expect(linearToAlaw(-1e9)).toBe(linearToAlaw(-32768));
    const out = new Int16Array(1);
    mulawDecode(Uint8Array.of(0x12), out);
    expect(mulawToLinear(0x12)).toBe(out[0]);
    alawDecode(Uint8Array.of(0x12), out);
    expect(out[0]).not.toBe(0);
  });
});
