import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { connectClient, nextOnFakeClock, serverCaughtUp, type TestClient } from './realtime-test-client.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 0, paceFactor: Infinity, responder: () => ({ text: 'A reply long enough to have several deltas in it.', audioMs: 3000 }) } });
});
afterAll(async () => {
  await emulator.close();
});

async function respond(c: TestClient): Promise<void> {
  await c.next('session.created');
  c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
  c.send({ type: 'response.create' });
}

describe('emulator realtime faults', () => {
  it('close-1011 closes mid-response with code 1011', async () => {
    const c = await connectClient(emulator.url, { query: 'emulator_fault=close-1011' });
    await respond(c);
    const closed = await c.closed;
    expect(closed.code).toBe(1011);
    expect(c.events.filter((e) => e.type === 'response.output_audio.delta').length).toBe(2);
    expect(c.events.some((e) => e.type === 'response.done')).toBe(false);
  });

  it('drop cuts the TCP connection without a close frame (1006)', async () => {
    const c = await connectClient(emulator.url, { headers: { 'x-emulator-fault': 'drop' } });
    await respond(c);
    expect((await c.closed).code).toBe(1006);
  });

  it('malformed-frame and error-event leave the socket open and the response completes', async () => {
    const c = await connectClient(emulator.url, { query: 'emulator_fault=malformed-frame,error-event' });
    await respond(c);
    expect((await c.next('error')).error.type).toBe('server_error');
    expect((await c.next('response.done')).response.status).toBe('completed');
    expect(c.events.some((e) => e.type === '<malformed>')).toBe(true);
    await c.close();
  });

  it('silent: after response.created nothing more arrives, and the socket stays open', async () => {
    const c = await connectClient(emulator.url, { query: 'emulator_fault=silent' });
    await respond(c);
    await c.next('response.created');
    c.send({ type: 'response.cancel' });
    c.ws.ping();
    await new Promise<void>((resolve) => c.ws.once('pong', () => resolve()));
    expect(c.events.at(-1)!.type).toBe('rate_limits.updated');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await c.close();
  });

  it('slow-first-delta holds the first audio back', async () => {
    const c = await connectClient(emulator.url, { query: 'emulator_fault=slow-first-delta=300' });
    // The emulator's timers run on a fake clock; the socket stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      await respond(c);
      const created = await nextOnFakeClock(c, 'response.created');
      expect(created.response.status).toBe('in_progress');
      await nextOnFakeClock(c, 'response.content_part.added');
      // The audio part is open and its first delta held back 300 ms from now (firstAudioDelayMs is 0 here).
      await vi.advanceTimersByTimeAsync(299);
      await serverCaughtUp(c);
      expect(c.events.some((e) => e.type === 'response.output_audio.delta')).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await nextOnFakeClock(c, 'response.output_audio.delta');
    } finally {
      vi.useRealTimers();
    }
    await c.close();
  });

  it('expire: expires_at announces it; at expiry an error event session_expired, then the socket closes', async () => {
    const c = await connectClient(emulator.url, { query: 'emulator_fault=expire=400' });
    const created = await c.next('session.created');
    expect(created.session.expires_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
    expect((await c.next('error')).error.code).toBe('session_expired');
    expect((await c.closed).code).toBe(1000);
  });

  it('refuses upgrades with injected statuses shaped like the API (402, 429 with Retry-After)', async () => {
    await expect(connectClient(emulator.url, { query: 'emulator_fault=402' })).rejects.toMatchObject({ status: 402 });
    await expect(connectClient(emulator.url, { query: 'emulator_fault=429;retry-after=3' })).rejects.toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
  });
});
