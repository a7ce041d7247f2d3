// A plain `ws` realtime client for the emulator's tests: records every server event and waits for types.
import WebSocket from 'ws';
import { vi } from 'vitest';
import { VoiceSynth } from '../../../src/emulator/voice-synth.js';

export interface TestClient {
  ws: WebSocket;
  events: Record<string, any>[];
  /** Resolves with the next event of `type` not yet taken (events already received count). */
  next(type: string, timeoutMs?: number): Promise<Record<string, any>>;
  send(event: Record<string, unknown>): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connectClient(baseUrl: string, options: { model?: string; beta?: boolean; query?: string; key?: string; headers?: Record<string, string> } = {}): Promise<TestClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/realtime?model=${options.model ?? 'gpt-realtime'}${options.query ? `&${options.query}` : ''}`;
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${options.key ?? 'test-key'}`, ...(options.beta ? { 'OpenAI-Beta': 'realtime=v1' } : {}), ...options.headers },
  });
  const events: Record<string, any>[] = [];
  const taken = new Set<number>();
  const waiters: { type: string; resolve: (e: Record<string, any>) => void }[] = [];
  ws.on('message', (data) => {
    let event: Record<string, any>;
    try {
      event = JSON.parse(String(data));
    } catch {
      event = { type: '<malformed>', raw: String(data) };
    }
    events.push(event);
    const i = waiters.findIndex((w) => w.type === event['type']);
    if (i >= 0) {
      taken.add(events.length - 1);
      waiters.splice(i, 1)[0]!.resolve(event);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, headers: res.headers })));
    ws.once('error', reject);
  });
  return {
    ws,
    events,
    closed,
    next(type, timeoutMs = 10_000) {
      const index = events.findIndex((e, i) => e['type'] === type && !taken.has(i));
      if (index >= 0) {
        taken.add(index);
        return Promise.resolve(events[index]!);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms; got ${events.map((e) => e['type']).join(', ')}`)), timeoutMs);
        waiters.push({ type, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    send(event) {
      ws.send(JSON.stringify(event));
    },
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
  };
}

/** Speech-like PCM16 at 24 kHz from the emulator's built-in synthesizer, with silence after it. */
export function speechPcm(text: string, silenceAfterMs = 0, voice = 'echo'): Buffer {
  const synth = new VoiceSynth(text, { voice, sampleRate: 24_000 });
  const samples = new Int16Array(synth.totalSamples + Math.round(silenceAfterMs * 24));
  synth.read(samples.subarray(0, synth.totalSamples));
  return Buffer.from(samples.buffer);
}

/** Sends PCM as appends of `chunkMs` (base64), as a client streaming a microphone would. */
export function appendPcm(client: TestClient, pcm: Buffer, chunkMs = 100, bytesPerMs = 48): void {
  const step = chunkMs * bytesPerMs;
  for (let at = 0; at < pcm.length; at += step) client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(at, at + step).toString('base64') });
}

/**
 * With `vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })` installed: runs the timers due now,
 * letting real socket I/O through between runs, until an event of `type` arrives. With `stepMs` 0 the fake clock
 * does not move, so a timer the server armed on the way is armed at the clock's current time; `stepMs` 1 lets
 * chains of zero-delay timers run (each one armed while timers run is due 1 ms later).
 */
export async function nextOnFakeClock(client: TestClient, type: string, stepMs: 0 | 1 = 0, maxTurns = 100_000): Promise<Record<string, any>> {
  let event: Record<string, any> | undefined;
  // Its own timeout timer is fake too and never reached: maxTurns bounds the wait instead.
  void client.next(type, NEVER_MS).then((e) => (event = e));
  for (let turn = 0; event === undefined; turn++) {
    if (turn === maxTurns) throw new Error(`no ${type} within ${maxTurns} event-loop turns on the fake clock; got ${client.events.map((e) => e['type']).join(', ')}`);
    await new Promise((resolve) => setImmediate(resolve));
    if (event === undefined && turn % 20 === 19) await vi.advanceTimersByTimeAsync(stepMs);
  }
  return event;
}

/** With fake timers installed: returns once the server has handled everything sent before (it answers an unknown event type with an error, in order). */
export async function serverCaughtUp(client: TestClient): Promise<void> {
  client.send({ type: 'tokenlab.test.barrier' });
  const event = await client.next('error', NEVER_MS);
  if (event['error']?.['param'] !== 'type') throw new Error(`expected the barrier's error, got ${JSON.stringify(event)}`);
}

/** The longest timer delay Node accepts: a fake-clock timeout that is never reached. */
const NEVER_MS = 2 ** 31 - 1;
