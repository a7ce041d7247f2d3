import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

let emu: EmulatorHandle;
const headers = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin', speechChunkMs: 50 });
});
afterAll(async () => {
  await emu.close();
});

function speak(body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.url}/audio/speech`, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
}

async function chunksOf(res: Response): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.push(Buffer.from(chunk));
  return out;
}

const TEXT = 'Hello there. This is the emulator speaking, with a few words.';

describe('POST /v1/audio/speech', () => {
  it('answers pcm as raw 24 kHz s16le, streamed in several chunks', async () => {
    const res = await speak({ model: 'tts-1', input: TEXT, voice: 'alloy', response_format: 'pcm' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/pcm');
    const chunks = await chunksOf(res);
    const pcm = Buffer.concat(chunks);
    expect(chunks.length).toBeGreaterThan(3);
    expect(pcm.length % 2).toBe(0);
    // A couple of seconds of audio for this sentence, and not silence.
    expect(pcm.length / 2 / 24000).toBeGreaterThan(1.5);
    let peak = 0;
    for (let i = 0; i < pcm.length; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
    expect(peak).toBeGreaterThan(3000);
  });

  it('answers wav with a header whose sizes match the data', async () => {
    const res = await speak({ input: TEXT, response_format: 'wav' });
    const wav = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(24000);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  });

  it.each([
    ['mp3', 'audio/mpeg', (b: Buffer) => b.toString('latin1', 0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)],
    ['opus', 'audio/opus', (b: Buffer) => b.toString('ascii', 0, 4) === 'OggS' && b.includes(Buffer.from('OpusHead'))],
    ['aac', 'audio/aac', (b: Buffer) => b[0] === 0xff && (b[1]! & 0xf6) === 0xf0],
    ['flac', 'audio/flac', (b: Buffer) => b.toString('ascii', 0, 4) === 'fLaC'],
  ])('answers %s with its content type and container', async (format, type, looksRight) => {
    const res = await speak({ input: 'Short test.', response_format: format });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(500);
    expect(looksRight(bytes)).toBe(true);
  });

  it('streams SSE deltas with base64 audio, then done with usage', async () => {
    const res = await speak({ model: 'gpt-4o-mini-tts', input: TEXT, response_format: 'pcm', stream_format: 'sse' });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean).map((block) => JSON.parse(block.replace(/^data: /, '')));
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    expect(deltas.length).toBeGreaterThan(3);
    const pcm = Buffer.concat(deltas.map((d) => Buffer.from(d.audio, 'base64')));
    expect(pcm.length / 2 / 24000).toBeGreaterThan(1.5);
    const done = events.at(-1);
    expect(done.type).toBe('speech.audio.done');
    expect(done.usage.total_tokens).toBe(done.usage.input_tokens + done.usage.output_tokens);
  });

  it('gives different voices different sound and the same request the same bytes', async () => {
    const get = async (voice: string) => Buffer.from(await (await speak({ input: 'Same words.', voice, response_format: 'pcm' })).arrayBuffer());
    const a1 = await get('alloy');
    const a2 = await get('alloy');
    const onyx = await get('onyx');
    const custom = await get({ id: 'voice_1234' } as unknown as string);
    expect(a1.equals(a2)).toBe(true);
    expect(a1.equals(onyx)).toBe(false);
    expect(custom.equals(a1)).toBe(false);
  });

  it.each([
    [{ input: 'x', voice: 'alloy', foo: 1 }, 'foo', 'unrecognized_field'],
    [{ voice: 'alloy' }, 'input', 'required'],
    [{ input: 'x'.repeat(4097) }, 'input', 'string_too_long'],
    [{ input: 'x', speed: 4.5 }, 'speed', 'out_of_range'],
    [{ input: 'x', speed: 0.2 }, 'speed', 'out_of_range'],
    [{ input: 'x', voice: { id: 'v', extra: 1 } }, 'voice', 'invalid_type'],
    [{ input: 'x', voice: 7 }, 'voice', 'invalid_type'],
    [{ input: 'x', instructions: 'y'.repeat(2001) }, 'instructions', 'string_too_long'],
    [{ input: 'x', temperature: 3 }, 'temperature', 'out_of_range'],
    [{ input: 'x', response_format: 'ogg' }, 'response_format', 'unsupported_value'],
    [{ input: 'x', model: 'tts-1', stream_format: 'sse' }, 'stream_format', 'unsupported_value'],
    [{ input: 'x', stream_format: 'chunks' }, 'stream_format', 'invalid_enum_value'],
  ])('rejects an invalid body (#%#) with 400 naming the field', async (body, field, code) => {
    const res = await speak(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as any;
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.param).toBe(field);
    expect(json.validation_errors[0]).toMatchObject({ field, code });
    expect(res.headers.get('x-request-id')).toBe(json.error.request_id);
  });

  it('accepts exactly 4096 characters', async () => {
    const res = await speak({ input: 'a b. '.repeat(1000).slice(0, 4096), response_format: 'pcm', speed: 4 });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('suggests models for an unknown model and refuses a non-speech model', async () => {
    const unknown = await speak({ input: 'x', model: 'tts1' });
    expect(unknown.status).toBe(400);
    const u = (await unknown.json()) as any;
    expect(u.error.type).toBe('model_not_found');
    expect(u.error.did_you_mean).toBe('tts-1');
    const wrong = await speak({ input: 'x', model: 'whisper-1' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error.supported_operations).toEqual(['transcription', 'translation']);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await fetch(`${emu.url}/audio/speech`, { method: 'POST', headers, body: '{"input": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('invalid_json');
    const wrongType = await fetch(`${emu.url}/audio/speech`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'text/plain' }, body: 'hi' });
    expect(wrongType.status).toBe(400);
  });

  it('records the JSON body of each request for tests', async () => {
    await (await speak({ input: 'Logged.', voice: 'sage', response_format: 'pcm' })).arrayBuffer();
    expect(emu.requests.at(-1)?.json).toEqual({ input: 'Logged.', voice: 'sage', response_format: 'pcm' });
  });
});

describe('JSON body limit', () => {
  it('answers 413 for a JSON body over the limit', async () => {
    const small = await startEmulator({ jsonLimitBytes: 1000 });
    try {
      const res = await fetch(`${small.url}/audio/speech`, { method: 'POST', headers, body: JSON.stringify({ input: 'x'.repeat(300_000) }) });
      expect(res.status).toBe(413);
      expect(((await res.json()) as any).error.code).toBe('request_too_large');
    } finally {
      await small.close();
    }
  });
});

describe('chunking', () => {
  it('streams pcm in pieces of speechChunkMs', async () => {
    const chunky = await startEmulator({ voiceEngine: 'builtin', speechChunkMs: 20 });
    try {
      const res = await fetch(`${chunky.url}/audio/speech`, { method: 'POST', headers, body: JSON.stringify({ input: 'Twenty millisecond pieces.', response_format: 'pcm', model: 'gpt-4o-mini-tts', stream_format: 'sse' }) });
      const events = (await res.text()).split('\n\n').filter(Boolean).map((b) => JSON.parse(b.slice(6)));
      const sizes = events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio, 'base64').length);
      expect(Math.max(...sizes)).toBe(960);
      expect(sizes.every((n) => n % 2 === 0)).toBe(true);
    } finally {
      await chunky.close();
    }
  });
});
