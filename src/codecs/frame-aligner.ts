/**
 * Re-chunks bytes so no output chunk splits a sample frame: network chunks arrive at arbitrary sizes,
 * PCM consumers must never see half a frame. Allocates only when a chunk boundary falls mid-frame.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through in whole multiples of `frameBytes`, after skipping `skipBytes` (a header). */
export class FrameAligner extends Transform {
  readonly #frameBytes: number;
  #skip: number;
  readonly #carry: Buffer;
  #carryLength = 0;

  constructor(frameBytes: number, skipBytes = 0) {
    super();
    this.#frameBytes = frameBytes;
    this.#skip = skipBytes;
    this.#carry = Buffer.allocUnsafe(frameBytes);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let data = chunk;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, data.length);
      this.#skip -= n;
      data = data.subarray(n);
    }
    if (data.length === 0) return callback();
    if (this.#carryLength > 0) {
      const need = this.#frameBytes - this.#carryLength;
      const n = Math.min(need, data.length);
      data.copy(this.#carry, this.#carryLength, 0, n);
      this.#carryLength += n;
      data = data.subarray(n);
      if (this.#carryLength === this.#frameBytes) {
        this.push(Buffer.from(this.#carry));
        this.#carryLength = 0;
      }
    }
    const whole = data.length - (data.length % this.#frameBytes);
    const rest = data.length - whole;
    if (rest > 0) {
      data.copy(this.#carry, 0, whole);
      this.#carryLength = rest;
    }
    if (whole > 0) this.push(data.subarray(0, whole));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A trailing partial frame is not audio anyone can play; dropping it keeps every chunk whole.
    this.#carryLength = 0;
    callback();
  }
}
