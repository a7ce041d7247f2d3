import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../src/core/errors.js';
import { REALTIME_PCM, type PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { FfmpegError, FfmpegNotFoundError } from '../../src/codecs/ffmpeg/ffmpeg-errors.js';
import { decode, type DecodeFrom, type DecodeStream } from '../../src/streams/decode.js';
import { encode } from '../../src/streams/encode.js';
import { availableFixtures, FIXTURE_DIR, type Fixture } from '../../scripts/make-fixtures.js';
import { chunked, collect, ffmpegBytes, maxF32Diff, maxS16Diff, processGone, seededRandom, settle } from '../codecs/test-audio.js';

const fixtures = availableFixtures().filter((f) => f.source !== 'speech');
const file = (name: string): string => path.join(FIXTURE_DIR, name);

/** What a headerless fixture must be declared as. */
function declared(f: Fixture): DecodeFrom | undefined {
  if (f.container !== 'pcm') return undefined;
  if (f.codec === 'mulaw' || f.codec === 'alaw') return { sampleRate: f.sampleRate, channels: f.channels, encoding: f.codec };
  return { sampleRate: f.sampleRate, channels: f.channels, encoding: f.codec as 's16le' | 'f32le' };
}

const EXPECTED_PATH: Record<string, string> = { wav: 'wav', ogg: 'ffmpeg:ogg', webm: 'webm-opus', mp3: 'ffmpeg:mp3', aac: 'ffmpeg:aac', mp4: 'ffmpeg:mp4', flac: 'ffmpeg:flac' };

function expectedPath(f: Fixture): string {
  if (f.container === 'pcm') return f.codec === 'mulaw' || f.codec === 'alaw' ? 'g711' : 'pcm';
  if (f.container === 'ogg' && f.codec === 'opus') return 'ogg-opus';
  return EXPECTED_PATH[f.container]!;
}

/** ffmpeg's own decode of a fixture, as reference, in `format`. libopus for Opus (ffmpeg's native decoder differs from it). */
function reference(f: Fixture, format: PcmFormat): Promise<Buffer> {
  const input: string[] = [];
  if (f.container === 'pcm') {
    input.push('-f', f.codec === 'mulaw' ? 'mulaw' : f.codec === 'alaw' ? 'alaw' : f.codec, '-ar', String(f.sampleRate), '-ac', String(f.channels));
  }
  if (f.codec === 'opus') input.push('-c:a', 'libopus');
  return ffmpegBytes([...input, '-i', file(f.file), '-f', format.encoding, '-ar', String(format.sampleRate), '-ac', String(format.channels), 'pipe:1']);
}

function alive(pids: readonly number[]): boolean {
  return pids.some((pid) => !processGone(pid));
}

describe('decode: every fixture against ffmpeg', () => {
  it('has fixtures to test', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
  });

  for (const f of fixtures) {
    it(`${f.file} → ${expectedPath(f)}`, async () => {
      const from = declared(f);
      const stream = decode(file(f.file), from ? { from } : {});
      const format = await stream.formatReady;
      const pcm = await collect(stream);
      expect(stream.path).toBe(expectedPath(f));
      expect(format.sampleRate).toBe(f.sampleRate);
      expect(format.channels).toBe(f.channels);
      const ref = await reference(f, format);
      expect(pcm.length).toBe(ref.length);
      if (format.encoding === 's16le') expect(maxS16Diff(pcm, ref)).toBeLessThanOrEqual(f.codec === 'opus' ? 1 : 0);
      else expect(maxF32Diff(pcm, ref)).toBeLessThanOrEqual(1 / 32768);
    });
  }
});

