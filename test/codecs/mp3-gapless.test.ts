import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMp3Gapless } from '../../src/codecs/mp3-gapless.js';
import { FIXTURE_DIR } from '../../scripts/make-fixtures.js';
import { ffmpegDecodeFile } from './test-audio.js';

const bytes = (name: string): Buffer => readFileSync(path.join(FIXTURE_DIR, name));

describe('readMp3Gapless', () => {
  for (const name of ['gapless-44k.mp3', 'sine.mp3', 'chirp.mp3', 'noise.mp3']) {
    it(`${name}: the LAME length is what ffmpeg decodes from the file`, async () => {
      const info = readMp3Gapless(bytes(name).subarray(0, 4096));
      expect(typeof info).toBe('object');
      const pcm = await ffmpegDecodeFile(path.join(FIXTURE_DIR, name), 's16le', []);
      const channels = name === 'sine.mp3' ? 2 : 1;
      expect((info as { sampleFrames: number }).sampleFrames).toBe(pcm.length / 2 / channels);
    });
  }

  it('asks for more bytes before the first frame is complete, and says none for a frame without Xing/Info', () => {
    expect(readMp3Gapless(bytes('gapless-44k.mp3').subarray(0, 100))).toBe('more');
    const cbr = Buffer.alloc(400);
    cbr.set([0xff, 0xfb, 0x90, 0x00]);
    expect(readMp3Gapless(cbr)).toBe('none');
    expect(readMp3Gapless(Buffer.alloc(400))).toBe('none');
  });
});
