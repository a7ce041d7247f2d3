/**
 * `client.audio.speech`: text to speech, with the audio handed out as it arrives.
 *
 * `create()` resolves once the first bytes are in (so the real format is known from the bytes and headers) with
 * a {@link SpeechAudio}: a Readable of the audio bytes with `format`, `contentType`, `requestId`, plus `pcm()`
 * and `save()`. Input over 4096 characters is split at sentence boundaries and the pieces are requested in order,
 * each one while the previous streams. `stream_format: 'sse'` bodies are decoded on the fly.
 * The jobs live beside this file: params and their checks (speech-params), the secret guard, the cache, the pieces
 * with their prefetch (speech-pieces), reading one response (speech-response-audio), the audio (speech-audio).
 */
import { InputError, abortError } from '../../core/errors.js';
import { type PcmFormat, assertPcmFormat } from '../../core/pcm/pcm-format.js';
import type { HttpResponse, HttpTransport } from '../../transports/http.js';
import { openSpeechAudio } from './open-speech-audio.js';
import { assertSpeechTextHasNoSecrets } from './secret-guard.js';
import type { SpeechAudio, SpeechPcmDecoder, SpeechUsage } from './speech-audio.js';
import { SpeechCache, speechCacheKey } from './speech-cache.js';
import { type SpeechCreateOptions, type SpeechCreateParams, validateSpeechParams } from './speech-params.js';
import { speechPieces } from './speech-pieces.js';
import { MAX_SPEECH_INPUT_CHARS, splitSpeechInput } from './split-speech-input.js';

/**
 * Speech of up to 4096 characters: 5 min until the first bytes or between two chunks, 15 min for each request
 * (retries and the whole audio body included). The client's or the call's own `timeoutMs` / `deadlineMs` override these.
 */
export const SPEECH_DEFAULTS = { timeoutMs: 300_000, deadlineMs: 900_000 } as const;

/** `client.audio.speech`. */
export class Speech {
  readonly #http: HttpTransport;
  readonly #cache: SpeechCache | undefined;
  readonly #decodePcm: SpeechPcmDecoder;

  /** @internal Built by the client, which hands in the streams layer's PCM decoder for `SpeechAudio.pcm()`. */
  constructor(http: HttpTransport, cacheDir: string | undefined, decodePcm: SpeechPcmDecoder) {
    this.#http = http;
    this.#cache = cacheDir ? new SpeechCache(cacheDir) : undefined;
    this.#decodePcm = decodePcm;
  }

  /**
   * Requests speech and resolves with the audio as soon as its first bytes (and so its real format) are known.
   * @throws InputError for invalid params or input that contains a credential (unless `allowSecrets`);
   *   ApiError subclasses, TimeoutError, ConnectionError for the request; errors after that arrive on the stream.
   */
  async create(params: SpeechCreateParams, options: SpeechCreateOptions = {}): Promise<SpeechAudio> {
    validateSpeechParams(params);
    const { allowSecrets: allowInParams, ...body } = params;
    assertSpeechTextHasNoSecrets(body, { ownKey: this.#http.apiKeyForGuard, allowSecrets: options.allowSecrets ?? allowInParams ?? false });
    if (options.pcmFormat) assertPcmFormat(options.pcmFormat);
    const requested = body.response_format ?? 'mp3';
    const pieces = splitSpeechInput(body.input, options.maxInputChars ?? MAX_SPEECH_INPUT_CHARS);
    if (pieces.length > 1 && requested === 'flac') {
      throw new InputError(
        `Input of ${body.input.length} characters needs ${pieces.length} requests, and FLAC files cannot be joined; use mp3, opus, aac, wav or pcm, or shorten the input to ${MAX_SPEECH_INPUT_CHARS} characters.`,
        'TLA_ERR_INPUT_SPEECH',
      );
    }
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);

    const cache = options.cache !== false ? this.#cache : undefined;
    const cacheKey = cache ? speechCacheKey({ v: 1, baseURL: this.#http.baseURL, body, pcm: options.pcmFormat }) : undefined;
    if (cache && cacheKey) {
      const cached = await this.#fromCache(cache, cacheKey, requested, options.pcmFormat, signal);
      if (cached) return cached;
    }

    // One controller for every piece: destroying the audio or aborting the caller's signal cancels all of them.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const unlink = () => signal?.removeEventListener('abort', onAbort);
    const requestPiece = (text: string): Promise<HttpResponse> =>
      this.#http.request({
        method: 'POST',
        path: '/audio/speech',
        headers: { accept: body.stream_format === 'sse' ? 'text/event-stream, audio/*' : 'audio/*, application/octet-stream' },
        body: { kind: 'buffer', data: Buffer.from(JSON.stringify({ ...body, input: text })), contentType: 'application/json' },
        billable: true,
        retryBillable: options.retryBillable,
        signal: controller.signal,
        timeoutMs: options.timeoutMs,
        deadlineMs: options.deadlineMs,
        defaults: SPEECH_DEFAULTS,
        maxRetries: options.maxRetries,
      });

    let first: HttpResponse;
    try {
      first = await requestPiece(pieces[0]!);
    } catch (e) {
      unlink();
      if (signal?.aborted) throw abortError(signal);
      throw e;
    }
    const requestIds: string[] = first.requestId ? [first.requestId] : [];
    let usage: SpeechUsage | undefined;
    let audioRef: SpeechAudio | undefined;
    const bytes = speechPieces({
      http: this.#http,
      pieces,
      first,
      requestPiece,
      requestIds,
      wav: requested === 'wav',
      cache,
      cacheKey,
      onUsage: (u) => {
        usage = u;
        if (audioRef) audioRef.usage = u;
      },
      controller,
      signal,
      done: unlink,
    });
    const audio = await openSpeechAudio({
      source: { iterator: bytes, abort: () => controller.abort() },
      requested,
      contentType: first.headers['content-type'],
      requestIds,
      fromCache: false,
      cacheKey,
      pieces: pieces.length,
      pcmFormat: options.pcmFormat,
      decodePcm: this.#decodePcm,
      signal,
    }).catch((e: unknown) => {
      controller.abort();
      unlink();
      throw e;
    });
    audioRef = audio;
    if (usage) audio.usage = usage;
    return audio;
  }

  /** The cached audio of this request, or undefined when the cache has none. */
  async #fromCache(cache: SpeechCache, cacheKey: string, requested: string, pcmFormat: PcmFormat | undefined, signal: AbortSignal | undefined): Promise<SpeechAudio | undefined> {
    const hit = await cache.open(cacheKey);
    if (!hit) return undefined;
    this.#http.debug(`speech served from cache ${cacheKey.slice(0, 12)}…`);
    if (signal) {
      const onCacheAbort = () => hit.stream.destroy(abortError(signal));
      signal.addEventListener('abort', onCacheAbort, { once: true });
      hit.stream.once('close', () => signal.removeEventListener('abort', onCacheAbort));
    }
    return openSpeechAudio({
      source: { iterator: hit.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, abort: () => hit.stream.destroy() },
      requested,
      contentType: undefined,
      requestIds: [],
      fromCache: true,
      cacheKey,
      pieces: 1,
      pcmFormat,
      decodePcm: this.#decodePcm,
      signal,
    });
  }
}
