import { PassThrough, Writable, type Readable } from 'node:stream';

/** Headers of one multipart part, as the parser hands them to the callbacks. */
export interface MultipartPartInfo {
  /** Form field name (`name=` of `Content-Disposition`). */
  name: string;
  /** `filename=` (or `filename*=`) when the part is a file. */
  filename: string | undefined;
  /** The part's `Content-Type`, if sent. */
  contentType: string | undefined;
  /** Body bytes of the part parsed so far (final once the part has ended), delivered or discarded. */
  byteLength: number;
}

/** Callbacks of {@link MultipartParser}. */
export interface MultipartHandlers {
  /** A text field, complete. */
  onField(name: string, value: string): void;
  /**
   * A file part begins: `data` streams its bytes (with backpressure: the parser stops taking input
   * while `data` is full) and ends when the part ends. Destroying `data` discards the rest of the part.
   */
  onFile(info: MultipartPartInfo, data: Readable): void;
}

/** A multipart body that cannot be parsed. */
export class MultipartFormatError extends Error {
  override name = 'MultipartFormatError';
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 1024 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** Extracts the boundary from a `multipart/form-data; boundary=…` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

function dispositionParam(header: string, key: string): string | undefined {
  const star = new RegExp(`;\\s*${key}\\*=(?:UTF-8|utf-8)''([^;]+)`).exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      return star[1].trim();
    }
  }
  const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

type State = 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done';

/**
 * A streaming `multipart/form-data` parser (RFC 7578): a Writable that takes the raw request body in
 * any chunking and reports fields and file parts as they arrive. File bytes are never accumulated:
 * they flow to the part's Readable with backpressure. Errors (`MultipartFormatError`) on a malformed
 * body, a missing closing boundary, oversized part headers or text fields (> 1 MiB).
 */
export class MultipartParser extends Writable {
  private readonly delimiter: Buffer;
  private readonly handlers: MultipartHandlers;
  private state: State = 'preamble';
  private carry: Buffer | undefined;
  private part: MultipartPartInfo | undefined;
  private file: PassThrough | undefined;
  private fieldChunks: Buffer[] = [];
  private fieldBytes = 0;

  constructor(boundary: string, handlers: MultipartHandlers) {
    super();
    // The first boundary may start the body without a preceding CRLF; we search for "--boundary" first
    // and then "\r\n--boundary" inside parts.
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    this.handlers = handlers;
  }

