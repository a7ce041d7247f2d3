/**
 * The error a stream of ours is destroyed with when its `signal` aborts: name `AbortError`, code
 * `ABORT_ERR` and `cause` = the signal's reason, like Node's own APIs.
 */
export function abortError(signal: AbortSignal, what = 'The operation'): Error {
  const err = new Error(`${what} was aborted.`, { cause: signal.reason }) as Error & { code: string };
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}
