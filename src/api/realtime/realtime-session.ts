/**
 * One realtime session on one socket: typed `send` / `on` in the GA dialect (beta translated at the edge),
 * one response state machine, liveness, usage per turn and per session, function-call helpers, the text
 * history for a restart, and one typed `close`. No automatic reconnect, ever.
 */
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { AppendEncoder } from './append-encoder.js';
import type { RawTextFrameWriter } from '../../transports/websocket-raw-frames.js';
import { AudioDeltaScanner, type OutputAudioDelta } from './audio-delta-scanner.js';
import { clientEventToBeta, serverEventFromBeta } from './dialect.js';
import { clientEventProblems, isKnownServerEventType, MAX_APPEND_BASE64_CHARS, serverEventProblems } from './event-checks.js';
import type {
  RealtimeClientEvent,
  RealtimeDialect,
  RealtimeResponseCreateParams,
  RealtimeServerEvent,
  RealtimeServerEventMap,
  RealtimeSessionDescription,
  RealtimeSessionConfig,
  RealtimeUsage,
  ResponseFunctionCallArgumentsDoneEvent,
} from './events.js';
import { RealtimeClosedError, RealtimeEventError, RealtimeOverflowError, RealtimeProtocolError, RealtimeServerError, type RealtimeError } from './realtime-errors.js';

/** Who ended a session. */
export type RealtimeCloseInitiator = 'client' | 'server' | 'network' | 'timeout';

/** Why and how a session ended (the session's one `close` event). */
export interface RealtimeCloseInfo {
  /** WebSocket close code (1000 normal, 1006 cut without a close frame, 1009 message too big, 1011 server error …). */
  readonly code: number;
  readonly reason: string;
  readonly initiatedBy: RealtimeCloseInitiator;
  /** True when a response was in progress (created and not done): its output was cut off. */
  readonly responseInterrupted: boolean;
  /** The failure behind a close the application did not ask for. */
  readonly error: RealtimeError | undefined;
  /** The session's `expires_at` (unix s), when the server announced one. */
  readonly expiresAt: number | undefined;
  readonly requestId: string | undefined;
}

/** A function call the model made, ready for {@link RealtimeSession.sendFunctionOutput}. */
export interface RealtimeFunctionCall {
  readonly callId: string;
  readonly name: string;
  /** JSON text of the arguments, as the model wrote it. */
  readonly arguments: string;
  readonly itemId: string;
  readonly responseId: string;
}

/** Usage of one response, and the session's running total. */
export interface RealtimeTurnUsage {
  readonly responseId: string;
  readonly status: string | undefined;
  readonly usage: RealtimeUsage;
}

/** Token totals of a session. */
export interface RealtimeUsageTotals {
  responses: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputAudioTokens: number;
  inputTextTokens: number;
  inputCachedTokens: number;
  outputAudioTokens: number;
  outputTextTokens: number;
}

/** One line of the conversation's text history (what a restart can seed a new session with). */
export interface RealtimeHistoryEntry {
  readonly role: 'user' | 'assistant';
  readonly itemId: string;
  readonly text: string;
}

/** Events of a session beyond the server events (which are emitted under their own `type`). */
export interface RealtimeSessionEvents {
  /** Every server event (GA dialect), after its typed listeners. */
  event: (event: RealtimeServerEvent) => void;
  /** A server `error` event (non-fatal; the socket stays usable), as a typed error. */
  'server-error': (error: RealtimeServerError) => void;
  /** Something on the socket was not the protocol (non-fatal). */
  warning: (error: RealtimeProtocolError) => void;
  /** The model called a function (from `response.function_call_arguments.done`). */
  'function-call': (call: RealtimeFunctionCall) => void;
  /** Usage of a finished response (`response.done`) and the session totals. */
  usage: (turn: RealtimeTurnUsage, totals: Readonly<RealtimeUsageTotals>) => void;
  /** The session expires in `remainingMs` (emitted once, `expiryWarningMs` ahead of `expires_at`). */
  expiring: (info: { expiresAt: number; remainingMs: number }) => void;
  /** The session ended (exactly once). */
  close: (info: RealtimeCloseInfo) => void;
}

type Listener = (...args: any[]) => void;
type ServerListeners = { [K in keyof RealtimeServerEventMap]: (event: RealtimeServerEventMap[K]) => void };
type AllEvents = ServerListeners & RealtimeSessionEvents;

