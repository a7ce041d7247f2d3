/**
 * Reads an output audio delta (`response.output_audio.delta`, beta `response.audio.delta`) straight from the
 * message bytes, without making the message a string and parsing it: the receive hot path of a realtime
 * session whose only consumer of deltas is a duplex (no application listener wants the event object). The
 * audio stays where it arrived (`deltaStart..deltaEnd` of the bytes); ids repeat from message to message, so
 * their strings are reused. Anything but the plain shape (escapes, unknown fields, nested values) is left to
 * JSON.parse: `scan` returns false.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const KEY_TYPE = Buffer.from('type');
const KEY_EVENT_ID = Buffer.from('event_id');
const KEY_RESPONSE_ID = Buffer.from('response_id');
const KEY_ITEM_ID = Buffer.from('item_id');
const KEY_OUTPUT_INDEX = Buffer.from('output_index');
const KEY_CONTENT_INDEX = Buffer.from('content_index');
const KEY_DELTA = Buffer.from('delta');
const TYPE_GA = Buffer.from('response.output_audio.delta');
const TYPE_BETA = Buffer.from('response.audio.delta');

/**
 * `a[aStart, aStart + n)` equals `b[0, n)`. A loop: the keys and ids compared here are a few dozen bytes,
 * for which Buffer#compare's call into C++ costs more than the comparison.
 */
function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[i]) return false;
  return true;
}

/** A string read from bytes, reused while the bytes repeat. */
class CachedText {
  #bytes = Buffer.alloc(0);
  #length = 0;
  #text = '';
  read(src: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n === this.#length && sameBytes(src, start, this.#bytes, n)) return this.#text;
    if (this.#bytes.length < n) this.#bytes = Buffer.alloc(Math.max(n, 64));
    src.copy(this.#bytes, 0, start, end);
    this.#length = n;
    this.#text = src.toString('utf8', start, end);
    return this.#text;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * @internal One output audio delta as a session hands it to its audio sink (a reused object: read it during
 * the call). The base64 audio is `text` when the event was parsed, else `bytes[deltaStart..deltaEnd)`.
 */
export interface OutputAudioDelta {
  readonly responseId: string;
  readonly itemId: string;
  readonly outputIndex: number;
  readonly contentIndex: number;
  readonly text: string | undefined;
  readonly bytes: Buffer;
  readonly deltaStart: number;
  readonly deltaEnd: number;
}

/** @internal The fields of the last scanned delta (one reused object: read them before the next scan). */
export class AudioDeltaScanner implements OutputAudioDelta {
  readonly text = undefined;
  responseId = '';
  itemId = '';
  outputIndex = 0;
  contentIndex = 0;
  /** The message bytes holding the base64 audio at `deltaStart..deltaEnd`. */
  bytes: Buffer = Buffer.alloc(0);
  deltaStart = 0;
  deltaEnd = 0;
  readonly #responseId = new CachedText();
  readonly #itemId = new CachedText();

  /**
   * True when `msg` is an output audio delta of the `dialect`'s name in the plain shape (a flat object of
   * the delta's string and integer fields, no escapes); its fields are then in this object.
   */
  scan(msg: Buffer, dialect: 'ga' | 'beta'): boolean {
    // A backslash anywhere means escapes somewhere: not the plain shape.
    if (msg.indexOf(BACKSLASH) !== -1) return false;
    const end = msg.length;
    let p = 0;
    while (p < end && isSpace(msg[p]!)) p++;
    if (msg[p] !== 0x7b) return false;
    p++;
    let seen = 0;
    for (;;) {
      while (p < end && isSpace(msg[p]!)) p++;
      if (msg[p] !== QUOTE) return false;
      const keyStart = p + 1;
      const keyEnd = msg.indexOf(QUOTE, keyStart);
      if (keyEnd < 0) return false;
      p = keyEnd + 1;
      while (p < end && isSpace(msg[p]!)) p++;
      if (msg[p] !== 0x3a) return false;
      p++;
      while (p < end && isSpace(msg[p]!)) p++;
      let valueStart: number;
      let valueEnd: number;
      let int = -1;
      if (msg[p] === QUOTE) {
        valueStart = p + 1;
        valueEnd = msg.indexOf(QUOTE, valueStart);
        if (valueEnd < 0) return false;
        p = valueEnd + 1;
      } else {
        valueStart = p;
        int = 0;
        while (p < end && msg[p]! >= 0x30 && msg[p]! <= 0x39 && p - valueStart < 9) int = int * 10 + (msg[p++]! - 0x30);
        if (p === valueStart) return false;
        valueEnd = p;
      }
      const keyLength = keyEnd - keyStart;
      const isString = int < 0;
      if (keyLength === 4 && sameBytes(msg, keyStart, KEY_TYPE, 4)) {
        const type = dialect === 'ga' ? TYPE_GA : TYPE_BETA;
        if (!isString || valueEnd - valueStart !== type.length || !sameBytes(msg, valueStart, type, type.length)) return false;
        seen |= 1;
      } else if (keyLength === 5 && sameBytes(msg, keyStart, KEY_DELTA, 5)) {
        if (!isString) return false;
        this.deltaStart = valueStart;
        this.deltaEnd = valueEnd;
        seen |= 2;
      } else if (keyLength === 11 && sameBytes(msg, keyStart, KEY_RESPONSE_ID, 11)) {
        if (!isString) return false;
        this.responseId = this.#responseId.read(msg, valueStart, valueEnd);
        seen |= 4;
      } else if (keyLength === 7 && sameBytes(msg, keyStart, KEY_ITEM_ID, 7)) {
        if (!isString) return false;
        this.itemId = this.#itemId.read(msg, valueStart, valueEnd);
        seen |= 8;
      } else if (keyLength === 12 && sameBytes(msg, keyStart, KEY_OUTPUT_INDEX, 12)) {
        if (isString) return false;
        this.outputIndex = int;
        seen |= 16;
      } else if (keyLength === 13 && sameBytes(msg, keyStart, KEY_CONTENT_INDEX, 13)) {
        if (isString) return false;
        this.contentIndex = int;
        seen |= 32;
      } else if (keyLength === 8 && sameBytes(msg, keyStart, KEY_EVENT_ID, 8)) {
        if (!isString) return false;
      } else {
        return false;
      }
      while (p < end && isSpace(msg[p]!)) p++;
      if (msg[p] === 0x2c) {
        p++;
        continue;
      }
      if (msg[p] !== 0x7d) return false;
      p++;
      while (p < end && isSpace(msg[p]!)) p++;
      if (p !== end || seen !== 63) return false;
      this.bytes = msg;
      return true;
    }
  }
}
