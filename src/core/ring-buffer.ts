import { InputError } from './errors.js';

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
// What RingBuffer#takeSlow does with the bytes it takes.
const READ_OP = 0;
const PEEK_OP = 1;
const SKIP_OP = 2;
/** Copies up to this many bytes go through a plain loop: cheaper than calling TypedArray#set. */
const SMALL_COPY = 16;
/** Bytes of slack after the ring, where a wrapping write lands whole before its tail moves to the front. */
const MAX_SLACK = 32_768;
/** The view cache keeps one view per 2^6 = 64-byte bucket of keys. */
const VIEW_BUCKET_SHIFT = 6;

function slackFor(capacity: number): number {
  return Math.min(capacity, MAX_SLACK);
}

// Shared layout: a 64-byte header of 16 Int32 slots, then the data.
//   write index, read index, magic, capacity, frameBytes, policy (0 reject, 1 drop-oldest),
//   producer version, consumer version, then four counters as (low, high) pairs counting bytes in
//   units of 2^30: written and dropped by the producer, read and dropped by the consumer.
// Counters in two small integers keep every update in V8's small-integer range, so that even code V8
// has not optimised (or has just deoptimised) never allocates a number box per operation. A side
// bumps its version around the rare carry into `high`, so that a reader in the other thread can tell
// a torn pair and read again.
const HEADER_BYTES = 64;
const W = 0;
const R = 1;
const MAGIC_SLOT = 2;
const CAPACITY_SLOT = 3;
const FRAME_SLOT = 4;
const POLICY_SLOT = 5;
const PRODUCER_VERSION = 6;
const CONSUMER_VERSION = 7;
const WRITTEN = 8;
const DROPPED_BY_WRITER = 10;
const READ = 12;
const DROPPED_BY_READER = 14;
const COUNTER_UNIT = 2 ** 30;
const MAGIC = 0x52424632; // 'RBF2'

/** Set by fromShared() for the constructor call it makes; never visible outside this module. */
let attaching: SharedArrayBuffer | null = null;