/** Liveness and bounds of a session. */
export interface RealtimeSessionLimits {
  /** Ping interval, ms (default 15 000; 0 = no pings). */
  readonly keepaliveMs: number;
  /** A ping unanswered this long closes the session (`timeout`), ms (default 10 000). */
  readonly pongTimeoutMs: number;
  /** No event for this long while a response is expected closes the session (`timeout`), ms (default 30 000). */
  readonly silentServerTimeoutMs: number;
  /** The `expiring` warning comes this long before `expires_at`, ms (default 60 000). */
  readonly expiryWarningMs: number;
  /** Most `response.create` calls waiting for the current response to finish (default 8). */
  readonly maxPendingCreates: number;
  /** Most history entries kept (oldest dropped first; default 200). */
  readonly maxHistory: number;
  /** Most per-turn usage records kept (default 100; totals are kept for the whole session). */
  readonly maxUsageTurns: number;
}

/** @internal What {@link RealtimeSession} is built from. */
export interface RealtimeSessionInit {
  readonly socket: WebSocket;
  /** Messages that arrived before the session attached its listener. */
  readonly early?: ReadonlyArray<[WebSocket.RawData, boolean]> | undefined;
  /** Sends input audio frames in one socket write each (null or absent: through `ws`). */
  readonly rawTextFrames?: RawTextFrameWriter | null | undefined;
  readonly dialect: RealtimeDialect;
  readonly model: string;
  readonly requestId: string | undefined;
  readonly limits: RealtimeSessionLimits;
  readonly restart: ((history: readonly RealtimeHistoryEntry[]) => Promise<RealtimeSession>) | undefined;
  readonly debug?: ((line: string) => void) | undefined;
}

type ResponseState = 'idle' | 'creating' | 'active';

const TEXT_FRAME = { binary: false } as const;

const BENIGN_ERROR_CODES = new Set(['response_cancel_not_active', 'conversation_already_has_active_response']);

/**
 * A realtime session. Create with `client.realtime.connect(…)`.
 *
 * **Events**: every GA server event under its `type` (`session.on('response.output_audio.delta', e => …)`,
 * also on a beta socket, translated), plus `event`, `server-error`, `warning`, `function-call`, `usage`,
 * `expiring` and `close`. A server `error` event is delivered as `'error'` (the event) and `'server-error'`
 * (typed error); it is never thrown and never closes the session. No listener is required for anything.
 *
 * **Responses**: `createResponse()` / `cancelResponse()` (and `send` of `response.create` / `response.cancel`,
 * which route through them) are sequenced: a create while a response is active waits for its `response.done`;
 * a cancel before `response.created` is sent once the response id is known. The application never sees
 * `conversation_already_has_active_response` or `response_cancel_not_active` caused by its own calls.
 */
export class RealtimeSession {
  readonly dialect: RealtimeDialect;
  readonly model: string;
  /** `x-request-id` of the upgrade. */
  readonly requestId: string | undefined;

  readonly #socket: WebSocket;
  readonly #limits: RealtimeSessionLimits;
  readonly #restart: RealtimeSessionInit['restart'];
  readonly #debug: ((line: string) => void) | undefined;
  readonly #listeners = new Map<string, Listener[]>();

  #session: RealtimeSessionDescription | undefined;
  #closed = false;
  #closeInfo: RealtimeCloseInfo | undefined;
  #closeRequested: { code: number; reason: string } | undefined;
  #closeError: RealtimeError | undefined;
  #closeInitiator: RealtimeCloseInitiator | undefined;
  readonly #closedPromise: Promise<RealtimeCloseInfo>;
  #resolveClosed!: (info: RealtimeCloseInfo) => void;

  #responseState: ResponseState = 'idle';
  #activeResponseId: string | undefined;
  #cancelWanted = false;
  readonly #pendingCreates: Array<{ params: RealtimeResponseCreateParams | undefined; eventId: string | undefined }> = [];
  #createEventId: string | undefined;
  #lastCreate: { eventId: string; params: RealtimeResponseCreateParams | undefined } | undefined;
  #eventCounter = 0;

  #lastEventAt = performance.now();
  #silentTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;
  #expiryTimer: NodeJS.Timeout | null = null;
  #expiryWarned = false;

