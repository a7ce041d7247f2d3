import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { InputError, RingBuffer, TokenLabAudioError } from '../../src/index.js';
import type { OverflowPolicy, RingBufferOptions } from '../../src/index.js';
import { seededRandom as prng } from '../../scripts/seeded-random.js';
import { copyOut, ViewCache } from '../../src/core/ring-buffer/ring-copy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ringModulePath = path.join(here, '../../src/core/ring-buffer/ring-buffer.ts');

/** 0, 1, 2, … (mod 256) starting at `start`. */
function seq(length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) & 255;
  return out;
}

function readAll(ring: RingBuffer): number[] {
  const out = new Uint8Array(ring.availableRead);
  const n = ring.read(out);
  return Array.from(out.subarray(0, n));
}


function expectCountersConsistent(ring: RingBuffer): void {
  expect(ring.bytesWritten - ring.bytesRead - ring.bytesDropped).toBe(ring.availableRead);
  expect(ring.availableRead + ring.availableWrite).toBe(ring.usableCapacity);
}

describe('RingBuffer options', () => {
  it('uses the documented defaults', () => {
    const ring = new RingBuffer({ capacity: 16 });
    expect(ring.capacity).toBe(16);
    expect(ring.frameBytes).toBe(1);
    expect(ring.overflow).toBe('reject');
    expect(ring.usableCapacity).toBe(16);
    expect(ring.availableRead).toBe(0);
    expect(ring.availableWrite).toBe(16);
    expect(ring.sharedBuffer).toBeNull();
    expect([ring.bytesWritten, ring.bytesRead, ring.bytesDropped]).toEqual([0, 0, 0]);
  });

  it.each([
    [{ capacity: 1000 }, /not a power of two; use 1024/],
    [{ capacity: 3 }, /use 4 /],
    [{ capacity: 65537 }, /use 131072/],
    [{ capacity: 0 }, /capacity 0/],
    [{ capacity: -8 }, /capacity -8/],
    [{ capacity: 16.5 }, /capacity 16.5/],
    [{ capacity: 2 ** 31 }, /2147483648/],
    [{ capacity: '64' }, /capacity 64 is not usable/],
    [{ capacity: 64, frameBytes: 0 }, /frameBytes 0/],
    [{ capacity: 64, frameBytes: 2.5 }, /frameBytes 2.5/],
    [{ capacity: 64, frameBytes: 100 }, /capacity of at least 128/],
    [{ capacity: 64, overflow: 'drop-newest' }, /overflow "drop-newest" is unknown/],
    [{ capacity: 64, shared: 'yes' }, /shared must be true or false/],
  ])('rejects %j with a typed error', (options, message) => {
    const make = () => new RingBuffer(options as unknown as RingBufferOptions);
    expect(make).toThrow(InputError);
    expect(make).toThrow(message);
    try {
      make();
    } catch (err) {
      expect(err).toBeInstanceOf(TokenLabAudioError);
      expect((err as InputError).code).toBe('TLA_ERR_RING_OPTIONS');
    }
  });

  it('rejects a missing options object', () => {
    expect(() => new RingBuffer(undefined as unknown as RingBufferOptions)).toThrow(InputError);
  });

  it('accepts the largest and the smallest capacity', () => {
    expect(new RingBuffer({ capacity: 1 }).usableCapacity).toBe(1);
    expect(new RingBuffer({ capacity: 2 ** 20, frameBytes: 6 }).usableCapacity).toBe(2 ** 20 - (2 ** 20 % 6));
  });
});

describe('RingBuffer argument checks', () => {
  const ring = new RingBuffer({ capacity: 16 });
  const buf = new Uint8Array(8);
  it.each([
    ['write', () => ring.write(buf, 9)],
    ['write', () => ring.write(buf, 4, 5)],
    ['write', () => ring.write(buf, -1)],
    ['write', () => ring.write(buf, 1.5, 2)],
    ['write', () => ring.write(buf, 0, Number.NaN)],
    ['write', () => ring.write([1, 2, 3] as unknown as Uint8Array)],
    ['read', () => ring.read(buf, 0, 9)],
    ['peek', () => ring.peek(buf, 8, 1)],
    ['skip', () => ring.skip(-1)],
    ['skip', () => ring.skip(0.5)],
  ])('%s with a bad range throws TLA_ERR_RING_RANGE', (op, call) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(new RegExp(`RingBuffer.${op}`));
    try {
      call();
    } catch (err) {
      expect((err as InputError).code).toBe('TLA_ERR_RING_RANGE');
    }
    expect(ring.bytesWritten).toBe(0);
  });

  it('treats zero-length operations as no-ops', () => {
    expect(ring.write(buf, 8)).toBe(0);
    expect(ring.write(new Uint8Array(0))).toBe(0);
    expect(ring.read(buf, 0, 0)).toBe(0);
    expect(ring.read(buf)).toBe(0);
    expect(ring.skip(0)).toBe(0);
    expect(ring.clear()).toBe(0);
  });
});

