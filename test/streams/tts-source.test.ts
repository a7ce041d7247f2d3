import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { ServerError } from '../../src/transports/http-errors.js';
import { ttsSource } from '../../src/streams/tts-source.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

const KEY = 'sk-test-tts-0123456789abcdef';
let emu: EmulatorHandle;
let client: TokenLab;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin' });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await emu.close();
});

async function drain(s: AsyncIterable<unknown>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return out;
}

describe('ttsSource', () => {
  it('is a PCM Readable with its format known at once (pcm by default)', async () => {
    const s = ttsSource(client, { input: 'Pipelines need PCM.', voice: 'alloy' });
    expect(s.format).toEqual({ sampleRate: 24000, channels: 1, encoding: 's16le' });
    const chunks = await drain(s);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(10_000);
    for (const c of chunks) expect(c.length % 2).toBe(0);
    expect(s.requestId).toMatch(/^req_/);
    expect((emu.requests.at(-1)!.json as { response_format: string }).response_format).toBe('pcm');
  });

  it('converts to the wanted format (wav response → 48 kHz stereo) in whole frames', async () => {
    const s = ttsSource(client, { input: 'Discord wants stereo.', response_format: 'wav', format: { sampleRate: 48000, channels: 2, encoding: 's16le' } });
    const chunks = await drain(s);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    for (const c of chunks) expect(c.length % 4).toBe(0);
    const plain = await client.audio.speech.create({ input: 'Discord wants stereo.', response_format: 'pcm' });
    const pcmBytes = (await plain.buffer()).length;
    // 24 kHz mono s16 → 48 kHz stereo s16 is four times the bytes (± the resampler's rounding).
    expect(Math.abs(bytes - 4 * pcmBytes)).toBeLessThanOrEqual(16);
  });

  it('request errors arrive on the stream', async () => {
    const s = ttsSource(client, { input: 'x', speed: 9 });
    await expect(drain(s)).rejects.toMatchObject({ code: 'TLA_ERR_INPUT_SPEECH' });
    const e = await startEmulator({ apiKeys: [KEY], faults: [{ kind: 'status', status: 500, match: '/v1/audio/speech' }] });
    const c = new TokenLab({ apiKey: KEY, baseURL: e.url, maxRetries: 0 });
    try {
      await expect(drain(ttsSource(c, { input: 'fail' }))).rejects.toBeInstanceOf(ServerError);
    } finally {
      await c.close();
      await e.close();
    }
  });

  it('destroy() early and an aborted signal end it without leaks', async () => {
    const s = ttsSource(client, { input: 'Stop me right away please.' });
    s.destroy();
    await new Promise((r) => s.once('close', r));
    const ac = new AbortController();
    ac.abort();
    const s2 = ttsSource(client, { input: 'Never starts.' }, { signal: ac.signal });
    await expect(drain(s2)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
