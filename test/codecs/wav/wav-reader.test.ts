import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/core/errors.js';
import { parseWavHeader } from '../../../src/codecs/wav/wav-header.js';
import { WavReader, type WavTruncation } from '../../../src/codecs/wav/wav-reader.js';
import { FIXTURE_DIR, availableFixtures } from '../../../scripts/make-fixtures.js';
import { chunked, ffmpegDecodeFile, maxF32Diff, maxS16Diff, runThrough, seededRandom } from '../test-audio.js';

const wavFixtures = availableFixtures().filter((f) => f.container === 'wav');

async function decode(bytes: Uint8Array, options: ConstructorParameters<typeof WavReader>[0] = {}, chunks?: Buffer[]): Promise<{ pcm: Buffer; reader: WavReader }> {
  const reader = new WavReader(options);
  const pcm = await runThrough(reader, chunks ?? [Buffer.from(bytes)]);
  return { pcm, reader };
}

async function decodeError(bytes: Uint8Array, options: ConstructorParameters<typeof WavReader>[0] = {}): Promise<{ error: unknown; pcm: Buffer }> {
  const reader = new WavReader(options);
  const parts: Buffer[] = [];
  reader.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<unknown>((resolve) => {
    reader.once('error', resolve);
    reader.once('end', () => resolve(undefined));
    reader.end(Buffer.from(bytes));
  });
  return { error, pcm: Buffer.concat(parts) };
}

/** A WAV built by hand, chunk by chunk, for the cases ffmpeg never writes. */
function wav(parts: { fmt?: Buffer; chunks?: [string, Buffer][]; data?: Buffer; dataSize?: number; after?: [string, Buffer][]; riff?: string }): Buffer {
  const chunk = (id: string, body: Buffer, size = body.length): Buffer => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(size, 4);
    return Buffer.concat([h, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = [
    Buffer.from('WAVE'),
    ...(parts.chunks ?? []).map(([id, b]) => chunk(id, b)),
    ...(parts.fmt ? [chunk('fmt ', parts.fmt)] : []),
    ...(parts.data ? [chunk('data', parts.data, parts.dataSize ?? parts.data.length)] : []),
    ...(parts.after ?? []).map(([id, b]) => chunk(id, b)),
  ];
  const all = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.write(parts.riff ?? 'RIFF', 0, 'latin1');
  head.writeUInt32LE(all.length, 4);
  return Buffer.concat([head, all]);
}

function fmt(tag: number, channels: number, sampleRate: number, bits: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(sampleRate, 4);
  b.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

const samples = (n: number): Buffer => {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE(((i * 7919) % 65536) - 32768, i * 2);
  return b;
};

describe('WavReader against ffmpeg on the fixtures', () => {
  it('has WAV fixtures to test', () => {
    expect(wavFixtures.length).toBeGreaterThanOrEqual(30);
  });

  for (const fixture of wavFixtures) {
    it(`${fixture.file}: s16le and f32le output match ffmpeg within 1 LSB, exact length`, async () => {
      const file = path.join(FIXTURE_DIR, fixture.file);
      const bytes = readFileSync(file);
      const [ffS16, ffF32] = await Promise.all([ffmpegDecodeFile(file, 's16le'), ffmpegDecodeFile(file, 'f32le')]);
      const s16 = await decode(bytes, { encoding: 's16le' });
      expect(s16.reader.format).toEqual({ sampleRate: fixture.sampleRate, channels: fixture.channels, encoding: 's16le' });
      expect(s16.pcm.length).toBe(ffS16.length);
      expect(maxS16Diff(s16.pcm, ffS16)).toBeLessThanOrEqual(1);
      const f32 = await decode(bytes, { encoding: 'f32le' });
      expect(f32.pcm.length).toBe(ffF32.length);
      expect(maxF32Diff(f32.pcm, ffF32)).toBeLessThanOrEqual(1 / 32768);
      expect(s16.reader.truncated).toBe(false);
    });
  }

  it('defaults to s16le for 8/16-bit and G.711, f32le for 24/32-bit and float', async () => {
    const expectations: Record<string, string> = { 'u8.wav': 's16le', 's16.wav': 's16le', 'mulaw.wav': 's16le', 's24.wav': 'f32le', 's32.wav': 'f32le', 'f32.wav': 'f32le', 'f64.wav': 'f32le' };
    for (const [suffix, encoding] of Object.entries(expectations)) {
      const { reader } = await decode(readFileSync(path.join(FIXTURE_DIR, `sine.${suffix}`)));
      expect(reader.format?.encoding, suffix).toBe(encoding);
    }
  });

  it('reads a streamed WAV (sizes 0xFFFFFFFF, LIST chunk) to the end', async () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'chirp.streamed.wav'));
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff);
    const header = parseWavHeader(bytes);
    expect(header?.dataByteLength).toBeUndefined();
    const { pcm } = await decode(bytes);
    expect(pcm.length).toBe(bytes.length - header!.dataOffset);
  });
});

