/**
 * The TokenLab client: `new TokenLab({ apiKey })`, shaped like the openai SDK (`client.models`,
 * `client.audio.speech`, `client.audio.transcriptions`, `client.audio.translations`) so switching is easy.
 * It is the composition root of the api and streams layers: it builds the api objects and hands `Speech` the streams
 * layer's PCM decoder (for `SpeechAudio.pcm()`), so nothing under `api/` imports `streams/`.
 */
import type { Dispatcher } from 'undici';
import { HttpTransport } from './transports/http.js';
import { Models } from './api/models.js';
import { Realtime } from './api/realtime/realtime.js';
import { Speech } from './api/speech/speech.js';
import { Transcriptions, Translations, DEFAULT_UPLOAD_LIMIT_BYTES } from './api/transcriptions.js';
import { speechPcm } from './streams/speech-pcm.js';

/** Default API base URL (override with `baseURL` or `TOKENLAB_BASE_URL`). */
export const DEFAULT_BASE_URL = 'https://api.tokenlab.sh/v1';

/** Options of {@link TokenLab}. */
export interface TokenLabOptions {
  /** Default: `process.env.TOKENLAB_API_KEY`. Checked when a call needs it, not here. */
  readonly apiKey?: string | undefined;
  /** Default: `process.env.TOKENLAB_BASE_URL`, else `https://api.tokenlab.sh/v1`. */
  readonly baseURL?: string | undefined;
  /**
   * Time allowed until response headers (upload included) and for each gap in a response body, ms, for every call.
   * Default: per operation (models 30 s, speech 5 min, transcription 10 min).
   */
  readonly timeoutMs?: number | undefined;
  /**
   * Overall time of each call, ms: all attempts, the waits between them (Retry-After included) and the response body.
   * Default: per operation (models 60 s, speech 15 min per request, transcription 1 h).
   */
  readonly deadlineMs?: number | undefined;
  /** Retries of a failed call when the failure is retryable. Default 2. */
  readonly maxRetries?: number | undefined;
  /** Server-requested waits above this are not slept through (the error is thrown). Default 60 000 ms. */
  readonly maxRetryDelayMs?: number | undefined;
  /** Resend billable creates after their body was sent and the connection failed (may double-charge). Default false. */
  readonly retryBillable?: boolean | undefined;
  /** Your own undici dispatcher (proxy, mock); the client then does not close it. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Receives one line per request/response/retry, with the key redacted. */
  readonly debug?: ((line: string) => void) | undefined;
  /** A directory for the speech cache: identical speech requests are served from disk. Default: no cache. */
  readonly speechCacheDir?: string | undefined;
  /** Uploads larger than this are refused before sending. Default 25 MiB (the API's limit). */
  readonly uploadLimitBytes?: number | undefined;
}

const MISSING_KEY =
  'No TokenLab API key. Set it in the environment (export TOKENLAB_API_KEY=sk-…) or pass new TokenLab({ apiKey }). ' +
  'To try things offline, run a local emulator: npx tokenlab-audio emulate, and point baseURL at it.';

/** The TokenLab audio API client. One keep-alive connection pool per client: create one and reuse it. */
export class TokenLab {
  readonly baseURL: string;
  readonly models: Models;
  /** Realtime sessions: `client.realtime.connect({ model })`. */
  readonly realtime: Realtime;
  readonly audio: { readonly speech: Speech; readonly transcriptions: Transcriptions; readonly translations: Translations };
  /** @internal The transport; also used by the realtime client for the same key and base URL. */
  readonly http: HttpTransport;

  /** @throws InputError for a malformed baseURL or option. */
  constructor(options: TokenLabOptions = {}) {
    const env = typeof process !== 'undefined' ? process.env : {};
    this.http = new HttpTransport({
      baseURL: options.baseURL ?? env.TOKENLAB_BASE_URL ?? DEFAULT_BASE_URL,
      apiKey: options.apiKey ?? env.TOKENLAB_API_KEY,
      timeoutMs: options.timeoutMs,
      deadlineMs: options.deadlineMs,
      maxRetries: options.maxRetries,
      maxRetryDelayMs: options.maxRetryDelayMs,
      retryBillable: options.retryBillable,
      dispatcher: options.dispatcher,
      debug: options.debug,
      userAgent: `tokenlab-audio node/${process.versions.node}`,
      missingKeyMessage: MISSING_KEY,
    });
    this.baseURL = this.http.baseURL;
    const uploadLimitBytes = options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES;
    this.models = new Models(this.http);
    this.realtime = new Realtime(this.http, this.models);
    this.audio = {
      speech: new Speech(this.http, options.speechCacheDir, speechPcm),
      transcriptions: new Transcriptions(this.http, uploadLimitBytes),
      translations: new Translations(this.http, uploadLimitBytes),
    };
  }

  /** Closes the client's connections; later calls throw. */
  async close(): Promise<void> {
    await this.http.close();
  }
}
