import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../src/core/errors.js';
import { DISCORD_PCM, REALTIME_PCM, type PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { f32ToBytes } from '../../src/core/pcm/pcm-convert.js';
import { resample } from '../../src/core/resampler/resampler.js';
import { ResampleStream } from '../../src/streams/resample-stream.js';
import { seededRandom as rng } from '../../scripts/seeded-random.js';

function pcm(format: PcmFormat, frames: number, seed: number): Buffer {
  const r = rng(seed);
  const f = new Float32Array(frames * format.channels);
  for (let i = 0; i < f.length; i++) f[i] = 0.5 * Math.sin(i / 7) + (r() - 0.5) * 0.2;
  const out = Buffer.alloc(frames * format.channels * (format.encoding === 's16le' ? 2 : 4));
  f32ToBytes(f, format.encoding, out, f.length);
  return out;
}

/** Writes `input` in the given chunk sizes, honouring backpressure, and collects every pushed chunk. */
async function run(stream: ResampleStream, input: Buffer, sizes: (i: number) => number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  for (let pos = 0, i = 0; pos < input.length; i++) {
    const n = Math.min(sizes(i), input.length - pos);
    if (!stream.write(input.subarray(pos, pos + n))) await once(stream, 'drain');
    pos += n;
  }
  stream.end();
  await once(stream, 'end');
  return chunks;
}

const S16_MONO_16K: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };
const F32_STEREO_44K: PcmFormat = { sampleRate: 44_100, channels: 2, encoding: 'f32le' };