function nextPowerOfTwo(n: number): number {
  if (!(n > 1)) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

function optionError(message: string): InputError {
  return new InputError(message, 'TLA_ERR_RING_OPTIONS');
}

/**
 * Views of one buffer, reused instead of allocated: `TypedArray#set` copies a whole source array, so
 * copying a range out of the ring needs a view of exactly that range, and making one per call would
 * allocate. A consumer reading fixed-size frames visits a fixed cycle of start positions, so after one
 * lap every view it needs is here. One view per 64-byte bucket of keys bounds the memory.
 */
class ViewCache {
  readonly source: Uint8Array;
  readonly #usable: number;
  // Public to this module: RingBuffer#read checks for a hit inline (a call would cost more than the check).
  readonly views: (Uint8Array | undefined)[];
  readonly starts: Int32Array;
  readonly lengths: Int32Array;

  /** Views of `source[0, usable)`: ranges keyed by their start, and heads (ranges from 0) by their length. */
  constructor(source: Uint8Array, usable: number) {
    const slots = ((2 * usable) >>> VIEW_BUCKET_SHIFT) + 1;
    this.source = source;
    this.#usable = usable;
    this.views = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.starts = new Int32Array(slots).fill(-1);
    this.lengths = new Int32Array(slots);
  }

  /** A view of `source[start, start + length)`. */
  get(start: number, length: number): Uint8Array {
    // The head of a wrapped read starts at 0 whatever its length: key it by length instead.
    const slot = (start === 0 ? this.#usable + length : start) >>> VIEW_BUCKET_SHIFT;
    if (this.starts[slot] === start && this.lengths[slot] === length) return this.views[slot]!;
    const view = this.source.subarray(start, start + length);
    this.views[slot] = view;
    this.starts[slot] = start;
    this.lengths[slot] = length;
    return view;
  }
}

/**
 * A fixed-size byte ring for PCM: the heart of jitter buffers, pre-roll and batching.
 *
 * - Frame-aligned: it never accepts, hands out, skips or drops part of a sample frame. A write of
 *   `length` bytes accepts `length` rounded down to whole frames; the caller keeps the remainder.
 * - No allocation per operation in steady state: data is copied into the ring and out into the
 *   caller's buffer. (Writing part of a chunk larger than twice the part, or larger than 32 KiB, makes
 *   one small view of it; views of the ring for reads are made once per start position and reused.)
 * - Counters (`bytesWritten`, `bytesRead`, `bytesDropped`) are plain numbers, exact up to 2^53 bytes
 *   (years of audio), and always satisfy `bytesWritten - bytesRead - bytesDropped === availableRead`.
 * - With `shared: true` it is a single-producer / single-consumer queue across threads, without
 *   locks: `write` belongs to the producer; `read`, `peek`, `skip` and `clear` to the consumer. With
 *   `'reject'` neither side ever waits or retries. With `'drop-oldest'` the producer may also discard
 *   unread frames; a consumer read that races with such a drop retries, so it never returns
 *   overwritten bytes. Copies into a SharedArrayBuffer are slower than into plain memory (V8 copies
 *   them with relaxed atomics), so use a shared ring only across threads.
 *
 * Memory: `capacity` plus `min(capacity, 32 KiB)` of slack, plus the reused read views, made lazily
 * as start positions are first read (about 100 bytes each, at most two per 64 bytes of ring; a reader
 * of fixed-size frames needs one per position it cycles through, e.g. 1024 for 960-byte frames in a
 * 64 KiB ring).
 *
 * @throws InputError (`TLA_ERR_RING_OPTIONS`) for invalid options, (`TLA_ERR_RING_RANGE`) for an
 *   offset/length outside the caller's buffer.
 */
export class RingBuffer {
  /** Storage size in bytes (a power of two). */
  readonly capacity: number;
  /** Bytes per sample frame. */
  readonly frameBytes: number;
  readonly overflow: OverflowPolicy;
  /** Bytes that can be held at once: `capacity` rounded down to whole frames. */
  readonly usableCapacity: number;

  /** The ring is `#data[0, #usable)`; after it, `#slack` bytes where wrapping writes are staged. */
  readonly #data: Uint8Array;
  readonly #usable: number;
  readonly #slack: number;
  readonly #frameBytes: number;
  /**
   * `frameBytes - 1` for a local ring whose frameBytes is a power of two (rounding down by masking);
   * else -1, which sends reads and writes to the general paths (rounding with `%`; shared rings). One
   * field for both conditions keeps the hot paths' bytecode small (see `write`).
   */
  readonly #frameMask: number;
  readonly #dropOldest: boolean;
  /**
   * Indices run over [0, #wrap), a multiple of #usable at least twice as large, so that full and empty
   * differ. Shared rings use the largest multiple below 2^31: a stale read index can then only pass
   * for a current one after 2^31 bytes went by (the ABA guard of shared drop-oldest).
   */
  readonly #wrap: number;
  /** `#usable - 1` when #usable is a power of two (index to position by masking), else -1. */
  readonly #mask: number;
  /** Shared mode: the header (indices, settings, counters); null for a local ring. */
  readonly #ctl: Int32Array | null;
  readonly #sab: SharedArrayBuffer | null;
  #views: ViewCache | null = null;

  // Local mode state. The counters are derived from the indices and how many times each went round
  // (#wLaps, #rLaps), so the hot paths keep no counter of their own.
  #w = 0;
  #r = 0;
  #wLaps = 0;
  #rLaps = 0;
  /** Bytes discarded unread (drops, skip, clear), including those dropped on arrival. */
  #dropped = 0;
  /** Bytes accepted by drop-oldest writes larger than the ring and dropped at once: written, never indexed. */
  #droppedOnArrival = 0;

  constructor(options: RingBufferOptions) {
    const sab = attaching;
    attaching = null;
    if (options === null || typeof options !== 'object') {
      throw optionError('RingBuffer options must be an object like { capacity: 65536, frameBytes: 2 }.');
    }
    const { capacity, frameBytes = 1, overflow = 'reject', shared = false } = options;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw optionError(`RingBuffer capacity ${String(capacity)} is not usable; use a power of two from 1 to ${MAX_CAPACITY} bytes.`);
    }
    if ((capacity & (capacity - 1)) !== 0) {
      throw optionError(
        `RingBuffer capacity ${capacity} is not a power of two; use ${nextPowerOfTwo(capacity)} (the next power of two).`,
      );
    }
    if (typeof frameBytes !== 'number' || !Number.isInteger(frameBytes) || frameBytes < 1) {
      throw optionError(`RingBuffer frameBytes ${String(frameBytes)} is not usable; use a whole number of bytes >= 1 (channels x bytes per sample).`);
    }
    if (frameBytes > capacity) {
      throw optionError(
        `RingBuffer frameBytes ${frameBytes} does not fit in capacity ${capacity}; use a capacity of at least ${nextPowerOfTwo(frameBytes)}.`,
      );
    }
    if (overflow !== 'reject' && overflow !== 'drop-oldest') {
      throw optionError(`RingBuffer overflow ${JSON.stringify(overflow)} is unknown; use 'reject' or 'drop-oldest'.`);
    }
    if (typeof shared !== 'boolean') {
      throw optionError(`RingBuffer shared must be true or false, not ${JSON.stringify(shared)}.`);
    }

    this.capacity = capacity;
    this.frameBytes = frameBytes;
    this.overflow = overflow;
    this.#frameBytes = frameBytes;
    this.#frameMask = (frameBytes & (frameBytes - 1)) === 0 && !shared && sab === null ? frameBytes - 1 : -1;
    this.#dropOldest = overflow === 'drop-oldest';
    const usable = capacity - (capacity % frameBytes);
    this.#usable = this.usableCapacity = usable;
    this.#mask = (usable & (usable - 1)) === 0 ? usable - 1 : -1;
    const slack = slackFor(capacity);
    this.#slack = capacity + slack - usable;

    if (shared || sab !== null) {
      this.#wrap = usable * Math.floor(2 ** 31 / usable);
      const buffer = sab ?? new SharedArrayBuffer(HEADER_BYTES + capacity + slack);
      this.#sab = buffer;
      this.#ctl = new Int32Array(buffer, 0, HEADER_BYTES / 4);
      this.#data = new Uint8Array(buffer, HEADER_BYTES, capacity + slack);
      if (sab === null) {
        this.#ctl[MAGIC_SLOT] = MAGIC;
        this.#ctl[CAPACITY_SLOT] = capacity;
        this.#ctl[FRAME_SLOT] = frameBytes;
        this.#ctl[POLICY_SLOT] = this.#dropOldest ? 1 : 0;
      }
    } else {
      this.#wrap = 2 * usable;
      this.#sab = null;
      this.#ctl = null;
      this.#data = new Uint8Array(capacity + slack);
    }
  }

  /**
   * Opens, in another thread, a ring created with `shared: true`, from its {@link RingBuffer.sharedBuffer}.
   * Capacity, frame size and overflow policy come from the buffer.
   * @throws InputError (`TLA_ERR_RING_OPTIONS`) when the buffer is not a shared RingBuffer's.
   */
  static fromShared(buffer: SharedArrayBuffer): RingBuffer {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
      throw optionError('RingBuffer.fromShared needs the SharedArrayBuffer of a RingBuffer created with { shared: true } (ring.sharedBuffer).');
    }
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const capacity = Atomics.load(header, CAPACITY_SLOT);
    if (
      Atomics.load(header, MAGIC_SLOT) !== MAGIC ||
      capacity < 1 ||
      buffer.byteLength !== HEADER_BYTES + capacity + slackFor(capacity)
    ) {
      throw optionError('RingBuffer.fromShared: this SharedArrayBuffer was not made by a RingBuffer created with { shared: true }.');
    }
    attaching = buffer;
    try {
      return new RingBuffer({
        capacity,
        frameBytes: Atomics.load(header, FRAME_SLOT),
        overflow: Atomics.load(header, POLICY_SLOT) === 1 ? 'drop-oldest' : 'reject',
        shared: true,
      });
    } finally {
      attaching = null;
    }
  }

  /** The SharedArrayBuffer behind a shared ring (to post to a worker), or null for a local ring. */
  get sharedBuffer(): SharedArrayBuffer | null {
    return this.#sab;
  }

  /** Bytes ready to read (whole frames). In shared mode, a snapshot. */
  get availableRead(): number {
    const ctl = this.#ctl;
    if (ctl !== null) return this.#availableShared(ctl);
    const d = this.#w - this.#r;
    return d < 0 ? d + this.#wrap : d;
  }

  #availableShared(ctl: Int32Array): number {
    let d = Atomics.load(ctl, W) - Atomics.load(ctl, R);
    if (d < 0) d += this.#wrap;
    return d > this.#usable ? this.#usable : d;
  }

  /** Bytes that can be written without overflow (whole frames). In shared mode, a snapshot. */
  get availableWrite(): number {
    return this.#usable - this.availableRead;
  }

  /** Total bytes accepted by `write` since creation. */
  get bytesWritten(): number {
    if (this.#ctl !== null) return this.#counter(WRITTEN, PRODUCER_VERSION);
    return this.#wLaps * this.#wrap + this.#w + this.#droppedOnArrival;
  }

  /** Total bytes handed out by `read` since creation. */
  get bytesRead(): number {
    // Every byte the read index passed was read or dropped (apart from the drops that never entered).
    if (this.#ctl !== null) return this.#counter(READ, CONSUMER_VERSION);
    return this.#rLaps * this.#wrap + this.#r - (this.#dropped - this.#droppedOnArrival);
  }

  /** Total bytes discarded unread: dropped by `'drop-oldest'` overflow, `skip` and `clear`. */
  get bytesDropped(): number {
    if (this.#ctl === null) return this.#dropped;
    return this.#counter(DROPPED_BY_WRITER, PRODUCER_VERSION) + this.#counter(DROPPED_BY_READER, CONSUMER_VERSION);
  }

  /**
   * Copies whole frames from `src[offset, offset + length)` into the ring.
   * With `'reject'`, writes what fits; with `'drop-oldest'`, writes all of it, discarding the oldest
   * frames (and, if `length` exceeds the usable capacity, the start of `src` itself) to make room.
   * @returns bytes accepted: `length` rounded down to whole frames, or less when `'reject'` ran out of room.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `src`.
   */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    // The range check, written out here (see checkRange) to keep the bytecode small: `x >>> 0 === x`
    // holds for whole numbers from 0 to 2^32 - 1; anything else gets the full check, which throws
    // only if the range really is invalid (buffers beyond 4 GiB, where Node allows them).
    if (!(src instanceof Uint8Array && offset >>> 0 === offset && length >>> 0 === length && offset + length <= src.length)) {
      checkRange(src, offset, length, 'write');
    }
    // The local ring's common case, kept small (V8 inlines by bytecode size) and free of calls, so
    // that it compiles into its caller. Everything else goes through #writeSlow.
    const n = length - (length & this.#frameMask);
    const w = this.#w;
    const usable = this.#usable;
    let free = usable - w + this.#r;
    if (free > usable) free -= this.#wrap;
    let pos = w < usable ? w : w - usable;
    const next = w + n;
    // One call site only, to a function too large to inline: V8 inlines callees into the caller's
    // optimised code up to a total bytecode size (920 bytes in Node 20), and every call site counts,
    // even a rarely taken one. A caller's loop of `write` and `read` needs both inlined, with their
    // range checks: a call left over costs about 5 % of the throughput of 1 KiB copies.
    if (n > free || n === 0 || (n > 16 && (offset !== 0 || n !== src.length || pos + n > usable + this.#slack)) || next >= this.#wrap || this.#frameMask < 0) {
      return this.#writeSlow(src, offset, length);
    }
    const data = this.#data;
    if (n <= 16) {
      // A loop beats a call to TypedArray#set for a few bytes.
      for (let i = offset, end = offset + n; i < end; i++) {
        data[pos] = src[i]!;
        if (++pos === usable) pos = 0;
      }
    } else {
      // A whole chunk: one copy; if it runs past the end (into the slack), move that part to the front.
      data.set(src, pos);
      if (pos + n > usable) data.copyWithin(0, usable, pos + n);
    }
    this.#w = next;
    return n;
  }

  /**
   * Everything on the write side but a local ring's common case: shared rings, overflow, frames that
   * are not a power of two. One function on purpose: too large for V8 to inline into a caller, where it
   * would use up the inlining budget that the hot path needs.
   */
  #writeSlow(src: Uint8Array, offset: number, length: number): number {
    let n = length - (length % this.#frameBytes);
    if (n === 0) return 0;
    const usable = this.#usable;
    const ctl = this.#ctl;
    const w = ctl === null ? this.#w : Atomics.load(ctl, W);
    let r = ctl === null ? this.#r : Atomics.load(ctl, R);
    let free = usable - this.#stored(r, w);
    let accepted = n;
    if (n > free) {
      if (!this.#dropOldest) {
        accepted = n = free;
        if (n === 0) return 0;
      } else {
        let droppedNow = 0;
        if (n > usable) {
          // Only the newest usable bytes of src can survive; the rest is dropped on arrival.
          droppedNow = n - usable;
          if (ctl === null) this.#droppedOnArrival += droppedNow;
          offset += droppedNow;
          n = usable;
        }
        for (;;) {
          const need = n - free;
          if (need <= 0) break;
          if (ctl === null) {
            this.#moveR(need);
            droppedNow += need;
            break;
          }
          const seen = Atomics.compareExchange(ctl, R, r, this.#advance(r, need));
          if (seen === r) {
            droppedNow += need;
            break;
          }
          // The consumer moved meanwhile: recompute the room with its new index.
          r = seen;
          free = usable - this.#stored(r, w);
        }
        if (ctl === null) this.#dropped += droppedNow;
        else this.#count(DROPPED_BY_WRITER, droppedNow, PRODUCER_VERSION);
      }
    }
    copyIn(this.#data, usable, this.#slack, src, offset, n, this.#position(w));
    if (ctl === null) {
      this.#moveW(n);
    } else {
      this.#count(WRITTEN, accepted, PRODUCER_VERSION);
      Atomics.store(ctl, W, this.#advance(w, n));
    }
    return accepted;
  }

  /**
   * Moves up to `length` bytes (rounded down to whole frames) into `dst[offset…]`.
   * @returns bytes read (whole frames; 0 when empty).
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `dst`.
   */
  read(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    if (!(dst instanceof Uint8Array && offset >>> 0 === offset && length >>> 0 === length && offset + length <= dst.length)) {
      checkRange(dst, offset, length, 'read'); // see `write`
    }
    // The local ring's common case: more than a few bytes, not across the end of the ring, through a
    // view cached on an earlier lap. Everything else (the first lap of start positions, the read that
    // wraps once a lap) goes to #takeSlow, which a steady reader calls often enough to get optimised.
    const want = length - (length & this.#frameMask);
    const r = this.#r;
    let stored = this.#w - r;
    if (stored < 0) stored += this.#wrap;
    const n = want < stored ? want : stored;
    const usable = this.#usable;
    const pos = r < usable ? r : r - usable;
    const views = this.#views;
    const slot = pos >>> 6; // VIEW_BUCKET_SHIFT, as a literal: a module constant costs a hole check here
    const next = r + n;
    // One call site only, to a function too large to inline (why: see `write`).
    if (n <= 16 || pos + n > usable || next >= this.#wrap || views === null || views.starts[slot] !== pos || views.lengths[slot] !== n || this.#frameMask < 0) {
      return this.#takeSlow(dst, offset, length, READ_OP);
    }
    dst.set(views.views[slot]!, offset);
    this.#r = next;
    return n;
  }

  /**
   * Copies up to `length` bytes (whole frames) into `dst[offset…]` without consuming them.
   * @returns bytes copied.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `dst`.
   */
  peek(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    checkRange(dst, offset, length, 'peek');
    return this.#takeSlow(dst, offset, length, PEEK_OP);
  }

  /**
   * Discards up to `byteLength` bytes (rounded down to whole frames) from the read side; they count as dropped.
   * @returns bytes skipped.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when byteLength is not a whole number >= 0.
   */
  skip(byteLength: number): number {
    if (typeof byteLength !== 'number' || !Number.isInteger(byteLength) || byteLength < 0) {
      throw new InputError(`RingBuffer.skip: byteLength ${String(byteLength)} must be a whole number of bytes >= 0.`, 'TLA_ERR_RING_RANGE');
    }
    return this.#takeSlow(null, 0, byteLength, SKIP_OP);
  }

  /** Discards everything readable (counted as dropped). @returns bytes dropped. */
  clear(): number {
    return this.skip(this.#usable);
  }

  /**
   * Everything on the read side but a local ring's cached-view read: reads (READ_OP), peeks (PEEK_OP)
   * and skips (SKIP_OP, `dst` null) of up to `length` bytes of whole frames, local or shared. One
   * function on purpose: too large for V8 to inline into a caller, where it would use up the inlining
   * budget that the hot paths need.
   */
  #takeSlow(dst: Uint8Array | null, offset: number, length: number, op: number): number {
    const want = length - (length % this.#frameBytes);
    if (want === 0) return 0;
    const consume = op !== PEEK_OP;
    const ctl = this.#ctl;
    let n: number;
    if (ctl === null) {
      const r = this.#r;
      const stored = this.#stored(r, this.#w);
      n = want < stored ? want : stored;
      if (n === 0) return 0;
      if (dst !== null) copyOut(this.#cache(), this.#usable, dst, offset, n, this.#position(r));
      if (consume) this.#moveR(n);
      if (op === SKIP_OP) this.#dropped += n;
      return n;
    }
    for (;;) {
      const r = Atomics.load(ctl, R);
      const stored = this.#stored(r, Atomics.load(ctl, W));
      // A stale r (the producer dropped past it since we loaded it) can make `stored` look larger than the ring.
      if (stored > this.#usable) continue;
      n = want < stored ? want : stored;
      if (n === 0) return 0;
      if (dst !== null) copyOut(this.#cache(), this.#usable, dst, offset, n, this.#position(r));
      if (!this.#dropOldest) {
        // Only the consumer moves R: publish, done.
        if (consume) Atomics.store(ctl, R, this.#advance(r, n));
        break;
      }
      // drop-oldest across threads: the producer may have discarded (and overwritten) these bytes
      // while we copied them; the read index then moved, and we copy again.
      if (consume) {
        if (Atomics.compareExchange(ctl, R, r, this.#advance(r, n)) === r) break;
      } else if (Atomics.load(ctl, R) === r) {
        break;
      }
    }
    if (op === READ_OP) this.#count(READ, n, CONSUMER_VERSION);
    else if (op === SKIP_OP) this.#count(DROPPED_BY_READER, n, CONSUMER_VERSION);
    return n;
  }

  /** Shared rings, owner side: adds n bytes to the counter at `slot` (low; high follows). */
  #count(slot: number, n: number, version: number): void {
    const ctl = this.#ctl!;
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

  /** Shared rings, any side: the counter at `slot`, read again if a carry was under way. */
  #counter(slot: number, version: number): number {
    const ctl = this.#ctl!;
    for (;;) {
      const before = Atomics.load(ctl, version);
      const high = Atomics.load(ctl, slot + 1);
      const low = Atomics.load(ctl, slot);
      if ((before & 1) === 0 && Atomics.load(ctl, version) === before) return high * COUNTER_UNIT + low;
    }
  }

  #cache(): ViewCache {
    return this.#views ?? (this.#views = new ViewCache(this.#data, this.#usable));
  }

  /** Position in #data of an index. */
  #position(index: number): number {
    const usable = this.#usable;
    if (index < usable) return index;
    index -= usable;
    if (index < usable) return index;
    return this.#mask >= 0 ? index & this.#mask : index % usable;
  }

  /** Local rings: advance the write index by n bytes. */
  #moveW(n: number): void {
    const next = this.#w + n;
    if (next < this.#wrap) {
      this.#w = next;
    } else {
      this.#w = next - this.#wrap;
      this.#wLaps++;
    }
  }

  /** Local rings: advance the read index by n bytes. */
  #moveR(n: number): void {
    const next = this.#r + n;
    if (next < this.#wrap) {
      this.#r = next;
    } else {
      this.#r = next - this.#wrap;
      this.#rLaps++;
    }
  }

  #stored(r: number, w: number): number {
    const d = w - r;
    return d < 0 ? d + this.#wrap : d;
  }

  #advance(index: number, n: number): number {
    const next = index + n;
    return next >= this.#wrap ? next - this.#wrap : next;
  }
}

/** Copies `src[offset, offset + n)` into the ring `data[0, usable)` at `pos`, wrapping; `slack` bytes follow the ring. */
function copyIn(data: Uint8Array, usable: number, slack: number, src: Uint8Array, offset: number, n: number, pos: number): void {
  if (n <= SMALL_COPY) {
    for (let i = offset, end = offset + n; i < end; i++) {
      data[pos] = src[i]!;
      if (++pos === usable) pos = 0;
    }
    return;
  }
  const first = usable - pos;
  const overflow = n - first;
  if (offset === 0 && n === src.length) {
    if (overflow <= 0) {
      data.set(src, pos);
      return;
    }
    if (overflow <= slack) {
      // Land the chunk whole, running into the slack, then move the part past the end to the front.
      data.set(src, pos);
      data.copyWithin(0, usable, usable + overflow);
      return;
    }
  } else if (src.length <= slack && src.length <= 2 * n) {
    // Part of a chunk: stage the whole chunk in the slack, then move the part (no view of src needed).
    data.set(src, usable);
    const from = usable + offset;
    if (overflow <= 0) {
      data.copyWithin(pos, from, from + n);
    } else {
      data.copyWithin(pos, from, from + first);
      data.copyWithin(0, from + first, from + n);
    }
    return;
  }
  if (overflow <= 0) {
    data.set(src.subarray(offset, offset + n), pos);
  } else {
    data.set(src.subarray(offset, offset + first), pos);
    data.set(src.subarray(offset + first, offset + n), 0);
  }
}

/** Copies `n` bytes of the ring `views.source[0, usable)` from `pos`, wrapping, into `dst[offset…]`. */
function copyOut(views: ViewCache, usable: number, dst: Uint8Array, offset: number, n: number, pos: number): void {
  if (n <= SMALL_COPY) {
    const data = views.source;
    for (let i = offset, end = offset + n; i < end; i++) {
      dst[i] = data[pos]!;
      if (++pos === usable) pos = 0;
    }
    return;
  }
  const first = usable - pos;
  if (n <= first) {
    dst.set(views.get(pos, n), offset);
  } else {
    dst.set(views.get(pos, first), offset);
    dst.set(views.get(0, n - first), offset + first);
  }
}

function checkRange(buf: Uint8Array, offset: number, length: number, op: string): void {
  // `x % 1 === 0` is Number.isInteger in fewer bytecodes (NaN and Infinity fail it too): this runs
  // inline in every read and write, and V8 inlines by bytecode size.
  if (!(buf instanceof Uint8Array && offset >= 0 && length >= 0 && offset + length <= buf.length && offset % 1 === 0 && length % 1 === 0)) {
    throw rangeError(buf, offset, length, op);
  }
}

function rangeError(buf: unknown, offset: number, length: number, op: string): InputError {
  if (!(buf instanceof Uint8Array)) {
    return new InputError(`RingBuffer.${op}: expected a Uint8Array or Buffer, got ${describe(buf)}.`, 'TLA_ERR_RING_RANGE');
  }
  return new InputError(
    `RingBuffer.${op}: offset ${String(offset)} and length ${String(length)} must be whole numbers within the buffer's ${buf.length} bytes.`,
    'TLA_ERR_RING_RANGE',
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
