import { describe, expect, it } from 'vitest';
import { FrameCarry } from '../../../src/core/pcm/frame-carry.js';

/** Feeds chunks through the documented carry pattern; returns the whole frames seen, in order. */
function realign(frameBytes: number, chunks: Buffer[]): { frames: Buffer; held: number } {
  const carry = new FrameCarry(frameBytes);
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    let at = 0;
    if (!carry.isEmpty) {
      at += carry.fill(chunk, at, chunk.length);
      if (!carry.isFull) continue;
      out.push(Buffer.from(carry.frame));
      carry.clear();
    }
    const whole = carry.wholeBytes(chunk.length - at);
    expect(whole % frameBytes).toBe(0);
    out.push(chunk.subarray(at, at + whole));
    carry.hold(chunk, at + whole, chunk.length);
    expect(carry.byteLength).toBeLessThan(frameBytes);
  }
  return { frames: Buffer.concat(out), held: carry.byteLength };
}

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    parts.push(data.subarray(from, cut));
    from = cut;
  }
  return parts;
}

describe('FrameCarry', () => {
  const data = Buffer.from(Array.from({ length: 61 }, (_, i) => (i * 37 + 11) & 0xff));

  it.each([1, 2, 3, 4, 6, 8, 12])('passes every whole %i-byte frame through in order, whatever the chunking', (frameBytes) => {
    const expected = data.subarray(0, data.length - (data.length % frameBytes));
    for (const cuts of [[], [1], [5, 6, 7], [3, 10, 11, 30, 31, 32, 33], Array.from({ length: 60 }, (_, i) => i + 1)]) {
      const { frames, held } = realign(frameBytes, splitAt(data, cuts));
      expect(frames.equals(expected)).toBe(true);
      expect(held).toBe(data.length % frameBytes);
    }
  });

  it('fills only what the frame lacks and reports a full frame', () => {
    const carry = new FrameCarry(4);
    carry.hold(Buffer.from([1, 2, 3]), 0, 1);
    expect(carry.byteLength).toBe(1);
    expect(carry.fill(Buffer.from([9, 8, 7, 6, 5]), 1, 5)).toBe(3);
    expect(carry.isFull).toBe(true);
    expect([...carry.frame]).toEqual([1, 8, 7, 6]);
    expect(carry.clear()).toBe(4);
    expect(carry.isEmpty).toBe(true);
  });

  it('reuses one buffer: the frame object never changes', () => {
    const carry = new FrameCarry(2);
    const frame = carry.frame;
    for (let i = 0; i < 100; i++) {
      carry.fill(Buffer.from([i, i + 1, i + 2]), 0, 3);
      expect(carry.frame).toBe(frame);
      carry.clear();
    }
  });
});
