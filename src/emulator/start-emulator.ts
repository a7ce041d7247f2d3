import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { EmulatorHttpError, validationFailure } from './emulator-http-error.js';
import type { EmulatorHandle, EmulatorOptions, EmulatorRequestRecord } from './emulator-options.js';
import { resolveEmulatorSettings, type ResolvedEmulatorSettings } from './emulator-settings.js';
import { FaultBook, parseFaultSpec } from './fault-book.js';
import { findModel, listModelsBody, modelDetailBody, modelPricingBody, pricingListBody, unknownModelError, wrongOperationError } from './model-catalog.js';
import { realtimeVadEngine } from './realtime/realtime-turn-tracker.js';
import { parseRealtimeFaultSpec } from './realtime/realtime-fault.js';
import { RealtimeServer } from './realtime/realtime-server.js';
import { faultStatusError, RequestContext, ResponseAbandoned } from './request-context.js';
import { handleSpeech } from './speech-route.js';
import { handleTranscription } from './transcription-route.js';

/** Fixed-window request counter per API key (one minute windows), for the rate-limit headers and 429s. */
class RateWindow {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit: number) {}

  take(key: string, nowMs: number): { limit: number; remaining: number; resetUnix: number; exceeded: boolean } {
    const window = Math.floor(nowMs / 60_000) * 60_000;
    if (window !== this.windowStart) {
      this.windowStart = window;
      this.counts.clear();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    return { limit: this.limit, remaining: Math.max(0, this.limit - used), resetUnix: (window + 60_000) / 1000, exceeded: used > this.limit };
  }
}

function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1];
  // Browser realtime clients cannot set headers: they send the key as a subprotocol.
  const protocol = /(?:^|,)\s*openai-insecure-api-key\.([^,\s]+)/i.exec(String(req.headers['sec-websocket-protocol'] ?? ''));
  return header === undefined ? protocol?.[1] : undefined;
}

function authError(present: boolean): EmulatorHttpError {
  return new EmulatorHttpError(401, {
    message: present
      ? 'Invalid API key provided. Check the key, or create one in the TokenLab dashboard.'
      : 'Missing API key. Send it as "Authorization: Bearer <key>" (set TOKENLAB_API_KEY).',
    type: 'invalid_api_key',
    code: 'invalid_api_key',
    retryable: false,
  });
}

function notFound(method: string, path: string): EmulatorHttpError {
  return new EmulatorHttpError(404, { message: `No route for ${method} ${path}`, type: 'not_found_error', code: 'route_not_found' });
}

function methodNotAllowed(method: string, path: string, allowed: string): EmulatorHttpError {
  return new EmulatorHttpError(405, { message: `${method} is not allowed on ${path}; use ${allowed}`, type: 'invalid_request_error', code: 'method_not_allowed' }, { headers: { allow: allowed } });
}

async function readJsonBody(ctx: RequestContext, limitBytes: number): Promise<unknown> {
  const type = ctx.req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    // Drain so the connection stays usable for the next request.
    ctx.req.resume();
    throw validationFailure([{ field: 'body', message: `Content-Type must be application/json (got ${type || 'none'})`, code: 'invalid_content_type' }]);
  }
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        // Answer at once (and close): the rest of the body is read to nowhere, not kept.
        cleanup();
        ctx.req.resume();
        reject(new EmulatorHttpError(413, { message: `Request body larger than ${limitBytes} bytes`, type: 'invalid_request_error', code: 'request_too_large' }, { headers: { connection: 'close' } }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new ResponseAbandoned(`request body failed: ${error.message}`));
    };
    const cleanup = (): void => {
      ctx.req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    ctx.req.on('data', onData).on('end', onEnd).on('error', onError);
  });
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw validationFailure([{ field: 'body', message: `Invalid JSON: ${(error as Error).message}`, code: 'invalid_json' }]);
  }
}

// Where clients put keys besides `Authorization` (Anthropic/Azure/Gemini styles, proxies, cookies).
const SECRET_HEADERS = new Set(['proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie']);
// Query parameters that carry keys (Gemini's `?key=`, `?api_key=`, `?access_token=`).
const SECRET_QUERY = /^(?:key|api[_-]?key|apikey|access[_-]?token|token|auth)$/i;

function redactHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (k === 'authorization') out[k] = 'Bearer <redacted>';
    else if (SECRET_HEADERS.has(k)) out[k] = '<redacted>';
    // Browser realtime clients send the key as a subprotocol: `openai-insecure-api-key.<key>`.
    else if (k === 'sec-websocket-protocol') out[k] = value.replace(/(api-key\.)[^,\s]+/gi, '$1<redacted>');
    else out[k] = value;
  }
  return out;
}

/** The query as a record, with key-carrying parameters replaced by `<redacted>`. */
function redactQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = SECRET_QUERY.test(k) ? '<redacted>' : v;
  return out;
}

