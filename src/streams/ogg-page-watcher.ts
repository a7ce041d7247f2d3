import { Transform, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 27;

/**
 * Passes Ogg bytes through unchanged while reading the page headers, to learn what the demuxer does
 * not tell: the granule position of the last page of the first logical stream (for an Opus stream,
 * the exact sample count, used to trim the end as the spec and ffmpeg do) and whether the input
 * ended inside a page (a truncated file). Only headers are parsed; page bodies are skipped, so the
 * cost is a few bytes per 4-8 KB page.
 */
export class OggPageWatcher extends Transform {
  /** Granule position of the last complete page of the first stream, or undefined if none had one. */
  lastGranule: number | undefined;
  /** True when the input ended in the middle of a page. */
  truncated = false;
  /** True when a page did not start with "OggS": tracking stopped (the demuxer reports the damage). */
  lostSync = false;
  /** Complete pages seen. */
  pages = 0;

  readonly #header = Buffer.alloc(HEADER_BYTES + 255);
  #fill = 0;
  #need = HEADER_BYTES;
  #bodyLeft = 0;
  #serial: number | undefined;
  #pageGranule: number | undefined;
  #pageSerial = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.lostSync) this.#scan(chunk);
    callback(null, chunk);
  }

  #scan(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.lostSync) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, chunk.length - i);
        this.#bodyLeft -= n;
        i += n;
        if (this.#bodyLeft === 0) this.#endPage();
        continue;
      }
      const n = Math.min(this.#need - this.#fill, chunk.length - i);
      chunk.copy(this.#header, this.#fill, i, i + n);
      this.#fill += n;
      i += n;
      if (this.#fill < this.#need) break;
      if (this.#need === HEADER_BYTES) {
        if (this.#header.toString('latin1', 0, 4) !== 'OggS') {
          this.lostSync = true;
          break;
        }
        this.#need = HEADER_BYTES + this.#header[26]!;
        if (this.#need > HEADER_BYTES) continue;
      }
      // Header and segment table complete.
      let body = 0;
      for (let s = HEADER_BYTES; s < this.#need; s++) body += this.#header[s]!;
      const lo = this.#header.readUInt32LE(6);
      const hi = this.#header.readInt32LE(10);
      this.#pageGranule = hi === -1 && lo === 0xffffffff ? undefined : hi * 2 ** 32 + lo;
      this.#pageSerial = this.#header.readUInt32LE(14);
      this.#fill = 0;
      this.#need = HEADER_BYTES;
      this.#bodyLeft = body;
      if (body === 0) this.#endPage();
    }
  }

  #endPage(): void {
    this.pages++;
    this.#serial ??= this.#pageSerial;
    if (this.#pageSerial === this.#serial && this.#pageGranule !== undefined) this.lastGranule = this.#pageGranule;
  }

  override _flush(callback: TransformCallback): void {
    this.truncated = !this.lostSync && (this.#fill > 0 || this.#bodyLeft > 0);
    callback();
  }
}
