/**
 * Turns what a caller passes as `file` (a path, a Buffer, a Readable or a Blob) into an upload part: its name with
 * a proper extension, its MIME type, its size, and a way to read it (again, when it can be replayed), after the
 * checks that save a wasted upload: a directory, an empty file, something that is not audio, or over the limit.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.js';
import type { MultipartFile } from '../transports/multipart.js';
import { AUDIO_EXTENSIONS, UPLOAD_SNIFF_BYTES, extensionOf, sniffUpload } from './upload-type.js';
import { formatBytes } from '../core/format-bytes.js';

/** What `file` may be. A Readable can be sent once (never retried); the others are replayed on retry. */
export type UploadInput = string | Uint8Array | Readable | Blob;

/** The default upload limit: 25 MiB, the API's (26 214 400 bytes). */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 25 * 1024 * 1024;

/** A checked upload. */
export interface PreparedUpload extends MultipartFile {
  /** False for a caller's Readable: it cannot be read twice. */
  readonly replayable: boolean;
  /**
   * Releases a source the request never started reading (a caller's Readable, already peeked at): call it
   * when the call fails, so a file stream's descriptor is not left open. A no-op once `open()` has begun.
   */
  readonly release?: (() => void) | undefined;
}

function isReadable(v: unknown): v is Readable {
  return v !== null && typeof v === 'object' && typeof (v as Readable).pipe === 'function' && typeof (v as Readable).read === 'function';
}

function isBlob(v: unknown): v is Blob {
  return typeof Blob !== 'undefined' && v instanceof Blob;
}


function tooLarge(byteLength: number, limit: number, what: string): InputError {
  return new InputError(
    `${what} is ${formatBytes(byteLength)}, over the upload limit of ${formatBytes(limit)}. Use transcribeLong() / ` +
      'translateLong() (CLI: transcribe --long), which cut it at silences into pieces under the limit and merge the ' +
      'results, or compress it first (mono Opus at 24-32 kbit/s keeps speech intelligible). If your server allows more, ' +
      'raise uploadLimitBytes.',
    'TLA_ERR_INPUT_TOO_LARGE',
  );
}

/**
 * Checks the input and names it.
 * @throws InputError (`TLA_ERR_INPUT_FILE`) for a directory, a missing, empty or non-audio file;
 *   (`TLA_ERR_INPUT_TOO_LARGE`) over `limitBytes`, with what to do about it.
 */
export async function prepareUpload(file: UploadInput, filename: string | undefined, limitBytes: number): Promise<PreparedUpload> {
  if (typeof file === 'string') return preparePath(file, filename, limitBytes);
  if (file instanceof Uint8Array) {
    const bytes = file;
    if (bytes.byteLength === 0) throw new InputError('The audio buffer is empty (0 bytes).', 'TLA_ERR_INPUT_FILE');
    if (bytes.byteLength > limitBytes) throw tooLarge(bytes.byteLength, limitBytes, 'The audio buffer');
    const named = nameFor(bytes.subarray(0, UPLOAD_SNIFF_BYTES), filename, 'audio');
    return {
      name: 'file',
      ...named,
      byteLength: bytes.byteLength,
      replayable: true,
      open: async function* () {
        // Slices, not the whole buffer at once, so progress events mean something.
        for (let at = 0; at < bytes.byteLength; at += 256 * 1024) yield bytes.subarray(at, at + 256 * 1024);
      },
    };
  }
  if (isBlob(file)) {
    const blob = file;
    if (blob.size === 0) throw new InputError('The audio Blob is empty (0 bytes).', 'TLA_ERR_INPUT_FILE');
    if (blob.size > limitBytes) throw tooLarge(blob.size, limitBytes, 'The audio Blob');
    const head = new Uint8Array(await blob.slice(0, UPLOAD_SNIFF_BYTES).arrayBuffer());
    const blobName = (blob as { name?: unknown }).name;
    const named = nameFor(head, filename ?? (typeof blobName === 'string' && blobName ? blobName : undefined), 'audio', blob.type);
    return {
      name: 'file',
      ...named,
      byteLength: blob.size,
      replayable: true,
      open: async function* () {
        const reader = blob.stream().getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            yield value;
          }
        } finally {
          reader.releaseLock();
        }
      },
    };
  }
  if (isReadable(file)) return prepareReadable(file, filename, limitBytes);
  throw new InputError('file must be a path, a Buffer/Uint8Array, a Readable or a Blob.', 'TLA_ERR_INPUT_FILE');
}

