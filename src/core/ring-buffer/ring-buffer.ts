import { InputError } from '../errors.js';
import { checkRingBufferOptions, ringOptionError, type OverflowPolicy, type RingBufferOptions } from './ring-buffer-options.js';
import { copyIn, copyOut, slackFor, stageFor, ViewCache } from './ring-copy.js';
import { checkRange } from './ring-range.js';
import {
  addToCounter,
  CONSUMER_VERSION,
  DROPPED_BY_READER,
  DROPPED_BY_WRITER,
  HEADER_BYTES,
  initSharedHeader,
  PRODUCER_VERSION,
  R,
  READ,
  readCounter,
  sharedRingSettings,
  W,
  WRITTEN,
} from './shared-ring-header.js';

export type { OverflowPolicy, RingBufferOptions } from './ring-buffer-options.js';

// What RingBuffer#takeSlow does with the bytes it takes.
const READ_OP = 0;
const PEEK_OP = 1;
const SKIP_OP = 2;

/**
 * Key of the SharedArrayBuffer that fromShared() passes to the constructor inside the options object.
 * Module-private: callers cannot name it, so `new RingBuffer(options)` always makes a new ring.
 */
const ATTACH = Symbol('attach');
type AttachOptions = RingBufferOptions & { [ATTACH]?: SharedArrayBuffer };

