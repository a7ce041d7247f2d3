/**
 * Re-chunks bytes so no output chunk splits a sample frame: network chunks arrive at arbitrary sizes,
 * PCM consumers must never see half a frame. Allocates only when a chunk boundary falls mid-frame.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameCarry } from '../core/pcm/frame-carry.js';

/** Passes bytes through in whole multiples of `frameBytes`, after skipping `skipBytes` (a header). */
export class FrameAligner extends Transform {
  #skip: number;
  readonly #carry: FrameCarry;

  constructor(frameBytes: number, skipBytes = 0) {
    super();
    this.#skip = skipBytes;
    this.#carry = new FrameCarry(frameBytes);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let at = 0;
    if (this.#skip > 0) {
      at = Math.min(this.#skip, chunk.length);
      this.#skip -= at;
    }
    const carry = this.#carry;
    if (!carry.isEmpty) {
      at += carry.fill(chunk, at, chunk.length);
      if (!carry.isFull) return callback();
      // The carry buffer is reused, so the pushed frame must be its own copy.
      this.push(Buffer.from(carry.frame));
      carry.clear();
    }
    const whole = carry.wholeBytes(chunk.length - at);
    carry.hold(chunk, at + whole, chunk.length);
    if (whole > 0) this.push(at === 0 && whole === chunk.length ? chunk : chunk.subarray(at, at + whole));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A trailing partial frame is not audio anyone can play; dropping it keeps every chunk whole.
    this.#carry.clear();
    callback();
  }
}
