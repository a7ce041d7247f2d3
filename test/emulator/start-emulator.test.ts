import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

let emu: EmulatorHandle;
const auth = { authorization: 'Bearer sk-emulator-test' };

beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ['sk-emulator-test'], voiceEngine: 'builtin' });
});
afterAll(async () => {
  await emu.close();
});

async function getJson(path: string, headers: Record<string, string> = auth): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(emu.url + path, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('emulator basics', () => {
  it('listens on 127.0.0.1 and gives a /v1 base URL', () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('rejects a missing or wrong key with 401 invalid_api_key and a request id', async () => {
    const missing = await getJson('/models', {});
    expect(missing.status).toBe(401);
    expect(missing.body.error.type).toBe('invalid_api_key');
    expect(missing.body.error.message).toMatch(/TOKENLAB_API_KEY/);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    const wrong = await getJson('/models', { authorization: 'Bearer sk-nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
  });

  it('answers every response with a distinct x-request-id and rate-limit headers', async () => {
    const a = await getJson('/models');
    const b = await getJson('/models/nope');
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    expect(Number(a.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
    expect(Number(a.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(Number(b.headers.get('x-ratelimit-remaining')));
    expect(Number(a.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(b.body.error.request_id).toBe(b.headers.get('x-request-id'));
  });

  it('never records the API key', async () => {
    await getJson('/models');
    expect(JSON.stringify(emu.requests)).not.toContain('sk-emulator-test');
  });

  it('404s an unknown model with did_you_mean and suggestions', async () => {
    const r = await getJson('/models/whisper1');
    expect(r.status).toBe(404);
    expect(r.body.error.type).toBe('model_not_found');
    expect(r.body.error.did_you_mean).toBe('whisper-1');
    expect(r.body.error.suggestions[0]).toEqual({ id: 'whisper-1' });
  });

  it('resolves aliases on the detail route', async () => {
    const r = await getJson('/models/whisper');
    expect(r.status).toBe(200);
    expect(r.body.id).toBe('whisper-1');
  });

  it('404s unknown routes in the error shape', async () => {
    const r = await getJson('/v1/nothing');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toMatch(/No route/);
  });

  it('describes the realtime endpoint on a plain GET', async () => {
    const r = await getJson('/realtime?model=gpt-realtime');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ object: 'realtime.endpoint', websocket_url: '/v1/realtime?model=gpt-realtime', protocol: 'tokenlab_realtime_proxy' });
  });
});

describe('realtime WebSocket upgrade', () => {
  it('refuses an upgrade without auth, without a model, with a non-realtime model or an unknown one', async () => {
    const { WebSocket } = await import('ws');
    const attempt = (query: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const ws = new WebSocket(`${emu.url.replace('http', 'ws')}/realtime${query}`, { headers });
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
        });
        ws.on('open', () => reject(new Error('should not open')));
        ws.on('error', () => undefined);
      });
    expect((await attempt('?model=gpt-realtime', {})).status).toBe(401);
    const noModel = await attempt('', auth);
    expect(noModel.status).toBe(400);
    expect(noModel.body.error.param).toBe('model');
    const notRealtime = await attempt('?model=tts-1', auth);
    expect(notRealtime.body.error).toMatchObject({ code: 'unsupported_operation', param: 'model' });
    expect(notRealtime.body.error.suggestions.map((s: { id: string }) => s.id)).toContain('gpt-realtime');
    const typo = await attempt('?model=gpt-realtim', auth);
    expect(typo.body.error.did_you_mean).toBe('gpt-realtime');
  });

  it('hands authenticated realtime upgrades to an attached ws server', async () => {
    const { WebSocket, WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ noServer: true });
    const withRealtime = await startEmulator({
      onRealtimeUpgrade: (req, socket, head, model) =>
        wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ type: 'session.created', session: { model } }))),
    });
    try {
      const ws = new WebSocket(`${withRealtime.url.replace('http', 'ws')}/realtime?model=gpt-realtime-mini`, { headers: auth });
      const first = await new Promise<any>((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.once('error', reject);
      });
      expect(first).toEqual({ type: 'session.created', session: { model: 'gpt-realtime-mini' } });
      ws.close();
    } finally {
      wss.close();
      await withRealtime.close();
    }
  });
});

describe('benchmark helpers', () => {
  it('keeps at most maxLoggedRequests records (oldest dropped)', async () => {
    const small = await startEmulator({ maxLoggedRequests: 3 });
    try {
      for (let i = 0; i < 10; i++) await (await fetch(`${small.url}/models?tag=t${i}`, { headers: auth })).arrayBuffer();
      expect(small.requests.length).toBeLessThanOrEqual(6);
      expect(small.requests.at(-1)?.query).toEqual({ tag: 't9' });
    } finally {
      await small.close();
    }
  });

  it("speechDetector 'none' reads uploads without decoding and says so", async () => {
    const counting = await startEmulator({ speechDetector: 'none' });
    try {
      const fd = new FormData();
      fd.set('model', 'whisper-1');
      fd.set('file', new Blob([Buffer.alloc(12345, 7)], { type: 'audio/wav' }), 'x.wav');
      const json = (await (await fetch(`${counting.url}/audio/transcriptions`, { method: 'POST', headers: auth, body: fd })).json()) as any;
      expect(json.text).toBe('[not analysed: 12345 bytes received]');
    } finally {
      await counting.close();
    }
  });
});

describe('the emulator never records or logs a key', () => {
  it('redacts keys sent in other headers, the query, or a realtime subprotocol', async () => {
    const secret = 'sk-leak-9f8e7d6c5b4a3210';
    const lines: string[] = [];
    const own = await startEmulator({ voiceEngine: 'builtin', log: (line) => lines.push(line) });
    try {
      const res = await fetch(`${own.url}/models?key=${secret}&view=compact`, {
        headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret, 'x-goog-api-key': secret, cookie: `session=${secret}` },
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      const { request } = await import('node:http');
      await new Promise<void>((resolve, reject) => {
        const req = request(`${own.url}/realtime?model=gpt-realtime&api_key=${secret}`, {
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': `realtime, openai-insecure-api-key.${secret}` },
        });
        req.on('response', (r) => {
          r.resume();
          r.on('end', resolve);
        });
        req.on('upgrade', (_r, socket) => {
          socket.destroy();
          resolve();
        });
        req.on('error', reject);
        req.end();
      });
      expect(own.requests.length).toBe(2);
      expect(own.requests[0]!.query.view).toBe('compact');
      expect(JSON.stringify(own.requests)).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
      expect(lines.join('\n')).toMatch(/\/v1\/models\?key=<redacted>&view=compact/);
    } finally {
      await own.close();
    }
  });
});
