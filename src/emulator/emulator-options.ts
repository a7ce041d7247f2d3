import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RealtimeFault } from './realtime/realtime-fault.js';
import type { RealtimeResponder } from './realtime/realtime-responder.js';

/**
 * One injected fault. Faults come from `EmulatorOptions.faults` (matched by path, optionally only for the
 * first `times` matching requests) or per request from the `x-emulator-fault` header or the
 * `emulator_fault` query parameter (see {@link parseFaultSpec} for the syntax).
 */
export type EmulatorFault =
  /** Wait this long before answering (after the request body has been read). */
  | { kind: 'latency'; latencyMs: number; match?: string | RegExp; times?: number }
  /** Answer with this HTTP status and TokenLab's error body; 429 adds `Retry-After`. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; match?: string | RegExp; times?: number }
  /** Send the headers and part of the body, then reset the TCP connection. */
  | { kind: 'reset'; match?: string | RegExp; times?: number }
  /** Send the headers and part of the body, then send nothing more (the connection stays open). */
  | { kind: 'stall'; match?: string | RegExp; times?: number }
  /** On SSE responses, send an event whose data is not valid JSON (other responses are unaffected). */
  | { kind: 'malformed-sse'; match?: string | RegExp; times?: number };

/** Where the emulator's speech comes from: espeak-ng when installed (`auto`), or the built-in synthesizer. */
export type EmulatorVoiceEngine = 'auto' | 'espeak' | 'builtin';

/** Options of {@link startEmulator}. Every field is optional. */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /**
   * Accepted API keys. When omitted, any non-empty Bearer token is accepted (a missing or empty one is
   * still a 401); when given, every other key is a 401 `invalid_api_key`.
   */
  apiKeys?: readonly string[];
  /** Faults applied to matching requests (in order; each request takes at most one of each kind). */
  faults?: readonly EmulatorFault[];
  /** Largest accepted multipart upload in bytes (default 25 MiB = 26 214 400, as the OpenAI API). */
  uploadLimitBytes?: number;
  /** Largest accepted JSON body in bytes (default 1 MiB). */
  jsonLimitBytes?: number;
  /** Milliseconds of audio per streamed speech chunk (default 100). */
  speechChunkMs?: number;
  /** Delay in ms between streamed speech chunks (default 0: as fast as the client reads). */
  speechPaceMs?: number;
  /** Speech engine (default `auto`: espeak-ng if it is on PATH, else the built-in synthesizer). */
  voiceEngine?: EmulatorVoiceEngine;
  /** Path of the espeak-ng executable (default: `espeak-ng` on PATH). */
  espeakPath?: string;
  /**
   * A local speech recognizer: argv of a command that reads a WAV file (16 kHz mono s16le) on stdin and
   * prints its transcript on stdout. When set, each detected speech segment is transcribed with it;
   * otherwise transcripts describe the detected speech segments and their times.
   */
  recognizerCommand?: readonly string[];
  /**
   * How transcription finds speech: `vad` (default): the toolkit's VAD (Silero) decides which stretches are
   * speech and 10 ms energy bursts place their edges, within a few tens of ms of the sound like a good
   * recognizer's segments; `energy` uses a plain energy detector (any sound counts, e.g. tones);
   * `none` does not decode uploads at all (they are read and counted only, for upload benchmarks) and
   * the transcript says how many bytes arrived.
   */
  speechDetector?: 'vad' | 'energy' | 'none';
  /** How many requests `requests` keeps (oldest dropped first); default 10 000. */
  maxLoggedRequests?: number;
  /** Requests per minute per API key before 429 `rate_limit_exceeded` (default 1 000 000, so benchmarks do not hit it). */
  rateLimitPerMinute?: number;
  /** Path to the ffmpeg executable for mp3/aac/flac (default: resolved like the codecs layer does). */
  ffmpegPath?: string;
  /** The realtime WebSocket protocol on `/v1/realtime` (same port and keys as the HTTP routes). */
  realtime?: EmulatorRealtimeOptions;
  /**
   * Replaces the emulator's own realtime protocol: receives WebSocket upgrades on `/v1/realtime` once
   * authenticated and validated (a `ws` `WebSocketServer({ noServer: true })`'s `handleUpgrade` fits).
   */
  onRealtimeUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, model: string) => void;
  /** Extra log line sink (one line per request); default none. */
  log?: (line: string) => void;
}

/** Options of the emulator's realtime sessions. Every field is optional. */
export interface EmulatorRealtimeOptions {
  /** Scripts replies (text, tool calls, first-audio delay, audio length); default: an honest description of what was heard. */
  responder?: RealtimeResponder;
  /** Delay from `response.created` to the first audio (or text) delta, ms (default 250). */
  firstAudioDelayMs?: number;
  /** Typical audio per output delta, ms (default 100; sizes vary from half to one and a half of it). */
  audioDeltaMs?: number;
  /** Output audio is sent this many times faster than real time (default 1.5; `Infinity`: as fast as the socket takes it). */
  paceFactor?: number;
  /** Longest session, ms (default 30 min): `expires_at` says when; at expiry an `error` event `session_expired`, then close. */
  maxSessionMs?: number;
  /** Token budget per minute reported by `rate_limits.updated` (default 40 000 000). */
  tokensPerMinute?: number;
  /** Faults for realtime sessions (each session takes at most `times` of each, in order). */
  faults?: readonly RealtimeFault[];
}

/** One request as the emulator saw it, for tests (the API key is never recorded). */
export interface EmulatorRequestRecord {
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters; key-carrying ones (`key`, `api_key`, `access_token`, `token`, `auth`) are `<redacted>`. */
  query: Record<string, string>;
  /**
   * Lower-cased header names; `authorization` is replaced by `Bearer <redacted>`, other key-carrying headers
   * (`x-api-key`, `api-key`, `x-goog-api-key`, `proxy-authorization`, `cookie`) and a subprotocol key by `<redacted>`.
   */
  headers: Record<string, string>;
  /** Parsed JSON body, when the request had one. */
  json?: unknown;
  /** Multipart text fields (repeated fields become arrays), when the request was multipart. */
  fields?: Record<string, string | string[]>;
  /** The multipart file part, when there was one. */
  file?: { fieldName: string; filename: string | undefined; contentType: string | undefined; byteLength: number };
  /** Status code answered (set when the response head was sent). */
  status?: number;
  /** Faults applied to this request. */
  faults: string[];
}

/** A running emulator, returned by {@link startEmulator}. */
export interface EmulatorHandle {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:40123/v1` (what `baseURL` of a client takes). */
  readonly url: string;
  /** Origin without a path, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  readonly port: number;
  /** Every request received so far, oldest first. */
  readonly requests: EmulatorRequestRecord[];
  /** Stops listening, ends open connections and child processes. Idempotent. */
  close(): Promise<void>;
}
