import { InputError } from '../errors.js';

/**
 * What {@link RingBuffer.write} does when the data does not fit:
 * - `'reject'`: write what fits (whole frames) and report it, so the producer can wait (backpressure);
 * - `'drop-oldest'`: discard the oldest whole frames to make room (live audio: latency stays bounded).
 */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** Options of {@link RingBuffer}. */
export interface RingBufferOptions {
  /** Size of the storage in bytes: a power of two from 1 to 2^30. */
  capacity: number;
  /**
   * Bytes per sample frame (default 1). Reads, writes, skips and drops move whole frames only. When
   * `capacity` is not a multiple of it, the last `capacity % frameBytes` bytes are left unused.
   */
  frameBytes?: number;
  /** Default `'reject'`. */
  overflow?: OverflowPolicy;
  /**
   * Back the ring with a SharedArrayBuffer (indices and counters included), so a single producer and a
   * single consumer can use it from two threads: pass {@link RingBuffer.sharedBuffer} to a worker and
   * open it there with {@link RingBuffer.fromShared}.
   */
  shared?: boolean;
}

const MAX_CAPACITY = 2 ** 30;

function nextPowerOfTwo(n: number): number {
  if (!(n > 1)) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

/** InputError with the ring's option code. */
export function ringOptionError(message: string): InputError {
  return new InputError(message, 'TLA_ERR_RING_OPTIONS');
}

/**
 * The options with their defaults filled in.
 * @throws InputError (`TLA_ERR_RING_OPTIONS`) saying what is wrong and what to use instead.
 */
export function checkRingBufferOptions(options: RingBufferOptions): Required<RingBufferOptions> {
  if (options === null || typeof options !== 'object') {
    throw ringOptionError('RingBuffer options must be an object like { capacity: 65536, frameBytes: 2 }.');
  }
  const { capacity, frameBytes = 1, overflow = 'reject', shared = false } = options;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw ringOptionError(`RingBuffer capacity ${String(capacity)} is not usable; use a power of two from 1 to ${MAX_CAPACITY} bytes.`);
  }
  if ((capacity & (capacity - 1)) !== 0) {
    throw ringOptionError(`RingBuffer capacity ${capacity} is not a power of two; use ${nextPowerOfTwo(capacity)} (the next power of two).`);
  }
  if (typeof frameBytes !== 'number' || !Number.isInteger(frameBytes) || frameBytes < 1) {
    throw ringOptionError(`RingBuffer frameBytes ${String(frameBytes)} is not usable; use a whole number of bytes >= 1 (channels x bytes per sample).`);
  }
  if (frameBytes > capacity) {
    throw ringOptionError(`RingBuffer frameBytes ${frameBytes} does not fit in capacity ${capacity}; use a capacity of at least ${nextPowerOfTwo(frameBytes)}.`);
  }
  if (overflow !== 'reject' && overflow !== 'drop-oldest') {
    throw ringOptionError(`RingBuffer overflow ${JSON.stringify(overflow)} is unknown; use 'reject' or 'drop-oldest'.`);
  }
  if (typeof shared !== 'boolean') {
    throw ringOptionError(`RingBuffer shared must be true or false, not ${JSON.stringify(shared)}.`);
  }
  return { capacity, frameBytes, overflow, shared };
}
