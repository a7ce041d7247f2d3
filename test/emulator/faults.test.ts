import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import { parseFaultSpec } from '../../src/emulator/fault-book.js';
import type { EmulatorHandle, EmulatorOptions } from '../../src/emulator/emulator-options.js';

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
async function start(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  emu = await startEmulator({ voiceEngine: 'builtin', ...options });
  return emu;
}
const auth = { authorization: 'Bearer k' };
const speechInit = (fault?: string): RequestInit => ({
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/json', ...(fault ? { 'x-emulator-fault': fault } : {}) },
  body: JSON.stringify({ model: 'gpt-4o-mini-tts', input: 'One two three four five six seven eight nine ten.', response_format: 'pcm' }),
});

describe('fault injection', () => {
  it('parses the per-request syntax', () => {
    expect(parseFaultSpec('latency=20, 429;retry-after=3,reset,bogus')).toEqual({
      faults: [{ kind: 'latency', latencyMs: 20 }, { kind: 'status', status: 429, retryAfterSeconds: 3 }, { kind: 'reset' }],
      unknown: ['bogus'],
    });
  });

  it('answers 429 with Retry-After, retry_after and rate_limit_exceeded per request header', async () => {
    const e = await start();
    const res = await fetch(`${e.url}/models`, { headers: { ...auth, 'x-emulator-fault': '429;retry-after=3' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ type: 'rate_limit_exceeded', retry_after: 3, retryable: true });
    expect(e.requests.at(-1)?.faults).toEqual(['429']);
  });

  it('takes faults from the query string too', async () => {
    const e = await start();
    const res = await fetch(`${e.url}/models?emulator_fault=503`, { headers: auth });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.type).toBe('all_channels_failed');
  });

  it('applies configured faults only to matching paths and only `times` times', async () => {
    const e = await start({ faults: [{ kind: 'status', status: 500, match: '/v1/audio/speech', times: 1 }] });
    expect((await fetch(`${e.url}/models`, { headers: auth })).status).toBe(200);
    const first = await fetch(`${e.url}/audio/speech`, speechInit());
    expect(first.status).toBe(500);
    expect(((await first.json()) as any).error).toMatchObject({ type: 'server_error', retryable: true });
    const second = await fetch(`${e.url}/audio/speech`, speechInit());
    expect(second.status).toBe(200);
    await second.arrayBuffer();
  });

  it('resets the connection mid-body', async () => {
    const e = await start({ speechChunkMs: 20 });
    const res = await fetch(`${e.url}/audio/speech`, speechInit('reset'));
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('resets a JSON body half way', async () => {
    const e = await start();
    const res = await fetch(`${e.url}/models`, { headers: { ...auth, 'x-emulator-fault': 'reset' } });
    await expect(res.text()).rejects.toThrow();
  });

  it('stalls the body: headers and a first chunk, then nothing until the client gives up', async () => {
    const e = await start({ speechChunkMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${e.url}/audio/speech`, { ...speechInit('stall'), signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const next = reader.read().then(() => 'data', () => 'aborted');
    const giveUp = new Promise((r) => setTimeout(r, 300)).then(() => 'timeout');
    expect(await Promise.race([next, giveUp])).toBe('timeout');
    controller.abort();
    expect(await next).toBe('aborted');
  });

  it('sends one malformed SSE event on request', async () => {
    const e = await start();
    const res = await fetch(`${e.url}/audio/speech`, {
      ...speechInit('malformed-sse'),
      body: JSON.stringify({ model: 'gpt-4o-mini-tts', input: 'Hello there, general.', stream_format: 'sse' }),
    });
    const blocks = (await res.text()).split('\n\n').filter(Boolean);
    const bad = blocks.filter((b) => {
      try {
        JSON.parse(b.slice(6));
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toHaveLength(1);
    expect(JSON.parse(blocks.at(-1)!.slice(6)).type).toBe('speech.audio.done');
  });

  it('adds latency (recorded in the request log)', async () => {
    const e = await start({ faults: [{ kind: 'latency', latencyMs: 30 }] });
    const res = await fetch(`${e.url}/models`, { headers: auth });
    expect(res.status).toBe(200);
    expect(e.requests.at(-1)?.faults).toEqual(['latency=30']);
  });

  it('enforces its own per-key rate limit with 429 and Retry-After', async () => {
    const e = await start({ rateLimitPerMinute: 2 });
    await fetch(`${e.url}/models`, { headers: auth }).then((r) => r.arrayBuffer());
    const second = await fetch(`${e.url}/models`, { headers: auth });
    expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
    await second.arrayBuffer();
    const third = await fetch(`${e.url}/models`, { headers: auth });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await third.arrayBuffer();
    // Another key has its own budget.
    expect((await fetch(`${e.url}/models`, { headers: { authorization: 'Bearer other' } })).status).toBe(200);
  });

  it('close() ends stalled responses and resolves', async () => {
    const e = await start();
    const res = await fetch(`${e.url}/audio/speech`, speechInit('stall'));
    const body = res.arrayBuffer().then(() => 'done', () => 'cut');
    await e.close();
    expect(await body).toBe('cut');
  });
});
