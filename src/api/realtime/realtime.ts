/**
 * `client.realtime`: opens realtime sessions. Checks the model with the catalog before any socket is opened.
 */
import { InputError, abortError } from '../../core/errors.js';
import type { HttpTransport } from '../../transports/http.js';
import { openWebSocket, webSocketUrl } from '../../transports/websocket.js';
import { realtimeSupportOf, type Models } from '../models.js';
import type { RealtimeDialect, RealtimeSessionConfig } from './events.js';
import { RealtimeModelError } from './realtime-errors.js';
import { RealtimeSession, type RealtimeHistoryEntry, type RealtimeSessionLimits } from './realtime-session.js';

/** Options of {@link Realtime.connect}. */
export interface RealtimeConnectOptions {
  /** A realtime model id from the catalog (e.g. `gpt-realtime`). */
  readonly model: string;
  /** Protocol dialect. Default: what the catalog says for the model, else `ga`. */
  readonly dialect?: RealtimeDialect | undefined;
  /** Sent as `session.update` once the socket is open (GA shape; translated for beta). */
  readonly session?: Partial<RealtimeSessionConfig> | undefined;
  /** Conversation to seed the new session with (text items), e.g. the `history` of a previous session. */
  readonly history?: readonly RealtimeHistoryEntry[] | undefined;
  /** Skip the catalog check (the model is known to be realtime-capable). Default false. */
  readonly skipModelCheck?: boolean | undefined;
  /** Time for the connect and upgrade, ms (default 15 000). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Largest message accepted from the server, bytes (default 16 MiB). */
  readonly maxMessageBytes?: number | undefined;
  readonly keepaliveMs?: number | undefined;
  readonly pongTimeoutMs?: number | undefined;
  readonly silentServerTimeoutMs?: number | undefined;
  readonly expiryWarningMs?: number | undefined;
  readonly maxPendingCreates?: number | undefined;
  readonly maxHistory?: number | undefined;
  readonly maxUsageTurns?: number | undefined;
  /** Aborts the connect (not the session once open: close it). */
  readonly signal?: AbortSignal | undefined;
}

const DIALECT_HINT = /(realtime[=_-]?v1|realtime[_-]beta|beta)/i;

/**
 * The dialect a model's catalog entry asks for, if any: a `realtime_dialect` field (top level, in `tokenlab`,
 * or in `request_format_details.feature_flags`), or a capability naming the beta protocol (`realtime_beta`,
 * `realtime=v1`). TokenLab documents no such field; undefined means "not said" (the client uses GA).
 */
export function catalogDialectOf(model: unknown): RealtimeDialect | undefined {
  const m = model as Record<string, any> | null;
  if (!m || typeof m !== 'object') return undefined;
  const tl = (m.tokenlab ?? m) as Record<string, any>;
  const flags = [m.realtime_dialect, tl.realtime_dialect, tl.request_format_details?.feature_flags?.realtime_dialect, tl.request_format_summary?.feature_flags?.realtime_dialect];
  for (const f of flags) if (f === 'beta' || f === 'ga') return f;
  const caps: unknown[] = Array.isArray(tl.capabilities) ? tl.capabilities : Array.isArray(m.capabilities) ? m.capabilities : [];
  if (caps.some((c) => typeof c === 'string' && /realtime/i.test(c) && DIALECT_HINT.test(c))) return 'beta';
  return undefined;
}

function positive(name: string, v: number | undefined, fallback: number, allowZero = false): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InputError(`realtime.connect: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms or bytes, got ${String(v)}.`, 'TLA_ERR_INPUT_OPTION');
  }
  return v;
}

/** Opens realtime sessions (`client.realtime`). */
export class Realtime {
  readonly #http: HttpTransport;
  readonly #models: Models;

  /** @internal */
  constructor(http: HttpTransport, models: Models) {
    this.#http = http;
    this.#models = models;
  }

