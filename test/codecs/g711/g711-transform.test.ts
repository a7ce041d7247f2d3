import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../../src/core/errors.js';
import { G711Decoder, G711Encoder } from '../../../src/codecs/g711/g711-transform.js';
import { FIXTURE_DIR } from '../../../scripts/make-fixtures.js';
import { chunked, collect, ffmpegBytes, runThrough, seededRandom } from '../test-audio.js';

describe.each(['mulaw', 'alaw'] as const)('G.711 %s streams', (law) => {
  const raw = law === 'mulaw' ? 'ulaw' : 'alaw';

  it('decode matches ffmpeg on the fixtures, in any chunking', async () => {
    for (const source of ['sine', 'chirp']) {
      const file = path.join(FIXTURE_DIR, `${source}.${raw}`);
      const bytes = readFileSync(file);
      const theirs = await ffmpegBytes(['-f', law, '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', 'pipe:1']);
      expect((await runThrough(new G711Decoder({ law }), [bytes])).equals(theirs)).toBe(true);
      expect((await runThrough(new G711Decoder({ law }), chunked(bytes, seededRandom(3), 100))).equals(theirs)).toBe(true);
    }
  });

  it('encode matches ffmpeg, with odd-sized chunks', async () => {
    const pcm = readFileSync(path.join(FIXTURE_DIR, 'noise.s16le.pcm'));
    const theirs = await ffmpegBytes(['-f', 's16le', '-ar', '24000', '-ac', '1', '-i', 'pipe:0', '-f', law, 'pipe:1'], pcm);
    expect((await runThrough(new G711Encoder({ law }), [pcm])).equals(theirs)).toBe(true);
    expect((await runThrough(new G711Encoder({ law }), chunked(pcm.subarray(0, 5000), 'bytewise'))).equals(theirs.subarray(0, 2500))).toBe(true);
    expect((await runThrough(new G711Encoder({ law }), chunked(pcm, seededRandom(11), 33))).equals(theirs)).toBe(true);
  });

  it('rejects half a sample at the end and an unknown law', async () => {
    const enc = new G711Encoder({ law });
    const result = collect(enc).then(() => undefined, (e: unknown) => e);
    enc.end(Buffer.alloc(3));
    expect(await result).toBeInstanceOf(FormatError);
    expect(() => new G711Decoder({ law: 'ulaw' as 'mulaw' })).toThrow(InputError);
  });
});
