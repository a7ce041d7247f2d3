import { createReadStream, ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InputError } from '../core/errors.js';

/**
 * Audio bytes as callers have them: a file path (or `file:` URL), a Buffer / Uint8Array / ArrayBuffer,
 * a Node Readable, a web ReadableStream (e.g. `fetch(...).body`), or any (async) iterable of byte chunks.
 */
export type AudioInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | NodeJS.ReadableStream
  | Readable
  | WebReadableStream<Uint8Array>
  | globalThis.ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** An {@link AudioInput} opened as a byte Readable. */
export interface InputSource {
  /** Bytes of the input. Not yet flowing: nothing is read until the caller reads. */
  readonly stream: Readable;
  /** The file path when the input named a file (ffmpeg can then seek in it itself). */
  readonly filePath: string | undefined;
  /** Total bytes when known in advance (buffers). */
  readonly byteLength: number | undefined;
  /** What the input was, for messages: `file talk.mp3`, `Buffer (1234 bytes)`, `Readable`, … */
  readonly label: string;
}

// Buffers are handed out in slices so a big one still flows with backpressure and any chunking.
const BUFFER_SLICE_BYTES = 64 * 1024;

function* slices(bytes: Uint8Array): Generator<Buffer> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < buf.length; i += BUFFER_SLICE_BYTES) yield buf.subarray(i, i + BUFFER_SLICE_BYTES);
}

function isWebReadable(x: unknown): x is WebReadableStream<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as { getReader?: unknown }).getReader === 'function' && typeof (x as { pipeTo?: unknown }).pipeTo === 'function';
}

/**
 * Opens any {@link AudioInput} as a byte Readable without reading from it yet.
 * A missing file surfaces as the stream's `'error'` (ENOENT) when it is first read.
 * @throws InputError for a value that is not audio bytes (a number, a plain object, an empty path).
 */
export function openInputSource(input: AudioInput): InputSource {
  if (typeof input === 'string' || input instanceof URL) {
    let filePath: string;
    if (input instanceof URL) {
      if (input.protocol !== 'file:') {
        throw new InputError(`Only file: URLs can be read directly, got ${input.protocol} (fetch it and pass the response body).`);
      }
      filePath = fileURLToPath(input);
    } else {
      if (input === '') throw new InputError('The input path is empty; pass a file path, a Buffer or a stream.');
      filePath = input;
    }
    return { stream: createReadStream(filePath, { highWaterMark: BUFFER_SLICE_BYTES }), filePath, byteLength: undefined, label: `file ${filePath}` };
  }
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  if (input instanceof Uint8Array) {
    return { stream: Readable.from(slices(input), { objectMode: false }), filePath: undefined, byteLength: input.byteLength, label: `Buffer (${input.byteLength} bytes)` };
  }
  if (input instanceof ReadStream) {
    // A file stream not yet read, over the whole file: ffmpeg may read (and seek in) the file itself.
    const file = input.path;
    // `start` and `end` are set by createReadStream but missing from @types/node's ReadStream.
    const { start, end } = input as unknown as { start?: number; end?: number };
    const whole = (start === undefined || start === 0) && (end === undefined || end === Infinity) && input.bytesRead === 0;
    if (typeof file === 'string' && file !== '' && whole) return { stream: input, filePath: file, byteLength: undefined, label: `file ${file}` };
  }
  if (input instanceof Readable) return { stream: input, filePath: undefined, byteLength: undefined, label: 'Readable' };
  if (isWebReadable(input)) {
    return { stream: Readable.fromWeb(input as WebReadableStream<Uint8Array>), filePath: undefined, byteLength: undefined, label: 'web ReadableStream' };
  }
  if (typeof input === 'object' && input !== null) {
    if (typeof (input as NodeJS.ReadableStream).pipe === 'function' && typeof (input as NodeJS.ReadableStream).on === 'function') {
      return { stream: new Readable().wrap(input as NodeJS.ReadableStream), filePath: undefined, byteLength: undefined, label: 'stream' };
    }
    if (Symbol.asyncIterator in input || Symbol.iterator in input) {
      return { stream: Readable.from(input as AsyncIterable<Uint8Array>, { objectMode: false }), filePath: undefined, byteLength: undefined, label: 'iterable' };
    }
  }
  throw new InputError(
    `Cannot read audio from ${input === null ? 'null' : typeof input}: pass a file path, a Buffer/Uint8Array, a Node Readable, a web ReadableStream or an async iterable of bytes.`,
  );
}
