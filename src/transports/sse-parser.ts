/**
 * A small incremental Server-Sent Events parser (WHATWG rules: `data:` lines joined with `\n`, `event:`,
 * `id:`, comments, CR / LF / CRLF line ends). It keeps only the current unfinished line and the current
 * event's fields, never the whole body, so an hour of `speech.audio.delta` events costs a few KB. A line or an
 * event over its limit throws a {@link ResponseTooLargeError} saying how much had arrived (a server that never sends
 * a line break cannot grow the parser's memory without bound).
 */
import { ResponseTooLargeError } from './http-errors.js';

/** Limits of {@link SseParser}, and what to name in its errors. */
export interface SseParserOptions {
  /** Longest line, in characters. Default 32 Mi (a base64 audio delta of 24 MiB). */
  readonly maxLineChars?: number;
  /** Largest event (its `data` lines together), in characters. Default 32 Mi. */
  readonly maxEventChars?: number;
  readonly requestId?: string | undefined;
  readonly status?: number;
}

/** Default line and event limit of {@link SseParser}, characters. */
export const DEFAULT_MAX_SSE_CHARS = 32 << 20;

/** One dispatched event. `event` is `message` when the stream did not name it. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** Feeds bytes in any chunking; calls `onEvent` for each complete event. */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  #line = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  #lastWasCR = false;
  #dataChars = 0;
  readonly #onEvent: (event: SseEvent) => void;
  readonly #maxLineChars: number;
  readonly #maxEventChars: number;
  readonly #requestId: string | undefined;
  readonly #status: number;

  constructor(onEvent: (event: SseEvent) => void, options: SseParserOptions = {}) {
    this.#onEvent = onEvent;
    this.#maxLineChars = options.maxLineChars ?? DEFAULT_MAX_SSE_CHARS;
    this.#maxEventChars = options.maxEventChars ?? DEFAULT_MAX_SSE_CHARS;
    this.#requestId = options.requestId;
    this.#status = options.status ?? 200;
  }

  #tooLarge(what: string, chars: number, limit: number): ResponseTooLargeError {
    return new ResponseTooLargeError(`The event stream sent ${what} of over ${limit} characters (${chars} had arrived); not buffered further.`, {
      status: this.#status,
      requestId: this.#requestId,
      receivedBytes: chars,
      limitBytes: limit,
    });
  }

  /** Parses a chunk of the body (bytes or text). */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    // Jump from line break to line break (base64 audio events are long lines; no per-character loop).
    const breaks = /[\r\n]/g;
    for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
      const i = m.index;
      const c = text.charCodeAt(i);
      // A \n right after a \r that ended the previous line is the same line break.
      if (c === 10 && this.#lastWasCR && i === start && this.#line === '') {
        this.#lastWasCR = false;
        start = i + 1;
        continue;
      }
      this.#line += text.slice(start, i);
      if (this.#line.length > this.#maxLineChars) throw this.#tooLarge('a line', this.#line.length, this.#maxLineChars);
      this.#takeLine(this.#line);
      this.#line = '';
      this.#lastWasCR = c === 13;
      start = i + 1;
    }
    if (start < text.length) this.#lastWasCR = false;
    if (start < text.length) {
      // Checked before the append: a line with no end in sight must fail before it reaches V8's string limit.
      if (this.#line.length + (text.length - start) > this.#maxLineChars) {
        const chars = this.#line.length + (text.length - start);
        this.#line = '';
        throw this.#tooLarge('a line without a line break', chars, this.#maxLineChars);
      }
      this.#line += text.slice(start);
    }
  }

  /** Call at the end of the body: an event without its final blank line is still dispatched. */
  end(): void {
    const tail = this.#decoder.decode();
    if (tail) this.push(tail);
    if (this.#line) {
      this.#takeLine(this.#line);
      this.#line = '';
    }
    this.#dispatch();
  }

  #takeLine(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this.#dataChars += value.length + 1;
      if (this.#dataChars > this.#maxEventChars) {
        const chars = this.#dataChars;
        this.#data = [];
        this.#dataChars = 0;
        throw this.#tooLarge('an event', chars, this.#maxEventChars);
      }
      this.#data.push(value);
    }
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }

  #dispatch(): void {
    if (this.#data.length === 0) {
      this.#event = '';
      return;
    }
    const ev: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
    this.#data = [];
    this.#dataChars = 0;
    this.#event = '';
    this.#onEvent(ev);
  }
}
