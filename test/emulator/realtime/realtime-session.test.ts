import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { appendPcm, connectClient, nextOnFakeClock, serverCaughtUp, speechPcm } from './realtime-test-client.js';

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
    expect(transcript).toMatch(/^I heard \d+\.\d seconds of speech\.$/);
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

describe('emulator realtime errors keep the socket open', () => {
  it('answers bad client events with error events shaped like the API', async () => {
    const c = await connectClient(emulator.url);
    await c.next('session.created');
    const errorFor = async (event: Record<string, unknown> | string): Promise<Record<string, any>> => {
      c.ws.send(typeof event === 'string' ? event : JSON.stringify(event));
      return (await c.next('error')).error;
    };
    expect(await errorFor('{not json')).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(await errorFor({ type: 'no.such.event', event_id: 'evt_1' })).toMatchObject({ code: 'invalid_value', param: 'type', event_id: 'evt_1' });
    expect(await errorFor({ type: 'input_audio_buffer.commit' })).toMatchObject({ code: 'input_audio_buffer_commit_empty' });
    c.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(2400).toString('base64') }); // 50 ms
    expect((await errorFor({ type: 'input_audio_buffer.commit' })).message).toContain('buffer only has 50.00ms of audio');
    expect(await errorFor({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } })).toMatchObject({ code: 'invalid_value', param: 'session.audio.input.format.rate' });
    expect(await errorFor({ type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'nobody' } } } })).toMatchObject({ code: 'invalid_value', param: 'session.audio.output.voice' });
    expect(await errorFor({ type: 'session.update', session: { type: 'realtime', bogus: 1 } })).toMatchObject({ code: 'unknown_parameter', param: 'session.bogus' });
    expect(await errorFor({ type: 'response.cancel' })).toMatchObject({ code: 'response_cancel_not_active' });
    expect(await errorFor({ type: 'conversation.item.delete', item_id: 'item_none' })).toMatchObject({ code: 'item_not_found' });
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
    const user = (await c.next('conversation.item.added')).item;
    expect(await errorFor({ type: 'conversation.item.truncate', item_id: user.id, content_index: 0, audio_end_ms: 0 })).toMatchObject({ code: 'unsupported_content_type' });
    c.send({ type: 'response.create' });
    expect(await errorFor({ type: 'response.create' })).toMatchObject({ code: 'conversation_already_has_active_response' });
    const done = await c.next('response.done');
    const reply = done.response.output[0];
    const audioMs = Math.round(c.events.filter((e) => e.type === 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0) / 48);
    expect((await errorFor({ type: 'conversation.item.truncate', item_id: reply.id, content_index: 0, audio_end_ms: audioMs + 10 })).message).toBe(`Audio content of ${audioMs}ms is already shorter than ${audioMs + 10}ms`);
    expect(await errorFor({ type: 'conversation.item.truncate', item_id: reply.id, content_index: 0, audio_end_ms: -1 })).toMatchObject({ code: 'integer_below_min_value' });
    c.send({ type: 'conversation.item.truncate', item_id: reply.id, content_index: 0, audio_end_ms: audioMs });
    expect((await c.next('conversation.item.truncated')).audio_end_ms).toBe(audioMs);
    expect(await errorFor({ type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'cedar' } } } })).toMatchObject({ code: 'cannot_update_voice' });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    await c.close();
  });

  it('server VAD with interrupt_response cancels a reply when the user speaks (turn_detected)', async () => {
    const slow = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 0, paceFactor: 1, responder: () => ({ text: 'long reply', audioMs: 8000 }) } });
    try {
      const c = await connectClient(slow.url);
      await c.next('session.created');
      c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'talk' }] } });
      c.send({ type: 'response.create' });
      await c.next('response.output_audio.delta');
      appendPcm(c, speechPcm('wait, stop please', 0));
      await c.next('input_audio_buffer.speech_started');
      const done = await c.next('response.done');
      expect(done.response.status).toBe('cancelled');
      expect(done.response.status_details).toEqual({ type: 'cancelled', reason: 'turn_detected' });
      expect(done.response.output[0].status).toBe('incomplete');
      await c.close();
    } finally {
      await slow.close();
    }
  });

  it('output in G.711 µ-law is 8 kHz bytes (8 per ms)', async () => {
    const c = await connectClient(emulator.url);
    await c.next('session.created');
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null }, output: { format: { type: 'audio/pcmu' } } } } });
    await c.next('session.updated');
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    const bytes = c.events.filter((e) => e.type === 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
    expect(done.response.usage.output_token_details.audio_tokens).toBe(Math.ceil(bytes / 8 / 50));
    expect(done.response.audio.output.format).toEqual({ type: 'audio/pcmu' });
    await c.close();
  });
});

