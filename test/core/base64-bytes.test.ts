import { describe, expect, it } from 'vitest';
import { base64DecodeInto, base64EncodeInto, base64Length } from '../../src/core/base64-bytes.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('base64 between byte arrays', () => {
  it('encodes like Buffer, every length and source offset, at any destination offset', () => {
    for (let n = 0; n <= 70; n++) {
      const src = randomBytes(n + 5, n);
      const dst = new Uint8Array(base64Length(n) + 9);
      const written = base64EncodeInto(src, 3, 3 + n, dst, 7);
      expect(written).toBe(base64Length(n));
      expect(Buffer.from(dst.subarray(7, 7 + written)).toString('latin1')).toBe(Buffer.from(src.subarray(3, 3 + n)).toString('base64'));
    }
  });

  it('decodes what Buffer encodes, padded or not, and refuses what is not base64', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = randomBytes(n, 1000 + n);
      const text = Buffer.from(bytes).toString('base64');
      for (const t of [text, text.replace(/=+$/, '')]) {
        const src = Buffer.from(`xx${t}yy`, 'latin1');
        const dst = new Uint8Array(n + 4);
        const got = base64DecodeInto(src, 2, 2 + t.length, dst, 1);
        expect(got).toBe(n);
        expect(Buffer.from(dst.subarray(1, 1 + n)).equals(Buffer.from(bytes))).toBe(true);
      }
    }
    const bad = Buffer.from('AAA*AAAA', 'latin1');
    expect(base64DecodeInto(bad, 0, bad.length, new Uint8Array(16), 0)).toBe(-1);
    const one = Buffer.from('AAAAA', 'latin1');
    expect(base64DecodeInto(one, 0, one.length, new Uint8Array(16), 0)).toBe(-1);
  });

  it('throws when the destination is too small', () => {
    expect(() => base64EncodeInto(new Uint8Array(3), 0, 3, new Uint8Array(3), 0)).toThrow(RangeError);
  });
});
