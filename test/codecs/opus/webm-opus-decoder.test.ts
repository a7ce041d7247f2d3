import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/core/errors.js';
import { WebmOpusDecoder } from '../../../src/codecs/opus/webm-opus-decoder.js';
import { FIXTURE_DIR, availableFixtures } from '../../../scripts/make-fixtures.js';
import { chunked, ffmpegBytes, maxS16Diff, runThrough, seededRandom } from '../test-audio.js';

const webm = availableFixtures().filter((f) => f.container === 'webm');
const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

async function decodeError(bytes: Uint8Array, options: ConstructorParameters<typeof WebmOpusDecoder>[0] = {}): Promise<{ error: unknown; pcm: Buffer }> {
  const d = new WebmOpusDecoder(options);
  const parts: Buffer[] = [];
  d.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<unknown>((resolve) => {
    d.once('error', resolve);
    d.once('end', () => resolve(undefined));
    d.end(Buffer.from(bytes));
  });
  return { error, pcm: Buffer.concat(parts) };
}

/** ffmpeg (libopus decoder) on WebM bytes, from a file. */
async function ffmpegDecode(bytes: Uint8Array): Promise<Buffer> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tla-webm-')), 'x.webm');
  writeFileSync(file, bytes);
  return ffmpegBytes(['-c:a', 'libopus', '-i', file, '-map', '0:a', '-f', 's16le', 'pipe:1']);
}

describe('WebmOpusDecoder against ffmpeg (libopus decoder)', () => {
  it('has WebM fixtures', () => expect(webm.length).toBeGreaterThanOrEqual(3));

  for (const f of webm) {
    it(`${f.file}: exact length, within 1 LSB, same for 1-byte and random chunking`, async () => {
      const bytes = readFileSync(path.join(FIXTURE_DIR, f.file));
      const ours = await runThrough(new WebmOpusDecoder(), [bytes]);
      const theirs = await ffmpegDecode(bytes);
      expect(ours.length).toBe(theirs.length);
      expect(maxS16Diff(ours, theirs)).toBeLessThanOrEqual(1);
      expect((await runThrough(new WebmOpusDecoder(), chunked(bytes, 'bytewise'))).equals(ours)).toBe(true);
      expect((await runThrough(new WebmOpusDecoder(), chunked(bytes, seededRandom(f.file.length), 700))).equals(ours)).toBe(true);
    });
  }

  it('reads live WebM with unknown-size segment and clusters (written to a pipe)', async () => {
    const live = await ffmpegBytes([...QUIET.slice(4), '-i', path.join(FIXTURE_DIR, 'master.chirp.f32.wav'), '-c:a', 'libopus', '-ar', '48000', '-live', '1', '-f', 'webm', 'pipe:1']);
    const ours = await runThrough(new WebmOpusDecoder(), [live]);
    const theirs = await ffmpegDecode(live);
    expect(ours.length).toBe(theirs.length);
    expect(maxS16Diff(ours, theirs)).toBeLessThanOrEqual(1);
  });

  it('finds the Opus track in a WebM with video, skipping the video blocks', async () => {
    const withVideo = await ffmpegBytes([
      '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=0.5', '-f', 'lavfi', '-i', 'sine=f=330:duration=0.5:sample_rate=48000',
      '-c:v', 'libvpx', '-b:v', '100k', '-c:a', 'libopus', '-f', 'webm', 'pipe:1',
    ]);
    const d = new WebmOpusDecoder();
    const ours = await runThrough(d, [withVideo]);
    expect(d.format?.channels).toBe(1);
    const theirs = await ffmpegDecode(withVideo);
    expect(ours.length).toBe(theirs.length);
    expect(maxS16Diff(ours, theirs)).toBeLessThanOrEqual(1);
  });

  it('decodes at 16 kHz mono with the length scaled', async () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'sine.opus.webm'));
    const full = await runThrough(new WebmOpusDecoder(), [bytes]);
    const small = await runThrough(new WebmOpusDecoder({ sampleRate: 16000, channels: 1 }), [bytes]);
    expect(small.length).toBe(full.length / 6);
  });
});

describe('WebmOpusDecoder on bad input', () => {
  const good = readFileSync(path.join(FIXTURE_DIR, 'noise.opus.webm'));

  it('rejects 0 bytes, garbage, Ogg and a Vorbis WebM with clear errors', async () => {
    expect(((await decodeError(Buffer.alloc(0))).error as FormatError).code).toBe('TLA_ERR_EMPTY_INPUT');
    expect(((await decodeError(Buffer.alloc(100, 0x41))).error as FormatError).code).toBe('TLA_ERR_NOT_WEBM');
    expect(((await decodeError(readFileSync(path.join(FIXTURE_DIR, 'noise.opus')))).error as FormatError).code).toBe('TLA_ERR_NOT_WEBM');
    const vorbis = await ffmpegBytes(['-i', path.join(FIXTURE_DIR, 'master.noise.f32.wav'), '-c:a', 'libvorbis', '-f', 'webm', 'pipe:1']);
    const v = await decodeError(vorbis);
    expect((v.error as FormatError).code).toBe('TLA_ERR_WEBM_NOT_OPUS');
    expect((v.error as FormatError).message).toMatch(/A_VORBIS.*ffmpeg/);
    expect(((await decodeError(good.subarray(0, 20))).error as FormatError).code).toBe('TLA_ERR_WEBM_TRUNCATED');
  });

  it('truncated: delivers the audio before the cut, then warns (or errors when asked)', async () => {
    const full = await runThrough(new WebmOpusDecoder(), [good]);
    const cut = good.subarray(0, Math.floor(good.length * 0.7));
    const d = new WebmOpusDecoder();
    let truncated = false;
    d.on('truncated', () => (truncated = true));
    const pcm = await runThrough(d, [cut]);
    expect(truncated).toBe(true);
    expect(pcm.length).toBeGreaterThan(0);
    expect(full.subarray(0, pcm.length).equals(pcm)).toBe(true);
    const strict = await decodeError(cut, { onTruncated: 'error' });
    expect((strict.error as FormatError).code).toBe('TLA_ERR_WEBM_TRUNCATED');
  });

  it('fuzz: damaged files (seeded) end with audio or a FormatError, never hang or crash', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const bad = Buffer.from(good);
      const hits = 1 + Math.floor(random() * 10);
      for (let k = 0; k < hits; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const { error } = await decodeError(bad);
      if (error) expect(error, `seed ${seed}`).toBeInstanceOf(FormatError);
    }
  });
});