describe('WavReader chunking', () => {
  const cases = ['sine.s24.wav', 'noise.u8.wav', 'chirp.f64.wav', 'sine.6ch.s16.wav', 'chirp.streamed.wav', 'noise.alaw.wav', 'chirp.s32.wav'];
  for (const name of cases) {
    it(`${name}: any chunking (1-byte, random seeded) gives identical PCM`, async () => {
      const bytes = readFileSync(path.join(FIXTURE_DIR, name));
      const whole = await decode(bytes);
      // 1-byte chunks over the header and the first few thousand frames (the whole file would be slow, not stronger).
      const prefix = bytes.subarray(0, 9000);
      const bytewise = await decode(prefix, {}, chunked(prefix, 'bytewise'));
      expect(bytewise.pcm.equals((await decode(prefix)).pcm)).toBe(true);
      expect(whole.pcm.subarray(0, bytewise.pcm.length).equals(bytewise.pcm)).toBe(true);
      for (let seed = 1; seed <= 5; seed++) {
        const random = seededRandom(seed * 7919);
        const max = [3, 17, 64, 1000, 9000][seed - 1]!;
        const r = await decode(bytes, {}, chunked(bytes, random, max));
        expect(r.pcm.equals(whole.pcm), `seed ${seed}`).toBe(true);
      }
    });
  }

  it('never splits a sample frame across pushes', async () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'sine.6ch.s16.wav'));
    const reader = new WavReader();
    const sizes: number[] = [];
    reader.on('data', (c: Buffer) => sizes.push(c.length));
    await runThrough(reader, chunked(bytes, seededRandom(42), 50));
    expect(sizes.length).toBeGreaterThan(10);
    for (const s of sizes) expect(s % 12).toBe(0);
  });
});