describe('ResampleStream', () => {
  it('exposes its formats and latency', () => {
    const s = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM });
    expect(s.format).toEqual(REALTIME_PCM);
    expect(s.inputFormat).toEqual(DISCORD_PCM);
    expect(s.latencyMs).toBeGreaterThan(0);
    expect(new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM, quality: 'low-latency' }).latencyMs).toBeLessThanOrEqual(1);
  });

  it('rejects bad formats and qualities with typed errors', () => {
    expect(() => new ResampleStream({ from: { ...DISCORD_PCM, sampleRate: 1000 }, to: REALTIME_PCM })).toThrow(FormatError);
    expect(() => new ResampleStream({ from: DISCORD_PCM, to: { ...REALTIME_PCM, encoding: 'mp3' as 's16le' } })).toThrow(FormatError);
    expect(() => new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM, quality: 'ultra' as 'high' })).toThrow(InputError);
  });

  it.each([
    [DISCORD_PCM, REALTIME_PCM],
    [REALTIME_PCM, DISCORD_PCM],
    [F32_STEREO_44K, S16_MONO_16K],
    [S16_MONO_16K, { sampleRate: 24_000, channels: 1, encoding: 'f32le' } as PcmFormat],
    [{ sampleRate: 8000, channels: 1, encoding: 's16le' } as PcmFormat, REALTIME_PCM],
  ])('gives the same bytes for any chunking, in whole frames (%j -> %j)', async (from, to) => {
    const inFrame = from.channels * (from.encoding === 's16le' ? 2 : 4);
    const outFrame = to.channels * (to.encoding === 's16le' ? 2 : 4);
    const frames = Math.round(from.sampleRate * 0.3);
    const input = pcm(from, frames, 11);
    const whole = Buffer.concat(await run(new ResampleStream({ from, to }), input, () => input.length));
    expect(whole.length).toBe(Math.round((frames * to.sampleRate) / from.sampleRate) * outFrame);
    const r = rng(5);
    const chunkings: ((i: number) => number)[] = [
      () => Math.round(from.sampleRate / 100) * inFrame, // 10 ms
      () => Math.round(from.sampleRate / 50) * inFrame, // 20 ms
      () => 1,
      () => 1 + Math.floor(r() * 999),
      (i) => (i % 4 === 0 ? 0 : 3),
    ];
    for (const sizes of chunkings) {
      const chunks = await run(new ResampleStream({ from, to }), input, sizes);
      for (const c of chunks) expect(c.length % outFrame).toBe(0);
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    }
  });

  it('matches the one-shot resampler', async () => {
    const input = pcm(F32_STEREO_44K, 4410, 3);
    const out = Buffer.concat(await run(new ResampleStream({ from: F32_STEREO_44K, to: { ...F32_STEREO_44K, sampleRate: 48000 } }), input, () => 1000));
    const ref = resample(new Float32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.length)), {
      inputRate: 44100,
      outputRate: 48000,
      channels: 2,
    });
    expect(out.equals(Buffer.from(ref.buffer))).toBe(true);
  });

  it('passes the same Buffer through when formats are equal', async () => {
    const s = new ResampleStream({ from: DISCORD_PCM, to: DISCORD_PCM });
    const chunk = pcm(DISCORD_PCM, 960, 1);
    const seen: Buffer[] = [];
    s.on('data', (c: Buffer) => seen.push(c));
    s.write(chunk);
    // An odd split is carried, then re-joined into whole frames.
    s.write(chunk.subarray(0, 5));
    s.write(chunk.subarray(5));
    s.end();
    await once(s, 'end');
    expect(seen[0]).toBe(chunk);
    expect(Buffer.concat(seen).equals(Buffer.concat([chunk, chunk]))).toBe(true);
    for (const c of seen) expect(c.length % 4).toBe(0);
  });

  it('converts only the encoding when rates and channels are equal', async () => {
    const from: PcmFormat = { sampleRate: 48000, channels: 2, encoding: 's16le' };
    const to: PcmFormat = { sampleRate: 48000, channels: 2, encoding: 'f32le' };
    const input = Buffer.alloc(8);
    input.writeInt16LE(-32768, 0);
    input.writeInt16LE(16384, 2);
    input.writeInt16LE(1, 4);
    input.writeInt16LE(32767, 6);
    const out = Buffer.concat(await run(new ResampleStream({ from, to }), input, () => 3));
    expect([0, 4, 8, 12].map((o) => out.readFloatLE(o))).toEqual([-1, 0.5, 1 / 32768, 32767 / 32768]);
    const back = Buffer.concat(await run(new ResampleStream({ from: to, to: from }), out, () => 5));
    expect(back.equals(input)).toBe(true);
  });

  it('never emits NaN for NaN or Infinity input', async () => {
    for (const to of [F32_STEREO_44K, { ...F32_STEREO_44K, sampleRate: 22050 }, { ...F32_STEREO_44K, encoding: 's16le' } as PcmFormat]) {
      const f = new Float32Array(882).fill(0.25);
      f[10] = NaN;
      f[20] = Infinity;
      f[31] = -Infinity;
      const input = Buffer.from(f.buffer);
      const out = Buffer.concat(await run(new ResampleStream({ from: F32_STEREO_44K, to }), input, () => 100));
      if (to.encoding === 'f32le') {
        const g = new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
        for (const v of g) expect(Number.isFinite(v)).toBe(true);
        if (to.sampleRate === 44100) {
          expect(g[10]).toBe(0);
          expect(g[20]).toBe(1);
          expect(g[31]).toBe(-1);
        }
      }
    }
  });

  it('drops a partial frame left at the end and fails writes after end with a typed error', async () => {
    const s = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.write(Buffer.alloc(4801 * 4 + 3));
    s.end();
    await once(s, 'finish');
    const err = await new Promise<Error | null | undefined>((resolve) => {
      s.on('error', () => undefined);
      s.write(Buffer.alloc(4), resolve);
    });
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('TLA_ERR_WRITE_AFTER_END');
    expect(Buffer.concat(chunks).length).toBe(Math.round(4801 / 2) * 2);
  });

  it('honours backpressure: with a stalled reader, write() returns false and nothing is lost', async () => {
    const s = new ResampleStream({ from: REALTIME_PCM, to: DISCORD_PCM });
    const chunk = pcm(REALTIME_PCM, 480, 2);
    let accepted = 0;
    while (s.write(chunk)) accepted++;
    expect(accepted).toBeLessThan(100);
    expect(s.writableNeedDrain).toBe(true);
    const total = (accepted + 1) * 480;
    let got = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(c: Buffer, _e, cb) {
        got += c.length;
        setImmediate(cb);
      },
    });
    const done = pipeline(s, sink);
    s.end();
    await done;
    expect(got).toBe(total * 2 * 4);
  });

  it('works in a pipeline from a Readable of odd-sized chunks', async () => {
    const input = pcm(DISCORD_PCM, 4800, 4);
    const parts: Buffer[] = [];
    for (let pos = 0; pos < input.length; pos += 333) parts.push(input.subarray(pos, pos + 333));
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(parts),
      new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM }),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    expect(Buffer.concat(out).length).toBe(2400 * 2);
  });

  it('is destroyed by its AbortSignal, at once if already aborted, and releases the listener', async () => {
    const ac = new AbortController();
    const s = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM, signal: ac.signal });
    const errored = once(s, 'error');
    ac.abort(new Error('stop'));
    const [err] = (await errored) as [Error & { code: string }];
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    expect(s.destroyed).toBe(true);

    const s2 = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM, signal: AbortSignal.abort() });
    const [err2] = (await once(s2, 'error')) as [Error];
    expect(err2.name).toBe('AbortError');

    const ac3 = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = ac3.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      removed++;
      remove(...a);
    }) as typeof remove;
    const s3 = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM, signal });
    const closed = once(s3, 'close');
    await run(s3, pcm(DISCORD_PCM, 960, 1), () => 1000);
    await closed;
    expect(added).toBe(1);
    expect(removed).toBe(1);
  });

  it('destroy() mid-stream stops cleanly', async () => {
    const s = new ResampleStream({ from: DISCORD_PCM, to: REALTIME_PCM });
    s.write(pcm(DISCORD_PCM, 960, 1));
    s.destroy();
    await once(s, 'close');
    expect(s.destroyed).toBe(true);
  });
});

