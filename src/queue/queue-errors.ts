import { TokenLabAudioError } from '../core/errors.js';

/** The queue needs `bullmq` (an optional peer dependency) and it is not installed. */
export class QueueDependencyError extends TokenLabAudioError {
  static override brandName = 'QueueDependencyError';
  constructor(cause?: unknown) {
    super(
      'The queue needs the optional package bullmq (it brings ioredis): npm install bullmq. Batches on one machine (runBatch, the CLI without --redis) do not need it.',
      'TLA_ERR_QUEUE_DEPENDENCY',
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Redis could not be reached (or answered with an error) for the queue; says which URL (password hidden). */
export class QueueConnectionError extends TokenLabAudioError {
  static override brandName = 'QueueConnectionError';
  constructor(message: string, cause?: unknown) {
    super(message, 'TLA_ERR_QUEUE_CONNECTION', cause === undefined ? undefined : { cause });
  }
}
