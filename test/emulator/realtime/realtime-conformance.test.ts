// Every event the emulator sends over a scripted session validates against the spec's schemas for the
// session's dialect (GA and beta), and so does every client event the script sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { realtimeEventErrors, type Dialect } from '../../api/realtime/realtime-schema-validator.js';
import { appendPcm, connectClient, speechPcm, type TestClient } from './realtime-test-client.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({
    voiceEngine: 'builtin',
    realtime: {
      firstAudioDelayMs: 0,
      paceFactor: Infinity,
      responder: (turn) => (turn.user?.text === 'weather please' ? { text: 'Let me look.', toolCall: { name: 'get_weather', arguments: { city: 'Oslo' } } } : undefined),
    },
  });
});
afterAll(async () => {
  await emulator.close();
});

async function scriptedSession(dialect: Dialect): Promise<{ server: Record<string, any>[]; clientProblems: string[] }> {
  const c: TestClient = await connectClient(emulator.url, { beta: dialect === 'beta' });
  const clientProblems: string[] = [];
  const send = (event: Record<string, unknown>): void => {
    for (const p of realtimeEventErrors(event, 'client', dialect)) clientProblems.push(`${String(event['type'])}: ${p}`);
    c.send(event);
  };
  await c.next('session.created');
  const tool = { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
  send(
    dialect === 'ga'
      ? { type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.', tools: [tool], audio: { input: { transcription: { model: 'whisper-1' }, turn_detection: { type: 'server_vad', silence_duration_ms: 400 } }, output: { voice: 'marin' } } } }
      : { type: 'session.update', session: { instructions: 'Be brief.', tools: [tool], input_audio_transcription: { model: 'whisper-1' }, turn_detection: { type: 'server_vad', silence_duration_ms: 400 }, voice: 'marin' } },
  );
  await c.next('session.updated');
  // A spoken turn under server VAD: speech events, commit, transcription, a response with audio.
  appendPcm(c, speechPcm('good morning, what can you do for me', 900));
  await c.next('input_audio_buffer.speech_stopped');
  await c.next('conversation.item.input_audio_transcription.completed');
  const first = await c.next('response.done');
  const assistant = first.response.output[0];
  // Truncate the reply (as after a barge-in), then errors that keep the socket open.
  send({ type: 'conversation.item.truncate', item_id: assistant.id, content_index: 0, audio_end_ms: 300 });
  await c.next('conversation.item.truncated');
  send({ type: 'conversation.item.truncate', item_id: assistant.id, content_index: 0, audio_end_ms: 5000 });
  send({ type: 'input_audio_buffer.clear' });
  send({ type: 'input_audio_buffer.commit' });
  send({ type: 'response.cancel' });
  await c.next('error');
  await c.next('error');
  await c.next('error');
  // Typed text, a tool call, its output, and a text-only answer.
  send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'weather please' }] } });
  send({ type: 'response.create' });
  const second = await c.next('response.done');
  const call = second.response.output.find((o: any) => o.type === 'function_call');
  expect(call?.name).toBe('get_weather');
  send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"temperature_c":4}' } });
  send({ type: 'response.create', response: dialect === 'ga' ? { output_modalities: ['text'] } : { modalities: ['text'] } });
  const third = await c.next('response.done');
  expect(third.response.status).toBe('completed');
  send({ type: 'conversation.item.retrieve', item_id: call.id });
  await c.next('conversation.item.retrieved');
  send({ type: 'conversation.item.delete', item_id: call.id });
  await c.next('conversation.item.deleted');
  // A response cancelled while it speaks.
  send({ type: 'response.create', response: { instructions: 'Say something long.' } });
  await c.next(dialect === 'ga' ? 'response.output_audio.delta' : 'response.audio.delta');
  send({ type: 'response.cancel' });
  const cancelled = await c.next('response.done');
  expect(cancelled.response.status).toBe('cancelled');
  await c.close();
  return { server: c.events, clientProblems };
}

describe.each(['ga', 'beta'] as const)('emulator realtime conformance (%s)', (dialect) => {
  it('sends only events that validate against the spec, over a scripted session', async () => {
    const { server, clientProblems } = await scriptedSession(dialect);
    const problems = server.flatMap((e) => realtimeEventErrors(e, 'server', dialect).map((p) => `${String(e['type'])}: ${p}`));
    expect(problems).toEqual([]);
    expect(clientProblems).toEqual([]);
    const types = new Set(server.map((e) => e['type']));
    // The session covered the protocol's main families.
    for (const t of ['session.created', 'session.updated', 'input_audio_buffer.speech_started', 'input_audio_buffer.committed', 'response.created', 'rate_limits.updated', 'response.content_part.added', 'response.function_call_arguments.done', 'conversation.item.truncated', 'error', 'response.done']) {
      expect(types.has(t)).toBe(true);
    }
    expect(types.has(dialect === 'ga' ? 'response.output_audio.delta' : 'response.audio.delta')).toBe(true);
    expect(types.has(dialect === 'ga' ? 'response.output_text.delta' : 'response.text.delta')).toBe(true);
    expect(types.has(dialect === 'ga' ? 'conversation.item.added' : 'conversation.item.created')).toBe(true);
    expect(types.has('conversation.item.done')).toBe(dialect === 'ga');
  });
});
