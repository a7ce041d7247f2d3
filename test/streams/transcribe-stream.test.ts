import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { transcribeStream, type UtteranceTranscript } from '../../src/streams/transcribe-stream.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { InputError } from '../../src/core/errors.js';
import { ServerError } from '../../src/transports/http-errors.js';
import { startLoopback } from '../transports/loopback-server.js';

const KEY = 'sk-test-ts-0123456789abcdef';
const FORMAT = { sampleRate: 24000, channels: 1, encoding: 's16le' } as const;
let emu: EmulatorHandle;
let client: TokenLab;
let speech: Buffer;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin', faults: [{ kind: 'latency', latencyMs: 30, match: '/v1/audio/transcriptions' }] });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
  speech = await (await client.audio.speech.create({ input: 'Hello world.', response_format: 'pcm' })).buffer();
  speech = speech.subarray(0, speech.length - (speech.length % 2));
});
afterAll(async () => {
  await client.close();
  await emu.close();
});

describe('transcribeStream', () => {
  it('keeps utterance order and times with bounded concurrency', async () => {
    const t = transcribeStream(client, { model: 'whisper-1', concurrency: 3, responseFormat: 'verbose_json' });
    const out: UtteranceTranscript[] = [];
    t.on('data', (d: UtteranceTranscript) => out.push(d));
    const done = new Promise((r, j) => {
      t.on('end', r);
      t.on('error', j);
    });
    // Utterances of different lengths so they finish out of order.
    for (let i = 0; i < 7; i++) {
      const len = speech.length - (i % 3) * Math.floor(speech.length / 4);
      const pcm = speech.subarray(0, len - (len % 2));
      t.write({ pcm, format: FORMAT, startMs: i * 5000, endMs: i * 5000 + (pcm.length / 48000) * 1000 });
    }
    t.end();
    await done;
    expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(out.map((o) => o.startMs)).toEqual([0, 5000, 10000, 15000, 20000, 25000, 30000]);
    for (const o of out) {
      expect(o.requestId).toMatch(/^req_/);
      for (const s of o.segments ?? []) expect(s.startMs).toBeGreaterThanOrEqual(o.startMs);
    }
    const uploads = emu.requests.filter((r) => r.path === '/v1/audio/transcriptions');
    expect(uploads.at(-1)!.file).toMatchObject({ contentType: 'audio/wav' });
  });

  it('never has more than `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let served = 0;
    const server = await startLoopback((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const n = served++;
      // Later requests answer sooner, so completion order differs from input order.
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${n}` });
        res.end(JSON.stringify({ text: `utterance ${n}` }));
      }, 80 - (n % 4) * 20);
    });
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    try {
      const t = transcribeStream(c, { model: 'whisper-1', concurrency: 2 });
      const out: UtteranceTranscript[] = [];
      t.on('data', (d: UtteranceTranscript) => out.push(d));
      const done = new Promise((r, j) => t.on('end', r).on('error', j));
      for (let i = 0; i < 8; i++) t.write({ pcm: speech.subarray(0, 4800), format: FORMAT, startMs: i * 100, endMs: i * 100 + 100 });
      t.end();
      await done;
      expect(maxInFlight).toBeLessThanOrEqual(2);
      expect(maxInFlight).toBe(2);
      expect(out.map((o) => o.text)).toEqual(Array.from({ length: 8 }, (_, i) => `utterance ${i}`));
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('rejects bad utterances and bad options with InputError', async () => {
    expect(() => transcribeStream(client, { model: 'whisper-1', concurrency: 0 })).toThrow(InputError);
    const t = transcribeStream(client, { model: 'whisper-1' });
    const err = new Promise((r) => t.once('error', r));
    t.write({ pcm: Buffer.alloc(3), format: FORMAT, startMs: 0, endMs: 1 });
    expect(await err).toBeInstanceOf(InputError);
  });

  it('a failing request destroys the stream with the typed error', async () => {
    const e = await startEmulator({ apiKeys: [KEY], faults: [{ kind: 'status', status: 500, match: '/v1/audio/transcriptions' }] });
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url, maxRetries: 0 });
    try {
      const t = transcribeStream(c, { model: 'whisper-1' });
      const err = new Promise((r) => t.once('error', r));
      t.write({ pcm: speech, format: FORMAT, startMs: 0, endMs: 1000 });
      t.end();
      expect(await err).toBeInstanceOf(ServerError);
    } finally {
      await c.close();
      await e.close();
    }
  });
});
