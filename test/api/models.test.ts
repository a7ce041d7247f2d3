import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { NotFoundError } from '../../src/transports/http-errors.js';
import { realtimeSupportOf, type Model } from '../../src/api/models.js';
import { InputError } from '../../src/core/errors.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

const KEY = 'sk-test-models-0123456789abcdef';
let emu: EmulatorHandle;
let client: TokenLab;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY] });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
});
afterAll(async () => {
  await client.close();
  await emu.close();
});

function model(id: string, tokenlab: Record<string, unknown>): Model {
  return { id, object: 'model', created: 0, owned_by: 'x', tokenlab } as Model;
}

describe('models', () => {
  it('list passes every filter as the API names it and keeps the request id', async () => {
    const list = await client.models.list({ recommendedFor: 'tts', category: 'tts', provider: 'openai', tag: 'streaming' });
    expect(list.object).toBe('list');
    expect(list.requestId).toMatch(/^req_/);
    expect(JSON.stringify(list)).not.toContain('requestId');
    const rec = emu.requests.at(-1)!;
    expect(rec.query).toMatchObject({ recommended_for: 'tts', category: 'tts', provider: 'openai', tag: 'streaming' });
    const compact = await client.models.list({ view: 'compact' });
    expect(compact.view).toBe('compact');
    expect(compact.count).toBe(compact.data.length);
  });

  it('retrieve and pricing', async () => {
    const m = await client.models.retrieve('whisper-1');
    expect(m.id).toBe('whisper-1');
    expect(m.tokenlab).toBeDefined();
    const p = await client.models.pricing('whisper-1');
    expect(typeof p).toBe('object');
  });

  it('an unknown model is a NotFoundError naming the suggestions', async () => {
    const err = (await client.models.retrieve('gpt-4o-mini-tt').catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.suggestions.length).toBeGreaterThan(0);
    expect(err.message).toContain(err.suggestions[0]!);
    expect(err.requestId).toMatch(/^req_/);
    await expect(client.models.retrieve('')).rejects.toBeInstanceOf(InputError);
  });

  it('a model id with "." or ".." segments is refused before any request (it would address another endpoint)', async () => {
    const before = emu.requests.length;
    for (const id of ['..', '../audio/speech', 'openai/../../pricing', './tts-1', 'openai//tts-1']) {
      await expect(client.models.retrieve(id), id).rejects.toBeInstanceOf(InputError);
      await expect(client.models.pricing(id), id).rejects.toBeInstanceOf(InputError);
    }
    expect(emu.requests.length).toBe(before);
  });

  it('supportsRealtime against the emulator catalog', async () => {
    expect(await client.models.supportsRealtime('gpt-realtime')).toBe(true);
    expect(await client.models.supportsRealtime('whisper-1')).toBe(false);
    const why = await client.models.realtimeSupport('tts-1');
    expect(why.supported).toBe(false);
    expect(why.reason).toMatch(/does not support realtime/);
  });

  it('realtime heuristic: endpoint > operation > capability > name-only fallback; retired is never supported', () => {
    expect(realtimeSupportOf(model('a', { request_format_summary: { request_endpoint_by_operation: { speak: '/v1/realtime?model={model}' } } })).basis).toBe('endpoint');
    expect(realtimeSupportOf(model('b', { supported_operations: ['realtime_session'] })).basis).toBe('operation');
    expect(realtimeSupportOf(model('c', { capabilities: ['audio_input', 'realtime'] })).basis).toBe('capability');
    expect(realtimeSupportOf(model('gpt-realtime-x', { capabilities: [] })).basis).toBe('name');
    // Operations listed, none realtime: the name alone does not override the metadata.
    expect(realtimeSupportOf(model('gpt-realtime-y', { supported_operations: ['chat'] })).supported).toBe(false);
    expect(realtimeSupportOf(model('d', { capabilities: ['unrealtimeish', 'surrealtime'] })).supported).toBe(false);
    const retired = realtimeSupportOf(model('gpt-realtime-old', { capabilities: ['realtime'], lifecycle: { stage: 'retired', replacement_model: 'gpt-realtime' } }));
    expect(retired.supported).toBe(false);
    expect(retired.reason).toContain('gpt-realtime');
  });
});
