import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport, errorFieldsOfCutBody } from '../../src/transports/http.js';
import { ApiError, RateLimitError, ResponseTooLargeError, ServerError, TimeoutError } from '../../src/transports/http-errors.js';
import { SseParser } from '../../src/transports/sse-parser.js';
import { TokenLab } from '../../src/client.js';
import { encodeWav } from '../../src/codecs/wav/wav-writer.js';
import { startLoopback, type LoopbackServer } from './loopback-server.js';

const KEY = 'sk-live-LIMITS0123456789abcdefXYZ';
const servers: LoopbackServer[] = [];
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(...args: Parameters<typeof startLoopback>): Promise<LoopbackServer> {
  const s = await startLoopback(...args);
  servers.push(s);
  return s;
}
function transport(baseURL: string, extra: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}): HttpTransport {
  const t = new HttpTransport({ baseURL, apiKey: KEY, ...extra });
  closers.push(t);
  return t;
}
function client(baseURL: string, extra: ConstructorParameters<typeof TokenLab>[0] = {}): TokenLab {
  const c = new TokenLab({ baseURL, apiKey: KEY, ...extra });
  closers.push(c);
  return c;
}
const countOf = (text: string, part: string) => text.split(part).length - 1;

describe('bounded bodies', () => {
  it('a 2xx JSON body over the limit is refused at once when content-length says so, with what arrived', async () => {
    const big = Buffer.alloc(17 << 20, 0x20);
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length, 'x-request-id': 'req_big' });
      res.end(big);
    });
    const err = await client(srv.url).models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    const e = err as ResponseTooLargeError;
    expect(e.code).toBe('TLA_ERR_API_RESPONSE_TOO_LARGE');
    expect(e.contentLength).toBe(17 << 20);
    expect(e.limitBytes).toBe(16 << 20);
    expect(e.message).toMatch(/200 response to \/v1\/models \(application\/json\) is larger than the 16\.0 MiB this client buffers: content-length 17\.0 MiB/);
    expect(countOf(e.message, 'req_big')).toBe(1);
    expect(e.retryable).toBe(false);
  });

  it('a chunked body (no content-length) stops at the limit and says how much had arrived', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 4 << 20) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const t = transport(srv.url);
    const res = await t.request({ method: 'GET', path: '/x' });
    const err = (await t.text(res, undefined, 1 << 20).catch((e: unknown) => e)) as ResponseTooLargeError;
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err.receivedBytes).toBeGreaterThan(1 << 20);
    expect(err.receivedBytes).toBeLessThan(2 << 20);
    expect(err.message).toMatch(/had arrived/);
  });

  it('a transcript that is not UTF-8 is an error carrying the lossy text, not silent U+FFFD', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': 'req_utf' });
      res.end(Buffer.concat([Buffer.from('Hallo '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' Welt')]));
    });
    const err = (await client(srv.url)
      .audio.transcriptions.create({ file: Buffer.from('RIFF0000WAVEfmt '), filename: 'a.wav', model: 'whisper-1', responseFormat: 'text' })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('TLA_ERR_API_BAD_ENCODING');
    expect(err.message).toMatch(/not valid UTF-8/);
    expect(String(err.raw)).toMatch(/^Hallo .*\uFFFD.* Welt$/);
    expect(err.requestId).toBe('req_utf');
  });
});

describe('SSE limits', () => {
  it('a line without a break over the limit fails as ResponseTooLargeError naming the request once', () => {
    const p = new SseParser(() => {}, { maxLineChars: 1000, requestId: 'req_sse' });
    p.push('data: ' + 'a'.repeat(500));
    let err: unknown;
    try {
      p.push('a'.repeat(600));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as Error).message).toMatch(/a line without a line break of over 1000 characters \(1106 had arrived\)/);
    expect(countOf((err as Error).message, 'req_sse')).toBe(1);
  });

  it('an event over the limit fails even when its lines are short', () => {
    const events: string[] = [];
    const p = new SseParser((e) => events.push(e.data), { maxEventChars: 100 });
    p.push('data: ok\n\n');
    expect(() => p.push('data: 0123456789\n'.repeat(12))).toThrow(ResponseTooLargeError);
    expect(events).toEqual(['ok']);
  });

  it('a transcription stream cut short names its request id once', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_cut' });
      res.end('data: {"type":"transcript.text.delta","delta":"hi"}\n\n');
    });
    const stream = await client(srv.url).audio.transcriptions.create({ file: Buffer.from('RIFF0000WAVEfmt '), filename: 'a.wav', model: 'gpt-4o-transcribe', stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(countOf((err as Error).message, 'req_cut')).toBe(1);
  });
});

