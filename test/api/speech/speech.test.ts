import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { ApiError, ConnectionError, ServerError } from '../../../src/transports/http-errors.js';
import { InputError } from '../../../src/core/errors.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle, EmulatorFault } from '../../../src/emulator/emulator-options.js';
import { startLoopback, waitFor, type LoopbackServer } from '../../transports/loopback-server.js';

const KEY = 'sk-test-speech-0123456789abcdefXYZ';
let emu: EmulatorHandle;
let client: TokenLab;
let dir: string;
const extra: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  emu = await startEmulator({ host: '127.0.0.1', port: 0, apiKeys: [KEY], voiceEngine: 'builtin' });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tla-speech-'));
});
afterAll(async () => {
  await client.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(extra.splice(0).map((x) => x.close()));
});

async function emulatorWith(faults: EmulatorFault[], more: Record<string, unknown> = {}): Promise<{ emu: EmulatorHandle; client: TokenLab }> {
  const e = await startEmulator({ apiKeys: [KEY], faults, voiceEngine: 'builtin', ...more });
  const c = new TokenLab({ apiKey: KEY, baseURL: e.url, maxRetries: 0 });
  extra.push({ close: async () => { await c.close(); await e.close(); } });
  return { emu: e, client: c };
}

function speechRequests(e: EmulatorHandle) {
  return e.requests.filter((r) => r.path === '/v1/audio/speech');
}

async function collect(stream: AsyncIterable<unknown>): Promise<{ bytes: number; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const c of stream) {
    chunks.push(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, chunks };
}