/** The request target for log lines: path plus the redacted query. */
function redactedTarget(url: URL): string {
  const query = new URLSearchParams(redactQuery(url.searchParams)).toString();
  return `${url.pathname}${query ? `?${query.replace(/%3Credacted%3E/g, '<redacted>')}` : ''}`;
}

/**
 * Starts the offline TokenLab API emulator on 127.0.0.1 (by default on a free port): the models,
 * speech, transcription, translation and realtime-descriptor routes with the API's shapes, headers
 * and errors, auth, rate-limit headers, upload limits and fault injection (see `EmulatorOptions` and
 * the `x-emulator-fault` header). Resolves once listening.
 *
 * @throws RangeError for invalid options; rejects when the port cannot be bound.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const settings = resolveEmulatorSettings(options);
  const faults = new FaultBook(options.faults ?? []);
  const rate = new RateWindow(settings.rateLimitPerMinute);
  const requests: EmulatorRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const live = new Set<RequestContext>();
  const apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
  const log = (record: EmulatorRequestRecord): void => {
    requests.push(record);
    // Trim in batches so a long benchmark run neither grows without bound nor shifts on every request.
    if (requests.length > settings.maxLoggedRequests * 2 || (settings.maxLoggedRequests === 0 && requests.length > 0)) {
      requests.splice(0, requests.length - settings.maxLoggedRequests);
    }
  };

  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
    void handle(req, res);
  });
  // `Expect: 100-continue`: an upload declared over the limit gets its 413 before sending a byte.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (!(Number.isFinite(declared) && declared > settings.uploadLimitBytes)) res.writeContinue();
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function authorize(req: IncomingMessage): string {
    const key = bearer(req);
    if (!key) throw authError(req.headers.authorization !== undefined);
    if (apiKeys && !apiKeys.has(key)) throw authError(true);
    return key;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const query = redactQuery(url.searchParams);
    const perRequest = [req.headers['x-emulator-fault'], url.searchParams.get('emulator_fault') ?? undefined]
      .flat()
      .filter((s): s is string => typeof s === 'string')
      .flatMap((spec) => parseFaultSpec(spec).faults);
    const plan = faults.planFor(path, perRequest);
    const record: EmulatorRequestRecord = { requestId, method: req.method ?? 'GET', path, query, headers: redactHeaders(req), faults: plan.names };
    log(record);
    const baseHeaders: Record<string, string> = { 'x-request-id': requestId, 'openai-processing-ms': '1', 'x-emulator': 'tokenlab-audio' };
    const ctx = new RequestContext(req, res, requestId, record, plan, baseHeaders);
    live.add(ctx);
    res.once('close', () => live.delete(ctx));
    try {
      const key = authorize(req);
      const window = rate.take(key, Date.now());
      baseHeaders['x-ratelimit-limit'] = String(window.limit);
      baseHeaders['x-ratelimit-remaining'] = String(window.remaining);
      baseHeaders['x-ratelimit-reset'] = String(window.resetUnix);
      if (window.exceeded) {
        const retryAfter = Math.max(1, Math.ceil(window.resetUnix - Date.now() / 1000));
        req.resume();
        throw new EmulatorHttpError(
          429,
          { message: 'Rate limit exceeded. Please slow down.', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', retryable: true, retry_after: retryAfter },
          { headers: { 'retry-after': String(retryAfter) } },
        );
      }
      await route(ctx, req.method ?? 'GET', path, url.searchParams, settings);
    } catch (error) {
      if (error instanceof ResponseAbandoned) return;
      if (error instanceof EmulatorHttpError) {
        if (!req.complete) {
          // Drain what is left of the body to nowhere (not into a parser that gave up), so the
          // keep-alive connection can carry the next request.
          req.unpipe();
          req.resume();
        }
        ctx.sendError(error);
      } else if ((error as { name?: string }).name === 'AbortError' || ctx.signal.aborted) {
        if (!res.destroyed) res.destroy();
      } else {
        options.log?.(`emulator: ${requestId} failed: ${(error as Error).stack ?? String(error)}`);
        ctx.sendError(new EmulatorHttpError(500, { message: `Emulator error: ${(error as Error).message}`, type: 'server_error', retryable: true }));
      }
    } finally {
      options.log?.(`${record.method} ${redactedTarget(url)} -> ${record.status ?? '-'} ${requestId}${plan.names.length ? ` faults=${plan.names.join(',')}` : ''}`);
    }
  }

  const realtime = options.onRealtimeUpgrade
    ? undefined
    : new RealtimeServer({
        config: { ...settings.realtime, rateLimitPerMinute: settings.rateLimitPerMinute, createVadEngine: realtimeVadEngine, recognizerCommand: settings.recognizerCommand },
        faults: settings.realtime.faults,
        useEspeak: settings.espeakAvailable,
        espeakPath: settings.espeakPath,
        log: options.log,
      });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname.replace(/\/+$/, '');
    const refuse = (error: EmulatorHttpError): void => {
      const body = JSON.stringify(error.body(requestId));
      const extra = Object.entries(error.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(
        `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n${extra}connection: close\r\n\r\n${body}`,
      );
    };
    const specs = [req.headers['x-emulator-fault'], url.searchParams.get('emulator_fault') ?? undefined].flat().filter((s): s is string => typeof s === 'string');
    const httpFaults = specs.map((spec) => parseFaultSpec(spec));
    const sessionFaults = parseRealtimeFaultSpec(httpFaults.flatMap((p) => p.unknown)).faults;
    const plan = faults.planFor(path, httpFaults.flatMap((p) => p.faults));
    const record: EmulatorRequestRecord = { requestId, method: 'GET', path, query: redactQuery(url.searchParams), headers: redactHeaders(req), faults: [...plan.names, ...sessionFaults.map((f) => f.kind)] };
    log(record);
    try {
      if (path !== '/v1/realtime') throw notFound('GET (upgrade)', path);
      const key = authorize(req);
      const window = rate.take(key, Date.now());
      if (window.exceeded) {
        const retryAfter = Math.max(1, Math.ceil(window.resetUnix - Date.now() / 1000));
        throw new EmulatorHttpError(
          429,
          { message: 'Rate limit exceeded. Please slow down.', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', retryable: true, retry_after: retryAfter },
          { headers: { 'retry-after': String(retryAfter) } },
        );
      }
      if (plan.status) throw faultStatusError(plan.status.status, plan.status.retryAfterSeconds);
      const modelId = url.searchParams.get('model');
      if (!modelId) throw validationFailure([{ field: 'model', message: 'model is required to open a realtime session (?model=gpt-realtime)', code: 'required' }]);
      const model = findModel(modelId);
      if (!model) throw unknownModelError(modelId, 400, 'realtime');
      if (!model.operations.includes('realtime')) throw wrongOperationError(model, 'realtime');
      record.status = 101;
      if (options.onRealtimeUpgrade) {
        options.onRealtimeUpgrade(req, socket, head, model.id);
        return;
      }
      const protocols = String(req.headers['sec-websocket-protocol'] ?? '');
      const beta = /\brealtime=v1\b/i.test(String(req.headers['openai-beta'] ?? '')) || /openai-beta\.realtime-v1/i.test(protocols);
      realtime!.accept({ req, socket, head, model, requestId, dialect: beta ? 'beta' : 'ga', faults: sessionFaults });
    } catch (error) {
      const refused = error instanceof EmulatorHttpError ? error : new EmulatorHttpError(500, { message: String(error), type: 'server_error' });
      record.status = refused.status;
      refuse(refused);
    } finally {
      options.log?.(`GET (upgrade) ${redactedTarget(url)} -> ${record.status ?? '-'} ${requestId}${record.faults.length ? ` faults=${record.faults.join(',')}` : ''}`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/v1`,
    origin,
    port: address.port,
    requests,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const ctx of live) ctx.abort.abort(new ResponseAbandoned('emulator closing'));
        realtime?.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function route(ctx: RequestContext, method: string, path: string, params: URLSearchParams, settings: ResolvedEmulatorSettings): Promise<void> {
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  if (path === '/v1/models') {
    if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
    await ctx.gate();
    const query = Object.fromEntries(
      (['provider', 'tag', 'category', 'recommended_for', 'view'] as const).flatMap((k) => (get(k) === undefined ? [] : [[k, get(k)!]])),
    );
    await ctx.sendJson(200, listModelsBody(query));
    return;
  }
  if (path === '/v1/pricing') {
    if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
    await ctx.gate();
    await ctx.sendJson(200, pricingListBody({ ...(get('provider') !== undefined ? { provider: get('provider')! } : {}), ...(get('tag') !== undefined ? { tag: get('tag')! } : {}) }));
    return;
  }
  const modelRoute = /^\/v1\/models\/(.+?)(\/pricing)?$/.exec(path);
  if (modelRoute) {
    if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
    await ctx.gate();
    const id = decodeURIComponent(modelRoute[1]!);
    await ctx.sendJson(200, modelRoute[2] ? modelPricingBody(id) : modelDetailBody(id));
    return;
  }
  if (path === '/v1/realtime') {
    if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
    await ctx.gate();
    const model = get('model');
    if (model !== undefined) {
      const m = findModel(model);
      if (!m) throw unknownModelError(model, 400, 'realtime');
    }
    await ctx.sendJson(200, {
      object: 'realtime.endpoint',
      websocket_url: `/v1/realtime?model=${model ? encodeURIComponent(model) : '{model}'}`,
      protocol: 'tokenlab_realtime_proxy',
    });
    return;
  }
  if (path === '/v1/audio/speech') {
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    const body = await readJsonBody(ctx, settings.jsonLimitBytes);
    ctx.record.json = body;
    await handleSpeech(ctx, body, settings);
    return;
  }
  if (path === '/v1/audio/transcriptions' || path === '/v1/audio/translations') {
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    await handleTranscription(ctx, path.endsWith('transcriptions') ? 'transcribe' : 'translate', settings);
    return;
  }
  ctx.req.resume();
  throw notFound(method, path);
}
