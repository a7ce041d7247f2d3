/**
 * Copies between a caller's buffer and a ring's storage, wrapping at its end, with no allocation per call:
 * the slack after the ring, and for reads a cache of views of the ring or, in a large local ring, a staging
 * area (why: see {@link ViewCache}).
 */
/** Copies up to this many bytes go through a plain loop: cheaper than calling TypedArray#set. */
export const SMALL_COPY = 16;
/** Bytes of slack after the ring, where a wrapping write lands whole before its tail moves to the front. */
const MAX_SLACK = 32_768;
/** The view cache keys a start position by its 2^6 = 64-byte bucket (RingBuffer#read inlines the 6). */
const VIEW_BUCKET_SHIFT = 6;
/**
 * Most slots a view cache has: 1024 (at most ~110 KiB with every slot's view made). A view per start
 * position would grow with the ring and with every phase a reader drifts through (a 3 s pacer ring
 * read in 20 ms frames visits thousands of starts over a long session, ~100 B each): many sessions in
 * one process would hold hundreds of MiB of views. Starts past what the slots hold are copied by words.
 */
const MAX_VIEW_SLOTS = 1024;
/** Rings up to this size keep a view per start: 1024 slots of 64 bytes cover every start. */
const VIEWS_COVER_BYTES = MAX_VIEW_SLOTS << VIEW_BUCKET_SHIFT;
/** Bytes of the staging area after a large local ring's slack (a longer read goes through it in pieces). */
const STAGE_BYTES = 16_384;

/**
 * Bytes of staging area a ring gets after its slack: none for a shared ring (its buffer is laid out for both
 * threads) or one whose every start the view cache covers; else {@link STAGE_BYTES}.
 */
export function stageFor(usable: number, shared: boolean): number {
  return shared || usable <= VIEWS_COVER_BYTES ? 0 : STAGE_BYTES;
}

/** Slack bytes after a ring of `capacity` bytes. */
export function slackFor(capacity: number): number {
  return Math.min(capacity, MAX_SLACK);
}

/**
 * Views of one buffer, reused instead of allocated: `TypedArray#set` copies a whole source array, so
 * copying a range out of the ring needs a view of exactly that range, and making one per call would
 * allocate. A consumer reading fixed-size frames visits a cycle of start positions, so after a lap the
 * views it needs are here. Direct-mapped and bounded: a start whose slot another start holds is copied
 * by words instead (slower for large copies, but nothing is allocated and the memory stays bounded).
 *
 * A local ring larger than the slots cover (a pacer's seconds of audio) makes no views of itself: its
 * reads are moved into a staging area after the slack (`copyWithin`, a memmove) and copied out through a
 * view of that area, which repeats with the read's length. Two copies instead of one, but no view per
 * start: a fresh ring read in frames would otherwise make a view on every read of its first lap (seconds
 * long), each surviving into the old generation, which is what the young-generation collections of a
 * process with hundreds of sessions spent their time copying.
 */
export class ViewCache {
  readonly source: Uint8Array;
  readonly #sourceView: DataView;
  // Public: RingBuffer#read checks for a hit inline (a call would cost more than the check).
  readonly views: (Uint8Array | undefined)[];
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  /** Slot of a start: `(start >>> 6) & slotMask`. */
  readonly slotMask: number;
  /** The last destination buffer copied into by words, and a DataView of it. */
  #target: ArrayBufferLike | null = null;
  #targetView: DataView | null = null;

  /** Start of the staging area in `source`, and its size (0: none, views of the ring are cached). */
  readonly stageStart: number;
  readonly stageBytes: number;
  /** Views of the staging area from its start, by length (8 entries keyed by a hash of the length). */
  readonly #stageViews: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(8).fill(undefined);
  /** Views of the ring's head for wrapped reads, by length (see {@link ViewCache.head}). */
  readonly #heads: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(32).fill(undefined);

