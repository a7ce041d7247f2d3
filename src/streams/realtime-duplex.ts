/**
 * `realtimeDuplex(client | session, options)`: the voice-agent pipeline stage. PCM in (the user) → the session's
 * input audio; the session's output audio → paced PCM out (the agent), with barge-in that tells the server how
 * much of the interrupted item was actually played.
 */
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { InputError, abortError } from '../core/errors.js';
import { bytesPerFrame, pcmFormat, REALTIME_PCM, type PcmFormat } from '../core/pcm/pcm-format.js';
import { RingBuffer } from '../core/ring-buffer/ring-buffer.js';
import type { G711Law } from '../codecs/g711/g711.js';
import { InputEncoder } from './realtime/input-encoder.js';
import { DeltaDecoder } from './realtime/delta-decoder.js';
import { realtimeWire, type RealtimeWire } from './realtime/realtime-wire.js';
import { PacedOutput } from './paced-output.js';
import { isVadEventSource, type VadGate, type VadGateEvent } from './vad-gate.js';
import type { TokenLab } from '../client.js';
import { RealtimeOverflowError } from '../api/realtime/realtime-errors.js';
import type { RealtimeConnectOptions } from '../api/realtime/realtime.js';
import type { OutputAudioDelta } from '../api/realtime/audio-delta-scanner.js';
import type { RealtimeCloseInfo, RealtimeSession } from '../api/realtime/realtime-session.js';
import type {
  RealtimeAudioFormat,
  RealtimeInputTranscription,
  RealtimeSemanticVad,
  RealtimeServerEventMap,
  RealtimeServerVad,
  RealtimeSessionConfig,
  RealtimeTurnDetection,
} from '../api/realtime/events.js';

/** How turns are taken. `local`: `turn_detection: null`, the duplex commits when the upstream `vadGate()` (or `commitTurn()`) says the turn ended. */
export type RealtimeTurnMode = 'server_vad' | 'semantic_vad' | 'local';

