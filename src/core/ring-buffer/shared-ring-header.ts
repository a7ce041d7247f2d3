/**
 * The header of a ring shared across threads (RingBuffer with `shared: true`): its layout and the
 * counters that both threads update without locks.
 */
import { slackFor } from './ring-copy.js';

// Shared layout: a 64-byte header of 16 Int32 slots, then the data.
//   write index, read index, magic, capacity, frameBytes, policy (0 reject, 1 drop-oldest),
//   producer version, consumer version, then four counters as (low, high) pairs counting bytes in
//   units of 2^30: written and dropped by the producer, read and dropped by the consumer.
// Counters in two small integers keep every update in V8's small-integer range, so that even code V8
// has not optimised (or has just deoptimised) never allocates a number box per operation. A side
// bumps its version around the rare carry into `high`, so that a reader in the other thread can tell
// a torn pair and read again.
export const HEADER_BYTES = 64;
export const W = 0;
export const R = 1;
export const MAGIC_SLOT = 2;
export const CAPACITY_SLOT = 3;
export const FRAME_SLOT = 4;
export const POLICY_SLOT = 5;
export const PRODUCER_VERSION = 6;
export const CONSUMER_VERSION = 7;
export const WRITTEN = 8;
export const DROPPED_BY_WRITER = 10;
export const READ = 12;
export const DROPPED_BY_READER = 14;
export const COUNTER_UNIT = 2 ** 30;
export const MAGIC = 0x52424632; // 'RBF2'

/** Owner side: adds `n` bytes to the counter pair at `slot` (low; high follows on a carry). */
export function addToCounter(ctl: Int32Array, slot: number, n: number, version: number): void {
  const low = ctl[slot]! + n;
  if (low < COUNTER_UNIT) {
    // Only this side writes the slot; the Atomics.store of the index that follows publishes it.
    ctl[slot] = low;
    return;
  }
  Atomics.add(ctl, version, 1); // odd: a carry is under way
  Atomics.store(ctl, slot, low % COUNTER_UNIT);
  Atomics.store(ctl, slot + 1, Atomics.load(ctl, slot + 1) + Math.floor(low / COUNTER_UNIT));
  Atomics.add(ctl, version, 1);
}

/** Any side: the counter pair at `slot`, read again if a carry was under way. */
export function readCounter(ctl: Int32Array, slot: number, version: number): number {
  for (;;) {
    const before = Atomics.load(ctl, version);
    const high = Atomics.load(ctl, slot + 1);
    const low = Atomics.load(ctl, slot);
    if ((before & 1) === 0 && Atomics.load(ctl, version) === before) return high * COUNTER_UNIT + low;
  }
}

/** Writes the settings of a new shared ring into its header. */
export function initSharedHeader(ctl: Int32Array, capacity: number, frameBytes: number, dropOldest: boolean): void {
  ctl[MAGIC_SLOT] = MAGIC;
  ctl[CAPACITY_SLOT] = capacity;
  ctl[FRAME_SLOT] = frameBytes;
  ctl[POLICY_SLOT] = dropOldest ? 1 : 0;
}

/** The settings stored in a shared ring's buffer, or null when `buffer` is not one. */
export function sharedRingSettings(buffer: SharedArrayBuffer): { capacity: number; frameBytes: number; dropOldest: boolean } | null {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) return null;
  const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  const capacity = Atomics.load(header, CAPACITY_SLOT);
  if (Atomics.load(header, MAGIC_SLOT) !== MAGIC || capacity < 1 || buffer.byteLength !== HEADER_BYTES + capacity + slackFor(capacity)) return null;
  return { capacity, frameBytes: Atomics.load(header, FRAME_SLOT), dropOldest: Atomics.load(header, POLICY_SLOT) === 1 };
}
