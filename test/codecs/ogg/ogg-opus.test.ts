import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/core/errors.js';
import { OggOpusDecoder } from '../../../src/codecs/ogg/ogg-opus-decoder.js';
import { OggOpusEncoder } from '../../../src/codecs/ogg/ogg-opus-encoder.js';
import { OggOpusMuxer } from '../../../src/codecs/ogg/ogg-opus-muxer.js';
import { OggPacketParser } from '../../../src/codecs/ogg/ogg-packet-parser.js';
import { FIXTURE_DIR, availableFixtures } from '../../../scripts/make-fixtures.js';
import { chunked, collect, ffmpegBytes, maxS16Diff, runThrough, seededRandom } from '../test-audio.js';

const oggOpus = availableFixtures().filter((f) => f.container === 'ogg' && f.codec === 'opus');

async function decodeError(bytes: Uint8Array, options: ConstructorParameters<typeof OggOpusDecoder>[0] = {}): Promise<{ error: unknown; pcm: Buffer }> {
  const d = new OggOpusDecoder(options);
  const parts: Buffer[] = [];
  d.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<unknown>((resolve) => {
    d.once('error', resolve);
    d.once('end', () => resolve(undefined));
    d.end(Buffer.from(bytes));
  });
  return { error, pcm: Buffer.concat(parts) };
}

/** ffmpeg's decode of Ogg bytes; from a file, since ffmpeg skips end trimming when reading a pipe. */
async function ffmpegDecodeOgg(ogg: Uint8Array, extra: string[] = []): Promise<Buffer> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tla-ogg-')), 'x.opus');
  writeFileSync(file, ogg);
  return ffmpegBytes(['-i', file, ...extra, '-f', 's16le', 'pipe:1']);
}

function sine(rate: number, channels: number, frames: number): Buffer {
  const pcm = Buffer.alloc(frames * 2 * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) pcm.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * (440 + 220 * c) * i) / rate)), (i * channels + c) * 2);
  }
  return pcm;
}

/** Signal-to-error ratio in dB of `b` against reference `a` (same length). */
function snrDb(a: Buffer, b: Buffer): number {
  let sig = 0;
  let err = 0;
  for (let i = 0; i + 1 < a.length; i += 2) {
    const x = a.readInt16LE(i);
    const d = x - b.readInt16LE(i);
    sig += x * x;
    err += d * d;
  }
  return 10 * Math.log10(sig / Math.max(err, 1));
}

describe('OggOpusDecoder against ffmpeg (libopus decoder) on the fixtures', () => {
  it('has Ogg/Opus fixtures', () => expect(oggOpus.length).toBeGreaterThanOrEqual(3));

  for (const f of oggOpus) {
    it(`${f.file}: exact length, within 1 LSB`, async () => {
      const file = path.join(FIXTURE_DIR, f.file);
      const ours = await runThrough(new OggOpusDecoder(), [readFileSync(file)]);
      const theirs = await ffmpegBytes(['-c:a', 'libopus', '-i', file, '-f', 's16le', 'pipe:1']);
      expect(ours.length).toBe(theirs.length);
      expect(maxS16Diff(ours, theirs)).toBeLessThanOrEqual(1);
    });
  }

  it('gives identical PCM for any chunking (1-byte and seeded random)', async () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'chirp.opus'));
    const whole = await runThrough(new OggOpusDecoder(), [bytes]);
    expect((await runThrough(new OggOpusDecoder(), chunked(bytes, 'bytewise'))).equals(whole)).toBe(true);
    for (const seed of [1, 2, 3]) {
      const r = await runThrough(new OggOpusDecoder(), chunked(bytes, seededRandom(seed), [7, 300, 5000][seed - 1]));
      expect(r.equals(whole), `seed ${seed}`).toBe(true);
    }
  });

  it('decodes at other Opus rates with the length scaled exactly', async () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'sine.opus'));
    const full = await runThrough(new OggOpusDecoder(), [bytes]);
    const d16 = new OggOpusDecoder({ sampleRate: 16000, channels: 1 });
    const at16 = await runThrough(d16, [bytes]);
    expect(d16.format).toEqual({ sampleRate: 16000, channels: 1, encoding: 's16le' });
    expect(at16.length).toBe(full.length / 3 / 2);
  });
});