/** Options of {@link realtimeDuplex}. */
export interface RealtimeDuplexOptions {
  /** Model to connect with (when given a client). */
  readonly model?: string | undefined;
  /** More `connect` options (dialect, timeouts…), when given a client. */
  readonly connect?: Omit<RealtimeConnectOptions, 'model' | 'session'> | undefined;
  /** PCM written in. Default: the piped source's `format`, else 24 kHz mono s16le. */
  readonly inputFormat?: PcmFormat | undefined;
  /** PCM read out. Default 24 kHz mono s16le. */
  readonly outputFormat?: PcmFormat | undefined;
  /** Audio on the wire, both ways: `pcm` (PCM16 24 kHz, default), `pcmu` or `pcma` (G.711, 8 kHz). */
  readonly wireFormat?: 'pcm' | 'pcmu' | 'pcma' | undefined;
  /** Turn taking (default `server_vad`); an object configures the server's VAD. */
  readonly turnDetection?: RealtimeTurnMode | RealtimeServerVad | RealtimeSemanticVad | undefined;
  /** Input transcription (default `{ model: 'whisper-1' }`); false = none. */
  readonly transcription?: RealtimeInputTranscription | false | undefined;
  readonly instructions?: string | undefined;
  readonly voice?: string | undefined;
  /** More session fields, merged into the duplex's `session.update`. */
  readonly session?: Partial<RealtimeSessionConfig> | undefined;
  /** Send no `session.update` (the session is configured already); the wire format must then match. */
  readonly configureSession?: boolean | undefined;
  /** Audio per `input_audio_buffer.append`, 20..100 ms (default 40). */
  readonly batchMs?: number | undefined;
  /** Socket bytes queued before sending waits (default 256 KiB). */
  readonly maxBufferedBytes?: number | undefined;
  /**
   * `block` (default): writes wait while the socket is congested (backpressure to the source).
   * `drop-oldest`: for a live mic, unsent audio beyond `maxQueuedInputMs` is dropped oldest first
   * (counted in `droppedInputMs`) and writes never wait.
   */
  readonly sendPolicy?: 'block' | 'drop-oldest' | undefined;
  /** Unsent input kept under `drop-oldest`, ms (default 2000). */
  readonly maxQueuedInputMs?: number | undefined;
  /** Output frame, ms (default 20). */
  readonly frameMs?: number | undefined;
  /** Output cushion, ms (default 100). */
  readonly cushionMs?: number | undefined;
  /**
   * Output queued ahead of playback in the pacer's ring, ms (default 5000). Allocated up front (and the ring's
   * first lap builds its read views), so it is kept small for many sessions per process; audio that arrives
   * further ahead waits in the stream's write queue (as copies) until playback makes room.
   */
  readonly maxQueuedOutputMs?: number | undefined;
  /**
   * Speech shorter than this does not interrupt (default 0 = interrupt at once): output pauses, and resumes
   * if the speech stops sooner (a false interruption: a cough, an echo). For speakers without echo
   * cancellation; with server VAD, set `interrupt_response: false` in `turnDetection` so the server does not
   * cancel on its own.
   */
  readonly minInterruptionMs?: number | undefined;
  /**
   * A reply's final transcript waits for the final transcript of the user turn before it (so finals come in
   * conversation order) at most this long, ms (default 3000).
   */
  readonly transcriptOrderTimeoutMs?: number | undefined;
  /** Agent audio waiting beyond the pacer's ring before the duplex fails with RealtimeOverflowError, ms (default 600 000). */
  readonly maxPendingOutputMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What a barge-in did. */
export interface RealtimeInterruption {
  readonly itemId: string | undefined;
  /** Audio of the item played before the interruption, ms (what `audio_end_ms` said). */
  readonly playedMs: number;
  /** Audio of the item received, ms. */
  readonly receivedMs: number;
  /** `truncate` (played > 0), `delete` (nothing played), or `none` (no item: only the response was cancelled). */
  readonly action: 'truncate' | 'delete' | 'none';
  readonly cause: 'server-vad' | 'local-vad' | 'app';
}

/** A transcript (delta or final) of the user's or the agent's speech, tied to its item. */
export interface RealtimeTranscript {
  readonly role: 'user' | 'assistant';
  readonly itemId: string;
  /** The delta, or the whole text when `final`. */
  readonly text: string;
  readonly final: boolean;
}

/** Timings of one turn, ms (undefined when that step did not happen or could not be seen). */
export interface RealtimeTurnMetrics {
  readonly responseId: string;
  /** Local end of speech (vadGate) → commit sent (local turns) or `committed` received (server VAD). */
  readonly endpointingMs: number | undefined;
  /** Commit, or `speech_stopped`, → first audio delta. */
  readonly serverMs: number | undefined;
  /** First audio delta → first frame of it handed to the reader. */
  readonly clientMs: number | undefined;
  /** Interrupt → first frame without the interrupted audio (undefined when not interrupted). */
  readonly interruptToSilenceMs: number | undefined;
  readonly interrupted: boolean;
}

interface ItemAudio {
  readonly itemId: string;
  readonly responseId: string;
  readonly contentIndex: number;
  /** Position in the output FIFO (output sample frames) of its first and after its last frame. */
  start: number;
  end: number;
  receivedWireBytes: number;
  interrupted: boolean;
}

interface Turn {
  responseId: string;
  speechEndAt: number | undefined;
  commitAt: number | undefined;
  firstDeltaAt: number | undefined;
  firstPlayedAt: number | undefined;
  interruptAt: number | undefined;
  silenceAt: number | undefined;
  done: boolean;
  reported: boolean;
}

const MAX_ITEMS = 16;

/** Typed events of {@link RealtimeDuplex}. */
export interface RealtimeDuplex {
  on(event: 'session', listener: (session: RealtimeSession) => void): this;
  on(event: 'interrupted', listener: (info: RealtimeInterruption) => void): this;
  on(event: 'false-interruption', listener: () => void): this;
  on(event: 'transcript', listener: (t: RealtimeTranscript) => void): this;
  on(event: 'turn-metrics', listener: (m: RealtimeTurnMetrics) => void): this;
  on(event: 'session-close', listener: (info: RealtimeCloseInfo) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * The voice-agent duplex. Writable: PCM in `inputFormat` → resampled/encoded to the wire format → batched
 * `input_audio_buffer.append` (20–100 ms), with backpressure on the socket's buffered amount (or bounded
 * drop-oldest). Readable: the agent's audio in `outputFormat`, paced in real time by a {@link PacedOutput}, which
 * counts what was actually handed to the reader, per item.
 *
 * **Barge-in** (server `speech_started`, the upstream `vadGate()`'s confirmed speech start, or `interrupt()`):
 * queued output is dropped at once, the response is cancelled (unless the server's VAD already does), and
 * `conversation.item.truncate` says how many ms of the item were played (never more than received); when
 * nothing of it was played the item is deleted instead (a 0 ms truncate is refused by the API). Works after the
 * item's audio fully arrived but is still playing. Nothing is sent when nothing was interrupted.
 *
 * **Turns**: `server_vad` / `semantic_vad` (the server commits; the duplex never does) or `local`
 * (`turn_detection: null`: on the gate's `speech-end` the duplex commits, if at least 100 ms were appended,
 * and asks for a response).
 */
export class RealtimeDuplex extends Duplex {
  /** Resolves with the session once it is open and configured. */
  readonly ready: Promise<RealtimeSession>;
  readonly outputFormat: PcmFormat;
  readonly turnMode: RealtimeTurnMode;

  #session: RealtimeSession | undefined;
  readonly #ownsSession: boolean;
  readonly #options: RealtimeDuplexOptions;
  #inputFormat: PcmFormat | undefined;
  readonly #wire: RealtimeWire;
  readonly #wireRate: number;
  readonly #law: G711Law | undefined;
  readonly #wireBytesPerSample: number;

  // send path
  #inputEncoder: InputEncoder | undefined;
  readonly #sendRing: RingBuffer;
  readonly #batch: Buffer;
  readonly #batchBytes: number;
  readonly #maxBufferedBytes: number;
  readonly #dropOldest: boolean;
  #heldCallback: ((error?: Error | null) => void) | null = null;
  #pumpTimer: NodeJS.Timeout | null = null;
  #inputBytesSeen = 0;
  #wireBytesSinceCommit = 0;
  #pendingCommitAt: number | undefined;
  #inputEnded = false;
  #appendsSent = 0;

  // receive path
  readonly #paced: PacedOutput;
  readonly #decoder: DeltaDecoder;
  #written = 0;
  #clearBase = { played: 0, written: 0 };
  readonly #items: ItemAudio[] = [];
  readonly #interruptedResponses = new Set<string>();
  #interruptAt: number | undefined;

  // turns
  readonly #turns = new Map<string, Turn>();
  #lastSpeechEndAt: number | undefined;
  #lastCommitAt: number | undefined;
  #pauseTimer: NodeJS.Timeout | null = null;
  #pausedForSpeech = false;
  #gate: VadGate | undefined;

  #userSpeaking = false;
  #sessionListeners: Array<[string, (...args: any[]) => void]> = [];
  readonly #pendingUserTranscripts = new Set<string>();
  readonly #heldTranscripts: RealtimeTranscript[] = [];
  #holdTimer: NodeJS.Timeout | null = null;
  readonly #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  /** @throws InputError / FormatError for bad options. */
  constructor(target: TokenLab | RealtimeSession, options: RealtimeDuplexOptions = {}) {
    // One output frame of room on the readable side: a frame pushed and not yet taken does not stop the pacer's
    // clock at once, and at most one frame counted as played is still waiting for the reader.
    const out = pcmFormat(options.outputFormat ?? REALTIME_PCM);
    const frameBytes = Math.max(1, Math.round(((options.frameMs ?? 20) * out.sampleRate) / 1000)) * bytesPerFrame(out);
    super({ allowHalfOpen: true, readableHighWaterMark: frameBytes, writableHighWaterMark: 16 * 1024 });
    this.#options = options;
    this.outputFormat = pcmFormat(options.outputFormat ?? REALTIME_PCM);
    if (options.inputFormat) this.#inputFormat = pcmFormat(options.inputFormat);
    const td = options.turnDetection ?? 'server_vad';
    this.turnMode = typeof td === 'string' ? td : td.type;
    if (!['server_vad', 'semantic_vad', 'local'].includes(this.turnMode)) {
      throw new InputError(`realtimeDuplex: turnDetection must be 'server_vad', 'semantic_vad', 'local' or a server VAD object, got ${JSON.stringify(td)}.`, 'TLA_ERR_INPUT_OPTION');
    }
    const wire = options.wireFormat ?? 'pcm';
    if (wire !== 'pcm' && wire !== 'pcmu' && wire !== 'pcma') throw new InputError(`realtimeDuplex: wireFormat must be 'pcm', 'pcmu' or 'pcma', got ${JSON.stringify(wire)}.`, 'TLA_ERR_INPUT_OPTION');
    this.#wire = realtimeWire(wire);
    this.#law = this.#wire.law;
    this.#wireRate = this.#wire.sampleRate;
    this.#wireBytesPerSample = this.#wire.bytesPerSample;
    const batchMs = options.batchMs ?? 40;
    if (!(batchMs >= 20 && batchMs <= 100)) throw new InputError(`realtimeDuplex: batchMs must be 20..100, got ${String(batchMs)}.`, 'TLA_ERR_INPUT_OPTION');
    this.#batchBytes = Math.round((this.#wireRate * batchMs) / 1000) * this.#wireBytesPerSample;
    this.#batch = Buffer.alloc(this.#batchBytes);
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
    this.#dropOldest = options.sendPolicy === 'drop-oldest';
    const queuedInputBytes = Math.max(this.#batchBytes * 4, Math.round(((options.maxQueuedInputMs ?? 2000) * this.#wireRate) / 1000) * this.#wireBytesPerSample);
    let capacity = 1;
    while (capacity < queuedInputBytes) capacity *= 2;
    this.#sendRing = new RingBuffer({ capacity, frameBytes: this.#wireBytesPerSample, overflow: this.#dropOldest ? 'drop-oldest' : 'reject' });

    this.#paced = new PacedOutput({
      format: this.outputFormat,
      frameMs: options.frameMs ?? 20,
      cushionMs: options.cushionMs ?? 100,
      maxQueuedMs: options.maxQueuedOutputMs ?? 5000,
      underrun: 'silence',
    });
    this.#paced.on('data', this.#onFrame);
    this.#paced.on('error', (e) => this.destroy(e));
    this.#paced.pause();
    this.#decoder = new DeltaDecoder(this.#wire, this.outputFormat);
    // Made now when the input format is known, not on the first write: sessions that start together
    // (a server's worth) would otherwise all build their resamplers in the same turn.
    if (this.#inputFormat) this.#ensureInput();

    this.on('pipe', (src: unknown) => {
      const f = (src as { format?: PcmFormat } | null)?.format;
      if (!this.#inputFormat && f && typeof f === 'object' && typeof f.sampleRate === 'number') this.#inputFormat = pcmFormat(f);
      if (isVadEventSource(src)) this.followVad(src);
    });

    const isSession = typeof (target as RealtimeSession).appendAudio === 'function';
    this.#ownsSession = !isSession;
    this.ready = isSession ? Promise.resolve(target as RealtimeSession) : this.#connect(target as TokenLab);
    this.ready.then(
      (session) => this.#attach(session),
      (e: Error) => this.destroy(e),
    );
    this.#signal = options.signal;
    if (this.#signal) {
      if (this.#signal.aborted) queueMicrotask(() => this.destroy(abortError(this.#signal!, 'realtimeDuplex')));
      else {
        this.#onAbort = () => this.destroy(abortError(this.#signal!, 'realtimeDuplex'));
        this.#signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  // ------------------------------------------------------------------------------------------ setup

  #sessionConfig(): Partial<RealtimeSessionConfig> {
    const o = this.#options;
    const format: RealtimeAudioFormat = this.#law === 'mulaw' ? { type: 'audio/pcmu' } : this.#law === 'alaw' ? { type: 'audio/pcma' } : { type: 'audio/pcm', rate: 24000 };
    const td = o.turnDetection ?? 'server_vad';
    const turnDetection: RealtimeTurnDetection = td === 'local' ? null : typeof td === 'string' ? ({ type: td } as RealtimeServerVad | RealtimeSemanticVad) : td;
    const transcription = o.transcription === false ? null : (o.transcription ?? { model: 'whisper-1' });
    const base: Partial<RealtimeSessionConfig> = {
      type: 'realtime',
      audio: {
        input: { format, turn_detection: turnDetection, ...(transcription ? { transcription } : {}) },
        output: { format, ...(o.voice ? { voice: o.voice } : {}) },
      },
      ...(o.instructions !== undefined ? { instructions: o.instructions } : {}),
    };
    return { ...base, ...(o.session ?? {}) };
  }

  async #connect(client: TokenLab): Promise<RealtimeSession> {
    if (!this.#options.model) throw new InputError('realtimeDuplex(client, { model }) needs a realtime model id (see client.models.list()).', 'TLA_ERR_INPUT_MODEL');
    return client.realtime.connect({ ...(this.#options.connect ?? {}), model: this.#options.model, session: this.#options.configureSession === false ? undefined : this.#sessionConfig(), signal: this.#signal });
  }

  #attach(session: RealtimeSession): void {
    if (this.destroyed) {
      if (this.#ownsSession) void session.close(1000, 'duplex destroyed');
      return;
    }
    this.#session = session;
    if (!this.#ownsSession && this.#options.configureSession !== false) {
      try {
        session.updateSession(this.#sessionConfig());
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
    }
    this.#sessionListeners = [
      ['response.created', this.#onResponseCreated],
      ['response.done', this.#onResponseDone],
      ['input_audio_buffer.speech_started', this.#onServerSpeechStarted],
      ['input_audio_buffer.speech_stopped', this.#onServerSpeechStopped],
      ['input_audio_buffer.committed', this.#onCommitted],
      ['conversation.item.input_audio_transcription.delta', this.#onUserTranscriptDelta],
      ['conversation.item.input_audio_transcription.completed', this.#onUserTranscript],
      ['conversation.item.input_audio_transcription.failed', this.#onUserTranscriptFailed],
      ['response.output_audio_transcript.delta', this.#onAgentTranscriptDelta],
      ['response.output_audio_transcript.done', this.#onAgentTranscript],
      ['close', this.#onSessionClose],
    ];
    for (const [type, listener] of this.#sessionListeners) session.on(type as 'close', listener as never);
    session.setOutputAudioSink(this.#onDelta);
    this.emit('session', session);
    this.#pump();
    this.#releaseHeld();
  }

  /** Follows a vadGate's turn events (done automatically when the gate is piped in). */
  followVad(gate: VadGate): void {
    if (this.#gate) return;
    this.#gate = gate;
    gate.on('speech-start', this.#onGateSpeechStart);
    gate.on('speech-end', this.#onGateSpeechEnd);
  }

  /** The session, once open. */
  get session(): RealtimeSession | undefined {
    return this.#session;
  }
  /** Input audio dropped by the `drop-oldest` policy, ms. */
  get droppedInputMs(): number {
    return (this.#sendRing.bytesDropped / this.#wireBytesPerSample / this.#wireRate) * 1000;
  }
  /** `input_audio_buffer.append` events sent. */
  get appendsSent(): number {
    return this.#appendsSent;
  }
  /** The output pacer (its counters: `playedMs`, `underruns`, `clearedMs`…). */
  get pacedOutput(): PacedOutput {
    return this.#paced;
  }

  // ------------------------------------------------------------------------------------------ send path

  #ensureInput(): InputEncoder {
    if (!this.#inputFormat) this.#inputFormat = REALTIME_PCM;
    this.#inputEncoder ??= new InputEncoder(this.#inputFormat, this.#wire, this.#toSendRing);
    return this.#inputEncoder;
  }

  readonly #toSendRing = (wireBytes: Uint8Array): void => {
    this.#sendRing.write(wireBytes);
  };

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.#ensureInput().write(chunk);
      this.#inputBytesSeen += chunk.length;
    } catch (e) {
      callback(e as Error);
      return;
    }
    this.#pump();
    if (this.#pendingCommitAt !== undefined && this.#inputBytesSeen >= this.#pendingCommitAt) {
      this.#pendingCommitAt = undefined;
      this.commitTurn();
    }
    if (this.#dropOldest || (this.#session && this.#sendRing.availableRead < this.#batchBytes)) callback();
    else this.#heldCallback = callback;
  }

  /** Sends whole batches while the socket is not congested; `flush` also sends a last partial batch. */
  #pump(flush = false): void {
    const session = this.#session;
    if (!session || session.closed) return;
    while (this.#sendRing.availableRead >= this.#batchBytes || (flush && this.#sendRing.availableRead > 0)) {
      if (session.bufferedAmount > this.#maxBufferedBytes) {
        if (this.#pumpTimer === null) this.#pumpTimer = setTimeout(this.#retryPump, 5);
        return;
      }
      const n = this.#sendRing.read(this.#batch, 0, Math.min(this.#batchBytes, this.#sendRing.availableRead));
      session.appendAudioBytes(this.#batch, 0, n);
      this.#appendsSent++;
      this.#wireBytesSinceCommit += n;
    }
    this.#releaseHeld();
  }

  readonly #retryPump = (): void => {
    this.#pumpTimer = null;
    try {
      this.#pump();
    } catch (e) {
      this.destroy(e as Error);
    }
  };

  #releaseHeld(): void {
    const cb = this.#heldCallback;
    if (cb && this.#session && this.#sendRing.availableRead < this.#batchBytes) {
      this.#heldCallback = null;
      cb();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = (): void => {
      try {
        this.#pump(true);
        if (this.turnMode === 'local') this.commitTurn();
      } catch (e) {
        callback(e as Error);
        return;
      }
      this.#inputEnded = true;
      callback();
      this.#maybeEndOutput();
    };
    if (this.#session) finish();
    else this.ready.then(finish, (e: Error) => callback(e));
  }

  /**
   * Local turns: commits the input buffer and asks for a response — when at least 100 ms were appended since
   * the last commit (the API refuses less); otherwise the short input is cleared. Never under server VAD.
   * Returns whether a commit was sent.
   */
  commitTurn(): boolean {
    const session = this.#session;
    if (!session || session.closed || this.turnMode !== 'local') return false;
    this.#pump(true);
    const ms = (this.#wireBytesSinceCommit / this.#wireBytesPerSample / this.#wireRate) * 1000;
    this.#wireBytesSinceCommit = 0;
    if (ms < 100) {
      if (ms > 0) session.send({ type: 'input_audio_buffer.clear' });
      return false;
    }
    session.send({ type: 'input_audio_buffer.commit' });
    this.#lastCommitAt = performance.now();
    session.createResponse();
    return true;
  }

  // ------------------------------------------------------------------------------------------ receive path

  /** Each output audio delta (the session's audio sink: read from the message bytes when nothing else wants the event). */
  readonly #onDelta = (e: OutputAudioDelta): void => {
    if (this.#interruptedResponses.has(e.responseId) || this.destroyed) return;
    const turn = this.#turnOf(e.responseId);
    turn.firstDeltaAt ??= performance.now();
    const pcm = e.text !== undefined ? this.#decoder.decode(e.text) : this.#decoder.decodeBytes(e.bytes, e.deltaStart, e.deltaEnd);
    const n = this.#decoder.lastWireBytes;
    let item = this.#items[this.#items.length - 1];
    if (!item || item.itemId !== e.itemId || item.contentIndex !== e.contentIndex) {
      item = { itemId: e.itemId, responseId: e.responseId, contentIndex: e.contentIndex, start: this.#written, end: this.#written, receivedWireBytes: 0, interrupted: false };
      this.#items.push(item);
      if (this.#items.length > MAX_ITEMS) this.#items.shift();
    }
    item.receivedWireBytes += n;
    if (pcm.length === 0) return;
    this.#written += pcm.length / bytesPerFrame(this.outputFormat);
    item.end = this.#written;
    this.#decoder.writeTo(this.#paced, pcm);
    const pendingMs = (this.#paced.writableLength / bytesPerFrame(this.outputFormat) / this.outputFormat.sampleRate) * 1000;
    if (pendingMs > (this.#options.maxPendingOutputMs ?? 600_000)) {
      this.destroy(new RealtimeOverflowError(`${Math.round(pendingMs)} ms of agent audio are waiting to be played beyond the output queue (maxPendingOutputMs); is the reader of the duplex reading?`));
    }
  };

  /** Output FIFO position consumed (played or cleared). */
  #consumed(): number {
    return this.#clearBase.written + (this.#paced.playedFrames - this.#clearBase.played);
  }

  /** Played ms of an item, never more than received. */
  #playedMsOf(item: ItemAudio): number {
    const frames = Math.min(Math.max(0, this.#consumed() - item.start), item.end - item.start);
    const playedMs = (frames / this.outputFormat.sampleRate) * 1000;
    const receivedMs = (item.receivedWireBytes / this.#wireBytesPerSample / this.#wireRate) * 1000;
    return Math.min(playedMs, receivedMs);
  }

  readonly #onFrame = (frame: Buffer): void => {
    const now = performance.now();
    if (this.#interruptAt !== undefined) {
      for (const turn of this.#turns.values()) if (turn.interruptAt !== undefined && turn.silenceAt === undefined) turn.silenceAt = now;
      this.#interruptAt = undefined;
      this.#reportTurns();
    }
    const consumed = this.#consumed();
    for (const item of this.#items) {
      if (item.interrupted || consumed <= item.start) continue;
      const turn = this.#turns.get(item.responseId);
      if (turn && turn.firstPlayedAt === undefined) {
        turn.firstPlayedAt = now;
        this.#reportTurns();
      }
    }
    if (!this.push(frame)) this.#paced.pause();
  };

  override _read(): void {
    if (!this.#pausedForSpeech) this.#paced.resume();
  }

  // ------------------------------------------------------------------------------------------ barge-in

  /**
   * Interrupts the agent: drops queued output, cancels the response, truncates the item at the ms played
   * (or deletes it when nothing was played). Returns what was done, or undefined when nothing was interrupted.
   */
  interrupt(cause: RealtimeInterruption['cause'] = 'app', cancel = true): RealtimeInterruption | undefined {
    const session = this.#session;
    if (!session || session.closed) return undefined;
    this.#clearPause();
    const consumed = this.#consumed();
    const live = this.#items.filter((i) => !i.interrupted && (i.end > consumed || session.activeResponseId === i.responseId));
    const responseActive = session.responseState !== 'idle';
    if (live.length === 0 && !responseActive) return undefined;
    const now = performance.now();
    if (cancel && responseActive) session.cancelResponse();
    const responseId = session.activeResponseId;
    if (responseId) this.#interruptedResponses.add(responseId);
    let result: RealtimeInterruption = { itemId: undefined, playedMs: 0, receivedMs: 0, action: 'none', cause };
    live.forEach((item, index) => {
      const playedMs = Math.floor(this.#playedMsOf(item));
      const receivedMs = (item.receivedWireBytes / this.#wireBytesPerSample / this.#wireRate) * 1000;
      item.interrupted = true;
      this.#interruptedResponses.add(item.responseId);
      let action: RealtimeInterruption['action'];
      if (playedMs >= 1) {
        session.send({ type: 'conversation.item.truncate', item_id: item.itemId, content_index: item.contentIndex, audio_end_ms: playedMs });
        action = 'truncate';
      } else {
        session.send({ type: 'conversation.item.delete', item_id: item.itemId });
        action = 'delete';
      }
      if (index === 0) result = { itemId: item.itemId, playedMs, receivedMs, action, cause };
      const turn = this.#turns.get(item.responseId);
      if (turn) turn.interruptAt = now;
    });
    const turn = responseId ? this.#turns.get(responseId) : undefined;
    if (turn) turn.interruptAt ??= now;
    this.#paced.clear();
    this.#clearBase = { played: this.#paced.playedFrames, written: this.#written };
    this.#decoder.reset();
    this.#interruptAt = now;
    this.#paced.resume();
    this.emit('interrupted', result);
    return result;
  }

  #speechStarted(cause: RealtimeInterruption['cause'], serverCancels: boolean): void {
    this.#userSpeaking = true;
    const minMs = this.#options.minInterruptionMs ?? 0;
    if (minMs <= 0) {
      this.interrupt(cause, !serverCancels);
      return;
    }
    if (this.#pauseTimer !== null) return;
    // Hold the output (nothing more is played, nothing is dropped) until the speech proves long enough.
    this.#pausedForSpeech = true;
    this.#paced.pause();
    this.#pauseTimer = setTimeout(() => {
      this.#pauseTimer = null;
      this.#pausedForSpeech = false;
      if (this.#userSpeaking) this.interrupt(cause, !serverCancels);
      else this.#paced.resume();
    }, minMs);
  }

  #speechStopped(): void {
    this.#userSpeaking = false;
    if (this.#pauseTimer !== null) {
      this.#clearPause();
      this.#paced.resume();
      this.emit('false-interruption');
    }
  }

  #clearPause(): void {
    if (this.#pauseTimer !== null) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = null;
    this.#pausedForSpeech = false;
  }

  readonly #onServerSpeechStarted = (): void => {
    const td = this.#session?.session?.audio?.input?.turn_detection;
    const serverCancels = !td || td.interrupt_response !== false;
    if (td && td.interrupt_response === false && (this.#options.minInterruptionMs ?? 0) <= 0) return;
    this.#speechStarted('server-vad', serverCancels);
  };

  readonly #onServerSpeechStopped = (): void => {
    this.#lastSpeechEndAt ??= performance.now();
    this.#speechStopped();
  };

  readonly #onCommitted = (e: RealtimeServerEventMap['input_audio_buffer.committed']): void => {
    if (this.turnMode !== 'local') this.#lastCommitAt = performance.now();
    // Its transcript comes later, maybe after the reply's: hold the reply's final transcript until then.
    const transcription = this.#session?.session?.audio?.input?.transcription;
    if (transcription && this.#pendingUserTranscripts.size < MAX_ITEMS) this.#pendingUserTranscripts.add(e.item_id);
  };

  readonly #onGateSpeechStart = (e: VadGateEvent): void => {
    if ((e as { confirmed?: boolean }).confirmed === false) return;
    this.#speechStarted('local-vad', false);
  };

  readonly #onGateSpeechEnd = (e: VadGateEvent): void => {
    this.#lastSpeechEndAt = performance.now();
    this.#speechStopped();
    if (this.turnMode !== 'local') return;
    if (this.#inputBytesSeen >= e.outputByteOffset) this.commitTurn();
    else this.#pendingCommitAt = e.outputByteOffset;
  };

  // ------------------------------------------------------------------------------------------ turns, transcripts

  #turnOf(responseId: string): Turn {
    let turn = this.#turns.get(responseId);
    if (!turn) {
      turn = {
        responseId, speechEndAt: this.#lastSpeechEndAt, commitAt: this.#lastCommitAt, firstDeltaAt: undefined, firstPlayedAt: undefined,
        interruptAt: undefined, silenceAt: undefined, done: false, reported: false,
      };
      this.#lastSpeechEndAt = undefined;
      this.#lastCommitAt = undefined;
      this.#turns.set(responseId, turn);
      if (this.#turns.size > MAX_ITEMS) this.#turns.delete(this.#turns.keys().next().value!);
    }
    return turn;
  }

  readonly #onResponseCreated = (e: RealtimeServerEventMap['response.created']): void => {
    this.#turnOf(e.response.id);
  };

  readonly #onResponseDone = (e: RealtimeServerEventMap['response.done']): void => {
    this.#turnOf(e.response.id).done = true;
    this.#reportTurns();
    this.#maybeEndOutput();
  };

  #reportTurns(): void {
    for (const turn of this.#turns.values()) {
      if (turn.reported || !turn.done) continue;
      const interrupted = turn.interruptAt !== undefined;
      if (interrupted && turn.silenceAt === undefined) continue;
      if (!interrupted && turn.firstDeltaAt !== undefined && turn.firstPlayedAt === undefined) continue;
      turn.reported = true;
      const start = turn.commitAt ?? turn.speechEndAt;
      this.emit('turn-metrics', {
        responseId: turn.responseId,
        endpointingMs: turn.speechEndAt !== undefined && turn.commitAt !== undefined ? turn.commitAt - turn.speechEndAt : undefined,
        serverMs: start !== undefined && turn.firstDeltaAt !== undefined ? turn.firstDeltaAt - start : undefined,
        clientMs: turn.firstDeltaAt !== undefined && turn.firstPlayedAt !== undefined ? turn.firstPlayedAt - turn.firstDeltaAt : undefined,
        interruptToSilenceMs: interrupted && turn.silenceAt !== undefined ? turn.silenceAt - turn.interruptAt! : undefined,
        interrupted,
      } satisfies RealtimeTurnMetrics);
    }
  }

  readonly #onUserTranscriptDelta = (e: RealtimeServerEventMap['conversation.item.input_audio_transcription.delta']): void => {
    if (e.delta) this.emit('transcript', { role: 'user', itemId: e.item_id, text: e.delta, final: false } satisfies RealtimeTranscript);
  };
  readonly #onUserTranscript = (e: RealtimeServerEventMap['conversation.item.input_audio_transcription.completed']): void => {
    this.emit('transcript', { role: 'user', itemId: e.item_id, text: e.transcript, final: true } satisfies RealtimeTranscript);
    this.#userTranscriptSettled(e.item_id);
  };
  readonly #onUserTranscriptFailed = (e: RealtimeServerEventMap['conversation.item.input_audio_transcription.failed']): void => {
    this.#userTranscriptSettled(e.item_id);
  };

  #userTranscriptSettled(itemId: string): void {
    this.#pendingUserTranscripts.delete(itemId);
    if (this.#pendingUserTranscripts.size === 0) this.#releaseHeldTranscripts();
  }

  #releaseHeldTranscripts(): void {
    if (this.#holdTimer !== null) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    const held = this.#heldTranscripts.splice(0);
    for (const t of held) this.emit('transcript', t);
  }
  readonly #onAgentTranscriptDelta = (e: RealtimeServerEventMap['response.output_audio_transcript.delta']): void => {
    if (!this.#interruptedResponses.has(e.response_id)) this.emit('transcript', { role: 'assistant', itemId: e.item_id, text: e.delta, final: false } satisfies RealtimeTranscript);
  };
  readonly #onAgentTranscript = (e: RealtimeServerEventMap['response.output_audio_transcript.done']): void => {
    const t: RealtimeTranscript = { role: 'assistant', itemId: e.item_id, text: e.transcript, final: true };
    if (this.#pendingUserTranscripts.size === 0) {
      this.emit('transcript', t);
      return;
    }
    // In conversation order: the user's turn before this reply has not been transcribed yet.
    this.#heldTranscripts.push(t);
    if (this.#heldTranscripts.length > MAX_ITEMS) this.#heldTranscripts.shift();
    if (this.#holdTimer === null) {
      this.#holdTimer = setTimeout(() => {
        this.#holdTimer = null;
        this.#pendingUserTranscripts.clear();
        this.#releaseHeldTranscripts();
      }, this.#options.transcriptOrderTimeoutMs ?? 3000);
    }
  };

  // ------------------------------------------------------------------------------------------ ending

  #maybeEndOutput(): void {
    const session = this.#session;
    if (!this.#inputEnded || !session || session.responseState !== 'idle' || this.#paced.writableEnded) return;
    this.#paced.end();
    this.#paced.once('end', () => {
      this.push(null);
      if (this.#ownsSession) void session.close(1000, 'input ended');
    });
  }

  readonly #onSessionClose = (info: RealtimeCloseInfo): void => {
    this.emit('session-close', info);
    if (info.error && info.initiatedBy !== 'client') {
      this.destroy(info.error);
      return;
    }
    if (!this.#paced.writableEnded) this.#paced.end();
    this.#paced.once('end', () => this.push(null));
  };

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#pumpTimer !== null) clearTimeout(this.#pumpTimer);
    if (this.#holdTimer !== null) clearTimeout(this.#holdTimer);
    this.#clearPause();
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    if (this.#gate) {
      this.#gate.off('speech-start', this.#onGateSpeechStart);
      this.#gate.off('speech-end', this.#onGateSpeechEnd);
    }
    this.#paced.off('data', this.#onFrame);
    this.#paced.destroy();
    const session = this.#session;
    if (session) {
      for (const [type, listener] of this.#sessionListeners) session.off(type as 'close', listener as never);
      this.#sessionListeners = [];
      session.setOutputAudioSink(undefined);
      if (this.#ownsSession && !session.closed) void session.close(1000, 'duplex destroyed');
    }
    const held = this.#heldCallback;
    this.#heldCallback = null;
    held?.(error ?? undefined);
    callback(error);
  }
}

/**
 * Creates a {@link RealtimeDuplex}: `pipeline(mic(), vadGate(), realtimeDuplex(client, { model }), speaker())`.
 * Given a client it connects (checking the model with the catalog); given a session it uses it.
 */
export function realtimeDuplex(target: TokenLab | RealtimeSession, options: RealtimeDuplexOptions = {}): RealtimeDuplex {
  return new RealtimeDuplex(target, options);
}