describe('WavReader on hand-made and damaged input', () => {
  it('skips unknown and odd-sized chunks (with pad byte) before data, and chunks after it', async () => {
    const data = samples(101);
    const bytes = wav({
      chunks: [['LIST', Buffer.from('INFOISFT\x03\x00\x00\x00abc', 'latin1')], ['junk', Buffer.alloc(7, 1)]],
      fmt: fmt(1, 1, 16000, 16),
      data,
      after: [['id3 ', Buffer.alloc(33, 9)]],
    });
    for (const chunks of [undefined, chunked(bytes, 'bytewise')]) {
      const { pcm, reader } = await decode(bytes, {}, chunks);
      expect(pcm.equals(data)).toBe(true);
      expect(reader.header?.dataByteLength).toBe(202);
    }
  });

  it('treats a data size of 0 as "read to the end"', async () => {
    const data = samples(50);
    const { pcm } = await decode(wav({ fmt: fmt(1, 1, 8000, 16), data, dataSize: 0 }));
    expect(pcm.equals(data)).toBe(true);
  });

  it('drops a trailing partial frame and counts it', async () => {
    const data = Buffer.concat([samples(20), Buffer.from([1])]);
    const { pcm, reader } = await decode(wav({ fmt: fmt(1, 1, 8000, 16), data }));
    expect(pcm.length).toBe(40);
    expect(reader.droppedBytes).toBe(1);
  });

  it('reports a header that claims more data than arrives as truncated, after delivering what came', async () => {
    const data = samples(64);
    const bytes = wav({ fmt: fmt(1, 2, 48000, 16), data, dataSize: 2_000_000_000 });
    const reader = new WavReader();
    let truncation: WavTruncation | undefined;
    reader.on('truncated', (t: WavTruncation) => (truncation = t));
    const pcm = await runThrough(reader, [bytes]);
    expect(pcm.equals(data)).toBe(true);
    expect(reader.truncated).toBe(true);
    expect(truncation).toEqual({ expectedByteLength: 2_000_000_000, receivedByteLength: 128 });

    const strict = await decodeError(bytes, { onTruncated: 'error' });
    expect(strict.error).toBeInstanceOf(FormatError);
    expect((strict.error as FormatError).code).toBe('TLA_ERR_WAV_TRUNCATED');
    expect((strict.error as FormatError).message).toMatch(/128 of the 2000000000 bytes/);
    expect(strict.pcm.equals(data)).toBe(true);
  });

  it('reads RF64 with a 7 GB data size from ds64 as truncated, not as an error', async () => {
    const ds64 = Buffer.alloc(28);
    ds64.writeBigUInt64LE(7_000_000_036n, 0);
    ds64.writeBigUInt64LE(7_000_000_000n, 8);
    const data = samples(10);
    const bytes = wav({ riff: 'RF64', chunks: [['ds64', ds64]], fmt: fmt(1, 1, 8000, 16), data, dataSize: 0xffffffff });
    const { pcm, reader } = await decode(bytes);
    expect(reader.header?.rf64).toBe(true);
    expect(reader.header?.dataByteLength).toBe(7_000_000_000);
    expect(pcm.equals(data)).toBe(true);
    expect(reader.truncated).toBe(true);
  });

  it('rejects a header claiming 0 channels', async () => {
    const { error } = await decodeError(wav({ fmt: fmt(1, 0, 8000, 16), data: samples(4) }));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_WAV_HEADER');
    expect((error as FormatError).message).toMatch(/0 channels/);
  });

  it('rejects 0-byte input, garbage, a truncated header and a missing data chunk', async () => {
    const empty = await decodeError(Buffer.alloc(0));
    expect((empty.error as FormatError).code).toBe('TLA_ERR_EMPTY_INPUT');
    const garbage = Buffer.alloc(4096);
    const random = seededRandom(3);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    const g = await decodeError(garbage);
    expect((g.error as FormatError).code).toBe('TLA_ERR_NOT_WAV');
    expect((g.error as FormatError).message).toMatch(/Not a WAV file/);
    const full = wav({ fmt: fmt(1, 1, 8000, 16), data: samples(10) });
    for (const cut of [5, 20, 30]) {
      const t = await decodeError(full.subarray(0, cut));
      expect(t.error, `cut at ${cut}`).toBeInstanceOf(FormatError);
      expect((t.error as FormatError).code).toBe('TLA_ERR_WAV_TRUNCATED');
    }
    const noData = await decodeError(wav({ fmt: fmt(1, 1, 8000, 16), after: [['LIST', Buffer.alloc(4)]] }));
    expect((noData.error as FormatError).message).toMatch(/without a 'data' chunk/);
  });

  it('says compressed WAV needs ffmpeg, and rejects data before fmt', async () => {
    const adpcm = await decodeError(wav({ fmt: fmt(2, 1, 8000, 4), data: Buffer.alloc(10) }));
    expect((adpcm.error as FormatError).code).toBe('TLA_ERR_WAV_UNSUPPORTED');
    expect((adpcm.error as FormatError).message).toMatch(/ffmpeg/);
    const early = await decodeError(wav({ data: Buffer.alloc(10), after: [['fmt ', fmt(1, 1, 8000, 16)]] }));
    expect((early.error as FormatError).code).toBe('TLA_ERR_WAV_HEADER');
  });

  it('rejects raw PCM mislabelled as WAV instead of playing it as noise', async () => {
    const { error } = await decodeError(samples(2000));
    expect((error as FormatError).code).toBe('TLA_ERR_NOT_WAV');
  });

  it('parseWavHeader returns undefined until the data chunk starts', () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'sine.s24.wav'));
    const header = parseWavHeader(bytes)!;
    expect(header).toMatchObject({ codec: 'pcm', bitsPerSample: 24, channels: 2, sampleRate: 48000, extensible: true });
    expect(parseWavHeader(bytes.subarray(0, header.dataOffset - 1))).toBeUndefined();
    expect(() => parseWavHeader(Buffer.from('OggS\0\0\0\0\0\0\0\0\0\0\0\0'))).toThrow(FormatError);
  });

  it('fuzz: damaged headers (seeded) end with audio or a FormatError, never a crash or hang', async () => {
    const good = readFileSync(path.join(FIXTURE_DIR, 'chirp.s24.wav')).subarray(0, 4000);
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const bad = Buffer.from(good);
      const hits = 1 + Math.floor(random() * 4);
      // Damage the header region, where parsing decisions are made.
      for (let k = 0; k < hits; k++) bad[Math.floor(random() * 120)] = Math.floor(random() * 256);
      const { error } = await decodeError(bad);
      if (error) expect(error, `seed ${seed}`).toBeInstanceOf(FormatError);
    }
  });

  it('stops with an AbortError when its signal aborts', async () => {
    const controller = new AbortController();
    const reader = new WavReader({ signal: controller.signal });
    const error = new Promise((resolve) => reader.once('error', resolve));
    reader.write(wav({ fmt: fmt(1, 1, 8000, 16), data: samples(10), dataSize: 0 }));
    controller.abort();
    expect(((await error) as Error).name).toBe('AbortError');
  });
});