describe('decode: chunking, inputs, conversion', () => {
  const inProcess = ['sine.s24.wav', 'noise.streamed.wav', 'chirp.opus', 'noise.opus.webm', 'chirp.ulaw', 'sine.6ch.s16.wav'];
  for (const name of inProcess) {
    it(`${name}: 1-byte and random chunks give the same PCM as one buffer`, async () => {
      const bytes = readFileSync(file(name));
      const from: DecodeFrom | undefined = name.endsWith('.ulaw') ? { sampleRate: 8000, encoding: 'mulaw' } : undefined;
      const opts = from ? { from } : {};
      const whole = await collect(decode(bytes, opts));
      const random = await collect(decode(Readable.from(chunked(bytes, seededRandom(7), 777)), opts));
      expect(random.equals(whole)).toBe(true);
      const small = bytes.subarray(0, Math.min(bytes.length, 24_000));
      const smallWhole = await collect(decode(small, { ...opts, onTruncated: 'ignore' }));
      const bytewise = await collect(decode(Readable.from(chunked(small, 'bytewise')), { ...opts, onTruncated: 'ignore' }));
      expect(bytewise.equals(smallWhole)).toBe(true);
    });
  }

  it('resamples in-process to `to`, and says so in the pipeline', async () => {
    const s = decode(file('sine.s16.wav'), { to: REALTIME_PCM });
    const pcm = await collect(s);
    expect(s.path).toBe('wav');
    expect(s.format).toEqual(REALTIME_PCM);
    expect(s.pipeline.some((p) => p.startsWith('resample 48000 Hz stereo'))).toBe(true);
    expect(pcm.length).toBe(24_000 * 2);
  });

  it('knows its format at once when `to` is given, so it can feed encode() directly', async () => {
    const d = decode(file('chirp.opus'), { to: REALTIME_PCM });
    expect(d.format).toEqual(REALTIME_PCM);
    const events: PcmFormat[] = [];
    d.on('format', (f: PcmFormat) => events.push(f));
    const wav = await collect(encode(d, { format: 'wav' }));
    expect(events).toEqual([REALTIME_PCM]);
    expect(wav.readUInt32LE(24)).toBe(24_000);
    expect(wav.length - wav.indexOf('data') - 8).toBe(24_000 * 0.8 * 2);
  });

  it('lets ffmpeg convert on the ffmpeg path', async () => {
    const s = decode(file('sine.mp3'), { to: REALTIME_PCM });
    const formats: PcmFormat[] = [];
    s.on('format', (f: PcmFormat) => formats.push(f));
    const pcm = await collect(s);
    expect(s.path).toBe('ffmpeg:mp3');
    expect(formats).toEqual([REALTIME_PCM]);
    expect(Math.abs(pcm.length / 2 - 24_000)).toBeLessThan(2400);
  });

  it('reads Buffers, Node Readables, web ReadableStreams and async iterables alike', async () => {
    const bytes = readFileSync(file('chirp.opus'));
    const a = await collect(decode(bytes));
    const b = await collect(decode(Readable.from([bytes])));
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
    });
    const c = await collect(decode(web));
    const d = await collect(decode((async function* () { yield bytes.subarray(0, 100); yield bytes.subarray(100); })()));
    expect(b.equals(a) && c.equals(a) && d.equals(a)).toBe(true);
  });

  it('believes the bytes over a declared layout or a Content-Type', async () => {
    const wav = readFileSync(file('chirp.s16.wav'));
    const s = decode(wav, { from: { sampleRate: 24_000, channels: 1, encoding: 's16le' }, contentType: 'audio/pcm' });
    const pcm = await collect(s);
    expect(s.path).toBe('wav');
    expect(s.format?.sampleRate).toBe(16_000);
    expect(pcm.length).toBe(16_000 * 0.8 * 2);
    const mp3 = decode(file('chirp.mp3'), { from: 'wav' });
    await collect(mp3);
    expect(mp3.path).toBe('ffmpeg:mp3');
    // Raw PCM labelled audio/wav is not read as a header.
    const raw = readFileSync(file('chirp.s16le.pcm'));
    const r = decode(raw, { contentType: 'audio/wav', from: { sampleRate: 16_000, channels: 1, encoding: 's16le' } });
    expect((await collect(r)).equals(raw)).toBe(true);
    expect(r.path).toBe('pcm');
  });

  it('holds back its input while nobody reads (backpressure reaches the source)', async () => {
    const wav = readFileSync(file('sine.s16.wav'));
    let pulled = 0;
    const source = new Readable({
      read() {
        // An endless WAV, like a live stream: the header, then the same second of samples forever.
        const chunk = pulled === 0 ? wav : wav.subarray(wav.indexOf('data') + 8);
        pulled += chunk.length;
        setImmediate(() => this.push(chunk));
      },
    });
    const s = decode(source);
    await new Promise((r) => setTimeout(r, 150));
    // Nothing read: only what fills the buffers between source and reader was pulled (not megabytes).
    expect(pulled).toBeLessThan(1_000_000);
    let got = 0;
    s.on('data', (c: Buffer) => (got += c.length));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBeGreaterThan(0);
    s.destroy();
    expect(source.destroyed || (await new Promise((r) => setTimeout(r, 10)), source.destroyed)).toBe(true);
  });

  it('an abort while the first bytes are awaited ends at once and releases the input', async () => {
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    const s = decode(source, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const { error } = await settle(s);
    expect(error?.name).toBe('AbortError');
    expect(source.destroyed).toBe(true);
    await expect(s.formatReady).rejects.toThrow();
  });

  it('can be forced through ffmpeg for comparison', async () => {
    const s = decode(file('chirp.s16.wav'), { decoder: 'ffmpeg' });
    const pcm = await collect(s);
    expect(s.path).toBe('ffmpeg:wav');
    expect(pcm.equals(await collect(decode(file('chirp.s16.wav'))))).toBe(true);
  });
});

