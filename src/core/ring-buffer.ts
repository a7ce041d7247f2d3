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

// Shared layout: a 64-byte header, then the data.
//   Int32 slots: write index, read index, magic, capacity, frameBytes, policy (0 reject, 1 drop-oldest)
//   Float64 slots (byte 32..63): bytes written, bytes read, bytes dropped by the producer, by the consumer
const HEADER_BYTES = 64;
const W = 0;
const R = 1;
const MAGIC_SLOT = 2;
const CAPACITY_SLOT = 3;
const FRAME_SLOT = 4;
const POLICY_SLOT = 5;
const MAGIC = 0x52424631; // 'RBF1'
const WRITTEN = 0;
const READ = 1;
const DROPPED_BY_WRITER = 2;
const DROPPED_BY_READER = 3;

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
 * A fixed-size byte ring for PCM: the heart of jitter buffers, pre-roll and batching.
 *
 * - Frame-aligned: it never accepts, hands out, skips or drops part of a sample frame. A write of
 *   `length` bytes accepts `length` rounded down to whole frames; the caller keeps the remainder.
 * - Allocation-free per operation: data is copied into the caller's buffers, never into new ones.
 * - Counters (`bytesWritten`, `bytesRead`, `bytesDropped`) are plain numbers, exact up to 2^53 bytes
 *   (years of audio), and always satisfy `bytesWritten - bytesRead - bytesDropped === availableRead`.
 * - With `shared: true` it is a wait-free single-producer / single-consumer queue across threads:
 *   `write` belongs to the producer; `read`, `peek`, `skip` and `clear` to the consumer. With
 *   `'drop-oldest'` the producer may also discard unread frames; a consumer read that races with such a
 *   drop retries, so it never returns overwritten bytes.
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

  readonly #data: Uint8Array;
  readonly #usable: number;
  readonly #frameBytes: number;
  readonly #dropOldest: boolean;
  /** Indices run over [0, #wrap), a multiple of #usable far larger than it, so full and empty differ. */
  readonly #wrap: number;
  /** Shared mode: the indices (Atomics) and the counters; null for a local ring. */
  readonly #ctl: Int32Array | null;
  readonly #stats: Float64Array | null;
  readonly #sab: SharedArrayBuffer | null;

  // Local mode state.
  #w = 0;
  #r = 0;
  #written = 0;
  #read = 0;
  #dropped = 0;

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
    this.#dropOldest = overflow === 'drop-oldest';
    this.#usable = this.usableCapacity = capacity - (capacity % frameBytes);
    // The largest multiple of the usable size below 2^31: indices stay int32, and a stale read index can
    // only be mistaken for a current one after 2^31 bytes went by (ABA guard for shared drop-oldest).
    this.#wrap = this.#usable * Math.floor(2 ** 31 / this.#usable);

    if (shared || sab !== null) {
      const buffer = sab ?? new SharedArrayBuffer(HEADER_BYTES + capacity);
      this.#sab = buffer;
      this.#ctl = new Int32Array(buffer, 0, 8);
      this.#stats = new Float64Array(buffer, 32, 4);
      this.#data = new Uint8Array(buffer, HEADER_BYTES, capacity);
      if (sab === null) {
        this.#ctl[MAGIC_SLOT] = MAGIC;
        this.#ctl[CAPACITY_SLOT] = capacity;
        this.#ctl[FRAME_SLOT] = frameBytes;
        this.#ctl[POLICY_SLOT] = this.#dropOldest ? 1 : 0;
      }
    } else {
      this.#sab = null;
      this.#ctl = null;
      this.#stats = null;
      this.#data = new Uint8Array(capacity);
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
    const header = new Int32Array(buffer, 0, 8);
    const capacity = Atomics.load(header, CAPACITY_SLOT);
    if (Atomics.load(header, MAGIC_SLOT) !== MAGIC || buffer.byteLength !== HEADER_BYTES + capacity) {
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
    return this.#stored(this.#loadR(), this.#loadW());
  }

  /** Bytes that can be written without overflow (whole frames). In shared mode, a snapshot. */
  get availableWrite(): number {
    return this.#usable - this.availableRead;
  }

  /** Total bytes accepted by `write` since creation. */
  get bytesWritten(): number {
    return this.#stats === null ? this.#written : this.#stats[WRITTEN]!;
  }

  /** Total bytes handed out by `read` since creation. */
  get bytesRead(): number {
    return this.#stats === null ? this.#read : this.#stats[READ]!;
  }

  /** Total bytes discarded unread: dropped by `'drop-oldest'` overflow, `skip` and `clear`. */
  get bytesDropped(): number {
    return this.#stats === null ? this.#dropped : this.#stats[DROPPED_BY_WRITER]! + this.#stats[DROPPED_BY_READER]!;
  }

  /**
   * Copies whole frames from `src[offset, offset + length)` into the ring.
   * With `'reject'`, writes what fits; with `'drop-oldest'`, writes all of it, discarding the oldest
   * frames (and, if `length` exceeds the usable capacity, the start of `src` itself) to make room.
   * @returns bytes accepted: `length` rounded down to whole frames, or less when `'reject'` ran out of room.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `src`.
   */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    checkRange(src, offset, length, 'write');
    const fb = this.#frameBytes;
    let n = fb === 1 ? length : length - (length % fb);
    if (n === 0) return 0;
    const accepted = this.#dropOldest ? n : 0;
    const w = this.#loadW();
    let r = this.#loadR();
    let free = this.#usable - this.#stored(r, w);
    if (n > free) {
      if (!this.#dropOldest) {
        n = free;
        if (n === 0) return 0;
      } else {
        let droppedNow = 0;
        if (n > this.#usable) {
          // Only the newest usable bytes of src can survive; the rest is dropped on arrival.
          droppedNow = n - this.#usable;
          offset += droppedNow;
          n = this.#usable;
        }
        for (;;) {
          const need = n - free;
          if (need <= 0) break;
          const target = this.#advance(r, need);
          if (this.#ctl === null) {
            this.#r = target;
            droppedNow += need;
            break;
          }
          const seen = Atomics.compareExchange(this.#ctl, R, r, target);
          if (seen === r) {
            droppedNow += need;
            break;
          }
          // The consumer moved meanwhile: recompute the room with its new index.
          r = seen;
          free = this.#usable - this.#stored(r, w);
        }
        if (this.#stats === null) this.#dropped += droppedNow;
        else this.#stats[DROPPED_BY_WRITER]! += droppedNow;
      }
    }
    this.#copyIn(src, offset, n, w % this.#usable);
    const total = this.#dropOldest ? accepted : n;
    if (this.#ctl === null) {
      this.#w = this.#advance(w, n);
      this.#written += total;
    } else {
      this.#stats![WRITTEN]! += total;
      Atomics.store(this.#ctl, W, this.#advance(w, n));
    }
    return total;
  }

  /**
   * Moves up to `length` bytes (rounded down to whole frames) into `dst[offset…]`.
   * @returns bytes read (whole frames; 0 when empty).
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `dst`.
   */
  read(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    checkRange(dst, offset, length, 'read');
    const n = this.#take(dst, offset, length, true);
    if (n > 0) {
      if (this.#stats === null) this.#read += n;
      else this.#stats[READ]! += n;
    }
    return n;
  }

  /**
   * Copies up to `length` bytes (whole frames) into `dst[offset…]` without consuming them.
   * @returns bytes copied.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `dst`.
   */
  peek(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    checkRange(dst, offset, length, 'peek');
    return this.#take(dst, offset, length, false);
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
    const n = this.#take(null, 0, byteLength, true);
    if (n > 0) {
      if (this.#stats === null) this.#dropped += n;
      else this.#stats[DROPPED_BY_READER]! += n;
    }
    return n;
  }

  /** Discards everything readable (counted as dropped). @returns bytes dropped. */
  clear(): number {
    return this.skip(this.#usable);
  }

  /** Copies (dst) or skips (dst null) up to `length` bytes of whole frames; advances the read index if `consume`. */
  #take(dst: Uint8Array | null, offset: number, length: number, consume: boolean): number {
    const fb = this.#frameBytes;
    const want = fb === 1 ? length : length - (length % fb);
    if (want === 0) return 0;
    for (;;) {
      const r = this.#loadR();
      const stored = this.#stored(r, this.#loadW());
      // A stale r (the producer dropped past it since we loaded it) can make `stored` look larger than the ring.
      if (stored > this.#usable) continue;
      const n = want < stored ? want : stored;
      if (n === 0) return 0;
      if (dst !== null) this.#copyOut(dst, offset, n, r % this.#usable);
      if (this.#ctl === null) {
        if (consume) this.#r = this.#advance(r, n);
        return n;
      }
      if (!this.#dropOldest) {
        if (consume) Atomics.store(this.#ctl, R, this.#advance(r, n));
        return n;
      }
      // drop-oldest across threads: the producer may have discarded (and overwritten) these bytes
      // while we copied them; the read index then moved, and we copy again.
      if (consume) {
        if (Atomics.compareExchange(this.#ctl, R, r, this.#advance(r, n)) === r) return n;
      } else if (Atomics.load(this.#ctl, R) === r) {
        return n;
      }
    }
  }

  #copyIn(src: Uint8Array, offset: number, n: number, pos: number): void {
    const data = this.#data;
    const first = this.#usable - pos;
    if (n <= first) {
      data.set(offset === 0 && n === src.length ? src : src.subarray(offset, offset + n), pos);
    } else {
      data.set(src.subarray(offset, offset + first), pos);
      data.set(src.subarray(offset + first, offset + n), 0);
    }
  }

  #copyOut(dst: Uint8Array, offset: number, n: number, pos: number): void {
    const data = this.#data;
    const first = this.#usable - pos;
    if (n <= first) {
      dst.set(data.subarray(pos, pos + n), offset);
    } else {
      dst.set(data.subarray(pos, this.#usable), offset);
      dst.set(data.subarray(0, n - first), offset + first);
    }
  }

  #loadR(): number {
    return this.#ctl === null ? this.#r : Atomics.load(this.#ctl, R);
  }

  #loadW(): number {
    return this.#ctl === null ? this.#w : Atomics.load(this.#ctl, W);
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

function checkRange(buf: Uint8Array, offset: number, length: number, op: string): void {
  if (!(buf instanceof Uint8Array)) {
    throw new InputError(`RingBuffer.${op}: expected a Uint8Array or Buffer, got ${describe(buf)}.`, 'TLA_ERR_RING_RANGE');
  }
  // Integer checks via `| 0` would reject offsets above 2^31; buffers that large do not fit the ring anyway,
  // but be exact: whole numbers, inside the buffer.
  if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= buf.length)) {
    throw new InputError(
      `RingBuffer.${op}: offset ${String(offset)} and length ${String(length)} must be whole numbers within the buffer's ${buf.length} bytes.`,
      'TLA_ERR_RING_RANGE',
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
