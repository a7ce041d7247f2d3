/**
 * A streaming `multipart/form-data` body: text fields, then one file part read from its source as it is sent,
 * so a 200 MB upload never sits in memory. The total length is known whenever the file's is, which lets the
 * request carry `content-length` (and the server refuse an oversize upload before reading it).
 */
import { randomBytes } from 'node:crypto';

/** One text field. Repeat a name for arrays (`timestamp_granularities[]`). */
export interface MultipartField {
  readonly name: string;
  readonly value: string;
}

/** The file part. */
export interface MultipartFile {
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  /** Bytes of the file, when known. */
  readonly byteLength: number | undefined;
  /** Opens the file's bytes from the start. */
  readonly open: () => AsyncIterable<Uint8Array>;
}

/** A ready-to-send body. */
export interface MultipartBody {
  readonly contentType: string;
  readonly byteLength: number | undefined;
  readonly open: () => AsyncIterable<Uint8Array>;
}

// Quotes and line breaks in names are percent-encoded, as browsers do (WHATWG multipart/form-data).
function escapeName(s: string): string {
  return s.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

/** Builds the body; the boundary is random so no file content can collide with it in practice. */
export function multipartBody(fields: readonly MultipartField[], file: MultipartFile, boundary = `----tokenlab-audio-${randomBytes(12).toString('hex')}`): MultipartBody {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(f.name)}"\r\n\r\n${f.value}\r\n`, 'utf8'));
  }
  const head = Buffer.concat([
    ...parts,
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(file.name)}"; filename="${escapeName(file.filename)}"\r\n` +
        `Content-Type: ${file.contentType}\r\n\r\n`,
      'utf8',
    ),
  ]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    byteLength: file.byteLength === undefined ? undefined : head.length + file.byteLength + tail.length,
    open: async function* () {
      yield head;
      yield* file.open();
      yield tail;
    },
  };
}
