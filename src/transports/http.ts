/**
 * The HTTP transport of the TokenLab client (undici 7): one keep-alive agent per client, per-call
 * `{ signal, timeoutMs }`, request IDs, bounded retries with backoff that honours the server's hints,
 * upload progress, redaction of the API key from everything it emits, and no key ever sent to another origin.
 * The typed errors it throws (`http-errors.ts`) live beside it, so the transport imports nothing from the
 * layers above.
 */
import { Agent, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import {
  ApiError,
  ConnectionError,
  ResponseTooLargeError,
  TimeoutError,
  apiErrorFromResponse,
  errorObjectOf,
} from './http-errors.js';
import { InputError, abortError } from '../core/errors.js';
import { redact } from './redact.js';
import { formatBytes } from '../core/format-bytes.js';

/** A request body. `stream` bodies are produced by `open()`, once per attempt when `replayable`. */
export type HttpBody =
  | { readonly kind: 'buffer'; readonly data: Uint8Array; readonly contentType: string }
  | {
      readonly kind: 'stream';
      /** Opens the body from the start; called again for each retry when `replayable`. */
      readonly open: () => AsyncIterable<Uint8Array>;
      /** Total bytes when known (sent as `content-length`, else chunked). */
      readonly byteLength: number | undefined;
      readonly contentType: string;
      /** False for one-shot sources (a caller's Readable): such a body is never retried once started. */
      readonly replayable: boolean;
    };

/** Options of one call. */
export interface HttpRequestOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path under the base URL, e.g. `/audio/speech`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: HttpBody;
  readonly signal?: AbortSignal | undefined;
  /** Time allowed for the request to be sent and the response headers to arrive, and for each gap in the response body, ms. */
  readonly timeoutMs?: number | undefined;
  /**
   * Time allowed for the whole call, ms: every attempt, the waits between them (Retry-After included) and the reading
   * of the response body. When it passes, the call (or the body stream) fails with a `TimeoutError`.
   */
  readonly deadlineMs?: number | undefined;
  /** The operation's own defaults, used when neither the call nor the client sets `timeoutMs` / `deadlineMs`. */
  readonly defaults?: { readonly timeoutMs?: number; readonly deadlineMs?: number } | undefined;
  readonly maxRetries?: number | undefined;
  /**
   * The call costs money (speech, transcription): once its body was sent, a timeout or a lost connection is
   * not retried (the server may have done the work) unless `retryBillable` is true.
   */
  readonly billable?: boolean;
  readonly retryBillable?: boolean | undefined;
  /** Called as the body is handed to the socket: bytes sent so far, total when known. */
  readonly onUploadProgress?: ((sentBytes: number, totalBytes: number | undefined) => void) | undefined;
  /** Called once the last byte of the body was handed to the socket. */
  readonly onRequestSent?: (() => void) | undefined;
  /** Called before each retry with the error that caused it and the delay, ms. */
  readonly onRetry?: ((error: ApiError, attempt: number, delayMs: number) => void) | undefined;
}

/** A 2xx response whose body has not been read yet. Read or `destroy()` the body, or the socket stays busy. */
export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string | undefined;
  /** Final URL (after same-origin redirects). */
  readonly url: string;
  readonly body: Readable;
  /** 1 + the number of retries it took. */
  readonly attempts: number;
}

/** Options of the transport (one per client). */
export interface HttpTransportOptions {
  /** e.g. `https://api.tokenlab.sh/v1`. */
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  /** Default: the operation's (see {@link HttpRequestOptions.defaults}), else 600 000 (10 min, room for big uploads). */
  readonly timeoutMs?: number | undefined;
  /** Overall time of each call, retries and waits included, ms. Default: the operation's, else none. */
  readonly deadlineMs?: number | undefined;
  /** Default 2. */
  readonly maxRetries?: number | undefined;
  /** Server-requested waits longer than this are not slept through: the error is thrown instead. Default 60 000. */
  readonly maxRetryDelayMs?: number | undefined;
  /** An undici dispatcher to use instead of the transport's own keep-alive agent (not closed by `close()`). */
  readonly dispatcher?: Dispatcher | undefined;
  /** Receives one line per request, response, retry and failure, with the key redacted. */
  readonly debug?: ((line: string) => void) | undefined;
  readonly userAgent?: string | undefined;
  /** Default for `HttpRequestOptions.retryBillable`. */
  readonly retryBillable?: boolean | undefined;
  /** Message of the InputError thrown when a call needs the key and none was given. */
  readonly missingKeyMessage?: string | undefined;
}

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 2;
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY_BYTES = 1 << 20;
/** Default limit of a buffered 2xx body (JSON, transcript, model list). */
export const DEFAULT_MAX_BODY_BYTES = 16 << 20;

