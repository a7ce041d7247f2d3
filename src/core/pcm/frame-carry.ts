/**
 * The bytes of one sample frame split across chunks. Streams get chunks of any size; a consumer of PCM must
 * only ever see whole frames, so the tail of a chunk that is less than a frame waits here for the next chunk.
 * One buffer of `frameBytes`, allocated once and reused: nothing allocates per chunk.
 *
 * The pattern every user follows, per chunk `[at, end)`:
 * 1. `if (!carry.isEmpty) { at += carry.fill(chunk, at, end); if (carry.isFull) { use(carry.frame); carry.clear(); } }`
 * 2. use the whole frames `[at, at + carry.wholeBytes(end - at))`;
 * 3. `carry.hold(chunk, at + whole, end)` keeps the rest (less than a frame).
 * @internal
 */
export class FrameCarry {
  /** Bytes of one sample frame (block align). */
  readonly frameBytes: number;
  /** The held bytes are `frame[0, byteLength)`; once full, `frame` is one whole sample frame. Reused: copy before keeping it. */
  readonly frame: Buffer;
  #byteLength = 0;

  constructor(frameBytes: number) {
    this.frameBytes = frameBytes;
    this.frame = Buffer.alloc(frameBytes);
  }

  /** Bytes held now (0 to `frameBytes`). */
  get byteLength(): number {
    return this.#byteLength;
  }

  get isEmpty(): boolean {
    return this.#byteLength === 0;
  }

  /** True once `fill` completed a whole frame (until `clear`). */
  get isFull(): boolean {
    return this.#byteLength === this.frameBytes;
  }

  /** The largest whole-frame part of `byteLength` bytes. */
  wholeBytes(byteLength: number): number {
    return byteLength - (byteLength % this.frameBytes);
  }

  /** Copies from `source[start, end)` the bytes the held frame still lacks; returns how many it took. */
  fill(source: Uint8Array, start: number, end: number): number {
    const n = Math.min(this.frameBytes - this.#byteLength, end - start);
    if (n > 0) copyBytes(source, start, n, this.frame, this.#byteLength);
    this.#byteLength += n;
    return n;
  }

  /**
   * Keeps `source[start, end)`, the tail after the whole frames, appended to what is held. The caller makes sure
   * it fits: held + tail < `frameBytes` (the tail of `wholeBytes` with an empty carry always does).
   */
  hold(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    copyBytes(source, start, n, this.frame, this.#byteLength);
    this.#byteLength += n;
  }

  /** Empties the carry (after its frame was used, or to drop a partial frame); returns the bytes it held. */
  clear(): number {
    const n = this.#byteLength;
    this.#byteLength = 0;
    return n;
  }
}

function copyBytes(source: Uint8Array, start: number, length: number, target: Buffer, at: number): void {
  // Frames are a few bytes: a loop beats creating a subarray view per chunk.
  for (let i = 0; i < length; i++) target[at + i] = source[start + i]!;
}