  /** True once the closing boundary has been parsed. */
  get complete(): boolean {
    return this.state === 'done';
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      const carry = this.carry;
      this.carry = undefined;
      if (carry && this.state === 'body') {
        this.continueBody(carry, chunk, callback);
        return;
      }
      // Outside part bodies carries are a few header bytes: joining them is cheap.
      this.consume(carry ? Buffer.concat([carry, chunk]) : chunk, callback);
    } catch (error) {
      callback(error as Error);
    }
  }

  /**
   * A part body whose previous chunk ended with what may be the start of the delimiter (`carry`):
   * decide with the first bytes of `chunk` instead of copying the whole chunk behind the carry.
   */
  private continueBody(carry: Buffer, chunk: Buffer, callback: (error?: Error | null) => void): void {
    const need = this.delimiter.length - carry.length;
    const head = chunk.subarray(0, need);
    if (head.equals(this.delimiter.subarray(carry.length, carry.length + head.length))) {
      if (head.length < need) {
        // Still undecided (a tiny chunk): both pieces are shorter than the delimiter.
        this.carry = Buffer.concat([carry, chunk]);
        callback();
        return;
      }
      this.endPart();
      this.state = 'after-boundary';
      this.consume(chunk.subarray(need), callback);
      return;
    }
    // Not a delimiter after all: the carried bytes were data.
    const target = this.file;
    if (this.emitBody(carry) && target) this.waitForDrain(target, chunk, callback);
    else this.consume(chunk, callback);
  }

  /** Where a delimiter may begin in the last bytes of `buf` (a partial match at its end), or `buf.length`. */
  private partialDelimiterAt(buf: Buffer, from: number): number {
    // The delimiter starts with CR and has no other CR (boundaries cannot contain one).
    for (let i = buf.indexOf(0x0d, Math.max(from, buf.length - this.delimiter.length + 1)); i >= 0; i = buf.indexOf(0x0d, i + 1)) {
      if (buf.subarray(i).equals(this.delimiter.subarray(0, buf.length - i))) return i;
    }
    return buf.length;
  }

  private consume(buf: Buffer, callback: (error?: Error | null) => void): void {
    let pos = 0;
    for (;;) {
      if (this.state === 'done') {
        callback();
        return;
      }
      if (this.state === 'preamble') {
        const open = this.delimiter.subarray(2);
        const at = pos === 0 && buf.subarray(0, open.length).equals(open) ? 0 : buf.indexOf(this.delimiter, pos);
        if (at < 0) {
          this.keepTail(buf, Math.max(pos, buf.length - this.delimiter.length));
          callback();
          return;
        }
        pos = at + (at === 0 && buf[0] === 0x2d ? open.length : this.delimiter.length);
        this.state = 'after-boundary';
        continue;
      }
      if (this.state === 'after-boundary') {
        if (buf.length - pos < 2) {
          this.keepTail(buf, pos);
          callback();
          return;
        }
        if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) {
          this.state = 'done';
          continue;
        }
        // Transport padding (spaces/tabs) may follow a boundary before its CRLF.
        let p = pos;
        while (p < buf.length && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
        if (buf.length - p < 2) {
          this.keepTail(buf, pos);
          callback();
          return;
        }
        if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) throw new MultipartFormatError('multipart: expected CRLF after a boundary');
        pos = p + 2;
        this.state = 'headers';
        continue;
      }
      if (this.state === 'headers') {
        const end = buf.indexOf(CRLF_CRLF, pos);
        if (end < 0) {
          if (buf.length - pos > MAX_HEADER_BYTES) throw new MultipartFormatError('multipart: part headers too large');
          this.keepTail(buf, pos);
          callback();
          return;
        }
        this.startPart(buf.toString('latin1', pos, end));
        pos = end + 4;
        this.state = 'body';
        continue;
      }
      // body
      const at = buf.indexOf(this.delimiter, pos);
      const safeEnd = at >= 0 ? at : this.partialDelimiterAt(buf, pos);
      const target = this.file;
      const full = this.emitBody(buf.subarray(pos, safeEnd));
      if (at >= 0) {
        this.endPart();
        pos = at + this.delimiter.length;
        this.state = 'after-boundary';
        if (full && target) {
          this.waitForDrain(target, buf.subarray(pos), callback);
          return;
        }
        continue;
      }
      // Keep the bytes that could be the start of a delimiter split across chunks.
      if (safeEnd < buf.length) this.keepTail(buf, safeEnd);
      if (full && target) this.waitForDrain(target, undefined, callback);
      else callback();
      return;
    }
  }

  /** Stops parsing until the file reader has room, then goes on with `rest` (if any) and calls back. */
  private waitForDrain(target: PassThrough, rest: Buffer | undefined, callback: (error?: Error | null) => void): void {
    const resume = (): void => {
      target.off('drain', resume).off('close', resume);
      this.resume = undefined;
      if (!rest || rest.length === 0) {
        callback();
        return;
      }
      try {
        this.consume(rest, callback);
      } catch (error) {
        callback(error as Error);
      }
    };
    if (target.destroyed) {
      resume();
      return;
    }
    this.resume = { target, resume };
    target.on('drain', resume).on('close', resume);
  }

  private resume: { target: PassThrough; resume: () => void } | undefined;

  private keepTail(buf: Buffer, from: number): void {
    if (from < buf.length) this.carry = Buffer.from(buf.subarray(from));
  }

  private startPart(headerText: string): void {
    let disposition = '';
    let contentType: string | undefined;
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      else if (key === 'content-type') contentType = value;
    }
    if (!/^form-data\b/i.test(disposition)) throw new MultipartFormatError('multipart: part without Content-Disposition: form-data');
    const name = dispositionParam(disposition, 'name');
    if (name === undefined) throw new MultipartFormatError('multipart: part without a name');
    const filename = dispositionParam(disposition, 'filename');
    this.part = { name, filename, contentType, byteLength: 0 };
    if (filename !== undefined || (contentType !== undefined && !/^text\/plain\b/i.test(contentType))) {
      this.file = new PassThrough({ highWaterMark: 64 * 1024 });
      this.handlers.onFile(this.part, this.file);
    } else {
      this.fieldChunks = [];
      this.fieldBytes = 0;
    }
  }

  /** Returns true when the file reader is full (the caller then waits for drain). */
  private emitBody(bytes: Buffer): boolean {
    if (bytes.length === 0) return false;
    if (this.part) this.part.byteLength += bytes.length;
    if (this.file) {
      if (this.file.destroyed) return false;
      return !this.file.write(bytes);
    }
    this.fieldBytes += bytes.length;
    if (this.fieldBytes > MAX_FIELD_BYTES) throw new MultipartFormatError(`multipart: field '${this.part?.name ?? ''}' is larger than 1 MiB`);
    this.fieldChunks.push(Buffer.from(bytes));
    return false;
  }

  private endPart(): void {
    if (this.file) {
      if (!this.file.destroyed) this.file.end();
      this.file = undefined;
    } else if (this.part) {
      this.handlers.onField(this.part.name, Buffer.concat(this.fieldChunks).toString('utf8'));
      this.fieldChunks = [];
    }
    this.part = undefined;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.state !== 'done') {
      const error = new MultipartFormatError('multipart: the body ended before the closing boundary');
      this.file?.destroy(error);
      callback(error);
      return;
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.file && !this.file.destroyed) this.file.destroy(error ?? new MultipartFormatError('multipart: upload aborted'));
    if (this.resume) this.resume.target.off('drain', this.resume.resume).off('close', this.resume.resume);
    callback(error);
  }
}
