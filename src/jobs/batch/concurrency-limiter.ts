/**
 * Runs at most `limit` of the given tasks at once, the rest waiting in order: for work that starts a process
 * each (ffmpeg probes), so a thousand files never mean a thousand processes.
 * @internal
 */
export function concurrencyLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
