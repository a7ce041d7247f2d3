/**
 * A small incremental Server-Sent Events parser (WHATWG rules: `data:` lines joined with `\n`, `event:`,
 * `id:`, comments, CR / LF / CRLF line ends). It keeps only the current unfinished line and the current
 * event's fields, never the whole body, so an hour of `speech.audio.delta` events costs a few KB.
 */

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
  readonly #onEvent: (event: SseEvent) => void;

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
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
      this.#takeLine(this.#line);
      this.#line = '';
      this.#lastWasCR = c === 13;
      start = i + 1;
    }
    if (start < text.length) this.#lastWasCR = false;
    if (start < text.length) this.#line += text.slice(start);
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
    if (field === 'data') this.#data.push(value);
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
    this.#event = '';
    this.#onEvent(ev);
  }
}