describe('decode: bad input', () => {
  it('0-byte input: FormatError', async () => {
    const { error } = await settle(decode(Buffer.alloc(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_EMPTY_INPUT');
  });

  it('garbage bytes: FormatError that says what was seen, and no ffmpeg left', async () => {
    const random = seededRandom(3);
    const garbage = Buffer.from(Array.from({ length: 20_000 }, () => Math.floor(random() * 256)));
    const s = decode(garbage);
    const { pcm, error } = await settle(s);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_NOT_AUDIO');
    expect(error!.message).toMatch(/not audio/);
    expect(pcm.length).toBe(0);
    expect(alive(s.childPids)).toBe(false);
  });

  it('raw PCM with no declared layout: FormatError asking for { from }', async () => {
    const { error } = await settle(decode(readFileSync(file('chirp.s16le.pcm')), { contentType: 'audio/pcm' }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error!.message).toMatch(/from: \{ sampleRate/);
  });

  it('a truncated WAV delivers every whole frame, then fails with FormatError', async () => {
    const wav = readFileSync(file('chirp.s16.wav'));
    const dataAt = wav.indexOf('data') + 8;
    const cut = wav.subarray(0, dataAt + 10_001);
    const { pcm, error } = await settle(decode(cut));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_TRUNCATED');
    expect(pcm.length).toBe(10_000);
    expect(pcm.equals(wav.subarray(dataAt, dataAt + 10_000))).toBe(true);
    // A header cut short is an error too.
    expect((await settle(decode(wav.subarray(0, 30)))).error).toBeInstanceOf(FormatError);
  });

  it('a WAV header claiming ~4 GB of data with a few KB present: the audio, then FormatError', async () => {
    const wav = Buffer.from(readFileSync(file('chirp.s16.wav')));
    const sizeAt = wav.indexOf('data') + 4;
    wav.writeUInt32LE(0xfffff000, sizeAt);
    const { pcm, error } = await settle(decode(wav));
    expect(pcm.length).toBe(wav.length - sizeAt - 4);
    expect(error).toBeInstanceOf(FormatError);
    expect(error!.message).toMatch(/truncated/);
  });

  it('a WAV header with 0 channels: FormatError', async () => {
    const wav = Buffer.from(readFileSync(file('chirp.s16.wav')));
    wav.writeUInt16LE(0, 22);
    const { error } = await settle(decode(wav));
    expect(error).toBeInstanceOf(FormatError);
  });

  it('a truncated Ogg/Opus file delivers what was decodable, then fails', async () => {
    const ogg = readFileSync(file('sine.opus'));
    const whole = await collect(decode(ogg));
    const { pcm, error } = await settle(decode(ogg.subarray(0, Math.floor(ogg.length * 0.6))));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_TRUNCATED');
    expect(pcm.length).toBeGreaterThan(whole.length * 0.4);
    expect(pcm.equals(whole.subarray(0, pcm.length))).toBe(true);
  });

  it('a truncated WebM/Opus file delivers what was decodable, then fails', async () => {
    const webm = readFileSync(file('sine.opus.webm'));
    const whole = await collect(decode(webm));
    const s = decode(webm.subarray(0, Math.floor(webm.length * 0.5) + 3));
    const { pcm, error } = await settle(s);
    expect(s.path).toBe('webm-opus');
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_TRUNCATED');
    expect(pcm.length).toBeGreaterThan(whole.length * 0.3);
    expect(pcm.equals(whole.subarray(0, pcm.length))).toBe(true);
  });

  it('a wrong declaration is refused before anything starts', () => {
    expect(() => decode(Buffer.alloc(10), { from: { sampleRate: 7, channels: 1, encoding: 's16le' } })).toThrow(FormatError);
    expect(() => decode(Buffer.alloc(10), { from: 'mp9' as never })).toThrow(InputError);
    expect(() => decode(12 as never)).toThrow(InputError);
  });

  it('a missing file: InputError', async () => {
    const { error } = await settle(decode(file('does-not-exist.wav')));
    expect(error).toBeInstanceOf(InputError);
    expect(error!.message).toMatch(/does-not-exist/);
  });

  it('ffmpeg missing (invalid ffmpegPath): FfmpegNotFoundError', async () => {
    const { error } = await settle(decode(file('chirp.mp3'), { ffmpegPath: '/nonexistent/bin/ffmpeg' }));
    expect(error).toBeInstanceOf(FfmpegNotFoundError);
  });

  it('ffmpeg killed mid-stream: FfmpegError after the audio decoded so far, no process left', async () => {
    // A long input fed slowly so ffmpeg is still running when it is killed.
    const mp3 = readFileSync(file('sine.mp3'));
    const source = new Readable({ read() {} });
    const s = decode(source);
    source.push(mp3);
    const received: Buffer[] = [];
    s.on('data', (c: Buffer) => {
      received.push(c);
      if (received.length === 1) for (const pid of s.childPids) process.kill(pid, 'SIGKILL');
    });
    const error = await new Promise<Error>((resolve) => s.once('error', resolve));
    expect(error).toBeInstanceOf(FfmpegError);
    expect(received.length).toBeGreaterThan(0);
    if (!s.closed) await new Promise((r) => s.once('close', r));
    expect(alive(s.childPids)).toBe(false);
    source.destroy();
  });

  it('abort and destroy stop ffmpeg; nothing hangs', async () => {
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    const s = decode(source, { signal: controller.signal, contentType: 'audio/mpeg' });
    source.push(readFileSync(file('sine.mp3')));
    await new Promise((r) => setTimeout(r, 100));
    expect(s.childPids.length).toBe(1);
    const pids = [...s.childPids];
    controller.abort();
    const { error } = await settle(s);
    expect(error?.name).toBe('AbortError');
    expect(alive(pids)).toBe(false);

    const t = decode(file('sine.flac'));
    await new Promise((r) => t.once('format', r));
    const tp = [...t.childPids];
    t.destroy();
    await new Promise((r) => t.once('close', r));
    expect(alive(tp)).toBe(false);
  });
});

describe('decode: an input destroyed without an error (premature close)', () => {
  /** Resolves on 'close' with the error emitted before it, or the string 'end' (never hangs the test). */
  function settled(stream: DecodeStream | ReturnType<typeof encode>): Promise<Error | 'end' | 'hung'> {
    return new Promise((resolve) => {
      let result: Error | 'end' | undefined;
      const timer = setTimeout(() => resolve('hung'), 3000);
      stream.on('error', (err) => (result = err));
      stream.on('end', () => (result = 'end'));
      stream.on('close', () => {
        clearTimeout(timer);
        resolve(result ?? 'end');
      });
      stream.resume();
    });
  }
  const format: PcmFormat = { sampleRate: 16000, channels: 1, encoding: 's16le' };

  for (const [what, firstBytes] of [['while sniffing the head', 10], ['after the chain was wired', 8000]] as const) {
    it(`fails with an InputError instead of hanging (${what})`, async () => {
      const source = new PassThrough();
      const stream = decode(source, { from: format });
      const done = settled(stream);
      source.write(Buffer.alloc(firstBytes));
      setTimeout(() => source.destroy(), 50);
      const result = await done;
      expect(result).toBeInstanceOf(InputError);
      expect((result as InputError).code).toBe('TLA_ERR_INPUT_PREMATURE_CLOSE');
    });
  }

  it('stops the ffmpeg child too (ffmpeg path)', async () => {
    const source = new PassThrough();
    const stream = decode(source, { from: format, decoder: 'ffmpeg' });
    const done = settled(stream);
    source.write(Buffer.alloc(8000));
    setTimeout(() => source.destroy(), 300);
    const result = await done;
    expect(result).toBeInstanceOf(InputError);
    for (const pid of stream.childPids) expect(processGone(pid)).toBe(true);
  });

  it('encode fails the same way', async () => {
    const source = new PassThrough();
    const stream = encode(source, { format: 'wav', inputFormat: format });
    const done = settled(stream);
    source.write(Buffer.alloc(8000));
    setTimeout(() => source.destroy(), 50);
    const result = await done;
    expect(result).toBeInstanceOf(InputError);
    expect((result as InputError).code).toBe('TLA_ERR_INPUT_PREMATURE_CLOSE');
  });
});

describe('decode with an already-aborted signal', () => {
  it("emits no 'format' after it was destroyed", async () => {
    const stream = decode(Buffer.alloc(3200), { from: REALTIME_PCM, to: REALTIME_PCM, signal: AbortSignal.abort() });
    const events: string[] = [];
    stream.on('format', () => events.push(stream.destroyed ? 'format after destroy' : 'format'));
    stream.on('error', (e) => events.push(e.name));
    await new Promise((resolve) => stream.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['AbortError']);
  });
});
