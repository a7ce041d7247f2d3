import type { WebSocket } from 'ws';
import { clientEventFromBeta, serverEventToBeta } from '../../api/realtime/dialect.js';
import { REALTIME_CLIENT_EVENT_TYPES, type BetaWireEvent, type RealtimeServerEvent } from '../../api/realtime/events.js';
import type { VadEngine } from '../../core/vad/vad-engine.js';
import { describeSpeech } from '../transcript-format.js';
import type { CatalogModel } from '../model-catalog.js';
import { encodeReplyAudio, formatBytesPerMs, formatSampleRate, inputToS16, type RealtimeAudioFormat } from './realtime-audio-format.js';
import type { RealtimeFaultPlan } from './realtime-fault.js';
import { invalidType, invalidValue, missingParameter, ClientEventRefused, unknownParameter } from './client-event-refused.js';
import { honestReplyText, type RealtimeReply, type RealtimeResponder, type RealtimeTurn } from './realtime-responder.js';
import {
  applyGaSessionUpdate,
  defaultSessionSettings,
  gaSessionView,
  parseAudioFormat,
  parseMaxOutputTokens,
  parseToolChoice,
  parseTools,
  parseVoice,
  voiceName,
  type FunctionToolSettings,
  type SessionSettings,
} from './realtime-session-config.js';
import { RealtimeTurnTracker, type TurnEvent } from './realtime-turn-tracker.js';
import { inputAudioTokens, outputAudioTokens, responseUsage, textTokens, type TokenCounts } from './realtime-usage.js';
import type { ReplyVoice } from './reply-voice.js';
import { runRecognizer } from '../run-recognizer.js';

type Json = Record<string, unknown>;

/** Settings shared by all realtime sessions of one emulator (resolved from `EmulatorOptions.realtime`). */
export interface RealtimeEmulatorConfig {
  responder: RealtimeResponder | undefined;
  firstAudioDelayMs: number;
  audioDeltaMs: number;
  paceFactor: number;
  maxSessionMs: number;
  rateLimitPerMinute: number;
  tokensPerMinute: number;
  createVadEngine: () => VadEngine;
  /** The local recognizer (argv) for input transcripts; undefined: transcripts describe the detected speech. */
  recognizerCommand: readonly string[] | undefined;
}

/** Everything one session needs from the server that accepted it. */
export interface RealtimeSessionContext {
  readonly socket: WebSocket;
  readonly model: CatalogModel;
  readonly dialect: 'ga' | 'beta';
  readonly config: RealtimeEmulatorConfig;
  readonly faults: RealtimeFaultPlan;
  readonly voice: ReplyVoice;
  readonly log: ((line: string) => void) | undefined;
}

/** Largest audio one append may carry (decoded bytes), as the API's 15 MiB event cap. */
export const MAX_APPEND_BYTES = 15 * 1024 * 1024;
/** Conversation items the emulator keeps (oldest dropped first, as the API's context truncation would). */
const MAX_ITEMS = 2000;
/** Socket bytes queued for a slow client before the response waits for it to read. */
const SEND_HIGH_WATER = 1024 * 1024;
const MIN_COMMIT_MS = 100;
/** Input audio kept for the local recognizer, at most (ms): a longer turn is transcribed from its last part. */
const MAX_KEPT_MS = 120_000;


let idCounter = 0;
const idPrefix = Math.random().toString(36).slice(2, 8);
function newId(kind: string): string {
  return `${kind}_${idPrefix}${(idCounter++).toString(36).padStart(6, '0')}`;
}

/** A conversation item with what the emulator knows about it. */
interface ItemRecord {
  item: Json;
  /** Audio length (ms): user input audio, or assistant audio generated (after truncation: what remains). */
  audioMs: number;
  /** Speech found in a user item's audio, ms from its start. */
  speech: { startMs: number; endMs: number }[];
  /** Settles once the input transcript is known (local recognizer runs are asynchronous). */
  transcriptReady?: Promise<void>;
}

interface ResponseParams {
  outputModalities: ['audio'] | ['text'];
  instructions: string;
  voice: SessionSettings['voice'];
  outputFormat: RealtimeAudioFormat;
  tools: FunctionToolSettings[];
  toolChoice: SessionSettings['toolChoice'];
  maxOutputTokens: number | 'inf';
  inConversation: boolean;
  metadata: Json | null;
  input: Json[] | undefined;
}

/** The part of a response being streamed, so a cancel can close it at once. */
interface OpenPart {
  record: ItemRecord;
  outputIndex: number;
  kind: 'audio' | 'text' | 'call';
  /** Transcript or text sent so far. */
  textSent: string;
  audioSentMs: number;
  contentStarted: boolean;
}

interface ActiveResponse {
  readonly id: string;
  readonly params: ResponseParams;
  readonly response: Json;
  readonly output: ItemRecord[];
  readonly inputTokens: TokenCounts;
  readonly outputTokens: TokenCounts;
  open: OpenPart | undefined;
  ended: boolean;
  wake: (() => void) | undefined;
}

/**
 * One realtime session of the emulator: the API's protocol over a `ws` socket, in the GA dialect inside
 * (beta events are translated at the edge with the client's own dialect module). Input audio runs through
 * the toolkit's VAD for server turn detection and honest transcripts; replies are synthesized and streamed
 * as paced output audio deltas; errors in client events become `error` events and leave the socket open.
 */
