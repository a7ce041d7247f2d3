// The emulator's responses, validated against TokenLab's OpenAPI document (not against our client).
//
// Spec quirks (docs/spec/tokenlab-openapi.json, v0.6.14), and what the emulator does about them:
// - POST /v1/audio/speech declares audio/mpeg, audio/opus, audio/aac, audio/flac and audio/wav only: no
//   audio/pcm although `pcm` is an accepted response_format, and no text/event-stream although
//   stream_format=sse is accepted. The emulator answers audio/pcm and text/event-stream for those;
//   the tests check every declared type and name these two as the undeclared exceptions.
// - POST /v1/audio/transcriptions declares application/json and text/plain only (no text/vtt, no SSE),
//   its response_format enum lacks OpenAI's diarized_json, and the request schema has no `stream`.
//   The emulator follows OpenAI for those (text/vtt for vtt, SSE for stream=true, diarized_json).
// - 413 of /v1/audio/translations points at the BadRequest (ValidationError) response; transcriptions
//   declare no 413 at all. The emulator uses the same body for both.
// - `x-request-id` and `Retry-After` are not declared; X-RateLimit-* are declared on 429 only. The
//   emulator sends x-request-id on every response and the rate-limit headers on every authenticated one.
// - ApiError.error.param is `type: string` (not nullable): the emulator omits it instead of sending null.
// - Error 404 of the model routes is declared; create routes declare no 404, so an unknown model there
//   is a 400 with type model_not_found (still with did_you_mean and suggestions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { declaredContentTypes, responseErrors } from './openapi-validator.js';

