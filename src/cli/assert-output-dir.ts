import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/errors.js';

/**
 * Checks, before a billable call, that the file `filePath` can be created: its directory exists, is a
 * directory and is writable, and the path itself is not a directory. Audio or a transcript that was paid
 * for and then cannot be saved would have to be requested (and paid for) again.
 * @throws InputError (`TLA_ERR_INPUT_OUTPUT`) saying what is wrong with the path; nothing has been sent.
 */
export async function assertOutputDir(filePath: string): Promise<void> {
  const dir = path.dirname(filePath);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat) throw new InputError(`Cannot write ${filePath}: the directory ${dir} does not exist. Create it first (nothing was sent).`, 'TLA_ERR_INPUT_OUTPUT');
  if (!dirStat.isDirectory()) throw new InputError(`Cannot write ${filePath}: ${dir} is not a directory (nothing was sent).`, 'TLA_ERR_INPUT_OUTPUT');
  if ((await stat(filePath).catch(() => undefined))?.isDirectory()) {
    throw new InputError(`Cannot write ${filePath}: it is a directory; give a file name (nothing was sent).`, 'TLA_ERR_INPUT_OUTPUT');
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new InputError(`Cannot write ${filePath}: no permission to write in ${dir} (nothing was sent).`, 'TLA_ERR_INPUT_OUTPUT');
  }
}
