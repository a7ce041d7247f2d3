// The client's requests (as the emulator received them), validated against TokenLab's OpenAPI request
// schemas and parameter declarations: the client is checked against the spec, not against the emulator.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle, EmulatorRequestRecord } from '../../src/emulator/emulator-options.js';
import { queryErrors, requestErrors } from './openapi-validator.js';

let emu: EmulatorHandle;
let client: TokenLab;
let dir: string;
let wavPath: string;

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
  client = new TokenLab({ apiKey: 'sk-contract-client', baseURL: emu.url, maxRetries: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-contract-'));
  const speech = await fetch(`${emu.url}/audio/speech`, {
    method: 'POST',
    headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'A short recording for the contract tests.', response_format: 'wav' }),
  });
  wavPath = path.join(dir, 'recording.wav');
  await writeFile(wavPath, Buffer.from(await speech.arrayBuffer()));
});
afterAll(async () => {
  await client.close();
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

function lastRequest(pathname: string): EmulatorRequestRecord {
  const found = [...emu.requests].reverse().find((r) => r.path === pathname);
  if (!found) throw new Error(`no request to ${pathname}`);
  return found;
}

/** A multipart request as the schema sees it: the text fields plus the file (binary: any string). */
function formBody(r: EmulatorRequestRecord): Record<string, unknown> {
  return { ...r.fields, ...(r.file ? { [r.file.fieldName]: '<binary>' } : {}) };
}

describe("the client's requests match the TokenLab OpenAPI document", () => {
  it('models.list sends only declared query parameters with valid values', async () => {
    const variants = [
      {},
      { view: 'compact' as const },
      { recommendedFor: 'tts' as const, view: 'compact' as const },
      { category: 'stt' as const, provider: 'openai', tag: 'streaming' },
    ];
    for (const params of variants) {
      await client.models.list(params);
      const r = lastRequest('/v1/models');
      expect(r.method).toBe('GET');
      expect(queryErrors('/v1/models', 'get', r.query), JSON.stringify(params)).toEqual([]);
    }
    expect(lastRequest('/v1/models').query).toEqual({ category: 'stt', provider: 'openai', tag: 'streaming' });
  });

  it('models.retrieve and pricing use the declared paths and the Bearer header', async () => {
    await client.models.retrieve('whisper-1');
    expect(lastRequest('/v1/models/whisper-1').headers['authorization']).toBe('Bearer <redacted>');
    await client.models.pricing('tts-1');
    expect(lastRequest('/v1/models/tts-1/pricing').method).toBe('GET');
  });

  it("the client reads realtime support from the catalog's model details", async () => {
    expect(await client.models.supportsRealtime('gpt-realtime')).toBe(true);
    expect(await client.models.supportsRealtime('gpt-realtime-mini')).toBe(true);
    expect(await client.models.supportsRealtime('tts-1')).toBe(false);
    expect(await client.models.supportsRealtime('whisper-1')).toBe(false);
  });

  it.each([
    [{ input: 'Hello.' }],
    [{ input: 'Hello.', model: 'gpt-4o-mini-tts', voice: 'coral', instructions: 'Cheerful.', response_format: 'wav', speed: 1.25 }],
    [{ input: 'Hello.', voice: { id: 'voice_1234' }, response_format: 'pcm' }],
    [{ input: 'Hello.', model: 'gpt-4o-mini-tts', stream_format: 'sse' as const, response_format: 'pcm' }],
    [{ input: 'Hello.', model: 'speech-02-hd', voice_id: 'female-shaonv', response_format: 'flac' }],
  ])('speech.create(%j) sends an AudioSpeechRequest', async (params) => {
    const audio = await client.audio.speech.create(params);
    await audio.buffer();
    const r = lastRequest('/v1/audio/speech');
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(requestErrors('/v1/audio/speech', 'post', 'application/json', r.json)).toEqual([]);
  });

  it('transcriptions.create sends an AudioTranscriptionRequest with a named, typed file part', async () => {
    await client.audio.transcriptions.create({
      file: wavPath,
      model: 'whisper-1',
      language: 'en',
      prompt: 'Contract.',
      temperature: 0.2,
      responseFormat: 'verbose_json',
      timestampGranularities: ['word', 'segment'],
    });
    const r = lastRequest('/v1/audio/transcriptions');
    expect(r.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(requestErrors('/v1/audio/transcriptions', 'post', 'multipart/form-data', formBody(r))).toEqual([]);
    expect(r.file).toMatchObject({ fieldName: 'file', filename: 'recording.wav', contentType: 'audio/wav' });
    expect(r.fields).toMatchObject({ model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'] });
  });

  it('transcriptions.create from a Buffer still sends a filename with an extension and a MIME type', async () => {
    const { readFile } = await import('node:fs/promises');
    await client.audio.transcriptions.create({ file: await readFile(wavPath), model: 'whisper-1' });
    const r = lastRequest('/v1/audio/transcriptions');
    expect(requestErrors('/v1/audio/transcriptions', 'post', 'multipart/form-data', formBody(r))).toEqual([]);
    expect(r.file?.filename).toMatch(/\.wav$/);
    expect(r.file?.contentType).toBe('audio/wav');
  });

  it('translations.create sends the declared translation fields', async () => {
    await client.audio.translations.create({ file: wavPath, prompt: 'English please.', temperature: 0, responseFormat: 'json' });
    const r = lastRequest('/v1/audio/translations');
    expect(requestErrors('/v1/audio/translations', 'post', 'multipart/form-data', formBody(r))).toEqual([]);
  });

  it('the request validator rejects what the spec forbids (so the checks above can fail)', () => {
    expect(requestErrors('/v1/audio/speech', 'post', 'application/json', { input: 'x', bogus: 1 })).not.toEqual([]);
    expect(requestErrors('/v1/audio/speech', 'post', 'application/json', { input: 'x', speed: 9 })).not.toEqual([]);
    expect(requestErrors('/v1/audio/transcriptions', 'post', 'multipart/form-data', { file: '<binary>' })).not.toEqual([]);
    expect(requestErrors('/v1/audio/transcriptions', 'post', 'multipart/form-data', { file: '<binary>', model: 'm', temperature: '3' })).not.toEqual([]);
    expect(queryErrors('/v1/models', 'get', { recommended_for: 'realtime' })).not.toEqual([]);
    expect(queryErrors('/v1/models', 'get', { recommendedFor: 'tts' })).not.toEqual([]);
  });
});
