import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mp4IndexPosition } from '../../src/codecs/mp4-index-position.js';
import { FIXTURE_DIR } from '../../scripts/make-fixtures.js';

const bytes = (name: string): Buffer => readFileSync(path.join(FIXTURE_DIR, name));

describe('mp4IndexPosition', () => {
  it('finds the moov after mdat in ffmpeg’s default layout, before it after +faststart, and asks for more when cut short', () => {
    expect(mp4IndexPosition(bytes('moov-at-end.mp4').subarray(0, 4096))).toBe('end');
    const box = (type: string, size: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(size);
      b.write(type, 4, 'latin1');
      return b;
    };
    expect(mp4IndexPosition(Buffer.concat([box('ftyp', 8), box('moov', 100)]))).toBe('start');
    expect(mp4IndexPosition(Buffer.concat([box('ftyp', 8), box('free', 5000)]))).toBe('more');
    expect(mp4IndexPosition(Buffer.concat([box('ftyp', 8), box('junk', 0)]))).toBe('end');
  });
});
