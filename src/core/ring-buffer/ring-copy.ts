/**
 * Copies between a caller's buffer and a ring's storage, wrapping at its end, with no allocation per call:
 * the slack after the ring and a cache of read views (why: see {@link ViewCache}).
 */
/** Copies up to this many bytes go through a plain loop: cheaper than calling TypedArray#set. */
export const SMALL_COPY = 16;
/** Bytes of slack after the ring, where a wrapping write lands whole before its tail moves to the front. */
const MAX_SLACK = 32_768;
/** The view cache keeps one view per 2^6 = 64-byte bucket of keys (RingBuffer#read inlines the 6). */
const VIEW_BUCKET_SHIFT = 6;
/**
 * Most slots a view cache has: 2^15 (512 KiB of slot arrays, every position of a ring up to 1 MiB).
 * Slot arrays sized for the whole of a large ring would cost a quarter of its size (16 MiB for a
 * 64 MiB ring), made at its first read; positions past the last slot get a fresh view per read.
 */
const MAX_VIEW_SLOTS = 32_768;

/** Slack bytes after a ring of `capacity` bytes. */
export function slackFor(capacity: number): number {
  return Math.min(capacity, MAX_SLACK);
}

/**
 * Views of one buffer, reused instead of allocated: `TypedArray#set` copies a whole source array, so
 * copying a range out of the ring needs a view of exactly that range, and making one per call would
 * allocate. A consumer reading fixed-size frames visits a fixed cycle of start positions, so after one
 * lap every view it needs is here. One view per 64-byte bucket of keys bounds the memory.
 */
export class ViewCache {
  readonly source: Uint8Array;
  readonly #usable: number;
  // Public: RingBuffer#read checks for a hit inline (a call would cost more than the check).
  readonly views: (Uint8Array | undefined)[];
  readonly starts: Int32Array;
  readonly lengths: Int32Array;

  /** Views of `source[0, usable)`: ranges keyed by their start, and heads (ranges from 0) by their length. */
  constructor(source: Uint8Array, usable: number) {
    const slots = Math.min(((2 * usable) >>> VIEW_BUCKET_SHIFT) + 1, MAX_VIEW_SLOTS);
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
    if (slot >= this.starts.length) return this.source.subarray(start, start + length);
    if (this.starts[slot] === start && this.lengths[slot] === length) return this.views[slot]!;
    const view = this.source.subarray(start, start + length);
    this.views[slot] = view;
    this.starts[slot] = start;
    this.lengths[slot] = length;
    return view;
  }
}

/** Copies `src[offset, offset + n)` into the ring `data[0, usable)` at `pos`, wrapping; `slack` bytes follow the ring. */
export function copyIn(data: Uint8Array, usable: number, slack: number, src: Uint8Array, offset: number, n: number, pos: number): void {
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
export function copyOut(views: ViewCache, usable: number, dst: Uint8Array, offset: number, n: number, pos: number): void {
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