async function preparePath(file: string, filename: string | undefined, limitBytes: number): Promise<PreparedUpload> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InputError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}.`, 'TLA_ERR_INPUT_FILE', { cause: e });
  }
  if (st.isDirectory()) throw new InputError(`${file} is a directory; pass an audio file.`, 'TLA_ERR_INPUT_FILE');
  if (!st.isFile()) throw new InputError(`${file} is not a regular file.`, 'TLA_ERR_INPUT_FILE');
  if (st.size === 0) throw new InputError(`${file} is empty (0 bytes).`, 'TLA_ERR_INPUT_FILE');
  if (st.size > limitBytes) throw tooLarge(st.size, limitBytes, file);
  const fh = await open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(UPLOAD_SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, UPLOAD_SNIFF_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const named = nameFor(head, filename ?? path.basename(file), file);
  const byteLength = st.size;
  return {
    name: 'file',
    ...named,
    byteLength,
    replayable: true,
    open: async function* () {
      // Opened afresh for every attempt: a retry replays the file from disk.
      const stream = createReadStream(file, { highWaterMark: 256 * 1024, end: byteLength - 1 });
      let sent = 0;
      for await (const chunk of stream) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (sent !== byteLength) throw new InputError(`${file} changed size while being uploaded (${sent} of ${byteLength} bytes).`, 'TLA_ERR_INPUT_FILE');
    },
  };
}

async function prepareReadable(stream: Readable, filename: string | undefined, limitBytes: number): Promise<PreparedUpload> {
  // Peek at the first bytes (for the type), then hand them back in front of the rest of the stream.
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < UPLOAD_SNIFF_BYTES) {
    const step = await iterator.next();
    if (step.done) {
      ended = true;
      break;
    }
    const chunk = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
    head.push(chunk);
    headBytes += chunk.length;
  }
  if (headBytes === 0) throw new InputError('The audio stream is empty (0 bytes).', 'TLA_ERR_INPUT_FILE');
  const pathName = (stream as { path?: unknown }).path;
  const streamName = typeof pathName === 'string' ? path.basename(pathName) : undefined;
  let named: { filename: string; contentType: string };
  try {
    named = nameFor(Buffer.concat(head).subarray(0, UPLOAD_SNIFF_BYTES), filename ?? streamName, 'The audio stream');
  } catch (e) {
    stream.destroy();
    throw e;
  }
  let opened = false;
  return {
    name: 'file',
    ...named,
    byteLength: undefined,
    replayable: false,
    release: () => {
      if (opened) return;
      opened = true;
      void iterator.return?.()?.catch(() => {});
      if (!stream.destroyed) stream.destroy();
    },
    open: async function* () {
      if (opened) throw new InputError('A Readable upload can be sent only once.', 'TLA_ERR_INPUT_FILE');
      opened = true;
      let total = 0;
      const check = (n: number) => {
        total += n;
        if (total > limitBytes) {
          stream.destroy();
          throw tooLarge(total, limitBytes, 'The audio stream');
        }
      };
      try {
        for (const chunk of head) {
          check(chunk.length);
          yield chunk;
        }
        if (ended) return;
        for (;;) {
          const step = await iterator.next();
          if (step.done) return;
          const chunk = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
          check(chunk.length);
          yield chunk;
        }
      } finally {
        await iterator.return?.();
      }
    },
  };
}

/** A filename with an audio extension and its MIME type, from the given name, the Blob type and the bytes. */
function nameFor(head: Uint8Array, filename: string | undefined, what: string, declaredType?: string): { filename: string; contentType: string } {
  const sniffed = sniffUpload(head);
  if (sniffed.kind === 'other') {
    throw new InputError(`${what === 'audio' ? 'The upload' : what} looks like ${sniffed.what}, not audio. Pass an audio file (mp3, wav, ogg, flac, m4a, webm …).`, 'TLA_ERR_INPUT_FILE');
  }
  const given = filename ? path.basename(filename) : '';
  const ext = extensionOf(given);
  if (sniffed.kind === 'audio') {
    // The bytes decide; a missing or wrong extension is fixed so the server recognises the file.
    const base = given ? (AUDIO_EXTENSIONS[ext] ? given.slice(0, -(ext.length + 1)) : given) : 'audio';
    const keepExt = ext && AUDIO_EXTENSIONS[ext] && AUDIO_EXTENSIONS[ext] === sniffed.mime;
    return { filename: keepExt ? given : `${base || 'audio'}.${sniffed.ext}`, contentType: sniffed.mime };
  }
  if (ext && AUDIO_EXTENSIONS[ext]) return { filename: given, contentType: AUDIO_EXTENSIONS[ext] };
  if (declaredType?.startsWith('audio/') || declaredType?.startsWith('video/')) {
    const fromType = Object.entries(AUDIO_EXTENSIONS).find(([, mime]) => mime === declaredType)?.[0];
    if (fromType) return { filename: `${given || 'audio'}.${fromType}`.replace(/\.([a-z0-9]+)\.\1$/, '.$1'), contentType: declaredType };
  }
  throw new InputError(
    `${what === 'audio' ? 'The upload' : what} is not in a recognised audio format and has no audio file extension. ` +
      'Pass filename with the right extension (e.g. "talk.mp3"), or convert it to mp3, wav, ogg, flac, m4a or webm.',
    'TLA_ERR_INPUT_FILE',
  );
}
