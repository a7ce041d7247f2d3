/**
 * A content-addressed disk cache of speech audio: the key is a hash of the full request (base URL, model, voice,
 * input, format, speed, instructions and every other field), the value the audio bytes exactly as received
 * (SSE already decoded). Entries are written to a temp file and renamed into place only once complete, so a
 * reader never sees half an entry and a failed or aborted request leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Hex SHA-256 of a canonical JSON form of `request` (object keys sorted, undefined dropped). */
export function speechCacheKey(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/** One entry being written. Call `commit()` after the last byte, `discard()` on any failure. */
export interface SpeechCacheWriter {
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** The speech cache in one directory (created on first write). */
export class SpeechCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** Path of the entry for `key` (whether or not it exists). */
  pathOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.audio`);
  }

  /** A read stream of the entry, or undefined when there is none. */
  async open(key: string): Promise<{ stream: ReadStream; byteLength: number; path: string } | undefined> {
    const file = this.pathOf(key);
    try {
      const st = await stat(file);
      if (!st.isFile() || st.size === 0) return undefined;
      return { stream: createReadStream(file, { highWaterMark: 64 * 1024 }), byteLength: st.size, path: file };
    } catch {
      return undefined;
    }
  }

  /** Starts writing the entry for `key` into a temp file beside it. */
  async writer(key: string): Promise<SpeechCacheWriter> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fh: FileHandle = await open(temp, 'wx');
    let closed = false;
    let bytes = 0;
    const close = async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    return {
      async write(chunk) {
        bytes += chunk.byteLength;
        await fh.write(chunk);
      },
      async commit() {
        if (bytes === 0) {
          await close();
          await unlink(temp).catch(() => {});
          return;
        }
        await fh.sync();
        await close();
        await rename(temp, file);
      },
      async discard() {
        await close().catch(() => {});
        await unlink(temp).catch(() => {});
      },
    };
  }
}
