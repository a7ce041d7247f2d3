import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport, discardBody, retryAfterMsOf, type HttpBody } from '../../src/transports/http.js';
import {
  ApiError,
  ConnectionError,
  InsufficientBalanceError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/transports/http-errors.js';
import { InputError } from '../../src/core/errors.js';
import { startLoopback, sendJson, waitFor, type LoopbackServer } from './loopback-server.js';

const KEY = 'sk-live-SECRETSECRET0123456789abcdef';
const servers: LoopbackServer[] = [];
const transports: HttpTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(...args: Parameters<typeof startLoopback>): Promise<LoopbackServer> {
  const s = await startLoopback(...args);
  servers.push(s);
  return s;
}

function transport(baseURL: string, extra: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}): HttpTransport {
  const t = new HttpTransport({ baseURL, apiKey: KEY, ...extra });
  transports.push(t);
  return t;
}

const jsonBody = (v: unknown): HttpBody => ({ kind: 'buffer', data: Buffer.from(JSON.stringify(v)), contentType: 'application/json' });

describe('HttpTransport', () => {
  it('sends the key only as a Bearer header and keeps the request id', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, { ok: true }, { 'x-request-id': 'req_123' }));
    const t = transport(s.url);
    const res = await t.request({ method: 'GET', path: '/models', query: { view: 'compact', tag: undefined } });
    expect(await t.json(res)).toEqual({ ok: true });
    expect(res.requestId).toBe('req_123');
    expect(s.seen[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(s.seen[0]!.url).toBe('/v1/models?view=compact');
  });

  it('a missing key is an InputError saying how to set it, raised when a call needs it', async () => {
    const t = new HttpTransport({ baseURL: 'http://127.0.0.1:9/v1', missingKeyMessage: 'set TOKENLAB_API_KEY' });
    transports.push(t);
    await expect(t.request({ method: 'GET', path: '/models' })).rejects.toSatisfy(
      (e: unknown) => e instanceof InputError && /TOKENLAB_API_KEY/.test((e as Error).message),
    );
  });

  it('retries 5xx up to maxRetries, honouring retry-after-ms, then throws ServerError with the request id', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 503, { error: { message: 'busy', type: 'server_error' } }, { 'retry-after-ms': '20', 'x-request-id': 'req_busy' }),
    );
    const retries: number[] = [];
    const t = transport(s.url, { maxRetries: 2 });
    const err = await t.request({ method: 'GET', path: '/models', onRetry: (_e, _n, d) => retries.push(d) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).requestId).toBe('req_busy');
    expect((err as ServerError).status).toBe(503);
    expect(s.seen).toHaveLength(3);
    expect(retries).toEqual([20, 20]);
  });

  it('succeeds after a 429 with Retry-After: 0 and a 500 with error.retry_after', async () => {
    const s = await serve((_req, res, _b, i) => {
      if (i === 0) sendJson(res, 429, { error: { message: 'slow down', type: 'rate_limit_exceeded' } }, { 'retry-after': '0' });
      else if (i === 1) sendJson(res, 500, { error: { message: 'oops', type: 'server_error', retry_after: 0.01 } });
      else sendJson(res, 200, { ok: 1 });
    });
    const delays: number[] = [];
    const t = transport(s.url);
    const res = await t.request({ method: 'GET', path: '/x', onRetry: (_e, _n, d) => delays.push(d) });
    expect(res.status).toBe(200);
    discardBody(res.body);
    expect(delays).toEqual([0, 10]);
  });

  it('error.retryable false stops retries even on a 503; error.retryable true retries a 400', async () => {
    const s = await serve((_req, res, _b, i) => {
      if (i === 0) sendJson(res, 503, { error: { message: 'no', type: 'upstream_error', retryable: false } });
      else if (i === 1) sendJson(res, 400, { error: { message: 'try again', type: 'invalid_request_error', retryable: true, retry_after: 0 } });
      else sendJson(res, 200, {});
    });
    const t = transport(s.url);
    await expect(t.request({ method: 'GET', path: '/a' })).rejects.toBeInstanceOf(ServerError);
    expect(s.seen).toHaveLength(1);
    const res = await t.request({ method: 'GET', path: '/b' });
    discardBody(res.body);
    expect(s.seen).toHaveLength(3);
  });

  it('never retries 402', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 402, { error: { message: 'Insufficient balance', type: 'insufficient_balance', balance_usd: 0.12, retryable: true } }),
    );
    const t = transport(s.url, { maxRetries: 3 });
    const err = await t.request({ method: 'POST', path: '/audio/speech', body: jsonBody({ input: 'hi' }), billable: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientBalanceError);
    expect((err as InsufficientBalanceError).balanceUsd).toBe(0.12);
    expect((err as InsufficientBalanceError).retryable).toBe(false);
    expect(s.seen).toHaveLength(1);
  });

  it('does not resend a billable create whose body was sent before the connection died, unless retryBillable', async () => {
    const s = await serve((req) => void req.socket.destroy());
    const t = transport(s.url, { maxRetries: 2 });
    const err = await t.request({ method: 'POST', path: '/audio/speech', body: jsonBody({ input: 'hi' }), billable: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).requestSent).toBe(true);
    expect(s.seen).toHaveLength(1);

    const err2 = await t
      .request({ method: 'POST', path: '/audio/speech', body: jsonBody({ input: 'hi' }), billable: true, retryBillable: true })
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ConnectionError);
    expect(s.seen).toHaveLength(1 + 3);
  });

  it('a billable create that timed out after sending is not resent; a GET that timed out is', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const t = transport(s.url, { maxRetries: 1, timeoutMs: 150 });
    const err = await t.request({ method: 'POST', path: '/audio/speech', body: jsonBody({ input: 'x' }), billable: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).requestSent).toBe(true);
    expect(s.seen).toHaveLength(1);
    const err2 = await t.request({ method: 'GET', path: '/models' }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TimeoutError);
    expect(s.seen).toHaveLength(3);
  });

  it('retries connection failures before anything was sent (connection refused)', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, {}));
    const deadUrl = s.url;
    await s.close();
    servers.length = 0;
    const retries: number[] = [];
    const t = transport(deadUrl, { maxRetries: 2 });
    const err = await t
      .request({ method: 'POST', path: '/audio/speech', body: jsonBody({}), billable: true, onRetry: (_e, n) => retries.push(n) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).requestSent).toBe(false);
    expect(retries).toEqual([1, 2]);
  }, 15_000);

  it('replays an upload from its file on retry, whole', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tla-http-'));
    const file = path.join(dir, 'a.bin');
    const data = Buffer.alloc(300_000, 7);
    data.write('START', 0);
    writeFileSync(file, data);
    try {
      const s = await serve((_req, res, _b, i) => (i === 0 ? sendJson(res, 503, { error: { message: 'again', type: 'server_error' } }, { 'retry-after': '0' }) : sendJson(res, 200, {})));
      const t = transport(s.url);
      const { createReadStream } = await import('node:fs');
      const body: HttpBody = { kind: 'stream', open: () => createReadStream(file), byteLength: data.length, contentType: 'application/octet-stream', replayable: true };
      const res = await t.request({ method: 'POST', path: '/audio/transcriptions', body, billable: true });
      discardBody(res.body);
      expect(s.seen).toHaveLength(2);
      expect(s.seen[0]!.body.equals(data)).toBe(true);
      expect(s.seen[1]!.body.equals(data)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not retry a one-shot stream body', async () => {
    const s = await serve((_req, res) => sendJson(res, 503, { error: { message: 'again', type: 'server_error' } }, { 'retry-after': '0' }));
    const t = transport(s.url);
    const stream = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    const body: HttpBody = { kind: 'stream', open: () => stream, byteLength: undefined, contentType: 'application/octet-stream', replayable: false };
    await expect(t.request({ method: 'POST', path: '/audio/transcriptions', body, billable: true })).rejects.toBeInstanceOf(ServerError);
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]!.body.toString()).toBe('abcdef');
  });

  it('gives up when the server asks to wait longer than maxRetryDelayMs', async () => {
    const s = await serve((_req, res) => sendJson(res, 429, { error: { message: 'later', type: 'rate_limit_exceeded' } }, { 'retry-after': '3600' }));
    const t = transport(s.url, { maxRetryDelayMs: 1000 });
    const err = await t.request({ method: 'GET', path: '/models' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(s.seen).toHaveLength(1);
  });

  it('never sends the key to another origin: a cross-origin redirect is refused', async () => {
    const other = await serve((_req, res) => sendJson(res, 200, { stolen: true }));
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.origin}/v1/models` });
      res.end();
    });
    const t = transport(s.url);
    const err = await t.request({ method: 'GET', path: '/models' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('TLA_ERR_API_REDIRECT');
    expect(other.seen).toHaveLength(0);
  });

  it('follows a same-origin redirect with the key', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/v1/old') {
        res.writeHead(308, { location: '/v1/new' });
        res.end();
      } else sendJson(res, 200, { moved: true });
    });
    const t = transport(s.url);
    const res = await t.request({ method: 'GET', path: '/old' });
    expect(await t.json(res)).toEqual({ moved: true });
    expect(s.seen[1]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('redacts the key from errors, stacks and debug lines, even when the server echoes it', async () => {
    const s = await serve((req, res) =>
      sendJson(res, 401, { error: { message: `Invalid key ${String(req.headers.authorization)}`, type: 'invalid_api_key' } }),
    );
    const lines: string[] = [];
    const t = transport(s.url, { debug: (l) => lines.push(l) });
    const err = (await t.request({ method: 'GET', path: '/models' }).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    const everything = [err.message, err.stack ?? '', JSON.stringify(err.raw), ...lines].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(KEY.slice(8));
    expect(lines.length).toBeGreaterThan(1);
    expect(t.redact(`x ${KEY} y`)).not.toContain(KEY);
  });

  it('connection errors do not leak the key in their message', async () => {
    const t = transport('http://127.0.0.1:9/v1', { maxRetries: 0 });
    const err = (await t.request({ method: 'GET', path: '/models' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(`${err.message}\n${err.stack}`).not.toContain(KEY);
  });

  it('abort: before sending, while waiting for headers, and while reading the body; no socket left open', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/v1/slow-headers') return; // never answers
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000));
      // then stalls
    });
    const t = transport(s.url);
    const pre = new AbortController();
    pre.abort();
    await expect(t.request({ method: 'GET', path: '/x', signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.seen).toHaveLength(0);

    const ac = new AbortController();
    const p = t.request({ method: 'GET', path: '/slow-headers', signal: ac.signal });
    await waitFor(() => s.seen.length === 1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 100));

    const ac2 = new AbortController();
    const res = await t.request({ method: 'GET', path: '/body', signal: ac2.signal });
    const reading = (async () => {
      for await (const _ of res.body) ac2.abort();
    })();
    await expect(reading).rejects.toBeTruthy();
    await new Promise((r) => setTimeout(r, 100));
    await waitFor(() => s.sockets.size === 0);
  });

  it('abort while the body of an error answer is still arriving is an AbortError, not the error status', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"error":{"message":"partial');
      // then stalls
    });
    const t = transport(s.url, { maxRetries: 0 });
    const ac = new AbortController();
    const p = t.request({ method: 'GET', path: '/x', signal: ac.signal });
    await waitFor(() => s.seen.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => s.sockets.size === 0);
  });

  it('abort during a slow upload stops reading the file and closes the socket', async () => {
    const s = await serve((req) => void req.resume(), { readBody: false });
    const t = transport(s.url);
    const ac = new AbortController();
    let pulled = 0;
    let finalized = false;
    const body: HttpBody = {
      kind: 'stream',
      byteLength: undefined,
      contentType: 'application/octet-stream',
      replayable: true,
      open: async function* () {
        try {
          for (;;) {
            pulled++;
            yield Buffer.alloc(64 * 1024);
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          finalized = true;
        }
      },
    };
    const p = t.request({ method: 'POST', path: '/audio/transcriptions', body, signal: ac.signal, billable: true });
    await waitFor(() => pulled > 3);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => finalized);
    await new Promise((r) => setTimeout(r, 100));
    await waitFor(() => s.sockets.size === 0);
  });

  it('reads Retry-After as an HTTP date and X-RateLimit-Reset as a unix time', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMsOf({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, undefined, now)).toBe(5000);
    expect(retryAfterMsOf({ 'x-ratelimit-reset': String(now / 1000 + 7) }, undefined, now)).toBe(7000);
    expect(retryAfterMsOf({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(retryAfterMsOf({}, { error: { retry_after: 2 } })).toBe(2000);
    expect(retryAfterMsOf({})).toBeUndefined();
  });

  it('waits for X-RateLimit-Reset only when the rate limit is what failed', () => {
    const now = Date.UTC(2026, 0, 1);
    const reset = { 'x-ratelimit-reset': String(now / 1000 + 30), 'x-ratelimit-remaining': '999' };
    expect(retryAfterMsOf(reset, undefined, now, 500)).toBeUndefined();
    expect(retryAfterMsOf(reset, undefined, now, 429)).toBe(30_000);
    expect(retryAfterMsOf({ ...reset, 'x-ratelimit-remaining': '0' }, undefined, now, 503)).toBe(30_000);
  });
});