interface AttemptState {
  bodyStarted: boolean;
  bodyDone: boolean;
  /** An error thrown by the body's own source (e.g. the upload file vanished): rethrown as is. */
  sourceError?: unknown;
}

/** HTTP client for one base URL and one API key. */
export class HttpTransport {
  readonly baseURL: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #deadlineMs: number | undefined;
  readonly #maxRetries: number;
  readonly #maxRetryDelayMs: number;
  readonly #debug: ((line: string) => void) | undefined;
  readonly #userAgent: string;
  readonly #retryBillable: boolean;
  readonly #missingKeyMessage: string;
  #closed = false;

  constructor(options: HttpTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.baseURL);
    } catch {
      throw new InputError(`baseURL ${JSON.stringify(options.baseURL)} is not a URL; use e.g. https://api.tokenlab.sh/v1.`, 'TLA_ERR_INPUT_BASE_URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InputError(`baseURL must be http(s), got ${url.protocol}`, 'TLA_ERR_INPUT_BASE_URL');
    }
    if (url.username || url.password) {
      throw new InputError('baseURL must not carry credentials; pass the key as apiKey.', 'TLA_ERR_INPUT_BASE_URL');
    }
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.baseURL = this.#origin + this.#basePath;
    this.#apiKey = options.apiKey || undefined;
    this.#timeoutMs = options.timeoutMs === undefined ? undefined : positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.#deadlineMs = options.deadlineMs === undefined ? undefined : positiveOr(options.deadlineMs, 0, 'deadlineMs');
    this.#maxRetries = nonNegativeIntOr(options.maxRetries, DEFAULT_MAX_RETRIES, 'maxRetries');
    this.#maxRetryDelayMs = positiveOr(options.maxRetryDelayMs, 60_000, 'maxRetryDelayMs');
    this.#debug = options.debug;
    this.#userAgent = options.userAgent ?? `tokenlab-audio node/${process.versions.node}`;
    this.#retryBillable = options.retryBillable ?? false;
    this.#missingKeyMessage = options.missingKeyMessage ?? 'No API key: pass { apiKey } or set TOKENLAB_API_KEY.';
    if (options.dispatcher) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      this.#dispatcher = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 16 });
      this.#ownsDispatcher = true;
    }
  }

  /** Whether a key was configured. */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** The key, for the secret guard's "is the key in this text" check only. */
  get apiKeyForGuard(): string | undefined {
    return this.#apiKey;
  }

  /** The text with the key (and any bearer token) replaced by a marker. */
  redact(text: string): string {
    return redact(text, [this.#apiKey]);
  }

  /** Emits a debug line (redacted), if a debug hook was given. */
  debug(line: string): void {
    if (this.#debug) this.#debug(this.redact(`[tokenlab] ${line}`));
  }

  /**
   * Sends a request, retrying as the policy allows, and resolves with the first 2xx response.
   * @throws ApiError subclass for a non-2xx answer (after retries), TimeoutError, ConnectionError,
   *   InputError when the key is missing, an `AbortError` when `signal` aborts.
   */
  async request(options: HttpRequestOptions): Promise<HttpResponse> {
    if (this.#closed) throw new InputError('This TokenLab client was closed; create a new one.', 'TLA_ERR_INPUT_CLOSED');
    if (!this.#apiKey) throw new InputError(this.#missingKeyMessage, 'TLA_ERR_INPUT_API_KEY');
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    const maxRetries = options.maxRetries === undefined ? this.#maxRetries : nonNegativeIntOr(options.maxRetries, 0, 'maxRetries');
    const timeoutMs =
      options.timeoutMs !== undefined ? positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs') : (this.#timeoutMs ?? options.defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const deadlineMs = options.deadlineMs !== undefined ? positiveOr(options.deadlineMs, 0, 'deadlineMs') : (this.#deadlineMs ?? options.defaults?.deadlineMs);
    const retryBillable = options.retryBillable ?? this.#retryBillable;
    const replayable = options.body === undefined || options.body.kind === 'buffer' || options.body.replayable;

    // The deadline aborts whatever the call is doing (an attempt, a wait, the body the caller is reading) with a
    // TimeoutError; the caller's own signal still means "stop" and wins when both fire.
    const deadlineAt = deadlineMs === undefined ? undefined : Date.now() + deadlineMs;
    let deadlineError: TimeoutError | undefined;
    let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
    let callSignal = signal;
    const passDeadline = (): TimeoutError =>
      (deadlineError ??= new TimeoutError(
        `${options.method} ${options.path} did not complete within its deadline of ${deadlineMs} ms (retries, waits and the response body included); raise deadlineMs (CLI: --timeout) if the server needs longer.`,
        { requestSent: true },
      ));
    if (deadlineMs !== undefined) {
      const deadline = new AbortController();
      deadlineTimer = setTimeout(() => deadline.abort(passDeadline()), deadlineMs);
      callSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    }
    const callOptions: HttpRequestOptions = { ...options, signal: callSignal };
    const stopped = (): Error | undefined => (signal?.aborted ? abortError(signal) : deadlineError);

    try {
      for (let attempt = 0; ; attempt++) {
        const state: AttemptState = { bodyStarted: false, bodyDone: false };
        let error: ApiError;
        let retryAfterMs: number | undefined;
        try {
          const remainingMs = deadlineAt === undefined ? timeoutMs : Math.max(1, Math.min(timeoutMs, deadlineAt - Date.now()));
          const res = await this.#attempt(callOptions, state, attempt, maxRetries, remainingMs);
          if (res.status >= 200 && res.status < 300) {
            if (deadlineTimer !== undefined) {
              const timer = deadlineTimer;
              deadlineTimer = undefined; // the body owns it now: cleared when the body closes
              res.body.once('close', () => clearTimeout(timer));
              if (res.body.destroyed) clearTimeout(timer);
            }
            return res;
          }
          error = await this.#errorFromResponse(res);
          // Aborted while the error body was arriving: the caller asked to stop, not for this status.
          const stop = stopped();
          if (stop) throw stop;
          retryAfterMs = error.retryAfterMs;
        } catch (e) {
          const stop = stopped();
          if (stop) throw stop;
          // An attempt whose timeout was cut to the time left ran out together with the deadline: say which.
          if (e instanceof TimeoutError && deadlineAt !== undefined && Date.now() >= deadlineAt - 20) throw passDeadline();
          if (!(e instanceof ApiError)) throw e;
          error = e;
        }
        const transportFailure = error instanceof TimeoutError || error instanceof ConnectionError;
        let retry: boolean;
        if (transportFailure) {
          // Nothing sent: safe to resend. Sent: only reads, or billable creates the caller opted in for.
          retry = !state.bodyStarted || (options.billable ? retryBillable : options.method === 'GET');
        } else {
          retry = error.retryable && error.status !== 402;
        }
        if (attempt >= maxRetries) retry = false;
        if (retry && state.bodyStarted && !replayable) retry = false; // a one-shot stream cannot be sent twice
        if (!retry) {
          this.debug(`✗ ${options.method} ${options.path}: ${error.message}${attempt > 0 ? ` after ${attempt + 1} attempts` : ''}`);
          throw error;
        }
        const delayMs = retryAfterMs ?? backoffMs(attempt);
        if (delayMs > this.#maxRetryDelayMs) {
          this.debug(`✗ ${options.method} ${options.path}: server asked to wait ${delayMs} ms, more than maxRetryDelayMs; not retrying`);
          throw error;
        }
        if (deadlineAt !== undefined && Date.now() + delayMs >= deadlineAt) {
          this.debug(`✗ ${options.method} ${options.path}: a retry in ${Math.round(delayMs)} ms would pass the deadline; not retrying`);
          throw error;
        }
        this.debug(`↻ ${options.method} ${options.path}: ${error.message}; retry ${attempt + 1}/${maxRetries} in ${Math.round(delayMs)} ms`);
        options.onRetry?.(error, attempt + 1, delayMs);
        try {
          await sleep(delayMs, callSignal);
        } catch (e) {
          throw stopped() ?? e;
        }
      }
    } finally {
      if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    }
  }

  /** Reads a whole (small) response body as JSON; maps stream failures to our errors. */
  async json<T>(res: HttpResponse, signal?: AbortSignal, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<T> {
    const text = await this.text(res, signal, maxBytes);
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new ApiError({ status: res.status, requestId: res.requestId, message: `The server answered ${res.status} with a body that is not JSON (${this.redact(text).slice(0, 80)}…)`, cause: e }, 'TLA_ERR_API_BAD_RESPONSE');
    }
  }

  /**
   * Reads a whole response body as UTF-8 text, at most `maxBytes` of it; maps stream failures to our errors.
   * @throws ResponseTooLargeError over `maxBytes` (at once when `content-length` says so); ApiError
   *   `TLA_ERR_API_BAD_ENCODING` for bytes that are not UTF-8 (the lossy text is its `raw`).
   */
  async text(res: HttpResponse, signal?: AbortSignal, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<string> {
    const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
    const contentLength = declared !== undefined && Number.isFinite(declared) ? declared : undefined;
    const what = `The ${res.status} response to ${new URL(res.url).pathname} (${res.headers['content-type'] ?? 'no content-type'})`;
    const tooLarge = (receivedBytes: number): ResponseTooLargeError =>
      new ResponseTooLargeError(
        `${what} is larger than the ${formatBytes(maxBytes)} this client buffers: ${contentLength !== undefined ? `content-length ${formatBytes(contentLength)}, ` : ''}${formatBytes(receivedBytes)} had arrived. Not read further.`,
        { status: res.status, requestId: res.requestId, receivedBytes, limitBytes: maxBytes, contentLength },
      );
    if (contentLength !== undefined && contentLength > maxBytes) {
      discardBody(res.body);
      throw tooLarge(0);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += (chunk as Buffer).byteLength;
        if (total > maxBytes) {
          discardBody(res.body);
          throw tooLarge(total);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      throw this.bodyError(e, res.requestId);
    }
    const bytes = Buffer.concat(chunks, total);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      const lossy = bytes.toString('utf8');
      throw new ApiError(
        { status: res.status, requestId: res.requestId, body: this.redact(lossy), message: `${what} is not valid UTF-8 text (${formatBytes(total)}); the text with replacement characters is in the error's raw.`, cause: e },
        'TLA_ERR_API_BAD_ENCODING',
      );
    }
  }

  /** Our error for a failure while reading a response body (timeout, reset, abort). */
  bodyError(e: unknown, requestId: string | undefined): Error {
    if (e instanceof ApiError) return e;
    const code = (e as { code?: string } | null)?.code;
    if (code === 'UND_ERR_BODY_TIMEOUT') {
      return new TimeoutError('The response body stalled for longer than the timeout.', { requestSent: true, requestId, cause: e });
    }
    if ((e as { name?: string } | null)?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return e as Error;
    if (e instanceof RangeError && /string length|array buffer allocation/i.test(e.message)) {
      return new ResponseTooLargeError(`The response was too large to hold in memory (${e.message}).`, { status: 200, requestId, receivedBytes: 0, limitBytes: 0 });
    }
    return new ConnectionError(`The connection failed while receiving the response: ${this.redact(describe(e))}.`, { requestSent: true, requestId, cause: e });
  }

  /** Closes the keep-alive connections. In-flight requests fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
  }

  async #attempt(
    options: HttpRequestOptions,
    state: AttemptState,
    attempt: number,
    maxRetries: number,
    timeoutMs: number,
  ): Promise<HttpResponse> {
    const userSignal = options.signal;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    const onAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onAbort, { once: true });
    const release = () => {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onAbort);
    };

    let url = this.#urlFor(options.path, options.query);
    let method: string = options.method;
    let body: HttpBody | undefined = options.body;
    const started = Date.now();
    try {
      for (let hop = 0; ; hop++) {
        const target = new URL(url);
        this.debug(`→ ${method} ${target.pathname}${target.search}${attempt > 0 ? ` (attempt ${attempt + 1}/${maxRetries + 1})` : ''}`);
        const headers: Record<string, string> = {
          'user-agent': this.#userAgent,
          accept: 'application/json',
          ...options.headers,
        };
        // The key only ever goes to the base URL's origin.
        if (target.origin === this.#origin && this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
        let undiciBody: AsyncIterable<Uint8Array> | undefined;
        if (body) {
          headers['content-type'] = body.contentType;
          const total = body.kind === 'buffer' ? body.data.byteLength : body.byteLength;
          if (total !== undefined) headers['content-length'] = String(total);
          undiciBody = trackBody(body, state, total, options.onUploadProgress, options.onRequestSent);
        }
        let res: Dispatcher.ResponseData;
        try {
          res = await this.#dispatcher.request({
            origin: target.origin,
            path: target.pathname + target.search,
            method: method as Dispatcher.HttpMethod,
            headers,
            // undici sends async iterables as they are pulled (typed only as Readable in its d.ts).
            body: (undiciBody ?? null) as Readable | null,
            signal: controller.signal,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          });
        } catch (e) {
          if (userSignal?.aborted) throw abortError(userSignal);
          if (state.sourceError !== undefined) throw state.sourceError;
          if (timedOut) {
            throw new TimeoutError(
              `${method} ${target.pathname} got no response within ${timeoutMs} ms${state.bodyStarted ? ' (the request had been sent)' : ''}.`,
              { requestSent: state.bodyStarted, cause: e },
            );
          }
          const code = (e as { code?: string } | null)?.code;
          if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
            throw new TimeoutError(`${method} ${target.pathname} timed out (${code}).`, { requestSent: state.bodyStarted, cause: e });
          }
          throw new ConnectionError(`${method} ${target.origin}${target.pathname} failed: ${this.redact(describe(e))}.`, {
            requestSent: state.bodyStarted,
            cause: e,
          });
        }
        const responseHeaders = flattenHeaders(res.headers);
        const requestId = responseHeaders['x-request-id'] ?? responseHeaders['request-id'];
        this.debug(`← ${res.statusCode} ${method} ${target.pathname}${requestId ? ` request ${requestId}` : ''} in ${Date.now() - started} ms`);

        if (res.statusCode >= 300 && res.statusCode < 400 && responseHeaders.location) {
          discardBody(res.body);
          const next = new URL(responseHeaders.location, target);
          if (next.origin !== this.#origin) {
            throw new ApiError(
              {
                status: res.statusCode,
                requestId,
                message: `The server redirected ${target.pathname} to another origin (${next.origin}); not followed, so the API key is not sent there. Check baseURL.`,
              },
              'TLA_ERR_API_REDIRECT',
            );
          }
          const replayable = !body || body.kind === 'buffer' || body.replayable;
          const keepMethod = res.statusCode === 307 || res.statusCode === 308;
          if (hop >= MAX_REDIRECTS || (keepMethod && body && !replayable)) {
            throw new ApiError({ status: res.statusCode, requestId, message: `Too many or unfollowable redirects at ${target.pathname}.` }, 'TLA_ERR_API_REDIRECT');
          }
          if (!keepMethod && method !== 'GET') {
            method = 'GET';
            body = undefined;
          }
          state.bodyStarted = false;
          state.bodyDone = false;
          url = next.href;
          continue;
        }

        clearTimeout(timer);
        // The caller's signal keeps aborting the body until it is consumed or destroyed.
        const resBody = res.body;
        resBody.once('close', release);
        if (resBody.destroyed) release();
        return {
          status: res.statusCode,
          headers: responseHeaders,
          requestId,
          url,
          body: resBody,
          attempts: attempt + 1,
        };
      }
    } catch (e) {
      release();
      throw e;
    }
  }

  async #errorFromResponse(res: HttpResponse): Promise<ApiError> {
    let text = '';
    let cut = false;
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += (chunk as Buffer).byteLength;
        if (total > MAX_ERROR_BODY_BYTES) {
          cut = true;
          break;
        }
        chunks.push(chunk as Buffer);
      }
    } catch {
      cut = true; // reset or stalled mid-body: what arrived is still read below
    } finally {
      discardBody(res.body);
    }
    text = this.redact(Buffer.concat(chunks).toString('utf8'));
    let body: unknown = text;
    let message: string | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
      if (cut) {
        // A cut JSON body no longer parses, but what decides a retry is near its start: read those fields as text.
        const partial = errorFieldsOfCutBody(text);
        if (partial.retryable === undefined) partial.retryable = false;
        body = { error: partial };
        message = `HTTP ${res.status}: ${typeof partial.message === 'string' ? partial.message : 'error'} (the error body was cut after ${formatBytes(Buffer.byteLength(text))}; ${
          partial.retryable ? 'the server allows a retry' : 'not retried: whether to retry could not be read'
        })`;
      }
    }
    return apiErrorFromResponse({
      status: res.status,
      requestId: res.requestId,
      body,
      retryAfterMs: retryAfterMsOf(res.headers, body, Date.now(), res.status),
      ...(message ? { message } : {}),
    });
  }

  #urlFor(path: string, query: HttpRequestOptions['query']): string {
    const url = new URL(this.#origin + this.#basePath + (path.startsWith('/') ? path : `/${path}`));
    if (query) {
      for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.href;
  }
}

async function* trackBody(
  body: HttpBody,
  state: AttemptState,
  total: number | undefined,
  onProgress: HttpRequestOptions['onUploadProgress'],
  onSent: HttpRequestOptions['onRequestSent'],
): AsyncGenerator<Uint8Array> {
  let sent = 0;
  // Pulled by undici only once the connection is up and the headers are written: the first pull is "sent".
  const source: AsyncIterable<Uint8Array> = body.kind === 'buffer' ? once(body.data) : body.open();
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await it.next();
      } catch (e) {
        state.sourceError = e;
        throw e;
      }
      state.bodyStarted = true;
      if (step.done) {
        state.bodyDone = true;
        break;
      }
      const chunk = step.value;
      if (chunk.byteLength === 0) continue;
      yield chunk;
      sent += chunk.byteLength;
      onProgress?.(sent, total);
    }
  } finally {
    // Stops a file stream when undici gives up on the body (abort, reset): no descriptor left open.
    if (!state.bodyDone) await it.return?.();
  }
  onSent?.();
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/**
 * How long the server asked us to wait, in ms: `retry-after-ms`, then `Retry-After` (seconds or an HTTP date),
 * then the body's `error.retry_after` (seconds), then `X-RateLimit-Reset` (a unix time in s or ms, or seconds to wait).
 * `X-RateLimit-Reset` is only a wait when the limit is what failed (a 429, or `X-RateLimit-Remaining: 0`): gateways
 * send it on every response, and a 500 must not wait for the rate window to roll over.
 */
export function retryAfterMsOf(
  headers: Readonly<Record<string, string>>,
  body?: unknown,
  now = Date.now(),
  status?: number,
): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const ra = headers['retry-after'];
  if (ra !== undefined && ra.trim() !== '') {
    const seconds = Number(ra);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const err = errorObjectOf(body);
  if (err && typeof err.retry_after === 'number' && Number.isFinite(err.retry_after) && err.retry_after >= 0) return err.retry_after * 1000;
  const reset = headers['x-ratelimit-reset'];
  const limited = status === undefined || status === 429 || headers['x-ratelimit-remaining']?.trim() === '0';
  if (reset !== undefined && limited) {
    const v = Number(reset);
    if (Number.isFinite(v) && v >= 0) {
      if (v > 1e12) return Math.max(0, v - now);
      if (v > 1e9) return Math.max(0, v * 1000 - now);
      return v * 1000;
    }
  }
  return undefined;
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 8 s, each minus up to 25 %. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 8_000) * (1 - 0.25 * Math.random());
}

/**
 * Frees a response body we will not read: undici reports destroying an unread body as an error, which would
 * be an uncaught exception without a listener.
 */
export function discardBody(body: Readable): void {
  if (body.listenerCount('error') === 0) body.on('error', () => {});
  if (!body.destroyed) body.destroy();
}


function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The fields of a JSON error body cut short (so no longer parseable) that can still be read as text:
 * `retryable`, `retry_after`, `type`, `code`, `message`. Only what is certain is returned.
 */
export function errorFieldsOfCutBody(text: string): { retryable?: boolean; retry_after?: number; type?: string; code?: string; message?: string } {
  const out: { retryable?: boolean; retry_after?: number; type?: string; code?: string; message?: string } = {};
  const retryable = /"retryable"\s*:\s*(true|false)\b/.exec(text);
  if (retryable) out.retryable = retryable[1] === 'true';
  const after = /"retry_after"\s*:\s*(\d+(?:\.\d+)?)/.exec(text);
  if (after) out.retry_after = Number(after[1]);
  for (const key of ['type', 'code', 'message'] as const) {
    const m = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,500})"`).exec(text);
    if (m) {
      try {
        out[key] = JSON.parse(`"${m[1]}"`) as string;
      } catch {
        // an escape cut in half: leave the field out
      }
    }
  }
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${code ? `${code}: ` : ''}${e.message}${cause}`;
  }
  return String(e);
}

function positiveOr(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InputError(`${name} must be a positive number of ms, got ${String(v)}.`, 'TLA_ERR_INPUT_OPTION');
  return v;
}

function nonNegativeIntOr(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0) throw new InputError(`${name} must be a whole number ≥ 0, got ${String(v)}.`, 'TLA_ERR_INPUT_OPTION');
  return v;
}