describe('speech.create', () => {
  it('pcm: bytes as they arrive, format from headers, pcm() in whole frames', async () => {
    const audio = await client.audio.speech.create({ input: 'Hello there, general listener.', voice: 'alloy', model: 'gpt-4o-mini-tts', response_format: 'pcm' });
    expect(audio.format).toBe('pcm');
    expect(audio.requestId).toMatch(/^req_/);
    expect(audio.fromCache).toBe(false);
    const pcm = audio.pcm();
    expect(pcm.format).toEqual({ sampleRate: 24000, channels: 1, encoding: 's16le' });
    const { bytes, chunks } = await collect(pcm);
    expect(bytes).toBeGreaterThan(24000);
    for (const c of chunks) expect(c.length % 2).toBe(0);
    const rec = speechRequests(emu).at(-1)!;
    expect(rec.json).toMatchObject({ input: 'Hello there, general listener.', voice: 'alloy', response_format: 'pcm' });
  });

  it('wav: header parsed; pcm() skips it and can convert to another format in-process', async () => {
    const audio = await client.audio.speech.create({ input: 'One two three.', response_format: 'wav' });
    expect(audio.format).toBe('wav');
    expect(audio.contentType).toMatch(/wav/);
    expect(audio.wavHeader?.sampleRate).toBeGreaterThan(0);
    const pcm = audio.pcm({ sampleRate: 48000, channels: 2, encoding: 'f32le' });
    expect(pcm.format).toEqual({ sampleRate: 48000, channels: 2, encoding: 'f32le' });
    const { bytes, chunks } = await collect(pcm);
    expect(bytes).toBeGreaterThan(0);
    for (const c of chunks) expect(c.length % 8).toBe(0);
  });

  it('compressed audio (mp3 via ffmpeg, opus in-process) decodes to PCM in whole frames', async () => {
    for (const fmt of ['mp3', 'opus'] as const) {
      const audio = await client.audio.speech.create({ input: 'Compressed speech here.', response_format: fmt });
      expect(audio.format).toBe(fmt);
      expect(audio.nativePcmFormat).toBeUndefined();
      const pcm = audio.pcm({ sampleRate: 16000, channels: 1, encoding: 's16le' });
      expect(pcm.format).toEqual({ sampleRate: 16000, channels: 1, encoding: 's16le' });
      const { bytes, chunks } = await collect(pcm);
      expect(bytes).toBeGreaterThan(16000);
      for (const c of chunks) expect(c.length % 2).toBe(0);
    }
  });

  it('a WAV answered to a pcm request is unwrapped, not played as noise', async () => {
    const samples = Buffer.alloc(4800 * 2);
    for (let i = 0; i < 4800; i++) samples.writeInt16LE(Math.round(10000 * Math.sin(i / 5)), i * 2);
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + samples.length, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(samples.length, 40);
    const wav = Buffer.concat([header, samples]);
    const server: LoopbackServer = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-id': 'req_wav' });
      // Odd chunk sizes: the header and samples split mid-frame.
      res.write(wav.subarray(0, 7));
      setTimeout(() => {
        res.write(wav.subarray(7, 1001));
        res.end(wav.subarray(1001));
      }, 5);
    });
    extra.push(server);
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    extra.push(c);
    const audio = await c.audio.speech.create({ input: 'hi', response_format: 'pcm' });
    expect(audio.format).toBe('wav');
    expect(audio.requestedFormat).toBe('pcm');
    const pcm = audio.pcm();
    expect(pcm.format).toEqual({ sampleRate: 16000, channels: 1, encoding: 's16le' });
    const { chunks } = await collect(pcm);
    expect(Buffer.concat(chunks).equals(samples)).toBe(true);
    for (const ch of chunks) expect(ch.length % 2).toBe(0);
  });

  it('a 200 answered with JSON instead of audio is an error, not noise', async () => {
    const server: LoopbackServer = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_json' });
      res.end(JSON.stringify({ error: { message: 'upstream returned no audio', type: 'upstream_error' } }));
    });
    extra.push(server);
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    extra.push(c);
    const err = await c.audio.speech.create({ input: 'hi', response_format: 'pcm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('TLA_ERR_API_BAD_RESPONSE');
    expect((err as ApiError).message).toContain('upstream returned no audio');
    expect((err as ApiError).requestId).toBe('req_json');
  });

  it('an error a gateway sends with a 200 (JSON or an SSE error event) never carries the key into the message', async () => {
    const echo = `invalid credentials: Bearer ${KEY} (key ${KEY})`;
    const server: LoopbackServer = await startLoopback((req, res) => {
      if (req.headers.accept?.includes('text/event-stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_sse' });
        res.end(`event: error\ndata: ${JSON.stringify({ error: { message: echo, type: 'upstream_error' } })}\n\n`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_json' });
        res.end(JSON.stringify({ error: { message: echo, type: 'upstream_error' } }));
      }
    });
    extra.push(server);
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    extra.push(c);
    const viaJson = (await c.audio.speech.create({ input: 'hi', response_format: 'pcm' }).catch((e: unknown) => e)) as Error;
    const sse = await c.audio.speech.create({ input: 'hi', response_format: 'pcm', stream_format: 'sse' }).catch((e: unknown) => e);
    const viaSse = (sse instanceof Error ? sse : await collect(sse as AsyncIterable<unknown>).catch((e: unknown) => e)) as Error;
    for (const err of [viaJson, viaSse]) {
      expect(err).toBeInstanceOf(ApiError);
      expect(err.message).toMatch(/invalid credentials/);
      expect(`${err.message}\n${err.stack}\n${JSON.stringify((err as ApiError).raw ?? null)}`).not.toContain(KEY);
    }
  });

  it('sse: speech.audio.delta decoded to bytes, usage from speech.audio.done; same audio as the plain stream', async () => {
    const params = { input: 'Streaming events now.', voice: 'alloy', model: 'gpt-4o-mini-tts', response_format: 'pcm' } as const;
    const sse = await client.audio.speech.create({ ...params, stream_format: 'sse' });
    const sseBytes = Buffer.concat((await collect(sse)).chunks);
    expect(sse.usage).toBeDefined();
    const plain = await client.audio.speech.create(params);
    const plainBytes = Buffer.concat((await collect(plain)).chunks);
    expect(sseBytes.length).toBeGreaterThan(1000);
    expect(sseBytes.equals(plainBytes)).toBe(true);
  });

  it('malformed SSE becomes a typed error on the stream', async () => {
    const { client: c } = await emulatorWith([{ kind: 'malformed-sse' }]);
    const audio = await c.audio.speech.create({ input: 'Broken events here.', model: 'gpt-4o-mini-tts', response_format: 'pcm', stream_format: 'sse' }).catch((e: unknown) => e);
    const err = audio instanceof ApiError ? audio : await collect(audio as AsyncIterable<unknown>).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('TLA_ERR_API_BAD_RESPONSE');
    expect((err as ApiError).requestId).toMatch(/^req_/);
  });

  it('a connection reset mid-body is a ConnectionError on the stream, and save() leaves nothing behind', async () => {
    const { client: c } = await emulatorWith([{ kind: 'reset', match: '/v1/audio/speech' }], { speechChunkMs: 20 });
    const target = path.join(dir, 'reset.wav');
    writeFileSync(target, 'old');
    const audio = await c.audio.speech.create({ input: 'This will be cut off in the middle of the sentence.', response_format: 'wav' }).catch((e: unknown) => e);
    if (audio instanceof Error) {
      expect(audio).toBeInstanceOf(ConnectionError);
    } else {
      const err = await (audio as Awaited<ReturnType<typeof c.audio.speech.create>>).save(target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).requestId).toMatch(/^req_/);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('reset.wav'))).toEqual(['reset.wav']);
  });

  it('a stalled body becomes a TimeoutError with the request id (timeoutMs bounds each gap)', async () => {
    const { client: c } = await emulatorWith([{ kind: 'stall', match: '/v1/audio/speech' }], { speechChunkMs: 20 });
    const started = await c.audio.speech.create({ input: 'This body will stall after a little audio.', response_format: 'pcm' }, { timeoutMs: 300 }).catch((e: unknown) => e);
    const err = started instanceof Error ? started : await collect(started as AsyncIterable<unknown>).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('TLA_ERR_API_TIMEOUT');
  });

  it('save() writes atomically and returns what it wrote', async () => {
    const audio = await client.audio.speech.create({ input: 'Save me to disk.', response_format: 'mp3' });
    const target = path.join(dir, 'out.mp3');
    const result = await audio.save(target);
    expect(result.byteLength).toBeGreaterThan(100);
    expect(result.format).toBe('mp3');
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a 5xx before any audio rejects create() with the request id', async () => {
    const { client: c } = await emulatorWith([{ kind: 'status', status: 500, match: '/v1/audio/speech' }]);
    const err = await c.audio.speech.create({ input: 'fail' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).requestId).toMatch(/^req_/);
  });

  it('long input is split at sentences and requested in order; a WAV result stays one file', async () => {
    const { emu: e, client: c } = await emulatorWith([]);
    const sentences = Array.from({ length: 24 }, (_, i) => `Sentence number ${i} is here.`);
    const input = sentences.join(' ');
    const audio = await c.audio.speech.create({ input, response_format: 'wav' }, { maxInputChars: 200 });
    const bytes = Buffer.concat((await collect(audio)).chunks);
    const reqs = speechRequests(e);
    expect(reqs.length).toBeGreaterThan(3);
    expect(reqs.map((r) => (r.json as { input: string }).input).join(' ')).toBe(input);
    expect(audio.requestIds).toHaveLength(reqs.length);
    // One RIFF header, sizes marked unknown because the joined stream outgrew piece one.
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.indexOf('RIFF', 4)).toBe(-1);
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff);
  });

  it('prefetch: piece n+1 is requested while piece n still streams, and the bytes come out in order', async () => {
    const events: string[] = [];
    const server: LoopbackServer = await startLoopback((_req, res, body) => {
      const input = (JSON.parse(body.toString()) as { input: string }).input;
      const n = /piece (\d+)/.exec(input)![1]!;
      events.push(`request ${n}`);
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      res.write(Buffer.alloc(480, Number(n)));
      setTimeout(() => {
        events.push(`end ${n}`);
        res.end(Buffer.alloc(480, Number(n)));
      }, 150);
    });
    extra.push(server);
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    extra.push(c);
    const input = [1, 2, 3].map((n) => `This is piece ${n} of the text, long enough to need its own request.`).join(' ');
    const audio = await c.audio.speech.create({ input, response_format: 'pcm' }, { maxInputChars: 80 });
    const bytes = Buffer.concat((await collect(audio)).chunks);
    expect(events.indexOf('request 2')).toBeLessThan(events.indexOf('end 1'));
    // Piece 3 is requested once piece 2 starts being read (one piece ahead), which may be after the server
    // finished sending piece 2 (it streamed into the socket buffer while piece 1 was read).
    expect(events.indexOf('request 3')).toBeGreaterThan(events.indexOf('request 2'));
    expect([...bytes.subarray(0, 960)].every((x) => x === 1)).toBe(true);
    expect([...bytes.subarray(960, 1920)].every((x) => x === 2)).toBe(true);
    expect([...bytes.subarray(1920)].every((x) => x === 3)).toBe(true);
  });

  it('validates before sending: speed, temperature, unknown fields, empty input, instruction length', async () => {
    const before = speechRequests(emu).length;
    const bad: unknown[] = [
      { input: 'x', speed: 5 },
      { input: 'x', speed: 0.1 },
      { input: 'x', temperature: 3 },
      { input: 'x', voices: 'alloy' },
      { input: '   ' },
      { input: 'x', instructions: 'a'.repeat(2001) },
      { input: 'x', voice: { name: 'x' } },
      { input: 'x', stream_format: 'chunks' },
    ];
    for (const p of bad) await expect(client.audio.speech.create(p as never)).rejects.toBeInstanceOf(InputError);
    expect(speechRequests(emu).length).toBe(before);
  });

  it('refuses input carrying secrets (no request made) unless allowSecrets', async () => {
    const before = speechRequests(emu).length;
    const err = await client.audio.speech.create({ input: `The key is ${KEY}.` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).not.toContain(KEY);
    await expect(client.audio.speech.create({ input: 'token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c' })).rejects.toBeInstanceOf(InputError);
    expect(speechRequests(emu).length).toBe(before);
    const ok = await client.audio.speech.create({ input: 'sk-proj-Abc123def456GHI789jkl012 is fake', response_format: 'pcm' }, { allowSecrets: true });
    ok.destroy();
    expect(speechRequests(emu).length).toBe(before + 1);
  });

  it('destroying the audio mid-stream aborts the request', async () => {
    const { client: c } = await emulatorWith([], { speechPaceMs: 20, speechChunkMs: 20 });
    const audio = await c.audio.speech.create({ input: 'A long sentence that takes a while to stream out to us.', response_format: 'pcm' });
    const closed = new Promise((r) => audio.once('close', r));
    audio.once('data', () => audio.destroy());
    audio.resume();
    await closed;
    expect(audio.destroyed).toBe(true);
  });

  it('aborting mid-body frees the socket', async () => {
    const server: LoopbackServer = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      const timer = setInterval(() => res.write(Buffer.alloc(960)), 10);
      res.once('close', () => clearInterval(timer));
    });
    extra.push(server);
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    extra.push(c);
    const ac = new AbortController();
    const audio = await c.audio.speech.create({ input: 'endless', response_format: 'pcm' }, { signal: ac.signal });
    const reading = collect(audio).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    expect(await reading).toMatchObject({ name: 'AbortError' });
    await waitFor(() => server.sockets.size === 0);
  });

  it('abort signal before and during', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(client.audio.speech.create({ input: 'x' }, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const { client: c } = await emulatorWith([], { speechPaceMs: 20, speechChunkMs: 20 });
    const ac2 = new AbortController();
    const audio = await c.audio.speech.create({ input: 'A long sentence that takes a while to stream.', response_format: 'pcm' }, { signal: ac2.signal });
    const err = collect(audio).catch((e: unknown) => e);
    setTimeout(() => ac2.abort(), 30);
    expect(await err).toMatchObject({ name: 'AbortError' });
  });
});