describe('OggOpusDecoder on damaged input', () => {
  // ffmpeg writes 100 ms pages in the fixtures, so damage hits one page of many.
  const good = readFileSync(path.join(FIXTURE_DIR, 'noise.opus'));

  it('drops a page whose CRC fails, keeps decoding, and counts it', async () => {
    const full = await runThrough(new OggOpusDecoder(), [good]);
    const bad = Buffer.from(good);
    // Damage a byte in the middle of the first audio page's body.
    const firstAudio = findPage(bad, 2);
    bad[firstAudio + 60] = bad[firstAudio + 60]! ^ 0x55;
    const d = new OggOpusDecoder();
    const pcm = await runThrough(d, [bad]);
    expect(d.stats.badPages).toBe(1);
    expect(pcm.length).toBeGreaterThan(0);
    expect(pcm.length).toBeLessThan(full.length);
  });

  it('survives corrupt packets when CRC checking is off (codec rejects or decodes them, never crashes)', async () => {
    const bad = Buffer.from(good);
    const random = seededRandom(77);
    const start = findPage(bad, 2);
    for (let i = start + 40; i < bad.length; i += 13) bad[i] = Math.floor(random() * 256);
    const { error, pcm } = await decodeError(bad, { verifyCrc: false, channels: 2 });
    // Damage may also hit page headers (lost sync); either way no crash, and what came out is whole stereo frames.
    if (error) expect(error).toBeInstanceOf(FormatError);
    expect(pcm.length % 4).toBe(0);
  });

  it('fuzz: damaged streams (seeded) always end, with audio or a FormatError, never hang or crash', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const bad = Buffer.from(good);
      const hits = 1 + Math.floor(random() * 20);
      for (let k = 0; k < hits; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const cut = bad.subarray(0, Math.floor(bad.length * (0.5 + random() / 2)));
      for (const verifyCrc of [true, false]) {
        const { error } = await decodeError(cut, { verifyCrc });
        if (error) expect(error, `seed ${seed}`).toBeInstanceOf(FormatError);
      }
    }
  });

  it('truncated: delivers the audio before the cut, then warns (or errors when asked)', async () => {
    const full = await runThrough(new OggOpusDecoder(), [good]);
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    const d = new OggOpusDecoder();
    let truncated = false;
    d.on('truncated', () => (truncated = true));
    const pcm = await runThrough(d, [cut]);
    expect(truncated).toBe(true);
    expect(pcm.length).toBeGreaterThan(0);
    expect(full.subarray(0, pcm.length).equals(pcm)).toBe(true);
    const strict = await decodeError(cut, { onTruncated: 'error' });
    expect((strict.error as FormatError).code).toBe('TLA_ERR_OGG_TRUNCATED');
    expect(strict.pcm.equals(pcm)).toBe(true);
  });

  it('rejects 0 bytes, garbage and Ogg that is not Opus with clear FormatErrors', async () => {
    expect(((await decodeError(Buffer.alloc(0))).error as FormatError).code).toBe('TLA_ERR_EMPTY_INPUT');
    const garbage = Buffer.alloc(1000, 0x41);
    expect(((await decodeError(garbage)).error as FormatError).code).toBe('TLA_ERR_NOT_OGG');
    const vorbis = availableFixtures().find((f) => f.codec === 'vorbis');
    const v = await decodeError(readFileSync(path.join(FIXTURE_DIR, vorbis!.file)));
    expect((v.error as FormatError).code).toBe('TLA_ERR_OGG_NOT_OPUS');
    expect((v.error as FormatError).message).toMatch(/ffmpeg/);
    expect(((await decodeError(good.subarray(0, 10))).error as FormatError).code).toBe('TLA_ERR_OGG_TRUNCATED');
  });
});

/** Byte offset of the n-th Ogg page. */
function findPage(b: Buffer, n: number): number {
  let p = 0;
  for (let i = 0; i < n; i++) {
    const segs = b[p + 26]!;
    let len = 0;
    for (let k = 0; k < segs; k++) len += b[p + 27 + k]!;
    p += 27 + segs + len;
  }
  return p;
}