describe.each([false, true])('RingBuffer (shared: %s)', (shared) => {
  it('writes and reads back in order, with offsets on both sides', () => {
    const ring = new RingBuffer({ capacity: 16, shared });
    const src = seq(10, 100);
    expect(ring.write(src, 2, 5)).toBe(5);
    expect(ring.availableRead).toBe(5);
    const dst = new Uint8Array(8).fill(0xee);
    expect(ring.read(dst, 3)).toBe(5);
    expect(Array.from(dst)).toEqual([0xee, 0xee, 0xee, 102, 103, 104, 105, 106]);
    expect(ring.availableRead).toBe(0);
  });

  it('wraps at every boundary position for every length (byte frames)', () => {
    const capacity = 16;
    for (let start = 0; start <= capacity; start++) {
      for (let length = 0; length <= capacity; length++) {
        const ring = new RingBuffer({ capacity, shared });
        // Move both indices to `start` so the next write begins there.
        ring.write(new Uint8Array(start));
        ring.skip(start);
        expect(ring.write(seq(length, start))).toBe(length);
        expect(ring.availableRead).toBe(length);
        expect(ring.availableWrite).toBe(capacity - length);
        expect(readAll(ring)).toEqual(Array.from(seq(length, start)));
        expectCountersConsistent(ring);
      }
    }
  });

  it('fills exactly to capacity at the wrap point, then rejects one more byte', () => {
    const ring = new RingBuffer({ capacity: 8, shared });
    ring.write(seq(5));
    expect(ring.read(new Uint8Array(5))).toBe(5); // indices at 5
    expect(ring.write(seq(8, 5))).toBe(8); // 3 before the end, 5 after the wrap
    expect(ring.availableWrite).toBe(0);
    expect(ring.write(seq(1))).toBe(0);
    expect(readAll(ring)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    // indices now sit exactly on the physical wrap point (5 + 8 = 13 = 8 + 5): write again across it.
    expect(ring.write(seq(8, 13))).toBe(8);
    expect(readAll(ring)).toEqual(Array.from(seq(8, 13)));
  });

  it('reads whole frames only and leaves the remainder', () => {
    const ring = new RingBuffer({ capacity: 32, frameBytes: 4, shared });
    expect(ring.write(seq(11))).toBe(8); // odd-sized write: 2 whole frames accepted
    const dst = new Uint8Array(7);
    expect(ring.read(dst)).toBe(4); // a 7-byte read returns one frame
    expect(Array.from(dst.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(ring.read(dst, 0, 3)).toBe(0); // less than a frame asked: nothing
    expect(ring.availableRead).toBe(4);
    expect(ring.skip(7)).toBe(4);
    expect(ring.bytesDropped).toBe(4);
    expectCountersConsistent(ring);
  });

  describe('with a capacity that is not a multiple of the frame (6-byte frames in 64 bytes)', () => {
    it('uses 60 bytes and keeps frames whole across many wraps', () => {
      const ring = new RingBuffer({ capacity: 64, frameBytes: 6, shared });
      expect(ring.usableCapacity).toBe(60);
      expect(ring.availableWrite).toBe(60);
      expect(ring.write(seq(64))).toBe(60);
      expect(ring.availableWrite).toBe(0);
      expect(readAll(ring)).toEqual(Array.from(seq(60)));
      let next = 60;
      let expected = 60;
      for (let i = 0; i < 200; i++) {
        const length = 6 * (1 + (i % 9)) + (i % 5); // 1..9 frames plus 0..4 stray bytes
        const accepted = ring.write(seq(length, next));
        expect(accepted % 6).toBe(0);
        next += accepted;
        const out = readAll(ring);
        expect(out.length % 6).toBe(0);
        expect(out).toEqual(Array.from(seq(out.length, expected)));
        expected += out.length;
        expectCountersConsistent(ring);
      }
    });

    it('reports 0 free bytes once fewer than a frame is left', () => {
      const ring = new RingBuffer({ capacity: 16, frameBytes: 6, shared });
      expect(ring.usableCapacity).toBe(12);
      expect(ring.write(seq(12))).toBe(12);
      expect(ring.availableWrite).toBe(0);
      expect(ring.write(seq(6))).toBe(0);
    });
  });

  describe("overflow 'reject'", () => {
    it('writes what fits, in whole frames, and counts no drops', () => {
      const ring = new RingBuffer({ capacity: 16, frameBytes: 2, shared });
      expect(ring.write(seq(10))).toBe(10);
      expect(ring.write(seq(9, 10))).toBe(6); // 6 free, 9 offered (4.5 frames): 3 frames
      expect(ring.write(seq(2))).toBe(0);
      expect(ring.bytesWritten).toBe(16);
      expect(ring.bytesDropped).toBe(0);
      expect(readAll(ring)).toEqual(Array.from(seq(16)));
    });
  });

  describe("overflow 'drop-oldest'", () => {
    it('drops the oldest whole frames to make room and counts them', () => {
      const ring = new RingBuffer({ capacity: 16, frameBytes: 4, overflow: 'drop-oldest', shared });
      expect(ring.write(seq(12))).toBe(12);
      expect(ring.write(seq(8, 12))).toBe(8); // needs 4 more bytes: drops frame 0..3
      expect(ring.bytesDropped).toBe(4);
      expect(ring.availableRead).toBe(16);
      expect(readAll(ring)).toEqual(Array.from(seq(16, 4)));
      expectCountersConsistent(ring);
    });

    it('keeps only the newest frames of a write larger than the ring', () => {
      const ring = new RingBuffer({ capacity: 16, frameBytes: 6, overflow: 'drop-oldest', shared });
      ring.write(seq(6, 200));
      expect(ring.write(seq(31))).toBe(30); // 5 frames offered, 2 fit: 1 stored + 3 offered frames dropped
      expect(ring.bytesWritten).toBe(36);
      expect(ring.bytesDropped).toBe(24);
      expect(readAll(ring)).toEqual(Array.from(seq(12, 18)));
      expectCountersConsistent(ring);
    });

    it('drops at the wrap point without splitting frames', () => {
      const ring = new RingBuffer({ capacity: 32, frameBytes: 6, overflow: 'drop-oldest', shared });
      expect(ring.usableCapacity).toBe(30);
      let next = 0;
      for (let i = 0; i < 50; i++) {
        const length = 6 * ((i % 4) + 1);
        ring.write(seq(length, next));
        next += length;
      }
      const out = readAll(ring);
      expect(out).toEqual(Array.from(seq(30, next - 30)));
      expectCountersConsistent(ring);
    });
  });

  it('peek copies without consuming, skip and clear discard and count', () => {
    const ring = new RingBuffer({ capacity: 16, frameBytes: 2, shared });
    ring.write(seq(12));
    const dst = new Uint8Array(5);
    expect(ring.peek(dst)).toBe(4);
    expect(Array.from(dst.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(ring.availableRead).toBe(12);
    expect(ring.bytesRead).toBe(0);
    expect(ring.skip(3)).toBe(2);
    expect(ring.peek(dst, 1, 4)).toBe(4);
    expect(Array.from(dst.subarray(1))).toEqual([2, 3, 4, 5]);
    expect(ring.skip(100)).toBe(10);
    expect(ring.skip(2)).toBe(0);
    ring.write(seq(16, 50)); // wraps
    expect(ring.peek(new Uint8Array(16))).toBe(16);
    expect(ring.clear()).toBe(16);
    expect(ring.availableRead).toBe(0);
    expect(ring.availableWrite).toBe(16);
    expect(ring.bytesDropped).toBe(28);
    expect(ring.bytesRead).toBe(0);
    expectCountersConsistent(ring);
  });

  it('counts written and dropped bytes beyond 2^32 exactly', () => {
    // drop-oldest keeps only the newest frames of an oversized write but counts all of it: 4 GiB go by
    // while only a few KiB are copied.
    const ring = new RingBuffer({ capacity: 64, frameBytes: 6, overflow: 'drop-oldest', shared });
    const chunk = new Uint8Array(6 * 2 ** 18);
    const rounds = Math.ceil(2 ** 32 / chunk.length) + 5;
    for (let i = 0; i < rounds; i++) {
      expect(ring.write(chunk, 0, chunk.length - (i % 2) * 6)).toBe(chunk.length - (i % 2) * 6);
      if (i % 3 === 0) expect(ring.skip(12)).toBe(12);
      if (i % 3 === 1) expect(ring.read(new Uint8Array(18))).toBe(18);
    }
    const written = rounds * chunk.length - Math.floor(rounds / 2) * 6;
    expect(written).toBeGreaterThan(2 ** 32);
    expect(ring.bytesWritten).toBe(written);
    expect(ring.bytesRead).toBe(Math.floor((rounds + 1) / 3) * 18);
    expect(ring.bytesDropped).toBe(written - ring.bytesRead - ring.availableRead);
    expect(ring.availableRead).toBe(60);
    expectCountersConsistent(ring);
  });
});

it('counts read bytes beyond 2^32 exactly', () => {
  const ring = new RingBuffer({ capacity: 2 ** 22 });
  const chunk = new Uint8Array(2 ** 22);
  const rounds = 2 ** 32 / chunk.length + 3;
  for (let i = 0; i < rounds; i++) {
    ring.write(chunk);
    expect(ring.read(chunk)).toBe(chunk.length);
  }
  expect(ring.bytesRead).toBe(rounds * chunk.length);
  expect(ring.bytesRead).toBeGreaterThan(2 ** 32);
  expectCountersConsistent(ring);
});

describe('RingBuffer against a reference queue (randomised, seeded)', () => {
  // [capacity, frameBytes, overflow, shared, seed, operations]. Small rings wrap constantly; the 1 KiB
  // ones take chunks large enough for every copy path (loops for <= 16 bytes, whole chunks through the
  // slack, parts of chunks staged or viewed) and reads that reuse cached views.
  const configs: [number, number, OverflowPolicy, boolean, number, number][] = [
    [64, 1, 'reject', false, 1, 100_000],
    [64, 6, 'drop-oldest', false, 2, 100_000],
    [128, 6, 'reject', true, 3, 100_000],
    [32, 4, 'drop-oldest', true, 4, 100_000],
    [1024, 2, 'reject', false, 5, 20_000],
    [1024, 4, 'drop-oldest', false, 6, 20_000],
    [1024, 12, 'drop-oldest', true, 7, 20_000],
  ];
  it.each(configs)('capacity %i, frameBytes %i, %s, shared %s (seed %i): %i operations', (capacity, frameBytes, overflow, shared, seed, operations) => {
    const random = prng(seed);
    const int = (n: number) => Math.floor(random() * n);
    const ring = new RingBuffer({ capacity, frameBytes, overflow, shared });
    const usable = ring.usableCapacity;
    const fixedRead = Math.max(frameBytes, Math.floor(usable / 7) - (Math.floor(usable / 7) % frameBytes));
    // Reference: a plain array used as a queue (head index, compacted now and then).
    let queue: number[] = [];
    let head = 0;
    let written = 0;
    let read = 0;
    let dropped = 0;
    let nextByte = 0;
    const scratch = new Uint8Array(capacity * 2 + 8);
    for (let op = 0; op < operations; op++) {
      const size = queue.length - head;
      const kind = int(10);
      // expect() per operation would dominate the run time: compare plainly, report through expect on a mismatch.
      const check = (actual: number, expected: number, what: string) => {
        if (actual !== expected) expect(actual, `op ${op} (seed ${seed}): ${what}`).toBe(expected);
      };
      if (kind < 4) {
        const length = int(usable + usable / 2 + 2);
        const offset = int(5);
        const src = new Uint8Array(offset + length + int(3));
        for (let i = 0; i < src.length; i++) src[i] = (nextByte + i) & 255;
        nextByte += 7;
        const whole = length - (length % frameBytes);
        let expected: number;
        if (overflow === 'reject') {
          expected = Math.min(whole, usable - size);
          for (let i = 0; i < expected; i++) queue.push(src[offset + i]!);
        } else {
          expected = whole;
          for (let i = 0; i < whole; i++) queue.push(src[offset + i]!);
          const excess = queue.length - head - usable;
          if (excess > 0) {
            head += excess;
            dropped += excess;
          }
        }
        written += expected;
        check(ring.write(src, offset, length), expected, `write(${offset}, ${length})`);
      } else if (kind < 7 || kind === 8) {
        // Half the reads take a fixed 20 ms-like frame, as a steady consumer does (cached views get reused).
        const length = int(2) === 0 ? fixedRead : int(usable + 3);
        const offset = int(4);
        const expected = Math.min(length - (length % frameBytes), size);
        const n = kind === 8 ? ring.peek(scratch, offset, length) : ring.read(scratch, offset, length);
        check(n, expected, kind === 8 ? 'peek' : 'read');
        for (let i = 0; i < n; i++) check(scratch[offset + i]!, queue[head + i]!, `byte ${i}`);
        if (kind !== 8) {
          head += n;
          read += n;
        }
      } else if (kind === 7) {
        const length = int(usable + 3);
        const expected = Math.min(length - (length % frameBytes), size);
        check(ring.skip(length), expected, 'skip');
        head += expected;
        dropped += expected;
      } else if (int(10) === 0) {
        check(ring.clear(), size, 'clear');
        head += size;
        dropped += size;
      }
      if (head > 4096) {
        queue = queue.slice(head);
        head = 0;
      }
      const stored = queue.length - head;
      check(ring.availableRead, stored, 'availableRead');
      check(ring.availableWrite, usable - stored, 'availableWrite');
      check(ring.bytesWritten, written, 'bytesWritten');
      check(ring.bytesRead, read, 'bytesRead');
      check(ring.bytesDropped, dropped, 'bytesDropped');
      check(stored % frameBytes, 0, 'whole frames');
    }
    expect(written).toBeGreaterThan(operations);
    expectCountersConsistent(ring);
  });
});

describe('RingBuffer small writes from a reused buffer (word copies)', () => {
  // A producer that refills one buffer and writes it again gets its buffer adopted for word copies
  // (DataView loads and stores of 4 or 8 bytes). Enough operations that V8 optimises the write path,
  // so that both the interpreted and the optimised copies are checked.
  it.each([
    [256, 1, false, 11],
    [512, 2, false, 12],
    [128, 4, false, 13],
    [256, 4, true, 14],
    [256, 6, true, 15],
    [256, 6, false, 16],
  ])('capacity %i, frameBytes %i, shared %s (seed %i): every byte arrives, at every offset and alignment', (capacity, frameBytes, shared, seed) => {
    const random = prng(seed);
    const int = (n: number) => Math.floor(random() * n);
    const ring = new RingBuffer({ capacity, frameBytes, shared });
    const backing = new Uint8Array(400);
    // Reused sources: aligned, at odd byte offsets of one buffer, and a Node Buffer.
    const sources = [new Uint8Array(72), backing.subarray(3, 3 + 69), backing.subarray(130, 130 + 64), Buffer.alloc(40)];
    const out = new Uint8Array(capacity);
    const queue: number[] = [];
    let head = 0;
    let next = 0;
    let source = sources[0]!;
    for (let op = 0; op < 60_000; op++) {
      if (int(50) === 0) source = sources[int(sources.length)]!;
      if (int(3) !== 0) {
        // Refill the same buffer with new bytes, then write a random part of it (often all of it).
        for (let i = 0; i < source.length; i++) source[i] = (next + i * 7) & 255;
        next += 3;
        const offset = int(2) === 0 ? 0 : int(9);
        const length = offset === 0 && int(2) === 0 ? source.length : Math.min(source.length - offset, int(70));
        const n = ring.write(source, offset, length);
        if (n % frameBytes !== 0) expect(n % frameBytes, `op ${op}: a write split a frame`).toBe(0);
        for (let i = 0; i < n; i++) queue.push(source[offset + i]!);
      } else {
        const n = ring.read(out, 0, int(capacity));
        for (let i = 0; i < n; i++) {
          if (out[i] !== queue[head + i]) expect(out[i], `op ${op}: byte ${i} of a ${n}-byte read`).toBe(queue[head + i]);
        }
        head += n;
      }
      // expect() only on a mismatch: a matcher per operation would be most of this test's time.
      if (ring.availableRead !== queue.length - head) expect(ring.availableRead, `op ${op}: availableRead`).toBe(queue.length - head);
    }
    expect(ring.bytesWritten).toBeGreaterThan(500_000);
    expectCountersConsistent(ring);
  });

  it('copies bytes that read as NaN doubles unchanged (signalling and quiet, any payload), cold and optimised', () => {
    // s16 samples 0x7FF0..0x7FFF and -16..-1 (0xFFF0..0xFFFF) make the top bytes of a float64 NaN;
    // quiet audio is full of them. Put one at every 8-byte alignment, with varied payloads.
    const src = new Uint8Array(64);
    const view = new DataView(src.buffer);
    for (let i = 0; i < 32; i++) view.setUint16(i * 2, i % 4 === 3 ? 0xfff0 + ((i * 5) % 16) : (i * 0x1357) & 0xffff, true);
    for (let shift = 0; shift < 8; shift++) src[shift * 8 + 7] = shift % 2 === 0 ? 0x7f : 0xff;
    const ring = new RingBuffer({ capacity: 4096 });
    const out = new Uint8Array(64);
    for (let round = 0; round < 50_000; round++) {
      const length = 8 + (round % 57); // every length from 8 to 64
      // expect() only on a mismatch: 100 000 matcher calls would be most of this test's time.
      const written = ring.write(src, 0, length);
      if (written !== length) expect(written, `round ${round}: written`).toBe(length);
      const read = ring.read(out, 0, length);
      if (read !== length) expect(read, `round ${round}: read`).toBe(length);
      for (let i = 0; i < length; i++) if (out[i] !== src[i]) expect(out[i], `round ${round}, length ${length}, byte ${i}`).toBe(src[i]);
    }
  });
});

describe('RingBuffer shared across threads', () => {
  it('refuses a SharedArrayBuffer that is not a ring', () => {
    expect(() => RingBuffer.fromShared(new SharedArrayBuffer(128))).toThrow(InputError);
    expect(() => RingBuffer.fromShared(new ArrayBuffer(128) as unknown as SharedArrayBuffer)).toThrow(/shared: true/);
  });

  it('fromShared opens the same ring with the same settings', () => {
    const a = new RingBuffer({ capacity: 64, frameBytes: 6, overflow: 'drop-oldest', shared: true });
    const b = RingBuffer.fromShared(a.sharedBuffer!);
    expect([b.capacity, b.frameBytes, b.overflow, b.usableCapacity]).toEqual([64, 6, 'drop-oldest', 60]);
    a.write(seq(12));
    expect(b.availableRead).toBe(12);
    expect(readAll(b)).toEqual(Array.from(seq(12)));
    expect(a.availableRead).toBe(0);
    expect(a.bytesRead).toBe(12);
    expect(b.bytesWritten).toBe(12);
  });

  // The consumer runs in a real worker thread and checks every 6-byte frame it reads: a 32-bit sequence
  // number plus two check bytes. Frames must be intact and in increasing order; with 'reject' none may
  // be missing. With 'drop-oldest' the producer outruns the consumer on purpose, so that it keeps
  // dropping (and overwriting) frames while the consumer copies them: a read that raced with a drop must
  // be retried, never returned torn or stale.
  const consumer = `
    const { parentPort, workerData } = require('node:worker_threads');
    // The worker loads the TypeScript source through tsx's CommonJS hook (no build needed).
    const { RingBuffer } = require('tsx/cjs/api').require(workerData.modulePath, workerData.modulePath);
    const ring = RingBuffer.fromShared(workerData.sab);
    parentPort.postMessage('ready');
    const frame = new Uint8Array(6 * workerData.readFrames);
    const view = new DataView(frame.buffer);
    let expected = 0, frames = 0, gaps = 0, bad = 0;
    for (;;) {
      const n = ring.read(frame);
      if (n === 0) {
        if (Atomics.load(workerData.done, 0) === 1 && ring.availableRead === 0) break;
        // With 'reject' the producer waits for room: nap instead of spinning on a shared 2-core box. With
        // 'drop-oldest' spin, to be copying as often as possible while the producer drops.
        if (workerData.nap) Atomics.wait(workerData.done, 0, 0, 0.05);
        continue;
      }
      for (let o = 0; o < n; o += 6) {
        const s = view.getUint32(o, true);
        if (frame[o + 4] !== ((s & 255) ^ 0x5a) || frame[o + 5] !== (((s >>> 8) & 255) ^ 0xa5)) bad++;
        else if (s < expected) bad++;
        else if (s > expected) gaps++;
        expected = s + 1;
        frames++;
      }
    }
    parentPort.postMessage({ frames, gaps, bad, last: expected - 1, bytesRead: ring.bytesRead });
  `;

  interface ConsumerResult {
    frames: number;
    gaps: number;
    bad: number;
    last: number;
    bytesRead: number;
  }

  it.each([
    ['reject', 1024, 50, 37, 100_000],
    ['drop-oldest', 128, 3, 2, 20_000],
  ] as const)(
    "a worker consumer sees every frame intact and in order ('%s', capacity %i, writes of up to %i frames, reads of %i, %i frames read)",
    async (overflow, capacity, writeFrames, readFrames, framesToRead) => {
      const ring = new RingBuffer({ capacity, frameBytes: 6, overflow, shared: true });
      const done = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(consumer, {
        eval: true,
        workerData: { sab: ring.sharedBuffer, done, modulePath: ringModulePath, readFrames, nap: overflow === 'reject' },
      });
      try {
        await once(worker, 'message'); // 'ready': the ring is open on the other side
        const chunk = new Uint8Array(6 * writeFrames + 5); // odd-sized writes: the 5 stray bytes are never accepted
        const view = new DataView(chunk.buffer);
        let s = 0;
        let spins = 0;
        let oddAccepts = 0;
        // 'reject': write exactly framesToRead frames. 'drop-oldest': keep writing (and dropping) until the
        // consumer has read framesToRead of them, so both threads run at once for a good while.
        let totalFrames = overflow === 'reject' ? framesToRead : Number.MAX_SAFE_INTEGER;
        const deadline = Date.now() + 10_000;
        while (s < totalFrames) {
          if (overflow === 'drop-oldest' && s % 64 === 0 && (ring.bytesRead >= framesToRead * 6 || Date.now() > deadline)) {
            totalFrames = s;
            break;
          }
          const frames = Math.min(1 + (s % writeFrames), totalFrames - s);
          for (let f = 0; f < frames; f++) {
            const v = s + f;
            view.setUint32(f * 6, v, true);
            chunk[f * 6 + 4] = (v & 255) ^ 0x5a;
            chunk[f * 6 + 5] = ((v >>> 8) & 255) ^ 0xa5;
          }
          const accepted = ring.write(chunk, 0, frames * 6 + (s % 3));
          if (accepted % 6 !== 0 || (overflow === 'drop-oldest' && accepted !== frames * 6)) oddAccepts++;
          s += Math.floor(accepted / 6);
          if (accepted === 0 && ++spins % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        Atomics.store(done, 0, 1);
        Atomics.notify(done, 0);
        const [result] = (await once(worker, 'message')) as [ConsumerResult];
        expect(oddAccepts).toBe(0);
        expect(result.bad).toBe(0);
        expect(result.last).toBe(totalFrames - 1);
        expect(result.bytesRead).toBe(result.frames * 6);
        expect(ring.bytesWritten).toBe(totalFrames * 6);
        if (overflow === 'reject') {
          expect(result.gaps).toBe(0);
          expect(result.frames).toBe(totalFrames);
          expect(ring.bytesDropped).toBe(0);
        } else {
          // Whatever was not read was dropped, in whole frames, and counted.
          expect(ring.bytesDropped).toBe((totalFrames - result.frames) * 6);
          expect(result.gaps).toBeGreaterThan(0);
          expect(result.frames).toBeGreaterThanOrEqual(framesToRead); // it really read while frames were dropped
        }
        expect(ring.availableRead).toBe(0);
      } finally {
        await worker.terminate();
      }
    },
  );
});

describe('RingBuffer larger than its read-view cache covers (4 MiB)', () => {
  it('hands out every byte in order at positions past the cached ones, over two laps', () => {
    const ring = new RingBuffer({ capacity: 4 * 1024 * 1024, frameBytes: 4 });
    const chunk = new Uint8Array(3840);
    const frame = new Uint8Array(3840);
    let written = 0;
    let read = 0;
    let mismatches = 0;
    while (read < 9 * 1024 * 1024) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (written + i) % 251;
      written += ring.write(chunk);
      // Read only once the ring is well filled, so reads start at every part of it.
      while (ring.availableRead >= 2 * 1024 * 1024 + frame.length || (ring.availableWrite < chunk.length && ring.availableRead >= frame.length)) {
        expect(ring.read(frame)).toBe(frame.length);
        for (let i = 0; i < frame.length; i++) if (frame[i] !== (read + i) % 251) mismatches++;
        read += frame.length;
      }
    }
    expect(mismatches).toBe(0);
    expect(ring.bytesRead).toBe(read);
  });
});

describe('ViewCache (the ring\'s bounded read views)', () => {
  it('copies exactly at any start, length and destination offset, wrapped or not, cached or by words, and keeps at most 1024 + 32 views', () => {
    const usable = 1024 * 1024 - 8192;
    const source = new Uint8Array(1024 * 1024);
    for (let i = 0; i < source.length; i++) source[i] = (i * 7 + 3) % 256;
    // NaN bit patterns (signalling, with payloads, both signs) every 4 KiB: word copies must keep every bit.
    const nans = new DataView(source.buffer);
    for (let at = 0; at + 16 <= source.length; at += 4096) {
      nans.setFloat64(at, 0, true);
      nans.setUint32(at, 0x00000001 + at, true); // low word: payload
      nans.setUint32(at + 4, 0x7ff00000 | ((at >>> 12) & 0x7ffff), true); // high word: signalling NaN, quiet bit clear
      nans.setUint32(at + 8, 0xdeadbeef, true);
      nans.setUint32(at + 12, 0xfff40001, true); // a negative signalling NaN
    }
    const cache = new ViewCache(source, usable);
    expect(cache.views.length).toBe(1024);
    const random = prng(11);
    // A pool Buffer (byteOffset > 0 inside a shared ArrayBuffer) as well as a plain array.
    const targets = [Buffer.allocUnsafe(5000), new Uint8Array(5000)];
    let mismatches = 0;
    for (let round = 0; round < 20_000; round++) {
      const n = 17 + Math.floor(random() * 3000);
      const start = round < 10_000 ? (round * 960) % usable : round % 3 === 0 ? (Math.floor(random() * 255) * 4096 + (round & 7)) % usable : Math.floor(random() * usable);
      const dst = targets[round & 1]!;
      const offset = Math.floor(random() * (dst.length - n));
      dst.fill(0xee);
      copyOut(cache, usable, dst, offset, n, start);
      for (let i = 0; i < n; i++) if (dst[offset + i] !== source[(start + i) % usable]) mismatches++;
      if (offset > 0 && dst[offset - 1] !== 0xee) mismatches++;
      if (offset + n < dst.length && dst[offset + n] !== 0xee) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(cache.views.filter((v) => v !== undefined).length).toBeLessThanOrEqual(1024);
  });
});

describe('RingBuffer larger than its view cache covers: reads through the staging area', () => {
  it('hands out every byte in order for random write and read sizes, wrapping, with reads larger than the staging area', () => {
    const ring = new RingBuffer({ capacity: 256 * 1024, frameBytes: 2 });
    const random = prng(23);
    const src = new Uint8Array(48 * 1024);
    const dst = Buffer.allocUnsafe(48 * 1024 + 64);
    let written = 0;
    let read = 0;
    let mismatches = 0;
    for (let round = 0; round < 3000; round++) {
      const w = Math.floor(random() * (round % 7 === 0 ? 40_000 : 3000));
      for (let i = 0; i < w; i++) src[i] = (written + i) % 253;
      written += ring.write(src, 0, w);
      const want = Math.floor(random() * (round % 5 === 0 ? 45_000 : 4000));
      const offset = Math.floor(random() * 32);
      const n = ring.read(dst, offset, Math.min(want, dst.length - offset));
      for (let i = 0; i < n; i++) if (dst[offset + i] !== (read + i) % 253) mismatches++;
      read += n;
    }
    expect(read).toBeGreaterThan(4 * 256 * 1024); // several laps
    expect(mismatches).toBe(0);
    expect(ring.bytesRead).toBe(read);
  });
});
