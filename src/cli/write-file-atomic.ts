import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes a whole file so that it either appears complete or not at all: a temporary file in the same
 * directory, then a rename. The temporary file is removed on failure.
 */
export async function writeFileAtomic(filePath: string, data: string | Uint8Array, signal?: AbortSignal): Promise<void> {
  const temp = `${filePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data, signal ? { signal } : {});
    await rename(temp, filePath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