describe('Ogg/Opus muxer and encoder', () => {
  for (const [sampleRate, channels] of [[48000, 2], [24000, 1], [16000, 1], [8000, 2], [12000, 2]] as const) {
    it(`${sampleRate} Hz ${channels} ch: ffmpeg decodes our file to exactly the input length, aligned`, async () => {
      const frames = Math.round(sampleRate * 0.7777);
      const pcm = sine(sampleRate, channels, frames);
      const ogg = await runThrough(new OggOpusEncoder({ sampleRate, channels, serial: 42, bitrate: 64000 }), chunked(pcm, seededRandom(sampleRate), 2000));
      const theirs = await ffmpegDecodeOgg(ogg, ['-ar', String(sampleRate)]);
      expect(theirs.length).toBe(pcm.length);
      const ours = await runThrough(new OggOpusDecoder({ sampleRate, channels }), [ogg]);
      expect(ours.length).toBe(pcm.length);
      // Lossy, but aligned with the input (a misplaced pre-skip would make this negative).
      expect(snrDb(pcm, ours)).toBeGreaterThan(12);
      // Every page's CRC is right.
      const parser = new OggPacketParser(() => {});
      parser.push(ogg);
      expect(parser.end()).toBe(0);
      expect(parser.stats.badPages).toBe(0);
    });
  }

  it('writes a header-only stream, ended by an EOS flag, for empty input', async () => {
    // (ffmpeg 4 reports "End of file" for header-only Ogg/Opus, its own included, so it is not the judge here.)
    const ogg = await runThrough(new OggOpusEncoder({ sampleRate: 48000, channels: 1 }), []);
    const flags: number[] = [];
    const parser = new OggPacketParser((_p, info) => flags.push(info.eos ? 1 : 0));
    parser.push(ogg);
    expect(parser.end()).toBe(0);
    expect(flags).toEqual([0, 1]);
    expect((await runThrough(new OggOpusDecoder(), [ogg])).length).toBe(0);
  });

  it('muxer: packets larger than a page span pages and come back byte-identical', async () => {
    // A TOC byte of a 20 ms CELT frame followed by arbitrary payload; the muxer only reads the TOC.
    const packets = [70_000, 10, 255, 510, 0x1000].map((n, k) => {
      const p = Buffer.alloc(n, k + 1);
      p[0] = 0xfc;
      return p;
    });
    const muxer = new OggOpusMuxer({ channels: 2, serial: 7, pageDurationMs: 20 });
    const bytes = collect(muxer);
    for (const p of packets) muxer.write(p);
    muxer.end();
    const got: Buffer[] = [];
    const parser = new OggPacketParser((packet) => got.push(Buffer.from(packet)));
    for (const c of chunked(await bytes, seededRandom(5), 999)) parser.push(c);
    expect(parser.end()).toBe(0);
    expect(got.length).toBe(2 + packets.length);
    expect(got[0]!.subarray(0, 8).toString()).toBe('OpusHead');
    expect(got[1]!.subarray(0, 8).toString()).toBe('OpusTags');
    for (let i = 0; i < packets.length; i++) expect(got[i + 2]!.equals(packets[i]!)).toBe(true);
  });

  it('muxer rejects packets that are not Opus', async () => {
    const muxer = new OggOpusMuxer({ channels: 1 });
    const result = collect(muxer).then(() => undefined, (e: unknown) => e);
    muxer.end(Buffer.alloc(0));
    expect(await result).toBeInstanceOf(FormatError);
  });
});

describe('OggOpusDemuxer', () => {
  it('gives the same packets the encoder produced, without headers, for any chunking', async () => {
    const { OggOpusDemuxer } = await import('../../../src/codecs/ogg/ogg-opus-demuxer.js');
    const { OpusEncoder } = await import('../../../src/codecs/opus/opus.js');
    const pcm = sine(48000, 2, 48000);
    const encoder = new OpusEncoder({ sampleRate: 48000, channels: 2 });
    const packets: Buffer[] = [];
    encoder.encodeChunk(pcm, (p) => packets.push(p));
    encoder.finish((p) => packets.push(p));
    const muxer = new OggOpusMuxer({ channels: 2, serial: 3, pageDurationMs: 60 });
    const ogg = collect(muxer);
    for (const p of packets) muxer.write(p);
    muxer.end();
    const bytes = await ogg;
    for (const chunks of [[bytes], chunked(bytes, 'bytewise'), chunked(bytes, seededRandom(8), 500)]) {
      const demuxer = new OggOpusDemuxer();
      let head: unknown;
      demuxer.on('head', (h: unknown) => (head = h));
      const got: Buffer[] = [];
      demuxer.on('data', (p: Buffer) => got.push(p));
      const done = new Promise((resolve, reject) => {
        demuxer.once('end', resolve);
        demuxer.once('error', reject);
      });
      for (const c of chunks) demuxer.write(c);
      demuxer.end();
      await done;
      expect(head).toMatchObject({ channels: 2, preSkip: 312 });
      expect(got.length).toBe(packets.length);
      for (let i = 0; i < packets.length; i++) expect(got[i]!.equals(packets[i]!)).toBe(true);
    }
  });

  it('rejects Ogg that is not Opus', async () => {
    const { OggOpusDemuxer } = await import('../../../src/codecs/ogg/ogg-opus-demuxer.js');
    const vorbis = availableFixtures().find((f) => f.codec === 'vorbis')!;
    const demuxer = new OggOpusDemuxer();
    const result = collect(demuxer).then(() => undefined, (e: unknown) => e);
    demuxer.end(readFileSync(path.join(FIXTURE_DIR, vorbis.file)));
    expect(((await result) as FormatError).code).toBe('TLA_ERR_OGG_NOT_OPUS');
  });
});
