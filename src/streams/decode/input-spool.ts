import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../../core/errors.js';

/** A temporary copy of an input, for a decoder that must seek in it. */
export interface SpooledInput {
  readonly filePath: string;
  readonly byteLength: number;
  /** Removes the file and its directory (idempotent, never throws). */
  remove(): Promise<void>;
}

/**
 * Copies `head` and the rest of `source` into a new file in a private temporary directory, with
 * backpressure (one write at a time). More than `limitBytes` fails with an InputError
 * (`TLA_ERR_SPOOL_LIMIT`); any failure removes what was written. `why` goes into that message.
 */
export async function spoolInput(head: readonly Buffer[], source: Readable | null, limitBytes: number, why: string): Promise<SpooledInput> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tokenlab-decode-'));
  const filePath = path.join(dir, 'input');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true }).catch(() => {});
  let byteLength = 0;
  try {
    const file = await open(filePath, 'wx');
    try {
      const write = async (chunk: Buffer): Promise<void> => {
        byteLength += chunk.length;
        if (byteLength > limitBytes) {
          throw new InputError(
            `decode: ${why}, so it is stored in a temporary file first, and more than spoolLimitBytes (${limitBytes}) arrived (${byteLength} bytes so far). ` +
              'Pass a file path instead, remux it with `ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4`, or raise { spoolLimitBytes }.',
            'TLA_ERR_SPOOL_LIMIT',
          );
        }
        await file.write(chunk);
      };
      for (const chunk of head) await write(chunk);
      if (source) for await (const chunk of source) await write(chunk as Buffer);
    } finally {
      await file.close();
    }
  } catch (err) {
    source?.destroy();
    await remove();
    throw err;
  }
  return { filePath, byteLength, remove };
}
