import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { TokenLab } from '../../src/client.js';
import { vadGate } from '../../src/streams/vad-gate.js';
import { bursts, loudnessEngine } from '../core/vad/fake-engine.js';
import { chunked, toS16 } from '../core/vad/synth-speech.js';
import { realtimeDuplex, type RealtimeDuplex, type RealtimeInterruption } from '../../src/streams/realtime-duplex.js';
import { realtimeEventErrors } from '../api/realtime/realtime-schema-validator.js';
import { pcm24kBase64, startScriptedServer, type ScriptedConnection, type ScriptedServer } from '../api/realtime/scripted-realtime-server.js';

let server: ScriptedServer;
let client: TokenLab;
beforeAll(async () => {
  server = await startScriptedServer();
  client = new TokenLab({ apiKey: 'sk-duplex-test-key-0000', baseURL: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const AUDIO_VALUE = 1000;

/** Reads the duplex's output, counting samples of the agent's audio (value AUDIO_VALUE) per frame. */
function reader(duplex: RealtimeDuplex) {
  const state = { audioSamples: 0, frames: 0, framesAfterInterrupt: [] as number[], interrupted: false };
  duplex.on('data', (frame: Buffer) => {
    let n = 0;
    for (let i = 0; i < frame.length; i += 2) if (frame.readInt16LE(i) === AUDIO_VALUE) n++;
    state.frames++;
    if (state.interrupted) state.framesAfterInterrupt.push(n);
    else state.audioSamples += n;
  });
  return state;
}

async function open(options: Parameters<typeof realtimeDuplex>[1] = {}): Promise<{ duplex: RealtimeDuplex; conn: ScriptedConnection }> {
  const duplex = realtimeDuplex(client, { model: 'gpt-realtime', connect: { skipModelCheck: true }, ...options });
  const conn = await server.connection();
  await duplex.ready;
  await conn.next('session.update');
  return { duplex, conn };
}

function startResponse(conn: ScriptedConnection, id: string): void {
  conn.send({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [] } } as any);
}
function delta(conn: ScriptedConnection, responseId: string, itemId: string, ms: number): void {
  conn.send({ type: 'response.output_audio.delta', response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: pcm24kBase64(ms, AUDIO_VALUE) } as any);
}

describe('realtimeDuplex', () => {
  it('configures the session (formats, server VAD, transcription) and sends batched appends, never a commit under server VAD', async () => {
    const { duplex, conn } = await open({ inputFormat: { sampleRate: 48000, channels: 2, encoding: 's16le' }, batchMs: 40 });
    const update = conn.received.find((e) => e.type === 'session.update')!;
    expect(update.session.audio.input).toMatchObject({ format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad' }, transcription: { model: 'whisper-1' } });
    // 1 s of 48 kHz stereo in odd-sized chunks (sample frames split across writes)
    const total = Buffer.alloc(48000 * 4);
    for (let i = 0; i < 48000; i++) {
      const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
      total.writeInt16LE(v, i * 4);
      total.writeInt16LE(v, i * 4 + 2);
    }
    for (let off = 0; off < total.length; off += 1001) duplex.write(total.subarray(off, Math.min(total.length, off + 1001)));
    await new Promise<void>((r) => duplex.write(Buffer.alloc(0), () => r()));
    await new Promise((r) => setTimeout(r, 50));
    const appends = conn.received.filter((e) => e.type === 'input_audio_buffer.append');
    expect(appends.length).toBeGreaterThanOrEqual(23);
    for (const a of appends) expect(Buffer.from(a.audio, 'base64').length).toBe(1920); // 40 ms at 24 kHz mono s16
    expect(conn.received.some((e) => e.type === 'input_audio_buffer.commit')).toBe(false);
    // Every event sent is valid for the dialect, and the appends built as bytes went out as text frames.
    for (const e of conn.received) {
      const { __taken, ...clean } = e as any;
      expect(realtimeEventErrors(clean, 'client', conn.dialect)).toEqual([]);
    }
    expect(conn.binaryFrames).toBe(0);
    duplex.destroy();
  });

  it('barge-in (server speech_started) truncates at exactly what the reader got, stops output at once, sends no cancel under server VAD', async () => {
    const { duplex, conn } = await open({ cushionMs: 40 });
    const out = reader(duplex);
    const interrupted = new Promise<RealtimeInterruption>((r) => duplex.once('interrupted', r));
    startResponse(conn, 'resp_1');
    for (let i = 0; i < 10; i++) delta(conn, 'resp_1', 'item_1', 100);
    await new Promise((r) => setTimeout(r, 300));
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1000, item_id: 'user_2' } as any);
    const info = await interrupted;
    out.interrupted = true;
    const truncate = await conn.next('conversation.item.truncate');
    const heardMs = (out.audioSamples / 24000) * 1000;
    expect(truncate).toMatchObject({ item_id: 'item_1', content_index: 0 });
    expect(Math.abs(truncate.audio_end_ms - heardMs)).toBeLessThanOrEqual(20);
    expect(truncate.audio_end_ms).toBe(info.playedMs);
    expect(info.action).toBe('truncate');
    expect(conn.received.some((e) => e.type === 'response.cancel')).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(out.framesAfterInterrupt.length).toBeGreaterThan(2);
    expect(out.framesAfterInterrupt.every((n) => n === 0)).toBe(true);
    duplex.destroy();
  });

  it('interrupt() when nothing of the item was played deletes it instead of a 0 ms truncate, and cancels the response', async () => {
    const { duplex, conn } = await open({ cushionMs: 500 });
    reader(duplex);
    startResponse(conn, 'resp_2');
    delta(conn, 'resp_2', 'item_2', 100);
    await duplex.session!.waitFor('response.output_audio.delta');
    const info = duplex.interrupt();
    expect(info).toMatchObject({ itemId: 'item_2', playedMs: 0, action: 'delete' });
    await conn.next('conversation.item.delete');
    await conn.next('response.cancel');
    expect(conn.received.some((e) => e.type === 'conversation.item.truncate')).toBe(false);
    duplex.destroy();
  });

  it('interrupts after all audio arrived and the response is done but it is still playing; no truncate once it has all played', async () => {
    const { duplex, conn } = await open({ cushionMs: 20 });
    const out = reader(duplex);
    startResponse(conn, 'resp_3');
    delta(conn, 'resp_3', 'item_3', 400);
    conn.send({ type: 'response.done', response: { id: 'resp_3', object: 'realtime.response', status: 'completed', output: [] } } as any);
    await duplex.session!.waitFor('response.done');
    await new Promise((r) => setTimeout(r, 150));
    const info = duplex.interrupt()!;
    out.interrupted = true;
    expect(info.action).toBe('truncate');
    expect(Math.abs(info.playedMs - (out.audioSamples / 24000) * 1000)).toBeLessThanOrEqual(20);
    expect(info.playedMs).toBeLessThan(400);
    expect(conn.received.some((e) => e.type === 'response.cancel')).toBe(false);
    // A second response that plays out completely: an interrupt afterwards sends nothing.
    startResponse(conn, 'resp_4');
    delta(conn, 'resp_4', 'item_4', 60);
    conn.send({ type: 'response.done', response: { id: 'resp_4', object: 'realtime.response', status: 'completed', output: [] } } as any);
    await duplex.session!.waitFor('response.done');
    await new Promise((r) => setTimeout(r, 200));
    const before = conn.received.length;
    expect(duplex.interrupt()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(conn.received.length).toBe(before);
    duplex.destroy();
  });

  it('randomized barge-ins: audio_end_ms equals what the reader got within one frame, for any chunking and moment', async () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 5; round++) {
      const { duplex, conn } = await open({ cushionMs: Math.floor(rand() * 100) });
      const out = reader(duplex);
      const rid = `resp_r${round}`;
      startResponse(conn, rid);
      const chunks = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < chunks; i++) delta(conn, rid, `item_r${round}`, 10 + Math.floor(rand() * 120));
      if (rand() < 0.4) conn.send({ type: 'response.done', response: { id: rid, object: 'realtime.response', status: 'completed', output: [] } } as any);
      await new Promise((r) => setTimeout(r, 30 + rand() * 300));
      const info = duplex.interrupt();
      out.interrupted = true;
      if (info && info.action === 'truncate') {
        expect(Math.abs(info.playedMs - (out.audioSamples / 24000) * 1000)).toBeLessThanOrEqual(20);
        expect(info.playedMs).toBeLessThanOrEqual(info.receivedMs);
      } else if (info) {
        expect(out.audioSamples).toBeLessThan(24 * 20);
      } else {
        expect(out.audioSamples).toBeGreaterThan(0); // all played: nothing to interrupt
      }
      duplex.destroy();
    }
  });

  it('local turns: commits at the gate-less commitTurn() only with ≥ 100 ms, then asks for a response; under 100 ms clears', async () => {
    const { duplex, conn } = await open({ turnDetection: 'local' });
    const update = conn.received.find((e) => e.type === 'session.update')!;
    expect(update.session.audio.input.turn_detection).toBeNull();
    duplex.write(Buffer.alloc(1200 * 2)); // 50 ms at 24 kHz
    await new Promise((r) => setTimeout(r, 10));
    expect(duplex.commitTurn()).toBe(false);
    await conn.next('input_audio_buffer.clear');
    duplex.write(Buffer.alloc(24000 * 2 * 0.3)); // 300 ms
    await new Promise((r) => setTimeout(r, 10));
    expect(duplex.commitTurn()).toBe(true);
    await conn.next('input_audio_buffer.commit');
    await conn.next('response.create');
    duplex.destroy();
  });

  it('local turns with a piped vadGate: its speech start barges in, its speech end commits (with the pre-roll) and asks for a response', async () => {
    const { duplex, conn } = await open({ turnDetection: 'local', cushionMs: 20 });
    reader(duplex);
    startResponse(conn, 'resp_l');
    delta(conn, 'resp_l', 'item_l', 2000);
    await duplex.session!.waitFor('response.output_audio.delta');
    const interrupted = new Promise<RealtimeInterruption>((r) => duplex.once('interrupted', r));
    const mic = toS16(bursts(16000, 2500, [[600, 1500]]));
    const gate = vadGate({ format: { sampleRate: 16000, channels: 1, encoding: 's16le' }, engine: () => loudnessEngine() });
    Readable.from(chunked(mic, [320, 1000, 77, 4000])).pipe(gate).pipe(duplex);
    const info = await interrupted;
    expect(info.cause).toBe('local-vad');
    expect(['truncate', 'delete']).toContain(info.action);
    await conn.next('response.cancel');
    conn.send({ type: 'response.done', response: { id: 'resp_l', object: 'realtime.response', status: 'cancelled', output: [] } } as any);
    await conn.next('input_audio_buffer.commit');
    await conn.next('response.create'); // sequenced after the cancelled response's response.done
    const appended = conn.received.filter((e) => e.type === 'input_audio_buffer.append').reduce((n, e) => n + Buffer.from(e.audio, 'base64').length, 0);
    expect((appended / 48000) * 1000).toBeGreaterThanOrEqual(900); // the speech (900 ms) and its pre-roll, at 24 kHz
    duplex.destroy();
  });

  it('minInterruptionMs: a short blip pauses the output and resumes it (false interruption), nothing is sent', async () => {
    const { duplex, conn } = await open({ cushionMs: 20, minInterruptionMs: 200, turnDetection: { type: 'server_vad', interrupt_response: false } });
    reader(duplex);
    conn.send({ type: 'session.updated', session: { type: 'realtime', id: 's', object: 'realtime.session', audio: { input: { turn_detection: { type: 'server_vad', interrupt_response: false } } } } } as any);
    startResponse(conn, 'resp_b');
    delta(conn, 'resp_b', 'item_b', 1000);
    await duplex.session!.waitFor('response.output_audio.delta');
    await new Promise((r) => setTimeout(r, 100));
    const falseOne = new Promise<void>((r) => duplex.once('false-interruption', () => r()));
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u' } as any);
    await duplex.session!.waitFor('input_audio_buffer.speech_started');
    const playedAtPause = duplex.pacedOutput.playedMs;
    await new Promise((r) => setTimeout(r, 80));
    expect(duplex.pacedOutput.playedMs - playedAtPause).toBeLessThanOrEqual(20);
    conn.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 80, item_id: 'u' } as any);
    await falseOne;
    await new Promise((r) => setTimeout(r, 100));
    expect(duplex.pacedOutput.playedMs).toBeGreaterThan(playedAtPause + 40);
    expect(conn.received.some((e) => e.type === 'conversation.item.truncate' || e.type === 'response.cancel')).toBe(false);
    duplex.destroy();
  });

  it('transcripts and per-turn metrics come as typed events', async () => {
    const { duplex, conn } = await open({ cushionMs: 20 });
    reader(duplex);
    const transcripts: any[] = [];
    duplex.on('transcript', (t) => transcripts.push(t));
    const metrics = new Promise<any>((r) => duplex.once('turn-metrics', r));
    const sentAt = performance.now();
    conn.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'u1' } as any);
    conn.send({ type: 'input_audio_buffer.committed', item_id: 'u1' } as any);
    conn.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', content_index: 0, transcript: 'hello', usage: { type: 'duration', seconds: 1 } } as any);
    startResponse(conn, 'resp_m');
    delta(conn, 'resp_m', 'item_m', 100);
    conn.send({ type: 'response.output_audio_transcript.done', response_id: 'resp_m', item_id: 'item_m', output_index: 0, content_index: 0, transcript: 'hi there' } as any);
    conn.send({ type: 'response.done', response: { id: 'resp_m', object: 'realtime.response', status: 'completed', output: [] } } as any);
    const m = await metrics;
    const turnMs = performance.now() - sentAt;
    expect(m.responseId).toBe('resp_m');
    // Every step was seen (speech_stopped -> committed -> first delta -> first frame played), in order, inside the turn.
    for (const stepMs of [m.endpointingMs, m.serverMs, m.clientMs]) {
      expect(stepMs).toBeTypeOf('number');
      expect(stepMs).toBeGreaterThanOrEqual(0);
    }
    expect(m.endpointingMs + m.serverMs + m.clientMs).toBeLessThanOrEqual(turnMs);
    expect(m.interrupted).toBe(false);
    expect(transcripts).toEqual([
      { role: 'user', itemId: 'u1', text: 'hello', final: true },
      { role: 'assistant', itemId: 'item_m', text: 'hi there', final: true },
    ]);
    duplex.destroy();
  });

  it('final transcripts come in conversation order: a reply waits for the user turn before it', async () => {
    const { duplex, conn } = await open();
    const finals: string[] = [];
    duplex.on('transcript', (t) => t.final && finals.push(`${t.role}:${t.text}`));
    conn.send({ type: 'session.updated', session: { type: 'realtime', id: 's', object: 'realtime.session', audio: { input: { transcription: { model: 'whisper-1' } } } } } as any);
    conn.send({ type: 'input_audio_buffer.committed', item_id: 'u7' } as any);
    conn.send({ type: 'response.output_audio_transcript.done', response_id: 'r7', item_id: 'a7', output_index: 0, content_index: 0, transcript: 'reply' } as any);
    await duplex.session!.waitFor('response.output_audio_transcript.done');
    expect(finals).toEqual([]);
    conn.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u7', content_index: 0, transcript: 'question', usage: { type: 'duration', seconds: 1 } } as any);
    await duplex.session!.waitFor('conversation.item.input_audio_transcription.completed');
    expect(finals).toEqual(['user:question', 'assistant:reply']);
    duplex.destroy();
  });

  it('send backpressure: a congested socket holds the writer (block) or drops the oldest unsent audio, counted (drop-oldest)', async () => {
    for (const policy of ['block', 'drop-oldest'] as const) {
      const { duplex, conn } = await open({ sendPolicy: policy, maxBufferedBytes: 64 * 1024, maxQueuedInputMs: 1000 });
      (conn.socket as any)._socket.pause(); // the server stops reading: the client's socket buffer fills
      const second = Buffer.alloc(48000); // 1 s of 24 kHz mono s16
      let completed = 0;
      let written = 0;
      for (let i = 0; i < 400; i++) {
        written++;
        duplex.write(second, () => completed++);
        await new Promise((r) => setImmediate(r));
        if (completed < written - 2) break; // the writer is being held
      }
      const session = duplex.session!;
      if (policy === 'block') {
        expect(completed).toBeLessThan(written);
        expect(session.bufferedAmount).toBeGreaterThan(64 * 1024);
        expect(duplex.droppedInputMs).toBe(0);
        (conn.socket as any)._socket.resume();
        await new Promise<void>((r) => duplex.write(Buffer.alloc(0), () => r()));
        expect(completed).toBe(written);
      } else {
        expect(completed).toBeGreaterThanOrEqual(written - 1);
        expect(duplex.droppedInputMs).toBeGreaterThan(0);
        (conn.socket as any)._socket.resume();
      }
      duplex.destroy();
    }
  });

  it('a session closed by the server with an error destroys the duplex with a typed error', async () => {
    const { duplex, conn } = await open();
    duplex.resume();
    const err = new Promise<Error>((r) => duplex.once('error', r));
    conn.socket.close(1011, 'boom');
    const e = await err;
    expect((e as any).code).toBe('TLA_ERR_REALTIME_CLOSED');
    expect(e.message).toMatch(/1011 boom/);
  });
});
