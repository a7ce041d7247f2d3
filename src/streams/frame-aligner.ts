import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes whole sample frames only: a frame split across chunks is carried to the next one; a partial
 * frame left at the end is dropped. Raw PCM from files and sockets arrives in arbitrary byte counts.
 */
export class FrameAligner extends Transform {
  readonly #frameBytes: number;
  readonly #carry: Buffer;
  #carryBytes = 0;

  constructor(frameBytes: number) {
    super();
    this.#frameBytes = frameBytes;
    this.#carry = Buffer.alloc(frameBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const fb = this.#frameBytes;
    let offset = 0;
    if (this.#carryBytes > 0) {
      const n = Math.min(fb - this.#carryBytes, chunk.length);
      chunk.copy(this.#carry, this.#carryBytes, 0, n);
      this.#carryBytes += n;
      offset = n;
      if (this.#carryBytes === fb) {
        this.push(Buffer.from(this.#carry));
        this.#carryBytes = 0;
      }
    }
    const rest = chunk.length - offset;
    const whole = rest - (rest % fb);
    if (whole > 0) this.push(chunk.subarray(offset, offset + whole));
    if (whole < rest) {
      chunk.copy(this.#carry, 0, offset + whole);
      this.#carryBytes = rest - whole;
    }
    callback();
  }
}
