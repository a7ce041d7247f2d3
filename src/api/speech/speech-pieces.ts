/**
 * The audio of every piece of a split speech input, as one byte stream: each piece is requested while the previous
 * one streams (so playback has no gap), the WAV headers of later pieces are dropped (the first one's covers the
 * stream), and the bytes are written to the speech cache as they pass. Stopping early cancels every request.
 */
import { abortError } from '../../core/errors.js';
import { WavHeaderParser } from '../../codecs/wav/wav-header.js';
import { type HttpResponse, type HttpTransport, discardBody } from '../../transports/http.js';
import type { SpeechUsage } from './speech-audio.js';
import type { SpeechCache, SpeechCacheWriter } from './speech-cache.js';
import { speechResponseAudio } from './speech-response-audio.js';

/** What {@link speechPieces} needs: the first piece's answer is already in. */
export interface SpeechPiecesInit {
  readonly http: HttpTransport;
  readonly pieces: readonly string[];
  readonly first: HttpResponse;
  readonly requestPiece: (text: string) => Promise<HttpResponse>;
  /** Gets the request id of every later piece, in order. */
  readonly requestIds: string[];
  /** Later pieces carry WAV headers to drop. */
  readonly wav: boolean;
  readonly cache: SpeechCache | undefined;
  readonly cacheKey: string | undefined;
  readonly onUsage: (usage: SpeechUsage) => void;
  /** Cancels every request; aborted when the bytes stop before the end. */
  readonly controller: AbortController;
  /** The caller's signal: an abort it caused surfaces as its AbortError. */
  readonly signal: AbortSignal | undefined;
  /** Called once when the bytes end, however they end. */
  readonly done: () => void;
}

/** The bytes of all pieces, in order. */
export async function* speechPieces(init: SpeechPiecesInit): AsyncGenerator<Buffer> {
  const { http, pieces, cache, cacheKey } = init;
  let writer: SpeechCacheWriter | undefined;
  let complete = false;
  let next: Promise<HttpResponse> | undefined;
  try {
    if (cache && cacheKey) writer = await cache.writer(cacheKey).catch(() => undefined);
    for (let i = 0; i < pieces.length; i++) {
      let res: HttpResponse;
      if (i === 0) res = init.first;
      else {
        res = await next!;
        if (res.requestId) init.requestIds.push(res.requestId);
      }
      if (i + 1 < pieces.length) {
        next = init.requestPiece(pieces[i + 1]!);
        next.catch(() => {});
      }
      let parser: WavHeaderParser | undefined = i > 0 && init.wav ? new WavHeaderParser() : undefined;
      for await (const chunk of speechResponseAudio(http, res, init.onUsage)) {
        let out = chunk;
        if (parser) {
          const step = parser.push(out);
          if (!step.done) continue;
          out = out.subarray(step.consumed);
          parser = undefined;
        }
        if (out.length === 0) continue;
        if (writer) writer = await cacheWrite(writer, out);
        yield out;
      }
    }
    complete = true;
    if (writer) {
      // The audio is complete and paid for: a cache that cannot keep it must not fail it.
      await writer.commit().catch(async (e: unknown) => {
        http.debug(`speech cache entry not stored: ${(e as Error).message}`);
        await writer!.discard();
      });
    }
  } catch (e) {
    if (init.signal?.aborted) throw abortError(init.signal);
    throw e;
  } finally {
    if (!complete) {
      init.controller.abort();
      if (next) next.then((r) => discardBody(r.body), () => {});
      if (writer) await writer.discard();
    }
    init.done();
  }
}

/** Writes to the cache entry; on failure (disk full, permissions) drops the entry and goes on without one. */
async function cacheWrite(writer: SpeechCacheWriter, chunk: Buffer): Promise<SpeechCacheWriter | undefined> {
  try {
    await writer.write(chunk);
    return writer;
  } catch {
    await writer.discard();
    return undefined;
  }
}
