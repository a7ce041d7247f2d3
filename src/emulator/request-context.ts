import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { EmulatorHttpError } from './emulator-http-error.js';
import type { EmulatorRequestRecord } from './emulator-options.js';
import type { FaultPlan } from './fault-book.js';

/** Thrown inside a handler when the response was cut on purpose (reset/stall fault) or the client left. */
export class ResponseAbandoned extends Error {
  override name = 'ResponseAbandoned';
}

/**
 * One request in flight: its id, log record, faults, an AbortSignal that fires when the client goes
 * away (or the emulator closes), and the ways to answer, all of which add `x-request-id` and the
 * rate-limit headers.
 */
export class RequestContext {
  readonly abort = new AbortController();
  private headSent = false;
  private bodyBytes = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly record: EmulatorRequestRecord,
    readonly plan: FaultPlan,
    private readonly baseHeaders: Record<string, string>,
  ) {
    res.once('close', () => {
      if (!res.writableFinished) this.abort.abort(new ResponseAbandoned('client went away'));
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Applies the latency and status faults. Call after the request body has been read, before answering. */
  async gate(): Promise<void> {
    if (this.plan.latencyMs > 0) {
      await delay(this.plan.latencyMs, undefined, { signal: this.signal }).catch(() => undefined);
      if (this.signal.aborted) throw new ResponseAbandoned('client went away during latency');
    }
    const status = this.plan.status;
    if (!status) return;
    throw faultStatusError(status.status, status.retryAfterSeconds);
  }

  /** Sends the response head once (status, the standard headers plus `headers`). */
  writeHead(status: number, headers: Record<string, string>): void {
    if (this.headSent) return;
    this.headSent = true;
    this.record.status = status;
    this.res.writeHead(status, { ...this.baseHeaders, ...headers });
  }

  get headersSent(): boolean {
    return this.headSent || this.res.headersSent;
  }

  /**
   * Writes body bytes honouring backpressure, and applies the reset/stall faults after the first
   * chunk (or half of a single complete body). Rejects with `ResponseAbandoned` when the response
   * was cut or the client left.
   */
  async write(chunk: Buffer | string): Promise<void> {
    if (this.signal.aborted || this.res.destroyed) throw new ResponseAbandoned('client went away');
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const cutNow = (this.plan.reset || this.plan.stall) && this.bodyBytes > 0;
    if (cutNow) await this.cut();
    this.bodyBytes += bytes.length;
    if (!this.res.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
      if (this.res.destroyed) throw new ResponseAbandoned('client went away');
    }
  }

  /** Ends the body (a single-chunk body under a reset/stall fault is cut after its first half). */
  async end(last?: Buffer | string): Promise<void> {
    if (last !== undefined && last.length > 0) {
      const bytes = typeof last === 'string' ? Buffer.from(last) : last;
      if ((this.plan.reset || this.plan.stall) && this.bodyBytes === 0 && bytes.length > 1) {
        await this.write(bytes.subarray(0, bytes.length >> 1));
        await this.write(bytes.subarray(bytes.length >> 1));
      } else await this.write(bytes);
    }
    if (this.plan.reset || this.plan.stall) await this.cut();
    if (!this.res.destroyed) this.res.end();
  }

  private async cut(): Promise<void> {
    const socket = this.res.socket;
    if (this.plan.reset) {
      // Let what was written reach the client first, so the cut is really mid-body.
      await new Promise<void>((resolve) => this.res.write('', () => resolve()));
      await delay(25);
      // An RST, as a proxy or crashed upstream gives, not a clean FIN.
      if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket?.destroy();
      throw new ResponseAbandoned('connection reset by fault injection');
    }
    // Stall: send nothing more until the client gives up or the emulator closes.
    await new Promise<void>((resolve) => {
      if (this.signal.aborted) resolve();
      else this.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    throw new ResponseAbandoned('stalled response abandoned');
  }

  /** A complete JSON response. */
  async sendJson(status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    await this.sendWhole(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
  }

  /** A complete text response. */
  async sendText(status: number, contentType: string, body: string): Promise<void> {
    await this.sendWhole(status, { 'content-type': contentType }, body);
  }

  private async sendWhole(status: number, headers: Record<string, string>, body: string): Promise<void> {
    if (this.plan.reset || this.plan.stall) {
      this.writeHead(status, headers);
      await this.end(body);
      return;
    }
    // Head and body in one write with a Content-Length: no chunked trailer packet to wait on.
    const bytes = Buffer.from(body);
    this.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
    this.res.end(bytes);
  }

  /** An error response in TokenLab's shape (no faults are applied to errors: they must arrive intact). */
  sendError(error: EmulatorHttpError, extraHeaders: Record<string, string> = {}): void {
    if (this.res.destroyed) return;
    if (this.headersSent) {
      // Too late for a status code: the best a server can do is cut the body, so the client sees a broken response.
      this.res.destroy();
      return;
    }
    this.headSent = true;
    this.record.status = error.status;
    this.res.writeHead(error.status, { ...this.baseHeaders, 'content-type': 'application/json', ...error.headers, ...extraHeaders });
    this.res.end(JSON.stringify(error.body(this.requestId)));
  }
}

const FAULT_ERRORS: Record<number, { type: string; message: string; code?: string }> = {
  429: { type: 'rate_limit_exceeded', message: 'Rate limit exceeded. Please slow down. (injected by the emulator)' },
  500: { type: 'server_error', message: 'An internal error occurred (injected by the emulator)' },
  502: { type: 'upstream_error', message: 'Upstream provider returned an error (injected by the emulator)' },
  503: { type: 'all_channels_failed', message: 'All available channels failed to process the request (injected by the emulator)' },
  504: { type: 'timeout_error', message: 'The upstream provider timed out (injected by the emulator)' },
  402: { type: 'insufficient_balance', message: 'Insufficient balance. Please top up your account. (injected by the emulator)' },
  401: { type: 'invalid_api_key', message: 'Invalid API key provided (injected by the emulator)' },
  403: { type: 'permission_error', message: 'Organization is not active (injected by the emulator)' },
};

/** The error an injected status fault answers with (TokenLab's body; `Retry-After` for 429/503). */
export function faultStatusError(statusCode: number, retryAfterSeconds: number | undefined): EmulatorHttpError {
  const retryAfter = retryAfterSeconds ?? (statusCode === 429 || statusCode === 503 ? 1 : undefined);
  const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
  const kind = FAULT_ERRORS[statusCode] ?? { type: statusCode >= 500 ? 'server_error' : 'invalid_request_error', message: `Injected fault ${statusCode}` };
  if (statusCode === 429) headers['x-ratelimit-remaining'] = '0';
  return new EmulatorHttpError(
    statusCode,
    {
      message: kind.message,
      type: kind.type,
      code: kind.code ?? kind.type,
      retryable: statusCode === 429 || statusCode === 408 || statusCode >= 500,
      ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
    },
    { headers },
  );
}