  readonly #totals: RealtimeUsageTotals = {
    responses: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, inputAudioTokens: 0, inputTextTokens: 0, inputCachedTokens: 0, outputAudioTokens: 0, outputTextTokens: 0,
  };
  readonly #turns: RealtimeTurnUsage[] = [];
  readonly #history: RealtimeHistoryEntry[] = [];
  readonly #unknownTypesReported = new Set<string>();
  #malformedFrames = 0;
  readonly #appendEncoder = new AppendEncoder();
  readonly #rawTextFrames: RawTextFrameWriter | null;
  readonly #deltaScanner = new AudioDeltaScanner();
  #outputAudioSink: ((delta: OutputAudioDelta) => void) | undefined;
  readonly #parsedDelta = { responseId: '', itemId: '', outputIndex: 0, contentIndex: 0, text: '' as string | undefined, bytes: Buffer.alloc(0), deltaStart: 0, deltaEnd: 0 };

  /** @internal Use `client.realtime.connect()`. */
  constructor(init: RealtimeSessionInit) {
    this.#socket = init.socket;
    this.#rawTextFrames = init.rawTextFrames ?? null;
    this.dialect = init.dialect;
    this.model = init.model;
    this.requestId = init.requestId;
    this.#limits = init.limits;
    this.#restart = init.restart;
    this.#debug = init.debug;
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const socket = this.#socket;
    socket.on('message', this.#onMessage);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onSocketError);
    socket.on('pong', this.#onPong);
    if (this.#limits.keepaliveMs > 0) this.#pingTimer = setInterval(this.#ping, this.#limits.keepaliveMs);
    this.#pingTimer?.unref?.();
    if (init.early && init.early.length > 0) {
      // Delivered on the next turn, once the caller of connect() has had the chance to add listeners; what
      // arrives meanwhile queues behind them, so the order is kept.
      this.#backlog = [...init.early];
      setImmediate(() => {
        const backlog = this.#backlog ?? [];
        this.#backlog = null;
        for (const [data, isBinary] of backlog) if (!this.#closed) this.#onMessage(data, isBinary);
      });
    }
  }

  #backlog: Array<[WebSocket.RawData, boolean]> | null = null;

  // ------------------------------------------------------------------------------------------ public state

  /** The latest session description from `session.created` / `session.updated` (GA shape). */
  get session(): RealtimeSessionDescription | undefined {
    return this.#session;
  }
  /** `expires_at` of the session (unix s), once the server said. */
  get expiresAt(): number | undefined {
    return this.#session?.expires_at;
  }
  /** True once the socket is closed (or closing). */
  get closed(): boolean {
    return this.#closed || this.#closeRequested !== undefined;
  }
  /** Resolves with the close report once the session has ended. */
  get whenClosed(): Promise<RealtimeCloseInfo> {
    return this.#closedPromise;
  }
  /** Bytes queued in the socket and not yet sent (for send backpressure). */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }
  /** `idle`, `creating` (asked, no `response.created` yet) or `active`. */
  get responseState(): ResponseState {
    return this.#responseState;
  }
  /** Id of the response in progress. */
  get activeResponseId(): string | undefined {
    return this.#activeResponseId;
  }
  /** Usage per finished response (the most recent `maxUsageTurns`). */
  get usageTurns(): readonly RealtimeTurnUsage[] {
    return this.#turns;
  }
  /** Token totals of the whole session. */
  get usageTotals(): Readonly<RealtimeUsageTotals> {
    return this.#totals;
  }
  /** The conversation's text history (user transcripts and texts, assistant transcripts and texts), in order. */
  get history(): readonly RealtimeHistoryEntry[] {
    return this.#history;
  }
  /** Frames from the server that were not JSON or not an object with a `type`. */
  get malformedFrames(): number {
    return this.#malformedFrames;
  }

  // ------------------------------------------------------------------------------------------ events

  /** Adds a listener for a server event type or a session event. */
  on<K extends keyof AllEvents>(type: K, listener: AllEvents[K]): this {
    const list = this.#listeners.get(type);
    if (list) list.push(listener as Listener);
    else this.#listeners.set(type, [listener as Listener]);
    return this;
  }
  /** Adds a listener called once. */
  once<K extends keyof AllEvents>(type: K, listener: AllEvents[K]): this {
    const wrapper = ((...args: unknown[]) => {
      this.off(type, wrapper as AllEvents[K]);
      (listener as Listener)(...args);
    }) as AllEvents[K];
    return this.on(type, wrapper);
  }
  /** Removes a listener. */
  off<K extends keyof AllEvents>(type: K, listener: AllEvents[K]): this {
    const list = this.#listeners.get(type);
    if (!list) return this;
    const i = list.indexOf(listener as Listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(type);
    return this;
  }
  /** Resolves with the next server event of `type` (rejects with RealtimeClosedError if the session closes first). */
  waitFor<K extends keyof RealtimeServerEventMap>(type: K, options: { timeoutMs?: number } = {}): Promise<RealtimeServerEventMap[K]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new RealtimeClosedError(`The realtime session is closed; "${type}" will not arrive.`));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        this.off(type, onEvent as AllEvents[K]);
        this.off('close', onClose);
        if (timer) clearTimeout(timer);
      };
      const onEvent = (e: RealtimeServerEventMap[K]): void => {
        cleanup();
        resolve(e);
      };
      const onClose = (info: RealtimeCloseInfo): void => {
        cleanup();
        reject(new RealtimeClosedError(`The realtime session closed (${info.code} ${info.reason}) before "${type}" arrived.`));
      };
      this.on(type, onEvent as AllEvents[K]);
      this.on('close', onClose);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(new RealtimeProtocolError(`No "${type}" within ${options.timeoutMs} ms.`));
        }, options.timeoutMs);
      }
    });
  }

  #emit(type: string, ...args: unknown[]): void {
    const list = this.#listeners.get(type);
    if (!list) return;
    if (list.length === 1) list[0]!(...args);
    else for (const l of [...list]) l(...args);
  }

  // ------------------------------------------------------------------------------------------ sending

  /**
   * Sends a client event (GA dialect; translated for a beta socket). Checked first: an invalid event throws
   * and nothing is sent. `response.create` and `response.cancel` go through the response state machine.
   * @throws RealtimeEventError for an invalid event; RealtimeClosedError when the session is closed.
   */
  send(event: RealtimeClientEvent): void {
    if (event.type === 'response.create') {
      this.createResponse(event.response, event.event_id);
      return;
    }
    if (event.type === 'response.cancel') {
      this.cancelResponse();
      return;
    }
    this.#sendChecked(event);
  }

  #sendChecked(event: RealtimeClientEvent): void {
    this.#assertOpen(event.type);
    const problems = clientEventProblems(event, 'ga');
    if (problems.length > 0) throw new RealtimeEventError(event.type, problems);
    let wire: object = event;
    if (this.dialect === 'beta') {
      try {
        wire = clientEventToBeta(event);
      } catch (e) {
        throw new RealtimeEventError(event.type, [(e as Error).message]);
      }
      const betaProblems = clientEventProblems(wire, 'beta');
      if (betaProblems.length > 0) throw new RealtimeEventError(event.type, betaProblems);
    }
    this.#socket.send(JSON.stringify(wire));
  }

  /**
   * Sends `input_audio_buffer.append` of already base64-encoded audio: the hot path, with the checks
   * inlined (the same in both dialects). @throws RealtimeEventError / RealtimeClosedError.
   */
  appendAudio(base64: string): void {
    this.#assertOpen('input_audio_buffer.append');
    if (base64.length === 0 || base64.length > MAX_APPEND_BASE64_CHARS || base64.length % 4 !== 0) {
      throw new RealtimeEventError('input_audio_buffer.append', [base64.length === 0 ? 'audio is empty' : 'audio is not base64 of at most 15 MiB']);
    }
    this.#socket.send('{"type":"input_audio_buffer.append","audio":"' + base64 + '"}');
  }

  /**
   * Sends `input_audio_buffer.append` of raw audio bytes in the session's input format (`audio[offset..offset +
   * byteLength)`), the message built as bytes in a reused buffer and sent as a text frame: no string per
   * message (the send path of `realtimeDuplex`). `audio` is encoded before this returns (the caller may reuse it).
   * @throws RealtimeEventError for empty audio or over 15 MiB; RealtimeClosedError when the session is closed.
   */
  appendAudioBytes(audio: Uint8Array, offset = 0, byteLength = audio.length - offset): void {
    this.#assertOpen('input_audio_buffer.append');
    // The frame goes to the socket in one write, or through ws (which, with a zero masking key, hands these
    // very bytes to the socket too): while the socket holds them unwritten, the next message must not be
    // built over them.
    const message = this.#appendEncoder.encode(audio, offset, byteLength);
    if (this.#rawTextFrames === null || !this.#rawTextFrames(this.#appendEncoder.frame())) this.#socket.send(message, TEXT_FRAME);
    if (this.#socket.bufferedAmount > 0) this.#appendEncoder.detach();
  }

  /**
   * @internal The consumer of output audio (the duplex): gets every `response.output_audio.delta` after its
   * typed listeners. While no application listener wants delta events (nor `event`), deltas are read straight
   * from the message bytes and never become strings or objects. `undefined` (or another sink) replaces it.
   */
  setOutputAudioSink(sink: ((delta: OutputAudioDelta) => void) | undefined): void {
    this.#outputAudioSink = sink;
  }
  /** @internal The audio sink set by {@link RealtimeSession.setOutputAudioSink}. */
  get outputAudioSink(): ((delta: OutputAudioDelta) => void) | undefined {
    return this.#outputAudioSink;
  }

  /** Updates the session (only present fields change; `type` defaults to `realtime`). */
  updateSession(session: Partial<RealtimeSessionConfig>): void {
    this.#sendChecked({ type: 'session.update', session: { type: 'realtime', ...session } as RealtimeSessionConfig });
  }

  #assertOpen(type: string): void {
    if (this.closed) throw new RealtimeClosedError(`The realtime session is closed; "${type}" was not sent. Start a new session with session.restart() or client.realtime.connect().`);
  }

  /**
   * Asks for a response. Sent now when no response is in progress, else queued until the current one is
   * done (bounded by `maxPendingCreates`).
   * @throws RealtimeEventError / RealtimeClosedError / RealtimeOverflowError.
   */
  createResponse(params?: RealtimeResponseCreateParams, eventId?: string): void {
    this.#assertOpen('response.create');
    const probe: RealtimeClientEvent = params ? { type: 'response.create', response: params } : { type: 'response.create' };
    const problems = clientEventProblems(probe, 'ga');
    if (problems.length > 0) throw new RealtimeEventError('response.create', problems);
    if (this.#responseState === 'idle') {
      this.#sendCreate(params, eventId);
      return;
    }
    if (this.#pendingCreates.length >= this.#limits.maxPendingCreates) {
      throw new RealtimeOverflowError(`${this.#pendingCreates.length} response.create calls are already waiting for the current response to finish; wait for response.done.`);
    }
    this.#pendingCreates.push({ params, eventId });
  }

  #sendCreate(params: RealtimeResponseCreateParams | undefined, eventId: string | undefined): void {
    const id = eventId ?? `tla_create_${++this.#eventCounter}`;
    this.#createEventId = id;
    this.#lastCreate = { eventId: id, params };
    this.#responseState = 'creating';
    this.#cancelWanted = false;
    this.#sendChecked(params ? { type: 'response.create', event_id: id, response: params } : { type: 'response.create', event_id: id });
    this.#armSilentTimer();
  }

  /**
   * Cancels the response in progress (or the one asked for and not yet created: the cancel goes out when its
   * id arrives), and drops queued creates. Returns false when there was nothing to cancel (nothing is sent).
   */
  cancelResponse(): boolean {
    if (this.closed) return false;
    this.#pendingCreates.length = 0;
    if (this.#responseState === 'idle') return false;
    if (this.#responseState === 'creating') {
      this.#cancelWanted = true;
      return true;
    }
    if (this.#cancelWanted) return true;
    this.#cancelWanted = true;
    this.#sendChecked(this.#activeResponseId ? { type: 'response.cancel', response_id: this.#activeResponseId } : { type: 'response.cancel' });
    return true;
  }

  /**
   * Gives a function call's result to the model (`function_call_output`) and, unless `respond: false`,
   * asks for the next response (sequenced after the current one).
   */
  sendFunctionOutput(call: RealtimeFunctionCall | string, output: unknown, options: { respond?: boolean } = {}): void {
    const callId = typeof call === 'string' ? call : call.callId;
    const text = typeof output === 'string' ? output : JSON.stringify(output);
    this.#sendChecked({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: text } });
    if (options.respond !== false) this.createResponse();
  }

  /**
   * Runs `handler` for every function call and answers with what it returns (or `{ error }` when it throws),
   * then asks for the next response. Returns a function that stops handling.
   */
  handleFunctionCalls(handler: (call: RealtimeFunctionCall, args: unknown) => unknown | Promise<unknown>): () => void {
    const listener = (call: RealtimeFunctionCall): void => {
      let args: unknown;
      try {
        args = JSON.parse(call.arguments || '{}');
      } catch {
        args = call.arguments;
      }
      Promise.resolve()
        .then(() => handler(call, args))
        .then(
          (result) => result,
          (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
        )
        .then((result) => {
          if (!this.closed) this.sendFunctionOutput(call, result ?? null);
        })
        .catch((e: unknown) => this.#emit('warning', new RealtimeProtocolError(`Could not send the output of function call ${call.callId}: ${(e as Error).message}`, { cause: e })));
    };
    this.on('function-call', listener);
    return () => this.off('function-call', listener);
  }

  /**
   * Closes the session (code 1000 by default). Nothing reconnects. Resolves with the close report.
   */
  close(code = 1000, reason = 'client closed'): Promise<RealtimeCloseInfo> {
    if (!this.#closed && !this.#closeRequested) {
      this.#closeRequested = { code, reason };
      this.#closeInitiator ??= 'client';
      try {
        this.#socket.close(code, reason);
      } catch {
        this.#socket.terminate();
      }
      // A peer that never answers the close frame: cut it.
      const t = setTimeout(() => this.#socket.terminate(), 2000);
      t.unref?.();
      this.#closedPromise.then(() => clearTimeout(t));
    }
    return this.#closedPromise;
  }

  /**
   * Starts a new session with the same options (closing this one if it is open), seeded with this session's
   * text history unless `seedHistory: false`. Only ever called by the application: sessions never reconnect.
   */
  async restart(options: { seedHistory?: boolean } = {}): Promise<RealtimeSession> {
    if (!this.#restart) throw new RealtimeClosedError('This session was not opened by client.realtime.connect(); open a new one.');
    if (!this.#closed) await this.close(1000, 'restarted by the application');
    return this.#restart(options.seedHistory === false ? [] : [...this.#history]);
  }

  // ------------------------------------------------------------------------------------------ receiving

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.#backlog !== null) {
      this.#backlog.push([data, isBinary]);
      return;
    }
    this.#lastEventAt = performance.now();
    if (isBinary) {
      this.#malformed('a binary frame (the protocol sends JSON text)');
      return;
    }
    if (
      this.#outputAudioSink !== undefined &&
      Buffer.isBuffer(data) &&
      !this.#listeners.has('response.output_audio.delta') &&
      !this.#listeners.has('event') &&
      this.#deltaScanner.scan(data, this.dialect)
    ) {
      // What #track does for a delta.
      if (this.#responseState !== 'idle') this.#armSilentTimer();
      this.#outputAudioSink(this.#deltaScanner);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof data === 'string' ? data : data.toString());
    } catch (e) {
      this.#malformed(`a frame that is not JSON (${String(data).slice(0, 60)}…)`, e);
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { type?: unknown }).type !== 'string') {
      this.#malformed('a frame without a string "type"');
      return;
    }
    let event: RealtimeServerEvent;
    try {
      event = this.dialect === 'beta' ? serverEventFromBeta(parsed as never) : (parsed as RealtimeServerEvent);
    } catch (e) {
      this.#malformed(`an event that could not be translated from the beta dialect: ${(e as Error).message}`, e);
      return;
    }
    if (!isKnownServerEventType(event.type)) {
      if (!this.#unknownTypesReported.has(event.type) && this.#unknownTypesReported.size < 100) {
        this.#unknownTypesReported.add(event.type);
        this.#emit('warning', new RealtimeProtocolError(`The server sent an event of unknown type "${event.type}"; it is passed on as 'event' only.`));
      }
      this.#emit('event', event);
      return;
    }
    this.#track(event);
    this.#emit(event.type, event);
    if (event.type === 'response.output_audio.delta' && this.#outputAudioSink !== undefined) {
      const d = this.#parsedDelta;
      d.responseId = event.response_id;
      d.itemId = event.item_id;
      d.outputIndex = event.output_index;
      d.contentIndex = event.content_index;
      d.text = event.delta;
      this.#outputAudioSink(d);
    }
    this.#emit('event', event);
  };

  #malformed(what: string, cause?: unknown): void {
    this.#malformedFrames++;
    this.#emit('warning', new RealtimeProtocolError(`The realtime server sent ${what}; it was skipped.`, cause === undefined ? undefined : { cause }));
  }

  /** State kept from server events: session, response state, usage, history, function calls. */
  #track(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'session.created':
      case 'session.updated':
        this.#session = event.session;
        this.#armExpiry();
        break;
      case 'response.created':
        this.#responseState = 'active';
        this.#activeResponseId = event.response.id;
        this.#createEventId = undefined;
        if (this.#cancelWanted) {
          this.#cancelWanted = false;
          this.cancelResponse();
        }
        this.#armSilentTimer();
        break;
      case 'response.done':
        this.#onResponseDone(event.response);
        break;
      case 'error': {
        const details = event.error;
        if (details && BENIGN_ERROR_CODES.has(details.code ?? '')) {
          // A race with the server (its VAD started or ended a response as we asked): recover quietly.
          const ours = details.event_id != null && details.event_id === this.#lastCreate?.eventId;
          if (details.code === 'conversation_already_has_active_response' && ours) {
            // Our create met a response the server started itself: ask again once that one is done.
            this.#pendingCreates.unshift({ params: this.#lastCreate!.params, eventId: undefined });
            if (this.#responseState === 'creating') this.#responseState = 'active';
            else if (this.#responseState === 'idle') this.#flushCreates();
          }
          this.#debug?.(`realtime: benign ${details.code} absorbed`);
          return;
        }
        if (details && details.event_id && details.event_id === this.#createEventId) {
          // Our create was refused: nothing is coming.
          this.#responseState = 'idle';
          this.#createEventId = undefined;
          this.#disarmSilentTimer();
          this.#flushCreates();
        }
        this.#emit('server-error', new RealtimeServerError(details ?? { type: 'unknown', message: 'error event without details' }));
        break;
      }
      case 'response.function_call_arguments.done':
        this.#emit('function-call', functionCallOf(event));
        break;
      case 'conversation.item.input_audio_transcription.completed':
        this.#remember('user', event.item_id, event.transcript);
        break;
      case 'response.output_audio_transcript.done':
        this.#remember('assistant', event.item_id, event.transcript);
        break;
      case 'response.output_text.done':
        this.#remember('assistant', event.item_id, event.text);
        break;
      case 'conversation.item.added':
      case 'conversation.item.created': {
        const item = event.item;
        if (item.type === 'message' && item.role === 'user' && item.id) {
          const text = item.content.map((p) => (p.type === 'input_text' ? p.text ?? '' : '')).join('');
          if (text) this.#remember('user', item.id, text);
        }
        break;
      }
      case 'conversation.item.deleted': {
        const i = this.#history.findIndex((h) => h.itemId === event.item_id);
        if (i >= 0) this.#history.splice(i, 1);
        break;
      }
      default:
        break;
    }
    if (this.#responseState !== 'idle') this.#armSilentTimer();
  }

  #remember(role: 'user' | 'assistant', itemId: string, text: string): void {
    if (!text) return;
    const existing = this.#history.findIndex((h) => h.itemId === itemId);
    if (existing >= 0) this.#history[existing] = { role, itemId, text };
    else this.#history.push({ role, itemId, text });
    if (this.#history.length > this.#limits.maxHistory) this.#history.shift();
  }

  /** Truncates the assistant text of an item in the history to what was heard (a barge-in). */
  noteTruncated(itemId: string, heardText: string | undefined): void {
    const i = this.#history.findIndex((h) => h.itemId === itemId);
    if (i < 0) return;
    if (heardText) this.#history[i] = { ...this.#history[i]!, text: heardText };
    else this.#history.splice(i, 1);
  }

  #onResponseDone(response: RealtimeServerEventMap['response.done']['response']): void {
    if (response.usage) {
      const u = response.usage;
      const t = this.#totals;
      t.responses++;
      t.inputTokens += u.input_tokens ?? 0;
      t.outputTokens += u.output_tokens ?? 0;
      t.totalTokens += u.total_tokens ?? 0;
      t.inputAudioTokens += u.input_token_details?.audio_tokens ?? 0;
      t.inputTextTokens += u.input_token_details?.text_tokens ?? 0;
      t.inputCachedTokens += u.input_token_details?.cached_tokens ?? 0;
      t.outputAudioTokens += u.output_token_details?.audio_tokens ?? 0;
      t.outputTextTokens += u.output_token_details?.text_tokens ?? 0;
      const turn: RealtimeTurnUsage = { responseId: response.id, status: response.status, usage: u };
      this.#turns.push(turn);
      if (this.#turns.length > this.#limits.maxUsageTurns) this.#turns.shift();
      this.#emit('usage', turn, t);
    }
    if (response.id === this.#activeResponseId || this.#responseState !== 'creating') {
      this.#responseState = 'idle';
      this.#activeResponseId = undefined;
      this.#cancelWanted = false;
      this.#disarmSilentTimer();
      this.#flushCreates();
    }
  }

  #flushCreates(): void {
    const next = this.#pendingCreates.shift();
    if (next && !this.closed) this.#sendCreate(next.params, next.eventId);
  }

  // ------------------------------------------------------------------------------------------ liveness

  #armSilentTimer(): void {
    const ms = this.#limits.silentServerTimeoutMs;
    if (ms <= 0 || this.#silentTimer !== null || this.#closed) return;
    this.#silentTimer = setTimeout(this.#checkSilent, ms);
  }

  #disarmSilentTimer(): void {
    if (this.#silentTimer !== null) clearTimeout(this.#silentTimer);
    this.#silentTimer = null;
  }

  readonly #checkSilent = (): void => {
    this.#silentTimer = null;
    if (this.#closed || this.#responseState === 'idle') return;
    const quietMs = performance.now() - this.#lastEventAt;
    const limit = this.#limits.silentServerTimeoutMs;
    if (quietMs >= limit) {
      this.#fail('timeout', 4000, 'server silent', new RealtimeProtocolError(`The realtime server sent nothing for ${Math.round(quietMs)} ms while a response was expected; the session was closed. Start a new one with session.restart().`));
      return;
    }
    this.#silentTimer = setTimeout(this.#checkSilent, limit - quietMs);
  };

  readonly #ping = (): void => {
    if (this.#closed || this.#pongTimer !== null) return;
    try {
      this.#socket.ping();
    } catch {
      return;
    }
    this.#pongTimer = setTimeout(() => {
      this.#pongTimer = null;
      this.#fail('timeout', 4001, 'keepalive timeout', new RealtimeProtocolError(`No pong within ${this.#limits.pongTimeoutMs} ms of a ping: the connection is dead. Start a new session with session.restart().`));
    }, this.#limits.pongTimeoutMs);
  };

  readonly #onPong = (): void => {
    if (this.#pongTimer !== null) clearTimeout(this.#pongTimer);
    this.#pongTimer = null;
  };

  #armExpiry(): void {
    const expiresAt = this.#session?.expires_at;
    if (this.#expiryWarned || typeof expiresAt !== 'number' || expiresAt <= 0) return;
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer);
    const remainingMs = expiresAt * 1000 - Date.now();
    const inMs = Math.max(0, remainingMs - this.#limits.expiryWarningMs);
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = null;
      this.#expiryWarned = true;
      this.#emit('expiring', { expiresAt, remainingMs: Math.max(0, expiresAt * 1000 - Date.now()) });
    }, Math.min(inMs, 2 ** 31 - 1));
    this.#expiryTimer.unref?.();
  }

  /** Ends the session on a failure the application did not ask for. */
  #fail(initiatedBy: RealtimeCloseInitiator, code: number, reason: string, error: RealtimeError): void {
    if (this.#closed) return;
    this.#closeInitiator ??= initiatedBy;
    this.#closeError ??= error;
    this.#closeRequested ??= { code, reason };
    this.#socket.terminate();
  }

  readonly #onSocketError = (e: Error): void => {
    // ws follows an 'error' with 'close': keep the cause for the close report.
    const tooBig = /max payload|too big/i.test(e.message);
    this.#closeInitiator ??= tooBig ? 'client' : 'network';
    this.#closeError ??= new RealtimeProtocolError(tooBig ? `A message from the server was larger than maxMessageBytes: ${e.message}` : `The realtime socket failed: ${e.message}`, { cause: e });
  };

  readonly #onClose = (code: number, reasonBuffer: Buffer): void => {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of [this.#silentTimer, this.#pongTimer, this.#expiryTimer]) if (t !== null) clearTimeout(t);
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#silentTimer = this.#pongTimer = this.#expiryTimer = this.#pingTimer = null;
    const socket = this.#socket;
    socket.removeListener('message', this.#onMessage);
    socket.removeListener('pong', this.#onPong);
    socket.removeListener('close', this.#onClose);
    // A late 'error' after close must not be unhandled: keep the no-op listener.
    const requested = this.#closeRequested;
    const reason = reasonBuffer.toString() || requested?.reason || '';
    let initiatedBy = this.#closeInitiator;
    if (!initiatedBy) initiatedBy = code === 1006 ? 'network' : 'server';
    let error = this.#closeError;
    if (!error && initiatedBy !== 'client') {
      error = new RealtimeClosedError(
        code === 1006
          ? 'The realtime connection was cut without a close frame. Start a new session with session.restart() when the user wants to continue.'
          : `The server closed the realtime session (${code}${reason ? ` ${reason}` : ''}). Start a new session with session.restart() when the user wants to continue.`,
      );
    }
    const info: RealtimeCloseInfo = {
      code: initiatedBy === 'timeout' && requested ? requested.code : code,
      reason: initiatedBy === 'timeout' && requested ? requested.reason : reason,
      initiatedBy,
      responseInterrupted: this.#responseState !== 'idle',
      error,
      expiresAt: this.#session?.expires_at,
      requestId: this.requestId,
    };
    this.#responseState = 'idle';
    this.#pendingCreates.length = 0;
    this.#closeInfo = info;
    this.#emit('close', info);
    this.#listeners.clear();
    this.#resolveClosed(info);
  };

  /** The close report, once closed. */
  get closeInfo(): RealtimeCloseInfo | undefined {
    return this.#closeInfo;
  }

  /** @internal Checks a received event in the session's dialect (used by tests and the emulator). */
  static problemsOf(event: unknown, dialect: RealtimeDialect): string[] {
    return serverEventProblems(event, dialect);
  }
}

function functionCallOf(e: ResponseFunctionCallArgumentsDoneEvent): RealtimeFunctionCall {
  return { callId: e.call_id, name: e.name, arguments: e.arguments, itemId: e.item_id, responseId: e.response_id };
}
