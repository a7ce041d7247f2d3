// The official openai SDK v6 realtime client (OpenAIRealtimeWS) holds a turn against the emulator. The SDK
// always builds a wss:// URL; over plain TCP on loopback it takes the `ws` client option `createConnection`
// (an http.request option, which `ws` documents as accepted) to open a non-TLS socket.
import net from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { speechPcm } from './realtime-test-client.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ voiceEngine: 'builtin', apiKeys: ['sdk-key'], realtime: { firstAudioDelayMs: 0, paceFactor: Infinity } });
});
afterAll(async () => {
  await emulator.close();
});

describe('openai SDK realtime interop', () => {
  it('OpenAIRealtimeWS opens a session, sends audio, and receives a spoken answer', async () => {
    const client = new OpenAI({ apiKey: 'sdk-key', baseURL: emulator.url });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { createConnection: (opts: net.NetConnectOpts) => net.connect(opts) } as never }, client);
    const errors: unknown[] = [];
    rt.on('error', (e) => errors.push(e));
    const seen: string[] = [];
    const done = new Promise<any>((resolve) => rt.on('response.done', resolve));
    let audioBytes = 0;
    rt.on('response.output_audio.delta', (e) => (audioBytes += Buffer.from(e.delta, 'base64').length));
    rt.on('event', (e) => seen.push(e.type));
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    const pcm = speechPcm('testing the sdk against the emulator', 200);
    for (let at = 0; at < pcm.length; at += 4800) rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(at, at + 4800).toString('base64') });
    rt.send({ type: 'input_audio_buffer.commit' });
    rt.send({ type: 'response.create' });
    const event = await done;
    expect(event.response.status).toBe('completed');
    expect(audioBytes).toBeGreaterThan(24_000);
    expect(seen[0]).toBe('session.created');
    expect(seen).toContain('input_audio_buffer.committed');
    expect(errors).toEqual([]);
    rt.close();
  });

  it('the SDK sees a refused upgrade (wrong key) as an error, not a hang', async () => {
    const client = new OpenAI({ apiKey: 'wrong-key', baseURL: emulator.url });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { createConnection: (opts: net.NetConnectOpts) => net.connect(opts) } as never }, client);
    const error = await new Promise<Error>((resolve) => rt.on('error', resolve));
    expect(error.message).toMatch(/401/);
  });
});
