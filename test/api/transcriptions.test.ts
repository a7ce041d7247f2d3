import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { PayloadTooLargeError, ServerError } from '../../src/transports/http-errors.js';
import type { UploadProgressEvent } from '../../src/api/transcriptions.js';
import { InputError } from '../../src/core/errors.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { startLoopback, waitFor } from '../transports/loopback-server.js';

const KEY = 'sk-test-stt-0123456789abcdefXYZ';
let emu: EmulatorHandle;
let client: TokenLab;
let dir: string;
let wav: Buffer;

beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], uploadLimitBytes: 200_000, voiceEngine: 'builtin' });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tla-stt-'));
  // Speech-like audio from the emulator's own voice, so its segmenter finds speech in it.
  const spoken = await client.audio.speech.create({ input: 'Hello there. This is a test.', response_format: 'wav' });
  wav = await spoken.buffer();
  writeFileSync(path.join(dir, 'talk.wav'), wav);
});
afterAll(async () => {
  await client.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const uploads = () => emu.requests.filter((r) => r.path.startsWith('/v1/audio/trans'));

describe('transcriptions.create', () => {
  it('from a path: json result with request id, progress upload → processing → done', async () => {
    const events: UploadProgressEvent[] = [];
    const promise = client.audio.transcriptions.create({ file: path.join(dir, 'talk.wav'), model: 'whisper-1', onProgress: (e) => events.push(e) });
    const emitted: string[] = [];
    promise.on('upload', () => emitted.push('upload')).on('processing', () => emitted.push('processing')).on('done', () => emitted.push('done'));
    const result = await promise;
    expect(typeof result.text).toBe('string');
    expect(result.requestId).toMatch(/^req_/);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('upload');
    expect(types.slice(-2)).toEqual(['processing', 'done']);
    const lastUpload = events.filter((e) => e.type === 'upload').at(-1) as Extract<UploadProgressEvent, { type: 'upload' }>;
    expect(lastUpload.sentBytes).toBe(lastUpload.totalBytes);
    expect(emitted.at(-1)).toBe('done');
    const rec = uploads().at(-1)!;
    expect(rec.file).toMatchObject({ fieldName: 'file', filename: 'talk.wav', contentType: 'audio/wav', byteLength: wav.length });
    expect(rec.fields).toMatchObject({ model: 'whisper-1', response_format: 'json' });
  });

  it('typed results for verbose_json (segments with times), text, srt, vtt and diarized_json', async () => {
    const verbose = await client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'verbose_json', timestampGranularities: ['segment'] });
    expect(verbose.segments!.length).toBeGreaterThan(0);
    expect(verbose.duration).toBeGreaterThan(2);
    const text = await client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'text' });
    expect(typeof text).toBe('string');
    const srt = await client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'srt' });
    expect(srt).toMatch(/00:00:0\d,\d{3} --> /);
    const vtt = await client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'vtt' });
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    const diarized = await client.audio.transcriptions.create({ file: wav, model: 'gpt-4o-transcribe-diarize', responseFormat: 'diarized_json' });
    expect(Array.isArray(diarized.segments)).toBe(true);
    const rec = uploads().find((r) => r.fields?.response_format === 'verbose_json')!;
    expect(String(rec.fields!.timestamp_granularities ?? rec.fields!['timestamp_granularities[]'])).toBe('segment');
  });

  it('stream: true gives transcript.text.delta … transcript.text.done events', async () => {
    const stream = await client.audio.transcriptions.create({ file: wav, model: 'gpt-4o-transcribe', stream: true });
    expect(stream.requestId).toMatch(/^req_/);
    const types: string[] = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'transcript.text.delta') text += ev.delta;
      if (ev.type === 'transcript.text.done') expect(ev.text).toBe(text);
    }
    expect(types.at(-1)).toBe('transcript.text.done');
    expect(types).toContain('transcript.text.delta');
  });

  it('stream: true on a model that answers once still yields a done event', async () => {
    const stream = await client.audio.transcriptions.create({ file: wav, model: 'whisper-1', stream: true });
    const events = [];
    for await (const ev of stream) events.push(ev);
    expect(events.at(-1)!.type).toBe('transcript.text.done');
  });

  it('a Buffer without a name gets an extension sniffed from its bytes; a Readable and a Blob work', async () => {
    await client.audio.transcriptions.create({ file: wav, model: 'whisper-1' });
    expect(uploads().at(-1)!.file).toMatchObject({ filename: 'audio.wav', contentType: 'audio/wav' });
    await client.audio.transcriptions.create({ file: wav, filename: 'meeting', model: 'whisper-1' });
    expect(uploads().at(-1)!.file!.filename).toBe('meeting.wav');
    await client.audio.transcriptions.create({ file: wav, filename: 'wrong.mp3', model: 'whisper-1' });
    expect(uploads().at(-1)!.file!.filename).toBe('wrong.wav');
    const chunks = [wav.subarray(0, 10), wav.subarray(10, 5000), wav.subarray(5000)];
    await client.audio.transcriptions.create({ file: Readable.from(chunks), model: 'whisper-1' });
    expect(uploads().at(-1)!.file!.byteLength).toBe(wav.length);
    await client.audio.transcriptions.create({ file: new Blob([wav], { type: 'audio/wav' }), model: 'whisper-1' });
    expect(uploads().at(-1)!.file!.byteLength).toBe(wav.length);
  });

  it('refuses a directory, a 0-byte file, a missing file and non-audio before uploading', async () => {
    const before = uploads().length;
    mkdirSync(path.join(dir, 'folder.wav'), { recursive: true });
    writeFileSync(path.join(dir, 'empty.wav'), '');
    writeFileSync(path.join(dir, 'notes.mp3'), 'These are my meeting notes, not audio at all.\n');
    writeFileSync(path.join(dir, 'doc.bin'), Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100)]));
    const cases: [unknown, RegExp][] = [
      [path.join(dir, 'folder.wav'), /directory/],
      [path.join(dir, 'empty.wav'), /empty/],
      [path.join(dir, 'missing.wav'), /no such file/],
      [path.join(dir, 'notes.mp3'), /text file/],
      [path.join(dir, 'doc.bin'), /PDF/],
      [Buffer.alloc(0), /empty/],
      [Buffer.from([1, 2, 3, 200, 100, 7, 8, 9]), /not in a recognised audio format/],
    ];
    for (const [file, msg] of cases) {
      const err = await client.audio.transcriptions.create({ file: file as string, model: 'whisper-1' }).catch((e: unknown) => e);
      expect(err, String(file)).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(msg);
    }
    expect(uploads().length).toBe(before);
  });

  it('pre-flight size check says what to do; a stream over the limit is stopped', async () => {
    const small = new TokenLab({ apiKey: KEY, baseURL: emu.url, uploadLimitBytes: 50_000 });
    const before = uploads().length;
    const err = await small.audio.transcriptions.create({ file: wav, model: 'whisper-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('TLA_ERR_INPUT_TOO_LARGE');
    // What to do: the long-file way (cut at silences, merged), or compress.
    expect((err as Error).message).toMatch(/transcribeLong\(\)/);
    expect((err as Error).message).toMatch(/compress/);
    expect(uploads().length).toBe(before);
    await small.close();
    // A stream's size is unknown up front: it is counted as it is sent and the upload stopped at the limit.
    const server = await startLoopback((req) => void req.resume(), { readBody: false });
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url, uploadLimitBytes: 50_000 });
    try {
      const err2 = await c.audio.transcriptions.create({ file: Readable.from([wav.subarray(0, 30_000), wav.subarray(30_000)]), model: 'whisper-1' }).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(InputError);
      expect((err2 as InputError).code).toBe('TLA_ERR_INPUT_TOO_LARGE');
      expect(server.seen.length).toBeLessThanOrEqual(1);
    } finally {
      await c.close();
      await server.close();
    }
  });

  it("the server's 413 (its limit below ours) is a PayloadTooLargeError, sent as soon as it answers", async () => {
    // TokenLab's 413 body has the BadRequest/ValidationError shape; answer it before reading the whole upload.
    const server = await startLoopback(
      (req, res) => {
        req.once('data', () => {
          const body = JSON.stringify({ error: { message: 'Maximum content size limit (26214400) exceeded', type: 'invalid_request_error', code: 'request_too_large' } });
          res.writeHead(413, { 'content-type': 'application/json', 'x-request-id': 'req_413', connection: 'close' });
          res.end(body);
          req.resume();
        });
      },
      { readBody: false },
    );
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    try {
      const err = await c.audio.transcriptions.create({ file: Buffer.concat([wav, Buffer.alloc(2_000_000)]), model: 'whisper-1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PayloadTooLargeError);
      expect((err as PayloadTooLargeError).requestId).toBe('req_413');
      expect(server.seen).toHaveLength(1);
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('validates params before uploading', async () => {
    await expect(client.audio.transcriptions.create({ file: wav, model: '' })).rejects.toBeInstanceOf(InputError);
    await expect(client.audio.transcriptions.create({ file: wav, model: 'whisper-1', temperature: 2 })).rejects.toBeInstanceOf(InputError);
    await expect(client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'json', timestampGranularities: ['word'] })).rejects.toBeInstanceOf(InputError);
    await expect(client.audio.transcriptions.create({ file: wav, model: 'whisper-1', responseFormat: 'xml' as never })).rejects.toBeInstanceOf(InputError);
  });

  it("a caller's Readable is released when the call fails before its bytes were read (refused, no key)", async () => {
    const refused = new TokenLab({ apiKey: KEY, baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 });
    const keyless = new TokenLab({ apiKey: '', baseURL: emu.url });
    try {
      const first = createReadStream(path.join(dir, 'talk.wav'));
      await expect(refused.audio.transcriptions.create({ file: first, model: 'whisper-1' })).rejects.toThrow(/ECONNREFUSED/);
      expect(first.destroyed).toBe(true);
      const second = createReadStream(path.join(dir, 'talk.wav'));
      await expect(keyless.audio.transcriptions.create({ file: second, model: 'whisper-1' })).rejects.toThrow(InputError);
      expect(second.destroyed).toBe(true);
    } finally {
      await refused.close();
      await keyless.close();
    }
  });

  it('an SSE error event that echoes the key gives an ApiError without the key', async () => {
    const server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_sse_err' });
      res.end(`event: error\ndata: ${JSON.stringify({ error: { message: `rejected Bearer ${KEY}, key ${KEY}`, type: 'upstream_error' } })}\n\n`);
    });
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    try {
      const stream = await c.audio.transcriptions.create({ file: wav, model: 'gpt-4o-transcribe', stream: true });
      let err: Error | undefined;
      try {
        for await (const _ of stream) void _;
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).toMatch(/rejected/);
      expect(`${err?.message}\n${err?.stack}\n${JSON.stringify((err as { raw?: unknown }).raw ?? null)}`).not.toContain(KEY);
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('a file path is replayed on a retryable 503', async () => {
    const e = await startEmulator({ apiKeys: [KEY], faults: [{ kind: 'status', status: 503, retryAfterSeconds: 0, match: '/v1/audio/transcriptions', times: 1 }] });
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url });
    try {
      const result = await c.audio.transcriptions.create({ file: path.join(dir, 'talk.wav'), model: 'whisper-1' });
      expect(typeof result.text).toBe('string');
      const recs = e.requests.filter((r) => r.path === '/v1/audio/transcriptions');
      expect(recs).toHaveLength(2);
      expect(recs[1]!.file!.byteLength).toBe(wav.length);
      // A one-shot stream is not retried.
      const e2 = await startEmulator({ apiKeys: [KEY], faults: [{ kind: 'status', status: 503, retryAfterSeconds: 0, match: '/v1/audio/transcriptions', times: 1 }] });
      const c2 = new TokenLab({ apiKey: KEY, baseURL: e2.url });
      const err = await c2.audio.transcriptions.create({ file: Readable.from([wav]), model: 'whisper-1' }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ServerError);
      expect(e2.requests.filter((r) => r.path === '/v1/audio/transcriptions')).toHaveLength(1);
      await c2.close();
      await e2.close();
    } finally {
      await c.close();
      await e.close();
    }
  });

  it('abort during processing rejects with AbortError and leaves no connection open', async () => {
    // A server that reads the upload and never answers (exact control over the "processing" stage).
    const server = await startLoopback(() => {});
    const c = new TokenLab({ apiKey: KEY, baseURL: server.url });
    try {
      const ac = new AbortController();
      const seen: string[] = [];
      const p = c.audio.transcriptions.create({
        file: wav,
        model: 'whisper-1',
        signal: ac.signal,
        onProgress: (ev) => {
          seen.push(ev.type);
          if (ev.type === 'processing') setTimeout(() => ac.abort(), 20);
        },
      });
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen.at(-1)).toBe('processing');
      await waitFor(() => server.sockets.size === 0);
    } finally {
      await c.close();
      await server.close();
    }
  });
});

describe('translations.create', () => {
  it('translates with json and text formats', async () => {
    const json = await client.audio.translations.create({ file: wav, model: 'whisper-1' });
    expect(typeof json.text).toBe('string');
    const text = await client.audio.translations.create({ file: wav, responseFormat: 'text' });
    expect(typeof text).toBe('string');
    expect(uploads().at(-1)!.path).toBe('/v1/audio/translations');
  });
});