describe('speech cache', () => {
  it('serves a second identical request from disk with no HTTP call; a different field misses', async () => {
    const cacheDir = path.join(dir, 'cache');
    const { emu: e } = await emulatorWith([]);
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url, speechCacheDir: cacheDir });
    extra.push(c);
    const params = { input: 'Cache me if you can.', voice: 'alloy', response_format: 'mp3', speed: 1.25 } as const;
    const first = await c.audio.speech.create(params);
    const a = Buffer.concat((await collect(first)).chunks);
    expect(first.fromCache).toBe(false);
    expect(speechRequests(e)).toHaveLength(1);
    const second = await c.audio.speech.create(params);
    expect(second.fromCache).toBe(true);
    expect(second.format).toBe('mp3');
    const b = Buffer.concat((await collect(second)).chunks);
    expect(b.equals(a)).toBe(true);
    expect(speechRequests(e)).toHaveLength(1);
    const third = await c.audio.speech.create({ ...params, speed: 1.5 });
    expect(third.fromCache).toBe(false);
    third.destroy();
    expect(speechRequests(e)).toHaveLength(2);
  });

  it('a cache that cannot store the entry does not fail the audio (nothing paid for is lost) and leaves no temp file', async () => {
    const cacheDir = path.join(dir, 'cache3');
    const { emu: e } = await emulatorWith([]);
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url, speechCacheDir: cacheDir });
    extra.push(c);
    const params = { input: 'The cache entry path is blocked.', response_format: 'pcm' } as const;
    const first = await c.audio.speech.create(params);
    const a = Buffer.concat((await collect(first)).chunks);
    const entry = readdirSync(cacheDir, { recursive: true }).map(String).find((f) => f.endsWith('.audio'))!;
    // A directory where the entry goes: the cache misses and its final rename fails.
    rmSync(path.join(cacheDir, entry));
    mkdirSync(path.join(cacheDir, entry));
    const second = await c.audio.speech.create(params);
    expect(second.fromCache).toBe(false);
    const b = Buffer.concat((await collect(second)).chunks);
    expect(b.equals(a)).toBe(true);
    expect(readdirSync(cacheDir, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a partly read or failed response leaves no cache entry', async () => {
    const cacheDir = path.join(dir, 'cache2');
    const { emu: e } = await emulatorWith([{ kind: 'reset', match: '/v1/audio/speech', times: 1 }], { speechChunkMs: 20 });
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url, speechCacheDir: cacheDir, maxRetries: 0 });
    extra.push(c);
    const params = { input: 'This response will be cut off before it ends.', response_format: 'pcm' } as const;
    const audio = await c.audio.speech.create(params).catch((e2: unknown) => e2);
    if (!(audio instanceof Error)) await collect(audio as AsyncIterable<unknown>).catch(() => {});
    const files = existsSync(cacheDir) ? readdirSync(cacheDir, { recursive: true }).map(String).filter((f) => /\.(audio|tmp)$/.test(f)) : [];
    expect(files).toEqual([]);
    const again = await c.audio.speech.create(params);
    expect(again.fromCache).toBe(false);
    await collect(again);
    const third = await c.audio.speech.create(params);
    expect(third.fromCache).toBe(true);
    third.destroy();
  });
});
