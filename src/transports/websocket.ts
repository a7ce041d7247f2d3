/**
 * The client side of a WebSocket to the API: opens it with the Bearer key, turns a refused upgrade into the
 * same typed errors as HTTP calls (status, body, request id, Retry-After), keeps it alive with pings, and folds
 * every way a socket can end into one `close` report. It never emits `'error'`: nothing a socket does can
 * crash the process.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { abortError } from '../core/errors.js';
import { ConnectionError, TimeoutError, apiErrorFromResponse, type ApiError } from './http-errors.js';
import { retryAfterMsOf } from './http.js';
import { rawTextFrameWriter, type RawTextFrameWriter } from './websocket-raw-frames.js';

/** Most bytes of a refused upgrade's body that are read (for its error message). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Options of {@link openWebSocket}. */
export interface OpenWebSocketOptions {
  /** `ws:` or `wss:` URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Time allowed for the TCP/TLS connect and the upgrade, ms. */
  readonly handshakeTimeoutMs: number;
  /** Largest message accepted from the server, bytes (a bigger one closes the socket with 1009). */
  readonly maxMessageBytes: number;
  readonly signal?: AbortSignal | undefined;
  /** Removes secrets from text that goes into errors. */
  readonly redact?: ((text: string) => string) | undefined;
}

/** An open socket, and what the upgrade answered. */
export interface OpenedWebSocket {
  readonly socket: WebSocket;
  /** `x-request-id` of the upgrade response, when the server sent one. */
  readonly requestId: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Stops buffering and returns the messages that arrived between the open and this call (frames that came
   * with the upgrade response are delivered before a promise continuation can attach a listener).
   */
  takeEarlyMessages(): Array<[WebSocket.RawData, boolean]>;
  /** Sends pre-framed text frames in one socket write (null: send through `ws`). See websocket-raw-frames.ts. */
  readonly rawTextFrames: RawTextFrameWriter | null;
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** ws's masking-key hook: a zero key, so that ws does not copy and mask each message (see openWebSocket). */
function zeroMaskingKey(mask: Buffer): void {
  mask.fill(0);
}

/** True for wss:// and for loopback hosts: no intermediary can see the frames, so their masking key has no job. */
function unmaskedIsSafe(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'wss:' || hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/**
 * Opens a WebSocket and resolves once it is open.
 * @throws the `ApiError` subclass of the status when the server refuses the upgrade (401 `AuthenticationError`,
 *   402 `InsufficientBalanceError`, 429 `RateLimitError` with `retryAfterMs`, 5xx `ServerError` …);
 *   `TimeoutError` when the handshake takes longer than allowed; `ConnectionError` when the connection fails;
 *   an `AbortError` when `signal` aborts.
 */
export function openWebSocket(options: OpenWebSocketOptions): Promise<OpenedWebSocket> {
  const { signal } = options;
  const redact = options.redact ?? ((t: string) => t);
  if (signal?.aborted) return Promise.reject(abortError(signal, 'Opening the realtime socket'));
  return new Promise<OpenedWebSocket>((resolve, reject) => {
    let settled = false;
    const zeroMask = unmaskedIsSafe(options.url);
    const socket = new WebSocket(options.url, {
      headers: { ...options.headers },
      handshakeTimeout: options.handshakeTimeoutMs,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      followRedirects: false,
      // A zero masking key (ws's documented generateMask hook): ws then sends our bytes as they are instead of
      // copying every message into a masked frame. Masking exists to keep script-chosen bytes from confusing
      // plaintext intermediaries; none can read a TLS stream or stand on loopback, so only there is it skipped.
      ...(zeroMask ? { generateMask: zeroMaskingKey } : {}),
    });
    let upgradeHeaders: Record<string, string> = {};
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('open', onOpen);
      socket.removeListener('unexpected-response', onUnexpected);
      socket.removeListener('upgrade', onUpgrade);
      if (error) {
        // Keep a listener so a late 'error' from the dying socket is not unhandled.
        socket.on('error', () => {});
        if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
        reject(error);
      } else {
        socket.removeListener('error', onError);
        const early: Array<[WebSocket.RawData, boolean]> = [];
        const buffer = (data: WebSocket.RawData, isBinary: boolean): void => {
          early.push([data, isBinary]);
        };
        socket.on('message', buffer);
        // Until the caller attaches its own listener, a socket error must not be unhandled.
        socket.on('error', () => {});
        resolve({
          socket,
          requestId: upgradeHeaders['x-request-id'],
          headers: upgradeHeaders,
          takeEarlyMessages: () => {
            socket.removeListener('message', buffer);
            return early;
          },
          rawTextFrames: zeroMask ? rawTextFrameWriter(socket) : null,
        });
      }
    };
    const onAbort = (): void => finish(abortError(signal!, 'Opening the realtime socket'));
    const onUpgrade = (res: IncomingMessage): void => {
      upgradeHeaders = flatHeaders(res);
    };
    const onOpen = (): void => finish(undefined);
    const onError = (e: Error): void => {
      if (settled) return;
      const message = redact(e.message);
      if (/timed out/i.test(message)) {
        finish(new TimeoutError(`The realtime handshake did not complete within ${options.handshakeTimeoutMs} ms (${message}).`, { requestSent: true, cause: e }));
      } else {
        finish(new ConnectionError(`Could not open the realtime socket to ${redact(options.url)}: ${message}`, { requestSent: false, cause: e }));
      }
    };
    const onUnexpected = (_req: unknown, res: IncomingMessage): void => {
      const headers = flatHeaders(res);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_ERROR_BODY_BYTES) return;
        const part = chunk.subarray(0, MAX_ERROR_BODY_BYTES - size);
        chunks.push(part);
        size += part.length;
      });
      const done = (): void => {
        const text = redact(Buffer.concat(chunks).toString('utf8'));
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        const status = res.statusCode ?? 0;
        const error: ApiError = apiErrorFromResponse({
          status,
          requestId: headers['x-request-id'],
          body,
          retryAfterMs: retryAfterMsOf(headers, body, Date.now(), status),
          ...(status === 101 || status < 300 ? { message: `The server answered the realtime upgrade with HTTP ${status} instead of switching protocols.` } : {}),
        });
        finish(error);
      };
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    };
    socket.on('upgrade', onUpgrade);
    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('unexpected-response', onUnexpected);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `http(s)://host/v1` + `/realtime` → `ws(s)://host/v1/realtime`. */
export function webSocketUrl(baseURL: string, path: string, query: Readonly<Record<string, string>>): string {
  const url = new URL(baseURL.replace(/\/+$/, '') + path);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}