/**
 * A fixed-size byte ring for PCM: the heart of jitter buffers, pre-roll and batching.
 *
 * - Frame-aligned: it never accepts, hands out, skips or drops part of a sample frame. A write of
 *   `length` bytes accepts `length` rounded down to whole frames; the caller keeps the remainder.
 * - No allocation per operation in steady state: data is copied into the ring and out into the
 *   caller's buffer. (Writing part of a chunk larger than twice the part, or larger than 32 KiB, makes
 *   one small view of it; reads go through views made once per start position and reused, or a staging
 *   area in a large ring: see Memory.)
 * - Small writes (4 to 64 bytes) from a buffer the producer reuses are copied in 8- and 4-byte words:
 *   the buffer gets one DataView, made on its second such write in a row, and the ring keeps a
 *   reference to it until small writes come from another buffer.
 * - Counters (`bytesWritten`, `bytesRead`, `bytesDropped`) are plain numbers, exact up to 2^53 bytes
 *   (years of audio), and always satisfy `bytesWritten - bytesRead - bytesDropped === availableRead`.
 * - With `shared: true` it is a single-producer / single-consumer queue across threads, without
 *   locks: `write` belongs to the producer; `read`, `peek`, `skip` and `clear` to the consumer. With
 *   `'reject'` neither side ever waits or retries. With `'drop-oldest'` the producer may also discard
 *   unread frames; a consumer read that races with such a drop retries, so it never returns
 *   overwritten bytes. Copies into a SharedArrayBuffer are slower than into plain memory (V8 copies
 *   them with relaxed atomics), so use a shared ring only across threads.
 *
 * Memory: `capacity` plus `min(capacity, 32 KiB)` of slack, plus, for reads, either a bounded cache of
 * views or a staging area. A ring of up to 64 KiB (or a shared one) keeps a view per start position read:
 * one slot per 64 bytes, at most 1024 slots (16 KiB, made with the ring), each holding the view of the
 * first start read in it (about 100 bytes, made on that read); a start whose slot is taken is copied by
 * 8-byte words (about 0.3 µs per 960 bytes instead of 0.02 µs). A larger local ring makes no views of
 * itself: reads are moved into a 16 KiB staging area after the slack and copied out through a view of it
 * that repeats with the read's length (two memcpys, ~0.1 µs per 960 bytes). Either way memory stays
 * bounded however long and however many rings run, and steady reads allocate nothing.
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
  /** `#wrap - 1` for a local ring whose #usable is a power of two (`#wrap` then is one too), else -1. */
  readonly #indexMask: number;
  /** Shared mode: the header (indices, settings, counters); null for a local ring. */
  readonly #ctl: Int32Array | null;
  readonly #sab: SharedArrayBuffer | null;
  readonly #views: ViewCache;
  /** A DataView of #data, for the word copies of small writes (see `write`). */
  readonly #dataView: DataView;
  /**
   * The caller's buffer that small writes copy from by words, and a DataView of it. A buffer is
   * adopted on its second small write in a row (a producer that reuses one buffer), so that a stream
   * of fresh buffers never makes a view. The ring keeps a reference to the last such buffer until
   * another one comes.
   */
  #wordSource: Uint8Array | null = null;
  #wordSourceView: DataView | null = null;
  /** The buffer of the last small write: the candidate for #wordSource. */
  #lastSource: Uint8Array | null = null;

  // Local mode state. The counters are derived from the indices and how many times each went round
  // (#wLaps, #rLaps), so the hot paths keep no counter of their own.
  #w = 0;
  #r = 0;
  #wLaps = 0;
  #rLaps = 0;
  /** Bytes discarded unread (drops, skip, clear), including those dropped on arrival. */
  #dropped = 0;
  /** Shared rings, producer side: the W this object last published (-1: none yet), and the R it last saw. */
  #publishedW = -1;
  #seenR = 0;
  /** Bytes accepted by drop-oldest writes larger than the ring and dropped at once: written, never indexed. */
  #droppedOnArrival = 0;

  constructor(options: RingBufferOptions) {
    const { capacity, frameBytes, overflow, shared } = checkRingBufferOptions(options);
    const sab = (options as AttachOptions)[ATTACH] ?? null;

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
      this.#indexMask = -1;
      const buffer = sab ?? new SharedArrayBuffer(HEADER_BYTES + capacity + slack);
      this.#sab = buffer;
      this.#ctl = new Int32Array(buffer, 0, HEADER_BYTES / 4);
      this.#data = new Uint8Array(buffer, HEADER_BYTES, capacity + slack);
      if (sab === null) initSharedHeader(this.#ctl, capacity, frameBytes, this.#dropOldest);
    } else {
      this.#wrap = 2 * usable;
      this.#indexMask = this.#mask >= 0 ? this.#wrap - 1 : -1;
      this.#sab = null;
      this.#ctl = null;
      this.#data = new Uint8Array(capacity + slack + stageFor(usable, false));
    }
    this.#dataView = new DataView(this.#data.buffer, this.#data.byteOffset, this.#data.length);
    const stage = this.#ctl === null ? stageFor(usable, false) : 0;
    this.#views = new ViewCache(this.#data, usable, capacity + slack, stage, this.#dataView);
  }

  /**
   * Opens, in another thread, a ring created with `shared: true`, from its {@link RingBuffer.sharedBuffer}.
   * Capacity, frame size and overflow policy come from the buffer.
   * @throws InputError (`TLA_ERR_RING_OPTIONS`) when the buffer is not a shared RingBuffer's.
   */
  static fromShared(buffer: SharedArrayBuffer): RingBuffer {
    const settings = sharedRingSettings(buffer);
    if (settings === null) {
      throw ringOptionError('RingBuffer.fromShared needs the SharedArrayBuffer of a RingBuffer created with { shared: true } (ring.sharedBuffer).');
    }
    const options: AttachOptions = {
      capacity: settings.capacity,
      frameBytes: settings.frameBytes,
      overflow: settings.dropOldest ? 'drop-oldest' : 'reject',
      shared: true,
      [ATTACH]: buffer,
    };
    return new RingBuffer(options);
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
    if (this.#ctl !== null) return readCounter(this.#ctl!, WRITTEN, PRODUCER_VERSION);
    return this.#wLaps * this.#wrap + this.#w + this.#droppedOnArrival;
  }

  /** Total bytes handed out by `read` since creation. */
  get bytesRead(): number {
    // Every byte the read index passed was read or dropped (apart from the drops that never entered).
    if (this.#ctl !== null) return readCounter(this.#ctl!, READ, CONSUMER_VERSION);
    return this.#rLaps * this.#wrap + this.#r - (this.#dropped - this.#droppedOnArrival);
  }

  /** Total bytes discarded unread: dropped by `'drop-oldest'` overflow, `skip` and `clear`. */
  get bytesDropped(): number {
    if (this.#ctl === null) return this.#dropped;
    return readCounter(this.#ctl!, DROPPED_BY_WRITER, PRODUCER_VERSION) + readCounter(this.#ctl!, DROPPED_BY_READER, CONSUMER_VERSION);
  }

  /**
   * Copies whole frames from `src[offset, offset + length)` into the ring.
   * With `'reject'`, writes what fits; with `'drop-oldest'`, writes all of it, discarding the oldest
   * frames (and, if `length` exceeds the usable capacity, the start of `src` itself) to make room.
   * @returns bytes accepted: `length` rounded down to whole frames, or less when `'reject'` ran out of room.
   * @throws InputError (`TLA_ERR_RING_RANGE`) when offset/length fall outside `src`.
   */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    // The local ring's common case, kept small (V8 inlines by bytecode size) and free of calls, so
    // that it compiles into its caller: a local ring whose frame size is a power of two (so #mask and
    // #indexMask are valid), a chunk that fits without wrapping. Everything else goes to #writeSlow.
    const n = length - (length & this.#frameMask);
    const w = this.#w;
    const usable = this.#usable;
    const pos = w & this.#mask;
    const next = w + n;
    // One call to #writeSlow, whose bytecode is too large to inline: V8 inlines a callee into the
    // caller's optimised code when its bytecode is at most 460 bytes, and 920 in all (Node 20), and a
    // caller's loop of `write` and `read` needs both inlined: a call left over costs about 5 % of the
    // throughput of 1 KiB copies. Hence the terse tests:
    // - the range check: `x >>> 0 === x` holds for whole numbers from 0 to 2^32 - 1; anything else
    //   goes to #writeSlow, which throws if the range really is invalid (see checkRange);
    // - n 0: nothing to write, or a frame size that is not a power of two (#frameMask -1), or a shared ring;
    // - `n !== src.length` (above 16 bytes): part of a chunk, which `set` could copy only through a view.
    if (
      !(src instanceof Uint8Array && offset >>> 0 === offset && length >>> 0 === length && offset + length <= src.length) ||
      n === 0 ||
      n > usable - ((w - this.#r) & this.#indexMask) ||
      pos + n > usable ||
      next >= this.#wrap ||
      (n > 16 && n !== src.length)
    ) {
      return this.#writeSlow(src, offset, length);
    }
    if (n <= 64) this.#copySmall(src, offset, n, pos);
    else this.#data.set(src, pos); // the whole chunk
    this.#w = next;
    return n;
  }

  /**
   * Copies `src[offset, offset + n)`, n <= 64 (the whole of `src` if n > 16), to `#data[pos…]`, which
   * does not wrap. A method of its own, so that `write`'s bytecode stays small enough for V8 to inline
   * it (see `write`); this one is inlined into the caller too when it is hot.
   */
  #copySmall(src: Uint8Array, offset: number, n: number, pos: number): void {
    if (n >= 4 && src === this.#wordSource) {
      // Eight or four bytes a step through DataViews (any alignment; the last word overlaps the one
      // before when n is not a multiple of the step): faster than both a byte loop and a call to
      // TypedArray#set. The value is only loaded and stored, never computed on, so every bit pattern
      // survives, NaNs included (test/core/ring-buffer.test.ts checks it, cold and optimised).
      const from = this.#wordSourceView!;
      const to = this.#dataView;
      if (n < 8) {
        to.setInt32(pos, from.getInt32(offset, true), true);
        to.setInt32(pos + n - 4, from.getInt32(offset + n - 4, true), true);
      } else {
        for (let k = n - 8; ; k = k > 8 ? k - 8 : 0) {
          to.setFloat64(pos + k, from.getFloat64(offset + k, true), true);
          if (k === 0) break;
        }
      }
      return;
    }
    if (n >= 4) this.#noteSource(src);
    const data = this.#data;
    if (n <= 16) {
      // A loop beats a call to TypedArray#set for a few bytes.
      for (let i = 0; i < n; i++) data[pos + i] = src[offset + i]!;
    } else {
      data.set(src, pos);
    }
  }

  /** A small write from `src`, which is not the word source: adopt `src` if it came twice in a row. */
  #noteSource(src: Uint8Array): void {
    if (src !== this.#lastSource) {
      this.#lastSource = src;
      return;
    }
    // Not on a buffer that can change size: a `src` that tracks its buffer's length could then reach
    // beyond the view, or the view fall out of bounds (and throw) while `src` stays valid.
    const buffer = src.buffer as ArrayBufferLike & { resizable?: boolean; growable?: boolean };
    if (buffer.resizable === true || buffer.growable === true) return;
    this.#wordSource = src;
    this.#wordSourceView = new DataView(buffer, src.byteOffset, src.length);
  }

  /**
   * Everything on the write side but a local ring's common case: shared rings, overflow, frames that
   * are not a power of two. One function on purpose: too large for V8 to inline into a caller, where it
   * would use up the inlining budget that the hot path needs.
   */
  #writeSlow(src: Uint8Array, offset: number, length: number): number {
    checkRange(src, offset, length, 'write');
    let n = length - (length % this.#frameBytes);
    if (n === 0) return 0;
    const usable = this.#usable;
    const ctl = this.#ctl;
    // Shared rings: W is read plainly (only the producer writes it, and a thread sees its own writes;
    // a hand-over to another thread's producer is synchronised by the message that hands it over).
    // R, the consumer's, is an Atomics.load, but only when the room that the last value seen allows
    // is too small: R only moves forward, so an old value understates the room, never overstates it.
    // (Not after another object wrote, nor with drop-oldest, where this side moves R too.)
    const w = ctl === null ? this.#w : ctl[W]!;
    let r = ctl === null ? this.#r : w === this.#publishedW && !this.#dropOldest ? this.#seenR : Atomics.load(ctl, R);
    let free = usable - this.#stored(r, w);
    if (ctl !== null && n > free) {
      r = this.#seenR = Atomics.load(ctl, R);
      free = usable - this.#stored(r, w);
    }
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
        else addToCounter(this.#ctl!, DROPPED_BY_WRITER, droppedNow, PRODUCER_VERSION);
      }
    }
    const pos = this.#position(w);
    // Small writes that do not wrap (shared rings come here for every write) get the word copies too.
    if (n <= 64 && pos + n <= usable && (n <= 16 || n === src.length)) this.#copySmall(src, offset, n, pos);
    else copyIn(this.#data, usable, this.#slack, src, offset, n, pos);
    if (ctl === null) {
      this.#moveW(n);
    } else {
      addToCounter(this.#ctl!, WRITTEN, accepted, PRODUCER_VERSION);
      this.#seenR = r;
      Atomics.store(ctl, W, (this.#publishedW = this.#advance(w, n)));
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
    const slot = (pos >>> 6) & views.slotMask; // VIEW_BUCKET_SHIFT, as a literal: a module constant costs a hole check here
    const next = r + n;
    // One call site only, to a function too large to inline (why: see `write`).
    if (n <= 16 || pos + n > usable || next >= this.#wrap || views.starts[slot] !== pos || views.lengths[slot] !== n || this.#frameMask < 0) {
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
      if (dst !== null) copyOut(this.#views, this.#usable, dst, offset, n, this.#position(r));
      if (consume) this.#moveR(n);
      if (op === SKIP_OP) this.#dropped += n;
      return n;
    }
    for (;;) {
      // R is the consumer's own index (read plainly, as W by the producer), unless drop-oldest lets
      // the producer move it too.
      const r = this.#dropOldest ? Atomics.load(ctl, R) : ctl[R]!;
      const stored = this.#stored(r, Atomics.load(ctl, W));
      // A stale r (the producer dropped past it since we loaded it) can make `stored` look larger than the ring.
      if (stored > this.#usable) continue;
      n = want < stored ? want : stored;
      if (n === 0) return 0;
      if (dst !== null) copyOut(this.#views, this.#usable, dst, offset, n, this.#position(r));
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
    if (op === READ_OP) addToCounter(this.#ctl!, READ, n, CONSUMER_VERSION);
    else if (op === SKIP_OP) addToCounter(this.#ctl!, DROPPED_BY_READER, n, CONSUMER_VERSION);
    return n;
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

