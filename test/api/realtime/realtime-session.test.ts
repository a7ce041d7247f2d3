import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { RealtimeEventError, RealtimeModelError, RealtimeServerError } from '../../../src/api/realtime/realtime-errors.js';
import type { RealtimeCloseInfo } from '../../../src/api/realtime/realtime-session.js';
import { AuthenticationError, InsufficientBalanceError, NotFoundError, RateLimitError, TimeoutError } from '../../../src/transports/http-errors.js';
import { realtimeEventErrors } from './realtime-schema-validator.js';
import { pcm24kBase64, startScriptedServer, type ScriptedServer } from './scripted-realtime-server.js';

let server: ScriptedServer;
let client: TokenLab;

beforeAll(async () => {
  server = await startScriptedServer({ apiKeys: ['sk-test-realtime-key-1234'] });
  client = new TokenLab({ apiKey: 'sk-test-realtime-key-1234', baseURL: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

function response(id: string, status = 'completed', usage?: object) {
  return { id, object: 'realtime.response', status, output: [], ...(usage ? { usage } : {}) };
}

describe('client.realtime.connect', () => {
  it('refuses a model the catalog says is not realtime, naming realtime models, before any socket', async () => {
    const err = await client.realtime.connect({ model: 'tts-1' }).catch((e) => e);
    expect(err).toBeInstanceOf(RealtimeModelError);
    expect(err.code).toBe('TLA_ERR_REALTIME_MODEL');
    expect(err.realtimeModels).toContain('gpt-realtime');
    expect(err.message).toMatch(/gpt-realtime/);
    expect(server.emulator.requests.some((r: any) => r.path === '/v1/realtime')).toBe(false);
  });

  it('an unknown model is a NotFoundError with suggestions', async () => {
    const err = await client.realtime.connect({ model: 'gpt-realtme' }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it('a wrong key on the upgrade is an AuthenticationError with the request id, key redacted', async () => {
    const bad = new TokenLab({ apiKey: 'sk-wrong-key-999999', baseURL: server.url, maxRetries: 0 });
    const err = await bad.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true }).catch((e) => e);
    await bad.close();
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.requestId).toMatch(/./);
    expect(err.message).not.toContain('sk-wrong-key-999999');
  });

  describe('upgrade refusals of a gateway', () => {
    let http: Server;
    let base: string;
    let hangSockets: any[] = [];
    beforeAll(async () => {
      http = createServer();
      http.on('upgrade', (req, socket) => {
        const model = new URL(req.url!, 'http://x').searchParams.get('model');
        if (model === 'hang') {
          hangSockets.push(socket);
          return;
        }
        const status = model === 'broke' ? 402 : model === 'busy' ? 429 : 503;
        const body = JSON.stringify({ error: { message: status === 402 ? 'Insufficient balance' : 'Slow down', type: status === 402 ? 'insufficient_balance' : 'rate_limit_exceeded', balance_usd: 0 } });
        socket.end(`HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\nx-request-id: req_up_${status}\r\n${status === 429 ? 'retry-after: 7\r\n' : ''}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`;
    });
    afterAll(async () => {
      for (const s of hangSockets) s.destroy();
      await new Promise((r) => http.close(r));
    });

    it('402 → InsufficientBalanceError, 429 → RateLimitError with retryAfterMs, request ids kept', async () => {
      const c = new TokenLab({ apiKey: 'sk-abcdefgh12345678', baseURL: base });
      const e402 = await c.realtime.connect({ model: 'broke', skipModelCheck: true }).catch((e) => e);
      expect(e402).toBeInstanceOf(InsufficientBalanceError);
      expect(e402.requestId).toBe('req_up_402');
      const e429 = await c.realtime.connect({ model: 'busy', skipModelCheck: true }).catch((e) => e);
      expect(e429).toBeInstanceOf(RateLimitError);
      expect(e429.retryAfterMs).toBe(7000);
      await c.close();
    });

    it('a handshake that never completes → TimeoutError', async () => {
      const c = new TokenLab({ apiKey: 'sk-abcdefgh12345678', baseURL: base });
      const err = await c.realtime.connect({ model: 'hang', skipModelCheck: true, handshakeTimeoutMs: 200 }).catch((e) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      await c.close();
    });
  });
});

describe('RealtimeSession', () => {
  it('GA: typed send and on; events validate against the spec; usage per turn and session', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', session: { instructions: 'Be brief.', audio: { input: { turn_detection: null } } } });
    const conn = await server.connection();
    expect(conn.dialect).toBe('ga');
    expect(conn.headers.authorization).toBe('Bearer sk-test-realtime-key-1234');
    const update = await conn.next('session.update');
    expect(update.session).toEqual({ type: 'realtime', instructions: 'Be brief.', audio: { input: { turn_detection: null } } });
    session.appendAudio(pcm24kBase64(100));
    session.send({ type: 'input_audio_buffer.commit' });
    session.createResponse();
    await conn.next('response.create');
    const usages: number[] = [];
    session.on('usage', (turn, totals) => usages.push(turn.usage.total_tokens ?? 0, totals.totalTokens));
    const deltas: string[] = [];
    session.on('response.output_audio.delta', (e) => deltas.push(e.delta));
    conn.send({ type: 'response.created', response: response('resp_1', 'in_progress') } as any);
    conn.send({ type: 'response.output_audio.delta', response_id: 'resp_1', item_id: 'it_1', output_index: 0, content_index: 0, delta: pcm24kBase64(20) } as any);
    conn.send({ type: 'response.done', response: response('resp_1', 'completed', { total_tokens: 42, input_tokens: 10, output_tokens: 32 }) } as any);
    await session.waitFor('response.done');
    expect(deltas).toHaveLength(1);
    expect(usages).toEqual([42, 42]);
    expect(session.usageTotals.outputTokens).toBe(32);
    for (const e of conn.received) {
      const { __taken, ...clean } = e as any;
      expect(realtimeEventErrors(clean, 'client', 'ga')).toEqual([]);
    }
    const info = await session.close();
    expect(info).toMatchObject({ code: 1000, initiatedBy: 'client', responseInterrupted: false, error: undefined });
  });

  it('appendAudioBytes: the append goes out as a text frame, valid in both dialects, carrying the bytes', async () => {
    for (const dialect of ['ga', 'beta'] as const) {
      const session = await client.realtime.connect({ model: 'gpt-realtime', dialect, skipModelCheck: true });
      const conn = await server.connection();
      const audio = Buffer.from(Array.from({ length: 4801 }, (_, i) => (i * 37) & 255));
      session.appendAudioBytes(audio, 1, 4800);
      session.appendAudioBytes(audio, 0, 10);
      const a = await conn.next('input_audio_buffer.append');
      const b = await conn.next('input_audio_buffer.append');
      expect(Buffer.from(a.audio, 'base64').equals(audio.subarray(1))).toBe(true);
      expect(Buffer.from(b.audio, 'base64').equals(audio.subarray(0, 10))).toBe(true);
      for (const e of [a, b]) {
        const { __taken, ...clean } = e as any;
        expect(realtimeEventErrors(clean, 'client', dialect)).toEqual([]);
      }
      expect(conn.binaryFrames).toBe(0);
      expect(() => session.appendAudioBytes(audio, 0, 0)).toThrow(RealtimeEventError);
      await session.close();
      expect(() => session.appendAudioBytes(audio)).toThrow(/closed/);
    }
  });

  it('appendAudioBytes: appends sent faster than the socket writes (ws sends our own bytes, no copy) all arrive intact, in order', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const audio = Buffer.alloc(5 * 24000 * 2); // 5 s per append: 320 KiB messages, 12.5 MiB in one burst outrun the socket
    const N = 40;
    let backedUp = 0;
    for (let i = 0; i < N; i++) {
      audio.fill(i + 1);
      session.appendAudioBytes(audio);
      if (session.bufferedAmount > 0) backedUp++;
    }
    expect(backedUp).toBeGreaterThan(0); // the case where the socket holds a message when the next is built
    for (let i = 0; i < N; i++) {
      const e = await conn.next('input_audio_buffer.append');
      const got = Buffer.from(e.audio, 'base64');
      expect(got.length).toBe(audio.length);
      expect(got.every((b) => b === i + 1)).toBe(true);
    }
    await session.close();
  });

  it('the audio sink gets every delta: read from the bytes when nobody listens for the event, parsed when someone does', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const got: Array<{ item: string; audio: string; fromBytes: boolean }> = [];
    session.setOutputAudioSink((d) => {
      got.push({ item: d.itemId, audio: d.text ?? d.bytes.toString('latin1', d.deltaStart, d.deltaEnd), fromBytes: d.text === undefined });
    });
    const first = pcm24kBase64(20);
    conn.send({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'it_1', output_index: 0, content_index: 0, delta: first } as any);
    await new Promise((r) => setTimeout(r, 50));
    const seen: string[] = [];
    session.on('response.output_audio.delta', (e) => seen.push(e.delta));
    conn.send({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'it_2', output_index: 0, content_index: 0, delta: 'AAAA' } as any);
    await session.waitFor('response.output_audio.delta');
    expect(got).toEqual([
      { item: 'it_1', audio: first, fromBytes: true },
      { item: 'it_2', audio: 'AAAA', fromBytes: false },
    ]);
    expect(seen).toEqual(['AAAA']);
    await session.close();
  });

  it('beta: the wire speaks beta both ways, the app sees GA', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', dialect: 'beta', skipModelCheck: true, session: { audio: { input: { format: { type: 'audio/pcmu' } } } } });
    const conn = await server.connection();
    expect(conn.dialect).toBe('beta');
    expect(conn.headers['openai-beta']).toBe('realtime=v1');
    const update = await conn.next('session.update');
    expect(update.session).toEqual({ input_audio_format: 'g711_ulaw' });
    const created = await new Promise<any>((resolve) => {
      if (session.session) resolve(session.session);
      else session.once('session.created', (e) => resolve(e.session));
    });
    expect(created.type).toBe('realtime');
    const got = session.waitFor('response.output_audio.delta');
    conn.send({ type: 'response.output_audio.delta', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: 'AAAA' } as any);
    expect(conn.socket).toBeTruthy();
    expect((await got).type).toBe('response.output_audio.delta');
    for (const e of conn.received) {
      const { __taken, ...clean } = e as any;
      expect(realtimeEventErrors(clean, 'client', 'beta')).toEqual([]);
    }
    await session.close();
  });

  it('an invalid event throws RealtimeEventError and sends nothing', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const before = conn.received.length;
    expect(() => session.send({ type: 'conversation.item.truncate', item_id: 'x', content_index: 0, audio_end_ms: -5 })).toThrow(RealtimeEventError);
    expect(() => session.updateSession({ audio: { input: { format: { type: 'audio/pcm', rate: 16000 as 24000 } } } })).toThrow(/24000/);
    expect(() => session.send({ type: 'nonsense' } as any)).toThrow(/not a client event/);
    await session.close();
    expect(conn.received.length).toBe(before);
  });

  it('sequences creates and a cancel before response.created; server errors are reported, not fatal', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const errors: RealtimeServerError[] = [];
    session.on('server-error', (e) => errors.push(e));
    session.createResponse();
    session.createResponse({ instructions: 'second' });
    const first = await conn.next('response.create');
    expect(session.responseState).toBe('creating');
    expect(session.cancelResponse()).toBe(true); // before response.created
    conn.send({ type: 'response.created', response: response('resp_a', 'in_progress') } as any);
    const cancel = await conn.next('response.cancel');
    expect(cancel.response_id).toBe('resp_a');
    expect(conn.received.filter((e) => e.type === 'response.create')).toHaveLength(1); // the queued one was dropped by cancel
    conn.send({ type: 'response.done', response: response('resp_a', 'cancelled') } as any);
    await session.waitFor('response.done');
    expect(session.responseState).toBe('idle');
    expect(first.event_id).toMatch(/./);
    // Two creates in a row: the second waits for response.done.
    session.createResponse();
    session.createResponse();
    await conn.next('response.create');
    conn.send({ type: 'response.created', response: response('resp_b', 'in_progress') } as any);
    conn.send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Bad thing', param: null } } as any);
    await session.waitFor('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('TLA_ERR_REALTIME_SERVER_EVENT');
    expect(conn.received.filter((e) => e.type === 'response.create')).toHaveLength(2);
    conn.send({ type: 'response.done', response: response('resp_b') } as any);
    await conn.next('response.create');
    expect(conn.received.filter((e) => e.type === 'response.create')).toHaveLength(3);
    expect(session.closed).toBe(false);
    await session.close();
  });

  it('a create that meets a response the server started itself is asked again after it, without an error for the app', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const errors: unknown[] = [];
    session.on('server-error', (e) => errors.push(e));
    session.createResponse({ instructions: 'mine' });
    const mine = await conn.next('response.create');
    conn.send({ type: 'response.created', response: response('resp_vad', 'in_progress') } as any);
    conn.send({ type: 'error', error: { type: 'invalid_request_error', code: 'conversation_already_has_active_response', message: 'busy', param: null, event_id: mine.event_id } } as any);
    conn.send({ type: 'response.done', response: response('resp_vad') } as any);
    const again = await conn.next('response.create');
    expect(again.response).toEqual({ instructions: 'mine' });
    expect(errors).toEqual([]);
    await session.close();
  });

  it('malformed frames and unknown types are warnings; the session goes on', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    const warnings: string[] = [];
    session.on('warning', (w) => warnings.push(w.message));
    conn.socket.send('{not json');
    conn.socket.send(JSON.stringify({ type: 'future.thing', event_id: 'x' }));
    conn.socket.send(JSON.stringify({ type: 'future.thing', event_id: 'y' }));
    conn.send({ type: 'input_audio_buffer.cleared' } as any);
    await session.waitFor('input_audio_buffer.cleared');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/not JSON/);
    expect(warnings[1]).toMatch(/unknown type "future.thing"/);
    expect(session.malformedFrames).toBe(1);
    await session.close();
  });

  it('a silent server while a response is expected closes with a typed timeout', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true, silentServerTimeoutMs: 150 });
    const conn = await server.connection();
    session.createResponse();
    await conn.next('response.create');
    const info: RealtimeCloseInfo = await session.whenClosed;
    expect(info.initiatedBy).toBe('timeout');
    expect(info.responseInterrupted).toBe(true);
    expect(info.error?.message).toMatch(/sent nothing for/);
  });

  it('a connection cut mid-response and a server close 1011 are typed closes, never an unhandled error', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    session.createResponse();
    await conn.next('response.create');
    conn.send({ type: 'response.created', response: response('resp_c', 'in_progress') } as any);
    await session.waitFor('response.created');
    conn.socket.terminate();
    const info = await session.whenClosed;
    expect(info.initiatedBy).toBe('network');
    expect(info.code).toBe(1006);
    expect(info.responseInterrupted).toBe(true);
    expect(info.error?.code).toBe('TLA_ERR_REALTIME_CLOSED');
    expect(() => session.appendAudio('AAAA')).toThrow(/closed/);

    const s2 = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const c2 = await server.connection();
    c2.socket.close(1011, 'upstream failed');
    const info2 = await s2.whenClosed;
    expect(info2).toMatchObject({ code: 1011, reason: 'upstream failed', initiatedBy: 'server', responseInterrupted: false });
    expect(info2.expiresAt).toBeGreaterThan(0);
  });

  it('function calls: the helper answers and asks for the next response after response.done', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    session.handleFunctionCalls((call, args: any) => ({ city: args.city, tempC: 21, name: call.name }));
    session.createResponse();
    await conn.next('response.create');
    conn.send({ type: 'response.created', response: response('resp_f', 'in_progress') } as any);
    conn.send({ type: 'response.function_call_arguments.done', response_id: 'resp_f', item_id: 'fc_1', output_index: 0, call_id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' } as any);
    const item = await conn.next('conversation.item.create');
    expect(item.item).toEqual({ type: 'function_call_output', call_id: 'call_9', output: '{"city":"Oslo","tempC":21,"name":"get_weather"}' });
    expect(conn.received.filter((e) => e.type === 'response.create')).toHaveLength(1);
    conn.send({ type: 'response.done', response: response('resp_f') } as any);
    await conn.next('response.create');
    await session.close();
  });

  it('restart opens a new session seeded with the text history, and only when asked', async () => {
    const session = await client.realtime.connect({ model: 'gpt-realtime', skipModelCheck: true });
    const conn = await server.connection();
    conn.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', content_index: 0, transcript: 'What time is it?', usage: { type: 'duration', seconds: 1 } } as any);
    conn.send({ type: 'response.output_audio_transcript.done', response_id: 'r', item_id: 'a1', output_index: 0, content_index: 0, transcript: 'Noon.' } as any);
    await session.waitFor('response.output_audio_transcript.done');
    conn.socket.close(1000, 'expired');
    await session.whenClosed;
    const next = await session.restart();
    const conn2 = await server.connection();
    const first = await conn2.next('conversation.item.create');
    const second = await conn2.next('conversation.item.create');
    expect(first.item).toEqual({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What time is it?' }] });
    expect(second.item).toEqual({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Noon.' }] });
    await next.close();
  });
});