let emu: EmulatorHandle;
const KEY = 'sk-contract';
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin', uploadLimitBytes: 256 * 1024 });
});
afterAll(async () => {
  await emu.close();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; type: string; body: any; headers: Headers }> {
  const res = await fetch(`${emu.origin}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const text = await res.text();
  return { status: res.status, type, body: type === 'application/json' ? JSON.parse(text) : text, headers: res.headers };
}

function speech(body: unknown, extra: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) };
}

function wavOfTone(seconds: number): Buffer {
  const rate = 16000;
  const data = Buffer.alloc(rate * seconds * 2);
  for (let i = 0; i < rate * seconds; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate) * (i > rate / 2 ? 1 : 0)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

function upload(fields: Record<string, string>, file: Buffer = wavOfTone(2)): RequestInit {
  const fd = new FormData();
  fd.set('file', new Blob([file], { type: 'audio/wav' }), 'tone.wav');
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return { method: 'POST', body: fd };
}

describe('emulator responses match the TokenLab OpenAPI schemas', () => {
  it('the validator rejects wrong shapes (so the checks below can fail)', () => {
    expect(responseErrors('/v1/models', 'get', 200, 'application/json', { object: 'list', data: [{ id: 'x', object: 'model', created: 1, owned_by: 'o' }] })).not.toEqual([]);
    expect(responseErrors('/v1/models', 'get', 200, 'application/json', { object: 'list', data: [], extra: 1 })).not.toEqual([]);
    expect(responseErrors('/v1/models/{model}', 'get', 404, 'application/json', { error: { message: 'm', type: 'not_a_type' } })).not.toEqual([]);
    expect(responseErrors('/v1/models/{model}', 'get', 404, 'application/json', { error: { message: 'm', type: 'model_not_found', param: null } })).not.toEqual([]);
    expect(responseErrors('/v1/audio/transcriptions', 'post', 200, 'application/json', { text: 'a', segments: [{ id: 'one' }] })).not.toEqual([]);
    expect(() => responseErrors('/v1/audio/speech', 'post', 200, 'audio/pcm', '')).toThrow(/declares no audio\/pcm/);
  });

  it.each([
    '',
    '?view=full',
    '?view=compact',
    '?recommended_for=tts',
    '?recommended_for=stt&view=compact',
    '?category=audio&view=compact',
    '?provider=openai&tag=streaming',
    '?category=music',
  ])('GET /v1/models%s', async (query) => {
    const r = await call(`/v1/models${query}`);
    expect(r.status).toBe(200);
    expect(responseErrors('/v1/models', 'get', 200, 'application/json', r.body)).toEqual([]);
    if (query.includes('compact')) expect(r.body.view).toBe('compact');
  });

  it('GET /v1/models/{model} for every model in the catalog, and /pricing', async () => {
    const list = await call('/v1/models');
    expect(list.body.data.length).toBeGreaterThan(5);
    for (const { id } of list.body.data) {
      const detail = await call(`/v1/models/${id}`);
      expect(responseErrors('/v1/models/{model}', 'get', 200, 'application/json', detail.body), id).toEqual([]);
      const pricing = await call(`/v1/models/${id}/pricing`);
      expect(responseErrors('/v1/models/{model}/pricing', 'get', 200, 'application/json', pricing.body), id).toEqual([]);
    }
  });

  it('tells realtime models apart through operations, capabilities and endpoints', async () => {
    const detail = await call('/v1/models/gpt-realtime');
    expect(detail.body.tokenlab.supported_operations).toContain('realtime');
    expect(detail.body.tokenlab.capabilities).toContain('realtime');
    expect(detail.body.tokenlab.request_format_summary.request_endpoint_by_operation.realtime).toBe('/v1/realtime');
    const tts = await call('/v1/models/tts-1');
    expect(tts.body.tokenlab.supported_operations).not.toContain('realtime');
  });

  it('404s and 400s on the model routes', async () => {
    const missing = await call('/v1/models/gpt-realtme');
    expect(missing.status).toBe(404);
    expect(responseErrors('/v1/models/{model}', 'get', 404, 'application/json', missing.body)).toEqual([]);
    expect(missing.body.error.did_you_mean).toBe('gpt-realtime');
    const pricing = await call('/v1/models/nope/pricing');
    expect(responseErrors('/v1/models/{model}/pricing', 'get', 404, 'application/json', pricing.body)).toEqual([]);
    const bad = await call('/v1/models?category=spaceships');
    expect(bad.status).toBe(400);
    expect(responseErrors('/v1/models', 'get', 400, 'application/json', bad.body)).toEqual([]);
  });

  it('401 on every route', async () => {
    for (const [route, path, method] of [
      ['/v1/models', '/v1/models', 'get'],
      ['/v1/models/{model}', '/v1/models/tts-1', 'get'],
      ['/v1/realtime', '/v1/realtime', 'get'],
      ['/v1/audio/speech', '/v1/audio/speech', 'post'],
      ['/v1/audio/transcriptions', '/v1/audio/transcriptions', 'post'],
      ['/v1/audio/translations', '/v1/audio/translations', 'post'],
    ] as const) {
      const r = await call(path, { method: method.toUpperCase(), headers: { authorization: 'Bearer wrong' } });
      expect(r.status).toBe(401);
      expect(responseErrors(route, method, 401, 'application/json', r.body), path).toEqual([]);
      expect(r.body.error.type).toBe('invalid_api_key');
    }
  });

  it('GET /v1/pricing', async () => {
    for (const query of ['', '?provider=openai', '?tag=tts']) {
      const r = await call(`/v1/pricing${query}`);
      expect(r.status).toBe(200);
      expect(responseErrors('/v1/pricing', 'get', 200, 'application/json', r.body), query).toEqual([]);
      expect(r.body.data.length).toBeGreaterThan(0);
    }
  });

  it('GET /v1/realtime descriptor', async () => {
    const r = await call('/v1/realtime');
    expect(responseErrors('/v1/realtime', 'get', 200, 'application/json', r.body)).toEqual([]);
  });

  it.each(['mp3', 'opus', 'aac', 'flac', 'wav'])('POST /v1/audio/speech %s answers a declared content type', async (format) => {
    const r = await call('/v1/audio/speech', speech({ input: 'Contract.', response_format: format }));
    expect(r.status).toBe(200);
    expect(declaredContentTypes('/v1/audio/speech', 'post', 200)).toContain(r.type);
  });

  it('POST /v1/audio/speech pcm and sse use the two undeclared content types (spec quirk)', async () => {
    const declared = declaredContentTypes('/v1/audio/speech', 'post', 200);
    const pcm = await call('/v1/audio/speech', speech({ input: 'Contract.', response_format: 'pcm' }));
    expect(pcm.type).toBe('audio/pcm');
    expect(declared).not.toContain('audio/pcm');
    const sse = await call('/v1/audio/speech', speech({ model: 'gpt-4o-mini-tts', input: 'Contract.', stream_format: 'sse' }));
    expect(sse.type).toBe('text/event-stream');
    expect(declared).not.toContain('text/event-stream');
  });

  it('speech errors: 400 validation (ValidationError), 402 and 429 and 500 faults (ApiError)', async () => {
    const invalid = await call('/v1/audio/speech', speech({ input: 'x', speed: 10, extra: true }));
    expect(invalid.status).toBe(400);
    expect(responseErrors('/v1/audio/speech', 'post', 400, 'application/json', invalid.body)).toEqual([]);
    expect(invalid.body.validation_errors.map((v: { field: string }) => v.field).sort()).toEqual(['extra', 'speed']);
    const unknownModel = await call('/v1/audio/speech', speech({ input: 'x', model: 'tts-2' }));
    expect(responseErrors('/v1/audio/speech', 'post', 400, 'application/json', unknownModel.body)).toEqual([]);
    for (const status of [402, 429, 500]) {
      const r = await call('/v1/audio/speech', speech({ input: 'x' }, { 'x-emulator-fault': String(status) }));
      expect(r.status).toBe(status);
      expect(responseErrors('/v1/audio/speech', 'post', status, 'application/json', r.body), String(status)).toEqual([]);
      if (status === 429) {
        for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(Number.isInteger(Number(r.headers.get(h))), h).toBe(true);
      }
    }
  });

  it.each(['json', 'verbose_json'])('POST /v1/audio/transcriptions %s matches AudioTranscriptionResponse', async (format) => {
    const r = await call('/v1/audio/transcriptions', upload({ model: 'whisper-1', response_format: format, 'timestamp_granularities[]': 'word' }));
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(responseErrors('/v1/audio/transcriptions', 'post', 200, 'application/json', r.body)).toEqual([]);
  });

  it.each(['text', 'srt'])('POST /v1/audio/transcriptions %s is text/plain', async (format) => {
    const r = await call('/v1/audio/transcriptions', upload({ model: 'whisper-1', response_format: format }));
    expect(r.type).toBe('text/plain');
    expect(responseErrors('/v1/audio/transcriptions', 'post', 200, 'text/plain', r.body)).toEqual([]);
  });

  it('transcription and translation errors match their declared shapes, 413 included', async () => {
    const invalid = await call('/v1/audio/transcriptions', upload({ response_format: 'json' }));
    expect(invalid.status).toBe(400);
    expect(responseErrors('/v1/audio/transcriptions', 'post', 400, 'application/json', invalid.body)).toEqual([]);
    const translated = await call('/v1/audio/translations', upload({ response_format: 'verbose_json' }));
    expect(responseErrors('/v1/audio/translations', 'post', 200, 'application/json', translated.body)).toEqual([]);
    const tooBig = await call('/v1/audio/translations', upload({}, Buffer.alloc(300 * 1024)));
    expect(tooBig.status).toBe(413);
    expect(responseErrors('/v1/audio/translations', 'post', 413, 'application/json', tooBig.body)).toEqual([]);
  });
});