describe('semantic_vad approximation', () => {
  it('eagerness sets how long a pause ends the turn: high ends after 600 ms of silence, low does not', async () => {
    const run = async (eagerness: string): Promise<boolean> => {
      const c = await connectClient(emulator.url);
      await c.next('session.created');
      c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'semantic_vad', eagerness, create_response: false } } } } });
      await c.next('session.updated');
      appendPcm(c, speechPcm('a sentence that trails off', 700));
      await c.next('input_audio_buffer.speech_started');
      // One more (silent) append and a round trip: everything the VAD decided has been sent by then.
      c.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(480).toString('base64') });
      c.send({ type: 'conversation.item.retrieve', item_id: 'none' });
      await c.next('error');
      const stopped = c.events.some((e) => e.type === 'input_audio_buffer.speech_stopped');
      await c.close();
      return stopped;
    };
    expect(await run('high')).toBe(true);
    expect(await run('low')).toBe(false);
  });
});

describe('input transcription from the local recognizer', () => {
  it('runs the recognizer on the committed audio (16 kHz WAV) and the reply says what it heard', async () => {
    const recognizer = [process.execPath, '-e', "let n=0;process.stdin.on('data',d=>n+=d.length).on('end',()=>console.log('words of '+(n-44)+' bytes'))"];
    const withRecognizer = await startEmulator({ voiceEngine: 'builtin', recognizerCommand: recognizer, realtime: { firstAudioDelayMs: 0, paceFactor: Infinity } });
    try {
      const c = await connectClient(withRecognizer.url);
      await c.next('session.created');
      c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null } } } });
      await c.next('session.updated');
      appendPcm(c, speechPcm('please transcribe this', 200));
      c.send({ type: 'input_audio_buffer.commit' });
      c.send({ type: 'response.create' });
      const completed = await c.next('conversation.item.input_audio_transcription.completed');
      const bytes = Number(/words of (\d+) bytes/.exec(completed.transcript)?.[1]);
      // All of the committed audio, to the ms (usage.seconds is rounded to ms).
      expect(Math.abs(bytes - completed.usage.seconds * 32_000)).toBeLessThanOrEqual(32);
      expect((await c.next('response.output_audio_transcript.done')).transcript).toBe(`You said: ${completed.transcript}`);
      await c.close();
    } finally {
      await withRecognizer.close();
    }
  });
});

describe('server VAD idle_timeout_ms', () => {
  it('with no speech after the reply has played, the server takes the turn (timeout_triggered, then a response)', async () => {
    const c = await connectClient(emulator.url);
    await c.next('session.created');
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', idle_timeout_ms: 5000 } } } } });
    await c.next('session.updated');
    // The emulator's timers run on a fake clock from here; the socket stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const requestedAt = Date.now();
      c.send({ type: 'response.create', response: { output_modalities: ['text'] } });
      // Its text deltas are paced by zero-delay timers: the clock moves 1 ms per step until the reply is done.
      const first = await nextOnFakeClock(c, 'response.done', 1);
      const doneAt = Date.now();
      expect((await c.next('response.created')).response.id).toBe(first.response.id); // already here, before its done
      // The user stays silent: the mic keeps sending silence.
      c.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 1000).toString('base64') });
      // The idle timer was armed as response.done went out, between requestedAt and doneAt: it is due 5000 ms later.
      await vi.advanceTimersByTimeAsync(requestedAt + 4999 - Date.now());
      await serverCaughtUp(c);
      expect(c.events.some((e) => e.type === 'input_audio_buffer.timeout_triggered')).toBe(false);
      await vi.advanceTimersByTimeAsync(doneAt + 5000 - Date.now());
      const triggered = await nextOnFakeClock(c, 'input_audio_buffer.timeout_triggered');
      expect(doneAt - requestedAt).toBeLessThan(100); // the window above is narrow: a text reply takes a few steps
      expect(triggered.audio_end_ms).toBeGreaterThanOrEqual(triggered.audio_start_ms);
      const next = await nextOnFakeClock(c, 'response.created');
      expect(next.response.id).not.toBe(first.response.id);
    } finally {
      vi.useRealTimers();
    }
    await c.close();
  });
});
