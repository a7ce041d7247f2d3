// Bytes allocated per call of a hot-path step, measured honestly: the loop runs in a process whose young
// generation is big enough that no garbage collection happens during it (v8.GCProfiler proves it: a window
// with a GC is thrown away and retried), after a full GC whose sweeping is not left running in the background
// (--no-concurrent-sweeping: a background sweeper shrinking the heap mid-loop made earlier figures negative).
// Counted: JS heap growth (every space) + ArrayBuffer backing stores (Buffers, pooled slices included).
// A process measures with these flags only; benches start a child with ALLOC_METER_FLAGS for it.
import v8 from 'node:v8';

/** Node flags of a process that measures allocation (young generation of 64 MiB per semi-space). */
export const ALLOC_METER_FLAGS = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', '--no-concurrent-sweeping'];

export interface AllocationPerCall {
  /** Heap + ArrayBuffer bytes per call (NaN when no window was free of GC). */
  readonly bytes: number;
  readonly heapBytes: number;
  readonly arrayBufferBytes: number;
  /** Calls in the window that counted. */
  readonly calls: number;
  /** Windows thrown away because a GC ran in them. */
  readonly discarded: number;
}

function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/**
 * Runs `step` `calls` times (awaiting it when it returns a promise) with no GC in between and returns the
 * bytes allocated per call. Needs the flags of {@link ALLOC_METER_FLAGS}.
 */
export async function allocationPerCall(step: (i: number) => unknown, calls: number): Promise<AllocationPerCall> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('allocationPerCall needs --expose-gc (start the process with ALLOC_METER_FLAGS)');
  let discarded = 0;
  // Warm-up outside the window: compiling the step (and this loop) allocates on the heap too.
  for (let i = 0; i < Math.min(calls, 1000); i++) {
    const r = step(i);
    if (r instanceof Promise) await r;
  }
  for (let n = calls; n >= 25; n = Math.floor(n / 2)) {
    for (let attempt = 0; attempt < 3; attempt++) {
      gc();
      gc();
      const profiler = new v8.GCProfiler();
      profiler.start();
      const heap0 = heapUsed();
      const ab0 = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < n; i++) {
        const r = step(i);
        if (r instanceof Promise) await r;
      }
      const heap1 = heapUsed();
      const ab1 = process.memoryUsage().arrayBuffers;
      if (profiler.stop().statistics.length === 0) {
        const heapBytes = (heap1 - heap0) / n;
        const arrayBufferBytes = (ab1 - ab0) / n;
        return { bytes: heapBytes + arrayBufferBytes, heapBytes, arrayBufferBytes, calls: n, discarded };
      }
      discarded++;
    }
  }
  return { bytes: NaN, heapBytes: NaN, arrayBufferBytes: NaN, calls: 0, discarded };
}
