import { TokenLabAudioError } from '../../core/errors.js';

/**
 * A batch's result could not be written (disk full, read-only or missing directory, no permission). The
 * batch stops at once: going on would pay for results that cannot be kept. `cause` is the file system's error;
 * `requestIds` are the requests whose (paid) results were lost, for support.
 */
export class BatchOutputError extends TokenLabAudioError {
  static override brandName = 'BatchOutputError';
  /** The path that could not be written. */
  readonly path: string;
  /** The file system's code: `ENOSPC`, `EDQUOT`, `EROFS`, `EACCES`, … */
  readonly errno: string | undefined;
  readonly requestIds: readonly string[];

  constructor(path: string, cause: unknown, requestIds: readonly string[] = []) {
    const errno = (cause as NodeJS.ErrnoException | null)?.code;
    const why =
      errno === 'ENOSPC' || errno === 'EDQUOT'
        ? 'the disk is full'
        : errno === 'EROFS'
          ? 'the file system is read-only'
          : errno === 'EACCES' || errno === 'EPERM'
            ? 'permission denied'
            : errno === 'ENOENT' || errno === 'ENOTDIR'
              ? 'its directory does not exist'
              : (cause as Error | null)?.message ?? String(cause);
    const lost = requestIds.length > 0 ? ` The result of request ${requestIds.join(', ')} was lost.` : '';
    super(`Cannot write ${path}: ${why}.${lost} Free space or fix the output directory, then run the same command again: finished items are not redone.`, 'TLA_ERR_BATCH_OUTPUT', { cause });
    this.path = path;
    this.errno = errno;
    this.requestIds = requestIds;
  }
}

/** A batch list (CSV, JSONL, a directory or pattern) could not be turned into jobs: says which line or pattern. */
export class BatchInputError extends TokenLabAudioError {
  static override brandName = 'BatchInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'TLA_ERR_BATCH_INPUT', options);
  }
}