export class RealtimeEmulatorSession {
  private settings: SessionSettings;
  private readonly items: ItemRecord[] = [];
  private readonly byId = new Map<string, ItemRecord>();
  private tracker: RealtimeTurnTracker;
  /** Speech found by the VAD (session timeline, ms), recent ones only. */
  private readonly spans: { startMs: number; endMs: number }[] = [];
  private openSpeechStartMs: number | undefined;
  private bufferStartMs = 0;
  private pendingUserItemId: string | undefined;
  private oddByte: number | undefined;
  private active: ActiveResponse | undefined;
  private responseCount = 0;
  private audioOutputSent = false;
  private silenced = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly conversationId = newId('conv');
  private readonly startedAt = Date.now();
  private rateWindowStart = Date.now();
  private responsesInWindow = 0;
  private tokensInWindow = 0;
  private deltaSeed: number;
  /** Input audio since the buffer start, kept only when a local recognizer transcribes it. */
  private kept: { startMs: number; chunks: Int16Array[]; samples: number } | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly ctx: RealtimeSessionContext) {
    const maxMs = ctx.faults.expireAfterMs ?? ctx.config.maxSessionMs;
    this.settings = defaultSessionSettings(newId('sess'), ctx.model.id, Math.floor((this.startedAt + maxMs) / 1000));
    this.deltaSeed = (idCounter * 2654435761) >>> 0 || 1;
    this.tracker = new RealtimeTurnTracker(formatSampleRate(this.settings.inputFormat), this.settings.turnDetection, ctx.config.createVadEngine, (ev) => this.onTurn(ev));
    ctx.socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ctx.socket.once('close', () => this.dispose());
    ctx.socket.on('error', () => this.dispose());
    this.later(maxMs, () => this.expire(maxMs));
    this.send({ type: 'session.created', session: gaSessionView(this.settings) });
  }

  /** The session id (`sess_…`). */
  get id(): string {
    return this.settings.id;
  }

  /** Ends the session (emulator closing): close frame 1001, timers released. */
  shutdown(): void {
    if (this.closed) return;
    this.ctx.socket.close(1001, 'emulator shutting down');
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.abort.abort();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.active) {
      this.active.ended = true;
      this.active.wake?.();
    }
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, ms);
    this.timers.add(t);
    return t;
  }

  // ---------------------------------------------------------------------------------------------------
  // Sending

  private send(event: Json): void {
    if (this.closed || this.silenced) return;
    event['event_id'] = newId('event');
    let wire: Json | null = event;
    if (this.ctx.dialect === 'beta') {
      const payload = event['type'] === 'session.created' || event['type'] === 'session.updated' ? { ...event, session: { ...(event['session'] as Json) } } : event;
      wire = serverEventToBeta(payload as unknown as RealtimeServerEvent) as unknown as Json | null;
      if (wire && (event['type'] === 'session.created' || event['type'] === 'session.updated')) {
        // Beta sessions carry `temperature` (GA has none) and never `type`.
        (wire['session'] as Json)['temperature'] = this.settings.temperature;
      }
    }
    if (wire) this.ctx.socket.send(JSON.stringify(wire));
  }

  /**
   * An output audio delta. GA: the message is the item's JSON prefix (`…"delta":"`), the base64 and the
   * event id, the same text `send` makes, without JSON.stringify scanning ~1.3 KB of base64 per delta
   * (most of the emulator's send cost with hundreds of sessions). Beta goes through `send`'s translation.
   */
  private sendAudioDelta(prefix: string, ids: Json, chunk: Buffer): void {
    if (this.ctx.dialect !== 'ga') return this.send({ type: 'response.output_audio.delta', ...ids, delta: chunk.toString('base64') });
    if (this.closed || this.silenced) return;
    this.ctx.socket.send(`${prefix}${chunk.toString('base64')}","event_id":"${newId('event')}"}`);
  }

  private sendError(error: ClientEventRefused, clientEventId: unknown): void {
    this.send({
      type: 'error',
      error: { type: error.errorType, code: error.code, message: error.message, param: error.param, event_id: typeof clientEventId === 'string' ? clientEventId : null },
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Receiving

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) {
      this.sendError(new ClientEventRefused('Binary frames are not supported: send each event as a JSON text frame.', 'invalid_event'), null);
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data.toString('utf8'));
    } catch (error) {
      this.sendError(new ClientEventRefused(`The server could not parse the event as JSON: ${(error as Error).message}`, 'invalid_json'), null);
      return;
    }
    const eventId = (event as Json | null)?.['event_id'];
    try {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidType('event', 'an object', event);
      if (eventId !== undefined && (typeof eventId !== 'string' || eventId.length > 512)) {
        throw new ClientEventRefused("Invalid 'event_id': expected a string of at most 512 characters.", 'invalid_value', 'event_id');
      }
      let ev = event as Json;
      if (typeof ev['type'] !== 'string') throw missingParameter('type');
      if (this.ctx.dialect === 'beta') {
        if (ev['type'] === 'transcription_session.update') {
          throw new ClientEventRefused('transcription_session.update is for transcription sessions; this is a conversation session (use session.update).', 'invalid_value', 'type');
        }
        try {
          ev = clientEventFromBeta(ev as unknown as BetaWireEvent) as unknown as Json;
        } catch (error) {
          throw new ClientEventRefused((error as Error).message, 'invalid_value', 'session');
        }
      }
      this.dispatch(ev);
    } catch (error) {
      if (error instanceof ClientEventRefused) this.sendError(error, eventId);
      else {
        this.ctx.log?.(`realtime ${this.id}: ${(error as Error).stack ?? String(error)}`);
        this.sendError(new ClientEventRefused(`The emulator failed on this event: ${(error as Error).message}`, 'server_error', null, 'server_error'), eventId);
      }
    }
  }

  private dispatch(ev: Json): void {
    switch (ev['type']) {
      case 'session.update':
        return this.onSessionUpdate(ev);
      case 'input_audio_buffer.append':
        return this.onAppend(ev);
      case 'input_audio_buffer.commit':
        return this.onCommit();
      case 'input_audio_buffer.clear':
        return this.onClear();
      case 'conversation.item.create':
        return this.onItemCreate(ev);
      case 'conversation.item.retrieve':
        return this.onItemRetrieve(ev);
      case 'conversation.item.delete':
        return this.onItemDelete(ev);
      case 'conversation.item.truncate':
        return this.onTruncate(ev);
      case 'response.create':
        return this.onResponseCreate(ev);
      case 'response.cancel':
        return this.onResponseCancel(ev);
      case 'output_audio_buffer.clear':
        throw new ClientEventRefused('output_audio_buffer.clear is only available over WebRTC and SIP; over a WebSocket stop playback locally and send conversation.item.truncate.', 'invalid_value', 'type');
      default:
        throw invalidValue('type', ev['type'], REALTIME_CLIENT_EVENT_TYPES);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Session

  private onSessionUpdate(ev: Json): void {
    const before = this.settings;
    const next = applyGaSessionUpdate(before, ev['session'], this.audioOutputSent);
    this.settings = next;
    const rateChanged = formatSampleRate(next.inputFormat) !== formatSampleRate(before.inputFormat);
    if (rateChanged || JSON.stringify(next.turnDetection) !== JSON.stringify(before.turnDetection)) {
      this.openSpeechStartMs = undefined;
      this.pendingUserItemId = undefined;
      this.tracker = this.tracker.reconfigure(next.turnDetection, formatSampleRate(next.inputFormat));
    }
    if (rateChanged) {
      // Audio kept at the old rate cannot be joined to the new one.
      this.oddByte = undefined;
      this.kept = undefined;
    }
    this.send({ type: 'session.updated', session: gaSessionView(next) });
  }

  private expire(maxMs: number): void {
    if (this.closed) return;
    const minutes = maxMs >= 60_000 ? `${Math.round(maxMs / 60_000)} minutes` : `${Math.round(maxMs / 1000)} seconds`;
    this.send({
      type: 'error',
      error: { type: 'invalid_request_error', code: 'session_expired', message: `Your session hit the maximum duration of ${minutes}.`, param: null, event_id: null },
    });
    this.ctx.socket.close(1000, 'session expired');
    this.dispose();
  }

  // ---------------------------------------------------------------------------------------------------
  // Input audio

  private onAppend(ev: Json): void {
    const audio = ev['audio'];
    if (audio === undefined) throw missingParameter('audio');
    if (typeof audio !== 'string') throw invalidType('audio', 'a base64 string', audio);
    if (audio.length % 4 === 1 || /[^A-Za-z0-9+/=\s]/.test(audio.slice(0, 64))) {
      throw new ClientEventRefused("Invalid 'audio': expected base64-encoded audio bytes.", 'invalid_value', 'audio');
    }
    if (Math.floor((audio.length * 3) / 4) > MAX_APPEND_BYTES + 2) {
      throw new ClientEventRefused(
        `Invalid 'audio': string too long. One append may carry at most ${MAX_APPEND_BYTES} bytes of audio (15 MiB); send audio in small chunks (20-100 ms).`,
        'string_above_max_length',
        'audio',
      );
    }
    let bytes = Buffer.from(audio, 'base64');
    if (this.settings.inputFormat.type === 'audio/pcm') {
      // Keep whole 16-bit samples across appends.
      if (this.oddByte !== undefined) {
        const joined = Buffer.allocUnsafe(bytes.length + 1);
        joined[0] = this.oddByte;
        bytes.copy(joined, 1);
        bytes = joined;
        this.oddByte = undefined;
      }
      if (bytes.length & 1) {
        this.oddByte = bytes[bytes.length - 1];
        bytes = bytes.subarray(0, bytes.length - 1);
      }
    }
    if (bytes.length === 0) return;
    const samples = inputToS16(this.settings.inputFormat, bytes);
    if (this.ctx.config.recognizerCommand && this.settings.transcription) this.keep(samples);
    this.tracker.write(samples);
  }

  private onTurn(ev: TurnEvent): void {
    if (ev.kind === 'start') {
      this.openSpeechStartMs = ev.speechStartMs;
      const detection = this.settings.turnDetection;
      if (!detection) return;
      this.clearIdleTimer();
      this.pendingUserItemId = newId('item');
      this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(Math.max(ev.startMs, this.bufferStartMs)), item_id: this.pendingUserItemId });
      if (detection.interrupt_response && this.active && this.active.params.inConversation) this.cancelActive('turn_detected');
      return;
    }
    this.openSpeechStartMs = undefined;
    this.spans.push({ startMs: ev.speechStartMs, endMs: ev.speechEndMs });
    if (this.spans.length > 64) this.spans.splice(0, this.spans.length - 64);
    const detection = this.settings.turnDetection;
    if (!detection || this.pendingUserItemId === undefined) return;
    const itemId = this.pendingUserItemId;
    this.pendingUserItemId = undefined;
    this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(ev.atMs), item_id: itemId });
    const from = Math.max(ev.startMs, this.bufferStartMs);
    if (ev.atMs - from < MIN_COMMIT_MS) return;
    this.commitRange(from, ev.atMs, itemId);
    if (detection.create_response && !this.active) this.startResponse(this.defaultParams());
  }

  private onCommit(): void {
    const end = this.tracker.positionMs;
    const ms = end - this.bufferStartMs;
    if (ms < MIN_COMMIT_MS) {
      throw new ClientEventRefused(
        `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`,
        'input_audio_buffer_commit_empty',
      );
    }
    const itemId = this.pendingUserItemId ?? newId('item');
    this.pendingUserItemId = undefined;
    this.commitRange(this.bufferStartMs, end, itemId);
  }

  /** Keeps input audio for the recognizer (bounded: the oldest goes first). */
  private keep(samples: Int16Array): void {
    const rate = formatSampleRate(this.settings.inputFormat);
    this.kept ??= { startMs: this.tracker.positionMs, chunks: [], samples: 0 };
    this.kept.chunks.push(samples.slice());
    this.kept.samples += samples.length;
    while (this.kept.samples > (MAX_KEPT_MS * rate) / 1000 && this.kept.chunks.length > 1) {
      const dropped = this.kept.chunks.shift()!;
      this.kept.samples -= dropped.length;
      this.kept.startMs += (dropped.length * 1000) / rate;
    }
  }

  /** The kept input in [fromMs, toMs) of the session timeline; forgets everything before `toMs`. */
  private takeKept(fromMs: number, toMs: number): Int16Array | undefined {
    const kept = this.kept;
    this.kept = undefined;
    if (!kept) return undefined;
    const rate = formatSampleRate(this.settings.inputFormat);
    const all = new Int16Array(kept.samples);
    let at = 0;
    for (const c of kept.chunks) {
      all.set(c, at);
      at += c.length;
    }
    const from = Math.max(0, Math.round(((fromMs - kept.startMs) * rate) / 1000));
    const to = Math.min(all.length, Math.round(((toMs - kept.startMs) * rate) / 1000));
    if (to < all.length) this.kept = { startMs: toMs, chunks: [all.slice(to)], samples: all.length - to };
    return to > from ? all.subarray(from, to) : undefined;
  }

  private onClear(): void {
    this.takeKept(this.bufferStartMs, this.tracker.positionMs);
    this.bufferStartMs = this.tracker.positionMs;
    this.pendingUserItemId = undefined;
    this.send({ type: 'input_audio_buffer.cleared' });
  }

  /** Speech inside [fromMs, toMs) of the session timeline, relative to `fromMs`. */
  private speechIn(fromMs: number, toMs: number): { startMs: number; endMs: number }[] {
    const found = this.spans.filter((s) => s.endMs > fromMs && s.startMs < toMs);
    const open = this.openSpeechStartMs !== undefined && this.openSpeechStartMs < toMs ? [{ startMs: this.openSpeechStartMs, endMs: toMs }] : [];
    return [...found, ...open].map((s) => ({ startMs: Math.max(0, s.startMs - fromMs), endMs: Math.min(toMs, s.endMs) - fromMs }));
  }

  private commitRange(fromMs: number, toMs: number, itemId: string): void {
    this.bufferStartMs = toMs;
    const previous = this.lastItemId();
    const record: ItemRecord = {
      item: { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio' }] },
      audioMs: toMs - fromMs,
      speech: this.speechIn(fromMs, toMs),
    };
    const audio = this.takeKept(fromMs, toMs);
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    this.addItem(record, previous);
    this.transcribe(record, audio);
  }

  /** Input transcription events for a user audio item, when the session asked for them. */
  private transcribe(record: ItemRecord, audio?: Int16Array): void {
    if (!this.settings.transcription) return;
    const content = (record.item['content'] as Json[])[0]!;
    const itemId = record.item['id'] as string;
    const deliver = (transcript: string): void => {
      content['transcript'] = transcript;
      if (transcript !== '') this.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: transcript });
      this.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript, usage: { type: 'duration', seconds: Math.round(record.audioMs) / 1000 } });
    };
    const command = this.ctx.config.recognizerCommand;
    if (command && audio && record.speech.length > 0) {
      record.transcriptReady = runRecognizer(command, { samples: audio, sampleRate: formatSampleRate(this.settings.inputFormat) }, this.abort.signal).then(deliver, (error: Error) => {
        this.send({
          type: 'conversation.item.input_audio_transcription.failed',
          item_id: itemId,
          content_index: 0,
          error: { type: 'transcription_error', code: 'recognizer_failed', message: error.message, param: null },
        });
      });
      return;
    }
    const transcript = record.speech.length === 0 ? '' : record.speech.map((s) => describeSpeech(s)).join(' ');
    content['transcript'] = transcript;
    this.later(0, () => {
      content['transcript'] = transcript;
      deliver(transcript);
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Conversation items

  private lastItemId(): string | null {
    return (this.items[this.items.length - 1]?.item['id'] as string | undefined) ?? null;
  }

  private addItem(record: ItemRecord, previous: string | null, at = this.items.length): void {
    this.items.splice(at, 0, record);
    this.byId.set(record.item['id'] as string, record);
    while (this.items.length > MAX_ITEMS) this.byId.delete(this.items.shift()!.item['id'] as string);
    this.send({ type: 'conversation.item.added', previous_item_id: previous, item: structuredClone(record.item) });
    if (record.item['status'] !== 'in_progress') this.send({ type: 'conversation.item.done', previous_item_id: previous, item: structuredClone(record.item) });
  }

  private onItemCreate(ev: Json): void {
    const item = ev['item'];
    if (item === undefined) throw missingParameter('item');
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidType('item', 'an object', item);
    const record = this.parseItem(item as Json);
    let at = this.items.length;
    let previous = this.lastItemId();
    const prev = ev['previous_item_id'];
    if (prev !== undefined && prev !== null) {
      if (prev === 'root') {
        at = 0;
        previous = null;
      } else {
        if (typeof prev !== 'string') throw invalidType('previous_item_id', 'a string', prev);
        const index = this.items.findIndex((r) => r.item['id'] === prev);
        if (index < 0) throw new ClientEventRefused(`Error adding item: the previous item with id '${prev}' does not exist.`, 'item_not_found', 'previous_item_id');
        at = index + 1;
        previous = prev;
      }
    }
    this.addItem(record, previous, at);
    if (record.item['role'] === 'user' && record.audioMs > 0) this.transcribe(record);
  }

  private parseItem(raw: Json): ItemRecord {
    const type = raw['type'] ?? 'message';
    const id = raw['id'];
    if (id !== undefined) {
      if (typeof id !== 'string' || id.length === 0 || id.length > 32) throw new ClientEventRefused("Invalid 'item.id': expected a string of 1 to 32 characters.", 'invalid_value', 'item.id');
      if (this.byId.has(id)) throw new ClientEventRefused(`Item with id '${id}' already exists.`, 'item_already_exists', 'item.id');
    }
    const base = { id: (id as string | undefined) ?? newId('item'), object: 'realtime.item', status: 'completed' };
    if (type === 'function_call_output') {
      for (const key of Object.keys(raw)) if (!['id', 'type', 'object', 'status', 'call_id', 'output'].includes(key)) throw unknownParameter(`item.${key}`);
      if (typeof raw['call_id'] !== 'string') throw missingParameter('item.call_id');
      if (typeof raw['output'] !== 'string') throw invalidType('item.output', 'a string', raw['output']);
      return { item: { ...base, type, call_id: raw['call_id'], output: raw['output'] }, audioMs: 0, speech: [] };
    }
    if (type === 'function_call') {
      if (typeof raw['name'] !== 'string') throw missingParameter('item.name');
      if (typeof raw['arguments'] !== 'string') throw invalidType('item.arguments', 'a string', raw['arguments']);
      const callId = typeof raw['call_id'] === 'string' ? raw['call_id'] : newId('call');
      return { item: { ...base, type, name: raw['name'], call_id: callId, arguments: raw['arguments'] }, audioMs: 0, speech: [] };
    }
    if (type !== 'message') throw invalidValue('item.type', type, ['message', 'function_call', 'function_call_output']);
    const role = raw['role'];
    if (role !== 'user' && role !== 'assistant' && role !== 'system') throw invalidValue('item.role', role, ['user', 'assistant', 'system']);
    const contentRaw = raw['content'];
    if (!Array.isArray(contentRaw)) throw invalidType('item.content', 'an array', contentRaw);
    const allowed = role === 'user' ? ['input_text', 'input_audio', 'input_image'] : role === 'assistant' ? ['output_text'] : ['input_text'];
    let audioMs = 0;
    let speech: ItemRecord['speech'] = [];
    const content = contentRaw.map((c: unknown, i: number) => {
      const part = c as Json;
      const param = `item.content[${i}]`;
      if (typeof part !== 'object' || part === null) throw invalidType(param, 'an object', part);
      if (role === 'assistant' && part['type'] === 'output_audio') {
        throw new ClientEventRefused('Assistant messages cannot carry audio: create them with output_text content.', 'invalid_value', `${param}.type`);
      }
      if (!allowed.includes(part['type'] as string)) throw invalidValue(`${param}.type`, part['type'], allowed);
      if ((part['type'] === 'input_text' || part['type'] === 'output_text') && typeof part['text'] !== 'string') throw invalidType(`${param}.text`, 'a string', part['text']);
      if (part['type'] === 'input_audio') {
        if (typeof part['audio'] !== 'string') throw invalidType(`${param}.audio`, 'a base64 string', part['audio']);
        const bytes = Buffer.from(part['audio'], 'base64');
        audioMs += bytes.length / formatBytesPerMs(this.settings.inputFormat);
        speech = this.detectSpeech(bytes);
        return typeof part['transcript'] === 'string' ? { type: 'input_audio', transcript: part['transcript'] } : { type: 'input_audio' };
      }
      if (part['type'] === 'input_image') return { type: 'input_image', ...(typeof part['detail'] === 'string' ? { detail: part['detail'] } : {}) };
      return { type: part['type'], text: part['text'] };
    });
    return { item: { ...base, type: 'message', role, content }, audioMs, speech };
  }

  /** Speech in a created item's audio, found by a VAD run of its own (ms from the item's start). */
  private detectSpeech(bytes: Buffer): { startMs: number; endMs: number }[] {
    const spans: { startMs: number; endMs: number }[] = [];
    let open: number | undefined;
    const tracker = new RealtimeTurnTracker(formatSampleRate(this.settings.inputFormat), null, this.ctx.config.createVadEngine, (ev) => {
      if (ev.kind === 'start') open = ev.speechStartMs;
      else spans.push({ startMs: ev.speechStartMs, endMs: ev.speechEndMs });
    });
    tracker.write(inputToS16(this.settings.inputFormat, bytes.length & 1 && this.settings.inputFormat.type === 'audio/pcm' ? bytes.subarray(0, bytes.length - 1) : bytes));
    if (open !== undefined && (spans.length === 0 || spans[spans.length - 1]!.startMs !== open)) spans.push({ startMs: open, endMs: tracker.positionMs });
    return spans;
  }

  private itemOrError(ev: Json, verb: string): ItemRecord {
    const id = ev['item_id'];
    if (id === undefined) throw missingParameter('item_id');
    if (typeof id !== 'string') throw invalidType('item_id', 'a string', id);
    const record = this.byId.get(id);
    if (!record) throw new ClientEventRefused(`Error ${verb} item: the item with id '${id}' does not exist.`, 'item_not_found', 'item_id');
    return record;
  }

  private onItemRetrieve(ev: Json): void {
    const record = this.itemOrError(ev, 'retrieving');
    this.send({ type: 'conversation.item.retrieved', item: structuredClone(record.item) });
  }

  private onItemDelete(ev: Json): void {
    const record = this.itemOrError(ev, 'deleting');
    const id = record.item['id'] as string;
    if (this.active?.output.includes(record)) this.cancelActive('client_cancelled');
    this.items.splice(this.items.indexOf(record), 1);
    this.byId.delete(id);
    this.send({ type: 'conversation.item.deleted', item_id: id });
  }

  private onTruncate(ev: Json): void {
    const record = this.itemOrError(ev, 'truncating');
    const contentIndex = ev['content_index'];
    if (contentIndex === undefined) throw missingParameter('content_index');
    if (typeof contentIndex !== 'number' || !Number.isInteger(contentIndex)) throw invalidType('content_index', 'an integer', contentIndex);
    const endMs = ev['audio_end_ms'];
    if (endMs === undefined) throw missingParameter('audio_end_ms');
    if (typeof endMs !== 'number' || !Number.isInteger(endMs)) throw invalidType('audio_end_ms', 'an integer', endMs);
    if (endMs < 0) {
      throw new ClientEventRefused(`Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got ${endMs} instead.`, 'integer_below_min_value', 'audio_end_ms');
    }
    const content = record.item['content'] as Json[] | undefined;
    const part = content?.[contentIndex];
    if (record.item['role'] !== 'assistant' || part?.['type'] !== 'output_audio' || record.audioMs <= 0) {
      throw new ClientEventRefused('Only model output audio messages can be truncated', 'unsupported_content_type', 'item_id');
    }
    // Truncating the item being generated stops its response first (nothing more is said after the cut).
    if (this.active?.output.includes(record)) this.cancelActive('client_cancelled');
    if (endMs > Math.round(record.audioMs)) {
      throw new ClientEventRefused(`Audio content of ${Math.round(record.audioMs)}ms is already shorter than ${endMs}ms`, 'invalid_value', 'audio_end_ms');
    }
    record.audioMs = endMs;
    // As the API does: the transcript goes, so the context holds no text the user did not hear.
    part['transcript'] = '';
    this.send({ type: 'conversation.item.truncated', item_id: record.item['id'], content_index: contentIndex, audio_end_ms: endMs });
  }

  // ---------------------------------------------------------------------------------------------------
  // Responses

  private defaultParams(): ResponseParams {
    const s = this.settings;
    return {
      outputModalities: s.outputModalities,
      instructions: s.instructions,
      voice: s.voice,
      outputFormat: s.outputFormat,
      tools: s.tools,
      toolChoice: s.toolChoice,
      maxOutputTokens: s.maxOutputTokens,
      inConversation: true,
      metadata: null,
      input: undefined,
    };
  }

  private parseResponseParams(raw: unknown): ResponseParams {
    const p = this.defaultParams();
    if (raw === undefined || raw === null) return p;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidType('response', 'an object', raw);
    const r = raw as Json;
    const known = ['output_modalities', 'instructions', 'audio', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'max_output_tokens', 'conversation', 'metadata', 'prompt', 'input', 'temperature'];
    for (const key of Object.keys(r)) if (!known.includes(key)) throw unknownParameter(`response.${key}`);
    if (r['output_modalities'] !== undefined) {
      const m = r['output_modalities'];
      if (!Array.isArray(m) || m.length !== 1 || (m[0] !== 'audio' && m[0] !== 'text')) {
        throw new ClientEventRefused(`Invalid value for 'response.output_modalities': use ["audio"] or ["text"].`, 'invalid_value', 'response.output_modalities');
      }
      p.outputModalities = [m[0]] as ResponseParams['outputModalities'];
    }
    if (r['instructions'] !== undefined) {
      if (typeof r['instructions'] !== 'string') throw invalidType('response.instructions', 'a string', r['instructions']);
      p.instructions = r['instructions'];
    }
    const output = (r['audio'] as Json | undefined)?.['output'] as Json | undefined;
    if (output?.['format'] !== undefined) p.outputFormat = parseAudioFormat('response.audio.output.format', output['format']);
    if (output?.['voice'] !== undefined) {
      p.voice = parseVoice('response.audio.output.voice', output['voice']);
      if (this.audioOutputSent && voiceName(p.voice) !== voiceName(this.settings.voice)) {
        throw new ClientEventRefused("Cannot update a conversation's voice if assistant audio is present.", 'cannot_update_voice', 'response.audio.output.voice');
      }
    }
    if (r['tools'] !== undefined) p.tools = parseTools('response.tools', r['tools']);
    if (r['tool_choice'] !== undefined) p.toolChoice = parseToolChoice('response.tool_choice', r['tool_choice']);
    if (r['max_output_tokens'] !== undefined) p.maxOutputTokens = parseMaxOutputTokens('response.max_output_tokens', r['max_output_tokens']);
    if (r['conversation'] !== undefined) {
      if (r['conversation'] !== 'auto' && r['conversation'] !== 'none') throw invalidValue('response.conversation', r['conversation'], ['auto', 'none']);
      p.inConversation = r['conversation'] === 'auto';
    }
    if (r['metadata'] !== undefined && r['metadata'] !== null) {
      if (typeof r['metadata'] !== 'object' || Array.isArray(r['metadata'])) throw invalidType('response.metadata', 'an object', r['metadata']);
      p.metadata = r['metadata'] as Json;
    }
    if (r['input'] !== undefined) {
      if (!Array.isArray(r['input'])) throw invalidType('response.input', 'an array', r['input']);
      p.input = r['input'] as Json[];
    }
    return p;
  }

  private onResponseCreate(ev: Json): void {
    const params = this.parseResponseParams(ev['response']);
    if (this.active) {
      throw new ClientEventRefused(
        `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
        'conversation_already_has_active_response',
      );
    }
    this.startResponse(params);
  }

  private onResponseCancel(ev: Json): void {
    const wanted = ev['response_id'];
    if (!this.active || (wanted !== undefined && wanted !== this.active.id)) {
      throw new ClientEventRefused('Cancellation failed: no active response found', 'response_cancel_not_active');
    }
    this.cancelActive('client_cancelled');
  }

  private contextTokens(params: ResponseParams): TokenCounts {
    const counts: TokenCounts = { text: textTokens(params.instructions) + (params.tools.length > 0 ? textTokens(JSON.stringify(params.tools)) : 0), audio: 0 };
    const items = params.input ? [] : this.items;
    for (const r of items) {
      counts.audio += inputAudioTokens(r.audioMs);
      const it = r.item;
      if (it['type'] === 'function_call') counts.text += textTokens(String(it['arguments'] ?? '')) + 4;
      else if (it['type'] === 'function_call_output') counts.text += textTokens(String(it['output'] ?? ''));
      else for (const c of (it['content'] as Json[] | undefined) ?? []) counts.text += textTokens(String(c['text'] ?? c['transcript'] ?? ''));
    }
    if (params.input) counts.text += textTokens(JSON.stringify(params.input));
    return counts;
  }

  private responseObject(a: ActiveResponse, status: string): Json {
    const response: Json = {
      ...a.response,
      status,
      output: a.output.map((r) => structuredClone(r.item)),
    };
    return response;
  }

  private startResponse(params: ResponseParams): void {
    this.clearIdleTimer();
    const id = newId('resp');
    const active: ActiveResponse = {
      id,
      params,
      response: {
        id,
        object: 'realtime.response',
        conversation_id: params.inConversation ? this.conversationId : undefined,
        output_modalities: [...params.outputModalities],
        max_output_tokens: params.maxOutputTokens,
        audio: { output: { format: { ...params.outputFormat }, voice: params.voice } },
        metadata: params.metadata,
      },
      output: [],
      inputTokens: this.contextTokens(params),
      outputTokens: { text: 0, audio: 0 },
      open: undefined,
      ended: false,
      wake: undefined,
    };
    if (!params.inConversation) delete active.response['conversation_id'];
    this.active = active;
    const index = this.responseCount++;
    this.send({ type: 'response.created', response: this.responseObject(active, 'in_progress') });
    this.sendRateLimits();
    if (this.ctx.faults.silent && index === 0) {
      // Silent server: the socket stays open and nothing more is sent.
      this.silenced = true;
      return;
    }
    void this.runResponse(active, index).catch((error: unknown) => {
      this.ctx.log?.(`realtime ${this.id}: response failed: ${(error as Error).stack ?? String(error)}`);
      if (!active.ended) this.finishResponse(active, 'failed', { type: 'failed', error: { type: 'server_error', code: 'server_error' } });
    });
  }

  private sendRateLimits(): void {
    const now = Date.now();
    if (now - this.rateWindowStart >= 60_000) {
      this.rateWindowStart = now;
      this.responsesInWindow = 0;
      this.tokensInWindow = 0;
    }
    this.responsesInWindow++;
    const reset = Math.max(0, (this.rateWindowStart + 60_000 - now) / 1000);
    const { rateLimitPerMinute: rpm, tokensPerMinute: tpm } = this.ctx.config;
    this.send({
      type: 'rate_limits.updated',
      rate_limits: [
        { name: 'requests', limit: rpm, remaining: Math.max(0, rpm - this.responsesInWindow), reset_seconds: Math.round(reset * 1000) / 1000 },
        { name: 'tokens', limit: tpm, remaining: Math.max(0, tpm - this.tokensInWindow), reset_seconds: Math.round(reset * 1000) / 1000 },
      ],
    });
  }

  /** The turn the responder sees: the last user message or function output, and what the emulator would say. */
  private turnFor(params: ResponseParams, index: number): RealtimeTurn {
    let user: RealtimeTurn['user'];
    let functionOutput: RealtimeTurn['functionOutput'];
    for (let i = this.items.length - 1; i >= 0 && !user && !functionOutput; i--) {
      const it = this.items[i]!.item;
      if (it['type'] === 'function_call_output' && i === this.items.length - 1) {
        const call = this.items.find((r) => r.item['type'] === 'function_call' && r.item['call_id'] === it['call_id']);
        functionOutput = { callId: it['call_id'] as string, name: call?.item['name'] as string | undefined, output: it['output'] as string };
      } else if (it['type'] === 'message' && it['role'] === 'user') {
        const content = it['content'] as Json[];
        const texts = content.filter((c) => c['type'] === 'input_text').map((c) => c['text'] as string);
        const audio = content.find((c) => c['type'] === 'input_audio');
        const record = this.items[i]!;
        user = {
          itemId: it['id'] as string,
          text: texts.length > 0 ? texts.join(' ') : undefined,
          audioMs: audio ? Math.round(record.audioMs) : undefined,
          speech: record.speech.map((s) => ({ startMs: Math.round(s.startMs), endMs: Math.round(s.endMs) })),
          transcript: typeof audio?.['transcript'] === 'string' && audio['transcript'] !== '' ? audio['transcript'] : undefined,
        };
      }
    }
    const base = { sessionId: this.id, model: this.settings.model, responseIndex: index, instructions: params.instructions, toolNames: params.tools.map((t) => t.name), user, functionOutput };
    return { ...base, defaultText: honestReplyText(base) };
  }

  /** Waits `ms` (0: one macrotask), or less when the response is cancelled; false once it has ended. */
  private wait(a: ActiveResponse, ms: number): Promise<boolean> {
    if (a.ended) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.timers.delete(t);
        a.wake = undefined;
        resolve(!a.ended);
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.timers.add(t);
      a.wake = done;
    });
  }

  /** Waits while the client reads slowly (bounded socket queue); false once the response has ended. */
  private async drain(a: ActiveResponse): Promise<boolean> {
    while (this.ctx.socket.bufferedAmount > SEND_HIGH_WATER) if (!(await this.wait(a, 10))) return false;
    return !a.ended;
  }

  private nextRandom(): number {
    // xorshift32: deterministic per session, varied delta sizes like the API's.
    let x = this.deltaSeed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.deltaSeed = x >>> 0;
    return this.deltaSeed / 4294967296;
  }

  private async runResponse(a: ActiveResponse, index: number): Promise<void> {
    // A transcript from the local recognizer is part of what the reply may say: wait for it (bounded).
    const pending = this.items[this.items.length - 1]?.transcriptReady;
    if (pending) await Promise.race([pending, this.wait(a, 15_000)]);
    if (a.ended) return;
    const turn = this.turnFor(a.params, index);
    let reply: RealtimeReply | undefined;
    try {
      reply = (await this.ctx.config.responder?.(turn)) ?? undefined;
    } catch (error) {
      this.ctx.log?.(`realtime ${this.id}: responder failed: ${(error as Error).message}`);
    }
    if (a.ended) return;
    const wantsCall = reply?.toolCall !== undefined && a.params.toolChoice !== 'none';
    const text = reply?.text ?? (wantsCall ? undefined : turn.defaultText);
    const firstDelayMs = (reply?.firstAudioDelayMs ?? this.ctx.config.firstAudioDelayMs) + this.ctx.faults.slowFirstDeltaMs;
    if (text !== undefined && text !== '') {
      if (a.params.outputModalities[0] === 'audio') {
        if (!(await this.streamAudio(a, text, reply?.audioMs, firstDelayMs, index))) return;
      } else if (!(await this.streamText(a, text, firstDelayMs))) return;
    }
    if (wantsCall && !(await this.streamCall(a, reply!.toolCall!))) return;
    this.finishResponse(a, 'completed', undefined);
  }

  private openItem(a: ActiveResponse, item: Json, kind: OpenPart['kind']): OpenPart {
    const record: ItemRecord = { item, audioMs: 0, speech: [] };
    const outputIndex = a.output.length;
    a.output.push(record);
    const part: OpenPart = { record, outputIndex, kind, textSent: '', audioSentMs: 0, contentStarted: false };
    a.open = part;
    this.send({ type: 'response.output_item.added', response_id: a.id, output_index: outputIndex, item: structuredClone(item) });
    if (a.params.inConversation) this.addItem(record, this.lastItemId());
    return part;
  }

  private async streamAudio(a: ActiveResponse, text: string, audioMs: number | undefined, firstDelayMs: number, index: number): Promise<boolean> {
    const itemId = newId('item');
    const part = this.openItem(a, { id: itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] }, 'audio');
    const pcm = await this.ctx.voice.render({ text, voice: voiceName(a.params.voice), speed: this.settings.speed, audioMs });
    if (a.ended) return false;
    const encoded = encodeReplyAudio(a.params.outputFormat, pcm);
    const bytesPerMs = formatBytesPerMs(a.params.outputFormat);
    const words = text.split(/(?<=\s)/);
    const ids = { response_id: a.id, item_id: itemId, output_index: part.outputIndex, content_index: 0 };
    (part.record.item['content'] as Json[]).push({ type: 'output_audio', transcript: '' });
    part.contentStarted = true;
    this.send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });
    const deltaPrefix = JSON.stringify({ type: 'response.output_audio.delta', ...ids, delta: '' }).slice(0, -2);
    if (!(await this.wait(a, firstDelayMs))) return false;
    const faults = this.ctx.faults;
    const first = index === 0;
    const pace = this.ctx.config.paceFactor;
    const t0 = performance.now();
    let sentBytes = 0;
    let deltas = 0;
    let wordsSent = 0;
    while (sentBytes < encoded.length) {
      if (!(await this.drain(a))) return false;
      const base = this.ctx.config.audioDeltaMs;
      const chunkMs = deltas === 0 ? Math.max(20, base / 2) : Math.round((base * (0.5 + this.nextRandom())) / 10) * 10;
      const chunkBytes = Math.min(encoded.length - sentBytes, Math.max(2, Math.round(chunkMs * bytesPerMs) & ~1));
      const chunk = encoded.subarray(sentBytes, sentBytes + chunkBytes);
      sentBytes += chunkBytes;
      // The transcript runs a little ahead of the audio, as the API's does.
      const wordsDue = Math.min(words.length, Math.ceil((words.length * (sentBytes + 2 * chunkBytes)) / encoded.length));
      if (wordsDue > wordsSent) {
        const delta = words.slice(wordsSent, wordsDue).join('');
        wordsSent = wordsDue;
        part.textSent += delta;
        this.send({ type: 'response.output_audio_transcript.delta', ...ids, delta });
      }
      this.sendAudioDelta(deltaPrefix, ids, chunk);
      this.audioOutputSent = true;
      part.audioSentMs = sentBytes / bytesPerMs;
      part.record.audioMs = part.audioSentMs;
      deltas++;
      if (first && deltas === 1) {
        if (faults.malformedFrame) this.ctx.socket.send('{"type":"response.output_audio.delta","delta":');
        if (faults.errorEvent) {
          this.send({ type: 'error', error: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request (injected by the emulator).', param: null, event_id: null } });
        }
        if (faults.drop) {
          // A cut connection: no close frame, as when a proxy or the network drops it.
          const raw = (this.ctx.socket as unknown as { _socket?: { destroy(): void } })._socket;
          this.dispose();
          raw?.destroy();
          return false;
        }
      }
      if (first && faults.close1011AfterDeltas !== undefined && deltas >= faults.close1011AfterDeltas) {
        this.ctx.socket.close(1011, 'internal server error (injected by the emulator)');
        this.dispose();
        return false;
      }
      if (Number.isFinite(pace)) {
        const dueMs = part.audioSentMs / pace - (performance.now() - t0);
        if (!(await this.wait(a, dueMs))) return false;
      } else if (!(await this.wait(a, 0))) return false;
    }
    if (wordsSent < words.length) {
      const delta = words.slice(wordsSent).join('');
      part.textSent += delta;
      this.send({ type: 'response.output_audio_transcript.delta', ...ids, delta });
    }
    this.closeOpenPart(a, 'completed');
    return true;
  }

  private async streamText(a: ActiveResponse, text: string, firstDelayMs: number): Promise<boolean> {
    const itemId = newId('item');
    const part = this.openItem(a, { id: itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] }, 'text');
    const ids = { response_id: a.id, item_id: itemId, output_index: part.outputIndex, content_index: 0 };
    (part.record.item['content'] as Json[]).push({ type: 'output_text', text: '' });
    part.contentStarted = true;
    this.send({ type: 'response.content_part.added', ...ids, part: { type: 'text', text: '' } });
    if (!(await this.wait(a, firstDelayMs))) return false;
    const words = text.split(/(?<=\s)/);
    for (let i = 0; i < words.length; i += 3) {
      const delta = words.slice(i, i + 3).join('');
      part.textSent += delta;
      this.send({ type: 'response.output_text.delta', ...ids, delta });
      if (!(await this.wait(a, Number.isFinite(this.ctx.config.paceFactor) ? 15 : 0))) return false;
    }
    this.closeOpenPart(a, 'completed');
    return true;
  }

  private async streamCall(a: ActiveResponse, call: NonNullable<RealtimeReply['toolCall']>): Promise<boolean> {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const callId = call.callId ?? newId('call');
    const itemId = newId('item');
    const part = this.openItem(a, { id: itemId, object: 'realtime.item', type: 'function_call', status: 'in_progress', name: call.name, call_id: callId, arguments: '' }, 'call');
    for (let at = 0; at < args.length; at += 24) {
      const delta = args.slice(at, at + 24);
      part.textSent += delta;
      this.send({ type: 'response.function_call_arguments.delta', response_id: a.id, item_id: itemId, output_index: part.outputIndex, call_id: callId, delta });
      if (!(await this.wait(a, 0))) return false;
    }
    this.closeOpenPart(a, 'completed');
    return true;
  }

  /** Sends the `.done` events of the part being streamed (whole, or cut short by a cancel). */
  private closeOpenPart(a: ActiveResponse, status: 'completed' | 'incomplete'): void {
    const part = a.open;
    if (!part) return;
    a.open = undefined;
    const item = part.record.item;
    const itemId = item['id'] as string;
    item['status'] = status;
    if (part.kind === 'call') {
      item['arguments'] = part.textSent;
      a.outputTokens.text += textTokens(part.textSent) + 4;
      if (status === 'completed') {
        this.send({ type: 'response.function_call_arguments.done', response_id: a.id, item_id: itemId, output_index: part.outputIndex, call_id: item['call_id'], name: item['name'], arguments: part.textSent });
      }
    } else if (part.contentStarted) {
      const ids = { response_id: a.id, item_id: itemId, output_index: part.outputIndex, content_index: 0 };
      const content = (item['content'] as Json[])[0]!;
      if (part.kind === 'audio') {
        content['transcript'] = part.textSent;
        a.outputTokens.audio += outputAudioTokens(part.audioSentMs);
        a.outputTokens.text += textTokens(part.textSent);
        this.send({ type: 'response.output_audio.done', ...ids });
        this.send({ type: 'response.output_audio_transcript.done', ...ids, transcript: part.textSent });
        this.send({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript: part.textSent } });
      } else {
        content['text'] = part.textSent;
        a.outputTokens.text += textTokens(part.textSent);
        this.send({ type: 'response.output_text.done', ...ids, text: part.textSent });
        this.send({ type: 'response.content_part.done', ...ids, part: { type: 'text', text: part.textSent } });
      }
    }
    this.send({ type: 'response.output_item.done', response_id: a.id, output_index: part.outputIndex, item: structuredClone(item) });
    if (a.params.inConversation) {
      const index = this.items.indexOf(part.record);
      const previous = index > 0 ? (this.items[index - 1]!.item['id'] as string) : null;
      if (index >= 0) this.send({ type: 'conversation.item.done', previous_item_id: previous, item: structuredClone(item) });
    }
  }

  private cancelActive(reason: 'turn_detected' | 'client_cancelled'): void {
    const a = this.active;
    if (!a || a.ended) return;
    this.closeOpenPart(a, 'incomplete');
    this.finishResponse(a, 'cancelled', { type: 'cancelled', reason });
  }

  private finishResponse(a: ActiveResponse, status: 'completed' | 'cancelled' | 'failed', details: Json | undefined): void {
    if (a.ended) return;
    a.ended = true;
    a.wake?.();
    if (this.active === a) this.active = undefined;
    const usage = responseUsage(a.inputTokens, a.outputTokens);
    this.tokensInWindow += (usage['total_tokens'] as number) ?? 0;
    const response = this.responseObject(a, status);
    if (details) response['status_details'] = details;
    response['usage'] = usage;
    this.send({ type: 'response.done', response });
    if (status === 'completed') this.armIdleTimer(a);
  }

  /** `idle_timeout_ms`: no speech for that long after the reply has played → the server takes the turn. */
  private armIdleTimer(a: ActiveResponse): void {
    const d = this.settings.turnDetection;
    if (d?.type !== 'server_vad' || d.idle_timeout_ms === null) return;
    const playbackMs = a.output.reduce((sum, r) => sum + r.audioMs, 0);
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.closed || this.active || this.tracker.inSpeech) return;
      const end = this.tracker.positionMs;
      const itemId = newId('item');
      this.send({ type: 'input_audio_buffer.timeout_triggered', audio_start_ms: Math.round(this.bufferStartMs), audio_end_ms: Math.round(end), item_id: itemId });
      if (end - this.bufferStartMs >= MIN_COMMIT_MS) this.commitRange(this.bufferStartMs, end, itemId);
      this.startResponse(this.defaultParams());
    }, playbackMs + d.idle_timeout_ms);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