describe('ResampleStream s16le -> s16le', () => {
  it.each([
    [48000, 2, 24000, 1],
    [24000, 1, 48000, 2],
    [16000, 1, 24000, 1],
    [8000, 1, 24000, 1],
    [44100, 2, 16000, 2],
    [16000, 3, 24000, 2],
  ])('%i Hz x%i -> %i Hz x%i gives the same bytes as the float path rounded, whatever the chunking', async (inRate, inCh, outRate, outCh) => {
    const from: PcmFormat = { sampleRate: inRate, channels: inCh, encoding: 's16le' };
    const to: PcmFormat = { sampleRate: outRate, channels: outCh, encoding: 's16le' };
    const r = rng(21);
    // 20000 frames: written whole, more than the kernel's staging area takes at once (the unstaged path).
    const frames = 20000;
    const input = Buffer.alloc(frames * inCh * 2);
    for (let i = 0; i < input.length; i += 2) input.writeInt16LE(Math.round((r() - 0.5) * 60000), i);
    const whole = Buffer.concat(await run(new ResampleStream({ from, to }), input, () => input.length));
    // Small and odd chunks (kept by the consumer until the end: output Buffers must not share memory that is reused).
    const twentyMs = (inRate / 50) * inCh * 2;
    const odd = Buffer.concat(await run(new ResampleStream({ from, to }), input, (i) => [1, 3, twentyMs, 7, 999, twentyMs][i % 6]!));
    expect(odd.equals(whole)).toBe(true);
    const steady = Buffer.concat(await run(new ResampleStream({ from, to }), input, () => twentyMs));
    expect(steady.equals(whole)).toBe(true);
    // The float route: s16le -> f32le at the output rate and channels, then f32le -> s16le (an encoding change only).
    const viaF32 = Buffer.concat(await run(new ResampleStream({ from, to: { ...to, encoding: 'f32le' } }), input, () => 3840));
    const back = Buffer.concat(await run(new ResampleStream({ from: { ...to, encoding: 'f32le' }, to }), viaF32, () => 4096));
    expect(whole.equals(back)).toBe(true);
    expect(whole.length).toBe(Math.round((frames * outRate) / inRate) * outCh * 2);
  });
});