  /**
   * Opens a session: checks with the catalog that `model` supports realtime (unless `skipModelCheck`), opens
   * `GET /v1/realtime?model=…` with the Bearer key, sends `session` and the seeded `history`, and resolves once
   * the socket is open. Never reconnects later: `session.restart()` or a new `connect` starts a new session.
   * @throws RealtimeModelError when the catalog says the model cannot do realtime (names models that can);
   *   NotFoundError for an unknown model; the upgrade's HTTP failures as ApiError subclasses
   *   (AuthenticationError, InsufficientBalanceError, RateLimitError with `retryAfterMs`, ServerError), with
   *   request ids; TimeoutError / ConnectionError; InputError for bad options or a missing key; AbortError.
   */
  async connect(options: RealtimeConnectOptions): Promise<RealtimeSession> {
    if (!options || typeof options.model !== 'string' || options.model.trim() === '') {
      throw new InputError('realtime.connect needs { model }: a realtime model id such as "gpt-realtime" (see client.models.list()).', 'TLA_ERR_INPUT_MODEL');
    }
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'realtime.connect');
    if (options.dialect !== undefined && options.dialect !== 'ga' && options.dialect !== 'beta') {
      throw new InputError(`realtime.connect: dialect must be 'ga' or 'beta', got ${JSON.stringify(options.dialect)}.`, 'TLA_ERR_INPUT_OPTION');
    }
    const limits: RealtimeSessionLimits = {
      keepaliveMs: positive('keepaliveMs', options.keepaliveMs, 15_000, true),
      pongTimeoutMs: positive('pongTimeoutMs', options.pongTimeoutMs, 10_000),
      silentServerTimeoutMs: positive('silentServerTimeoutMs', options.silentServerTimeoutMs, 30_000, true),
      expiryWarningMs: positive('expiryWarningMs', options.expiryWarningMs, 60_000, true),
      maxPendingCreates: positive('maxPendingCreates', options.maxPendingCreates, 8),
      maxHistory: positive('maxHistory', options.maxHistory, 200),
      maxUsageTurns: positive('maxUsageTurns', options.maxUsageTurns, 100),
    };
    const handshakeTimeoutMs = positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 15_000);
    const maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes, 16 * 1024 * 1024);
    const apiKey = this.#http.apiKeyForGuard;
    if (!apiKey) {
      throw new InputError('No TokenLab API key. Set TOKENLAB_API_KEY or pass new TokenLab({ apiKey }). Offline: npx tokenlab-audio emulate.', 'TLA_ERR_INPUT_API_KEY');
    }

    let dialect = options.dialect;
    if (!options.skipModelCheck) {
      const model = await this.#models.retrieve(options.model, { signal });
      const support = realtimeSupportOf(model);
      if (!support.supported) {
        let realtimeModels: string[] = [];
        try {
          const list = await this.#models.list({}, { signal });
          realtimeModels = (list.data as Array<Parameters<typeof realtimeSupportOf>[0]>).filter((m) => realtimeSupportOf(m).supported).map((m) => m.id);
        } catch {
          // the list is a courtesy in the message
        }
        throw new RealtimeModelError(options.model, support.reason, realtimeModels);
      }
      dialect ??= catalogDialectOf(model);
    }
    dialect ??= 'ga';

    const headers: Record<string, string> = { Authorization: `Bearer ${apiKey}`, 'User-Agent': `tokenlab-audio node/${process.versions.node}` };
    if (dialect === 'beta') headers['OpenAI-Beta'] = 'realtime=v1';
    const url = webSocketUrl(this.#http.baseURL, '/realtime', { model: options.model });
    this.#http.debug(`→ WS ${url} (${dialect})`);
    const opened = await openWebSocket({ url, headers, handshakeTimeoutMs, maxMessageBytes, signal, redact: (t) => this.#http.redact(t) });
    this.#http.debug(`← WS open${opened.requestId ? ` (request ${opened.requestId})` : ''}`);
    const session = new RealtimeSession({
      socket: opened.socket,
      early: opened.takeEarlyMessages(),
      rawTextFrames: opened.rawTextFrames,
      dialect,
      model: options.model,
      requestId: opened.requestId,
      limits,
      restart: (history) => this.connect({ ...options, dialect, history, skipModelCheck: true, signal: undefined }),
      debug: (line) => this.#http.debug(line),
    });
    try {
      if (options.session) session.updateSession(options.session);
      for (const entry of options.history ?? []) {
        session.send({
          type: 'conversation.item.create',
          item: { type: 'message', role: entry.role, content: [{ type: entry.role === 'user' ? 'input_text' : 'output_text', text: entry.text }] },
        });
      }
    } catch (e) {
      await session.close(1000, 'invalid session options');
      throw e;
    }
    return session;
  }
}
