import { Transform, type TransformCallback } from 'node:stream';
import { OggPacketParser } from './ogg-packet-parser.js';

/**
 * A pass-through that checks the CRC of every Ogg page it sees, for Ogg streams that another decoder
 * (ffmpeg, for Vorbis, FLAC or Speex) reads without telling anyone about damaged pages: older ffmpeg
 * builds skip a bad page silently and exit 0. The bytes go on unchanged; {@link damagedPages} and
 * {@link truncated} say what was wrong once the stream has ended.
 */
export class OggPageCheck extends Transform {
  readonly #parser = new OggPacketParser(() => {});
  #notOgg = false;
  #leftoverBytes = 0;

  /** Pages whose CRC did not match (each one is audio the decoder dropped or mis-decoded). */
  get damagedPages(): number {
    return this.#parser.stats.badPages;
  }

  /** Bytes skipped between pages (garbage or the rest of a damaged page). */
  get skippedBytes(): number {
    return this.#parser.stats.skippedBytes;
  }

  /** True when the stream ended inside a page (after the final flush). */
  get truncated(): boolean {
    return this.#leftoverBytes > 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#notOgg) {
      try {
        this.#parser.push(chunk);
      } catch {
        // Not Ogg after all: nothing to check, the decoder will say what it is.
        this.#notOgg = true;
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#notOgg) {
      try {
        this.#leftoverBytes = this.#parser.end();
      } catch {
        // Ended before a whole page header.
        this.#leftoverBytes = Math.max(1, this.#parser.pendingBytes);
      }
    }
    callback();
  }
}