  /**
   * Views of `source[0, usable)`, keyed by their start; or, with `stageBytes`, a staging area at `stageStart`.
   * `sourceView` is the ring's DataView of `source` (one is made when not given).
   */
  constructor(source: Uint8Array, usable: number, stageStart = 0, stageBytes = 0, sourceView = new DataView(source.buffer, source.byteOffset, source.length)) {
    let slots = 1;
    while (stageBytes === 0 && slots < MAX_VIEW_SLOTS && slots < usable >>> VIEW_BUCKET_SHIFT) slots *= 2;
    this.stageStart = stageStart;
    this.stageBytes = stageBytes;
    this.source = source;
    this.#sourceView = sourceView;
    this.views = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.starts = new Int32Array(slots).fill(-1);
    this.lengths = new Int32Array(slots);
    this.slotMask = slots - 1;
  }

  /** A view of `source[start, start + length)` if its slot is free or holds it, else null (copy by words). */
  get(start: number, length: number): Uint8Array | null {
    const slot = (start >>> VIEW_BUCKET_SHIFT) & this.slotMask;
    if (this.starts[slot] === start && this.lengths[slot] === length) return this.views[slot]!;
    if (this.starts[slot] !== -1) return null;
    const view = this.source.subarray(start, start + length);
    this.views[slot] = view;
    this.starts[slot] = start;
    this.lengths[slot] = length;
    return view;
  }

  /**
   * A view of `source[0, length)`, the head of a read that wrapped (its length cycles through the phases a
   * reader visits), if its entry is free or holds it, else null. Kept apart from the starts' slots, where a
   * read that starts at the ring's start owns slot 0.
   */
  head(length: number): Uint8Array | null {
    const key = Math.imul(length, 0x9e3779b1) >>> 27; // 32 entries, keyed by a multiplicative hash of the length
    const view = this.#heads[key];
    if (view !== undefined) return view.length === length ? view : null;
    return (this.#heads[key] = this.source.subarray(0, length));
  }

  /** Copies `source[start, start + n)` into `dst[offset…]` through the staging area, in pieces of at most its size. */
  copyStaged(start: number, n: number, dst: Uint8Array, offset: number): void {
    const source = this.source;
    const stage = this.stageStart;
    while (n > 0) {
      const m = n < this.stageBytes ? n : this.stageBytes;
      source.copyWithin(stage, start, start + m);
      const key = Math.imul(m, 0x9e3779b1) >>> 29;
      let view = this.#stageViews[key];
      if (view === undefined || view.length !== m) view = this.#stageViews[key] = source.subarray(stage, stage + m);
      dst.set(view, offset);
      start += m;
      offset += m;
      n -= m;
    }
  }

  /**
   * Copies `source[start, start + n)` into `dst[offset…]` by 8-byte words through DataViews (no view of the
   * range, so no allocation), as the ring's small writes do: values are only loaded and stored, so every bit
   * pattern survives, NaNs included.
   */
  copyWords(start: number, n: number, dst: Uint8Array, offset: number): void {
    if (this.#target !== dst.buffer) {
      this.#target = dst.buffer;
      this.#targetView = new DataView(dst.buffer);
    }
    const to = this.#targetView!;
    const from = this.#sourceView;
    let d = dst.byteOffset + offset;
    let s = start;
    const wordsEnd = s + (n & ~7);
    for (; s < wordsEnd; s += 8, d += 8) to.setFloat64(d, from.getFloat64(s, true), true);
    const source = this.source;
    for (let i = d - dst.byteOffset, end = offset + n; i < end; i++, s++) dst[i] = source[s]!;
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
    copyRange(views, pos, n, dst, offset);
  } else {
    copyRange(views, pos, first, dst, offset);
    const rest = n - first;
    const head = views.stageBytes === 0 ? views.head(rest) : null;
    if (head !== null) dst.set(head, offset + first);
    else copyRange(views, 0, rest, dst, offset + first);
  }
}

/** Copies `views.source[start, start + n)` into `dst[offset…]`: through a cached view, or by words. */
function copyRange(views: ViewCache, start: number, n: number, dst: Uint8Array, offset: number): void {
  if (views.stageBytes !== 0) return views.copyStaged(start, n, dst, offset);
  const view = views.get(start, n);
  if (view !== null) dst.set(view, offset);
  else views.copyWords(start, n, dst, offset);
}
