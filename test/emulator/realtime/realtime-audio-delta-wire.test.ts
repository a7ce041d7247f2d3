import { afterAll, beforeAll, expect, it } from 'vitest';
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

it('GA output audio deltas (built as text, not by JSON.stringify) are exactly the JSON of the event, ids and all', async () => {
  const c = await connectClient(emulator.url);
  const raw: string[] = [];
  c.ws.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('{"type":"response.output_audio.delta"')) raw.push(text);
  });
  await c.next('session.created');
  c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
  await c.next('session.updated');
  appendPcm(c, speechPcm('a short question', 200));
  c.send({ type: 'input_audio_buffer.commit' });
  await c.next('input_audio_buffer.committed');
  c.send({ type: 'response.create' });
  const done = await c.next('response.done');
  expect(raw.length).toBeGreaterThan(3);
  const item = done.response.output[0];
  const eventIds = new Set<string>();
  for (const text of raw) {
    const e = JSON.parse(text);
    expect(text).toBe(JSON.stringify(e));
    expect(Object.keys(e)).toEqual(['type', 'response_id', 'item_id', 'output_index', 'content_index', 'delta', 'event_id']);
    expect(e).toMatchObject({ response_id: done.response.id, item_id: item.id, output_index: 0, content_index: 0 });
    expect(e.event_id).toMatch(/^event_/);
    eventIds.add(e.event_id);
    expect(Buffer.from(e.delta, 'base64').toString('base64')).toBe(e.delta);
  }
  expect(eventIds.size).toBe(raw.length);
  await c.close();
});
