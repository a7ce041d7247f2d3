/**
 * The audio bytes of one speech response: the body as it arrives, or the decoded `speech.audio.delta` events of a
 * `stream_format: 'sse'` body. A JSON body on a 2xx answer is an error, never sound.
 */
import { type HttpResponse, type HttpTransport, discardBody } from '../../transports/http.js';
import { SseParser, type SseEvent } from '../../transports/sse-parser.js';
import { ApiError, ConnectionError, apiErrorFromResponse, errorObjectOf } from '../../transports/http-errors.js';
import type { SpeechUsage } from './speech-audio.js';

/** The audio bytes of one response: raw bytes, or decoded `speech.audio.delta` events for SSE. */
export async function* speechResponseAudio(http: HttpTransport, res: HttpResponse, onUsage: (u: SpeechUsage) => void): AsyncGenerator<Buffer> {
  const contentType = (res.headers['content-type'] ?? '').toLowerCase();
  const isSse = contentType.includes('text/event-stream');
  try {
    if (contentType.startsWith('application/json')) {
      // A JSON body on a 2xx speech response is not audio (a gateway's error or notice): never hand it out as sound.
      // A gateway may echo the request (key included) in an error: redact before it becomes a message.
      const text = http.redact(await http.text(res, undefined, 1 << 20));
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const err = errorObjectOf(body);
      throw new ApiError(
        {
          status: res.status,
          requestId: res.requestId,
          body,
          message: `The speech response was JSON, not audio${typeof err?.message === 'string' ? `: ${err.message}` : ''}`,
        },
        'TLA_ERR_API_BAD_RESPONSE',
      );
    }
    if (!isSse) {
      for await (const chunk of res.body) yield chunk as Buffer;
      return;
    }
    const queue: SseEvent[] = [];
    const parser = new SseParser((ev) => queue.push(ev), { requestId: res.requestId, status: res.status });
    let done = false;
    const drain = function* (): Generator<Buffer> {
      while (queue.length > 0) {
        const ev = queue.shift()!;
        const audio = handleSpeechEvent(ev, res, (t) => http.redact(t), (u) => {
          done = true;
          onUsage(u);
        });
        if (audio && audio.length > 0) yield audio;
      }
    };
    for await (const chunk of res.body) {
      parser.push(chunk as Buffer);
      yield* drain();
    }
    parser.end();
    yield* drain();
    if (!done) {
      throw new ConnectionError('The speech event stream ended before "speech.audio.done"; the audio is incomplete.', {
        requestSent: true,
        requestId: res.requestId,
      });
    }
  } catch (e) {
    discardBody(res.body);
    throw http.bodyError(e, res.requestId);
  }
}

function handleSpeechEvent(ev: SseEvent, res: HttpResponse, redact: (text: string) => string, onDone: (u: SpeechUsage) => void): Buffer | undefined {
  if (ev.data === '[DONE]') {
    onDone({});
    return undefined;
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(ev.data) as Record<string, unknown>;
  } catch (e) {
    throw new ApiError(
      { status: res.status, requestId: res.requestId, message: `The speech event stream sent an event that is not JSON (${redact(ev.data.slice(0, 60))}…).`, cause: e },
      'TLA_ERR_API_BAD_RESPONSE',
    );
  }
  if (ev.event === 'error' || data.error !== undefined || data.type === 'error') {
    // Parsed again from redacted text (only on this path: audio deltas are not scanned).
    const safe = JSON.parse(redact(ev.data)) as Record<string, unknown>;
    throw apiErrorFromResponse({ status: 500, requestId: res.requestId, body: safe.error !== undefined ? safe : { error: safe } });
  }
  if (data.type === 'speech.audio.delta') {
    if (typeof data.audio !== 'string') {
      throw new ApiError({ status: res.status, requestId: res.requestId, message: 'A speech.audio.delta event has no base64 "audio".' }, 'TLA_ERR_API_BAD_RESPONSE');
    }
    return Buffer.from(data.audio, 'base64');
  }
  if (data.type === 'speech.audio.done') {
    onDone((data.usage as SpeechUsage | undefined) ?? {});
  }
  return undefined;
}