describe('error bodies cut at the read cap', () => {
  const pad = 'x'.repeat(1_200_000);
  it('reads retryable:false from a cut body and does not retry', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(`{"error":{"message":"upstream refused","type":"server_error","retryable":false,"pad":"${pad}"}}`);
    });
    const err = (await transport(srv.url, { maxRetryDelayMs: 10 }).request({ method: 'GET', path: '/x', maxRetries: 2 }).catch((e: unknown) => e)) as ServerError;
    expect(err).toBeInstanceOf(ServerError);
    expect(srv.seen.length).toBe(1);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/upstream refused \(the error body was cut after [\d.]+ [KM]iB; not retried/);
  });

  it('retries a cut body that says retryable:true, and never one whose decision cannot be read', async () => {
    const allow = await serve((_req, res, _b, i) => {
      if (i > 0) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after-ms': '1' });
      res.end(`{"error":{"message":"busy","retryable":true,"pad":"${pad}"}}`);
    });
    await transport(allow.url).request({ method: 'GET', path: '/x' });
    expect(allow.seen.length).toBe(2);
    const unknown = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after-ms': '1' });
      res.end(`{"error":{"message":"busy","pad":"${pad}"}}`);
    });
    const err = (await transport(unknown.url).request({ method: 'GET', path: '/x' }).catch((e: unknown) => e)) as ServerError;
    expect(unknown.seen.length).toBe(1);
    expect(err.message).toMatch(/not retried: whether to retry could not be read/);
  });

  it('errorFieldsOfCutBody reads only complete fields', () => {
    expect(errorFieldsOfCutBody('{"error":{"type":"x","retryable":true,"retry_after":2.5,"message":"a \\"q\\" b","code":"tr')).toEqual({
      type: 'x',
      retryable: true,
      retry_after: 2.5,
      message: 'a "q" b',
    });
  });
});

describe('deadline', () => {
  it('Retry-After waits and retries stop at the deadline (the last error is thrown)', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"message":"slow down"}}');
    });
    const err = await transport(srv.url).request({ method: 'GET', path: '/x', maxRetries: 5, deadlineMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(srv.seen.length).toBe(2);
  });

  it('a dripping body cannot extend the call past its deadline', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => {
        drips++;
        res.write(' ');
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    let drips = 0;
    const err = (await client(srv.url, { timeoutMs: 5_000, deadlineMs: 600 }).models.list().catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('TLA_ERR_API_TIMEOUT');
    // The deadline ended the call, not the gap timer (5 s, reset by every byte, which would report a stall)...
    expect(err.message).toMatch(/GET \/models did not complete within its deadline of 600 ms/);
    expect(err.message).not.toMatch(/stalled/);
    // ...while the body kept dripping, so the gap timer alone would never have fired.
    expect(drips).toBeGreaterThan(1);
  });

  it('a per-call deadlineMs overrides the client and the operation default', async () => {
    const srv = await serve(() => {}); // never answers
    const err = (await client(srv.url, { deadlineMs: 60_000 }).models.list({}, { deadlineMs: 300 }).catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/deadline of 300 ms/);
  });
});

describe('incomplete WAV', () => {
  it('a WAV whose header announces more data than arrived is an error, not success', async () => {
    const pcm = Buffer.alloc(24_000 * 2); // 1 s of 24 kHz mono s16le
    const wav = encodeWav(pcm, { sampleRate: 24_000, channels: 1, encoding: 's16le' });
    const cut = wav.subarray(0, 44 + 12_000);
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': cut.length, 'x-request-id': 'req_wav' });
      res.end(cut);
    });
    const audio = await client(srv.url).audio.speech.create({ input: 'hello', response_format: 'wav' });
    const err = (await audio.buffer().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('TLA_ERR_API_INCOMPLETE');
    expect(err.message).toMatch(/announces 48000 bytes of audio \(1\.00 s\) but the body ended after 12000 \(0\.25 s\)/);
    expect(countOf(err.message, 'req_wav')).toBe(1);
  });

  it('a whole WAV passes', async () => {
    const wav = encodeWav(Buffer.alloc(4800), { sampleRate: 24_000, channels: 1, encoding: 's16le' });
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
      res.end(wav);
    });
    const audio = await client(srv.url).audio.speech.create({ input: 'hello', response_format: 'wav' });
    expect((await audio.buffer()).length).toBe(wav.length);
  });
});

describe('err.code for openai SDK users', () => {
  it('hasCode matches the toolkit code or the server code; requestID is the SDK name', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req_auth' });
      res.end('{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}');
    });
    const err = (await client(srv.url).models.list().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('TLA_ERR_API_AUTHENTICATION');
    expect(err.apiCode).toBe('invalid_api_key');
    expect(err.hasCode('invalid_api_key')).toBe(true);
    expect(err.hasCode('TLA_ERR_API_AUTHENTICATION')).toBe(true);
    expect(err.hasCode('rate_limit_exceeded')).toBe(false);
    expect(err.requestID).toBe('req_auth');
  });
});
