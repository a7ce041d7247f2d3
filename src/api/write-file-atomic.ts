import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

function tempPathFor(filePath: string): string {
  return `${filePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Writes a whole file so that it either appears complete or not at all: a temporary file in the same
 * directory, then a rename. The temporary file is removed on failure.
 */
export async function writeFileAtomic(filePath: string, data: string | Uint8Array, signal?: AbortSignal): Promise<void> {
  const temp = tempPathFor(filePath);
  try {
    await writeFile(temp, data, signal ? { signal } : {});
    await rename(temp, filePath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Streams `source` (through `stages`, if any) into a file that appears complete or not at all: a temporary file
 * beside it, renamed into place once everything was written. Memory stays flat. Resolves with the file's size.
 */
export async function writeStreamAtomic(filePath: string, source: Readable, stages: readonly Duplex[] = [], signal?: AbortSignal): Promise<number> {
  const temp = tempPathFor(filePath);
  try {
    await pipeline([source, ...stages, createWriteStream(temp)], signal ? { signal } : {});
    await rename(temp, filePath);
    return (await stat(filePath)).size;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
