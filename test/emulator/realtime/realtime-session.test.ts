import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { appendPcm, connectClient, speechPcm } from './realtime-test-client.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 0, paceFactor: Infinity } });
});
afterAll(async () => {
  await emulator.close();
});

describe('emulator realtime session (GA)', () => {
  it('opens with session.created and answers a committed turn with paced audio and its transcript', async () => {
    const c = await connectClient(emulator.url);
    const created = await c.next('session.created');
    expect(created.session).toMatchObject({ type: 'realtime', object: 'realtime.session', model: 'gpt-realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } });
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    const updated = await c.next('session.updated');
    expect(updated.session.audio.input.turn_detection).toBeNull();
    appendPcm(c, speechPcm('hello there, how are you today', 300));
    c.send({ type: 'input_audio_buffer.commit' });
    const committed = await c.next('input_audio_buffer.committed');
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    expect(done.response.status).toBe('completed');
    const deltas = c.events.filter((e) => e.type === 'response.output_audio.delta');
    expect(deltas.length).toBeGreaterThan(3);
    const bytes = deltas.reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
    expect(bytes % 2).toBe(0);
    const transcript = (await c.next('response.output_audio_transcript.done')).transcript as string;
    expect(transcript).toMatch(/I heard \d+\.\d seconds of speech/);
    expect(done.response.usage.output_token_details.audio_tokens).toBe(Math.ceil(bytes / 48 / 50));
    expect(committed.item_id).toMatch(/^item_/);
    await c.close();
  });

  it('detects turns with server VAD: speech_started, speech_stopped, committed, then a response', async () => {
    const c = await connectClient(emulator.url);
    await c.next('session.created');
    appendPcm(c, speechPcm('one two three four five six', 1200));
    const started = await c.next('input_audio_buffer.speech_started');
    const stopped = await c.next('input_audio_buffer.speech_stopped');
    expect(stopped.audio_end_ms).toBeGreaterThan(started.audio_start_ms);
    expect(stopped.item_id).toBe(started.item_id);
    const committed = await c.next('input_audio_buffer.committed');
    expect(committed.item_id).toBe(started.item_id);
    const done = await c.next('response.done');
    expect(done.response.status).toBe('completed');
    await c.close();
  });
});
