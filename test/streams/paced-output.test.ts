import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { bytesPerFrame, msToBytes, type PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { PacedOutput } from '../../src/streams/paced-output.js';
import { useVirtualClock } from './discord/discord-harness.js';

const MONO: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };
const STEREO48: PcmFormat = { sampleRate: 48_000, channels: 2, encoding: 's16le' };

/** PCM whose every sample is non-zero and position-dependent, so any loss, duplication or reorder shows. */
function ramp(format: PcmFormat, durationMs: number, seed = 1): Buffer {
  const bytes = msToBytes(format, durationMs);
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes / 2; i++) buf.writeInt16LE(((i * 7 + seed) % 30_000) + 1, i * 2);
  return buf;
}

function collect(out: PacedOutput): { frames: Buffer[]; times: number[] } {
  const frames: Buffer[] = [];
  const times: number[] = [];
  out.on('data', (frame: Buffer) => {
    frames.push(frame);
    times.push(performance.now());
  });
  return { frames, times };
}

/** Non-silent bytes: strips whole zero frames the pacer inserted at the start and at the end. */
function audioOf(frames: Buffer[], frameBytes: number): Buffer {
  const all = Buffer.concat(frames);
  let start = 0;
  while (start < all.length && all.subarray(start, start + frameBytes).every((b) => b === 0)) start += frameBytes;
  let end = all.length;
  while (end > start && all[end - 1] === 0) end--;
  return all.subarray(start, end);
}

function timeoutCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('PacedOutput', () => {
  it('emits fixed frames that carry exactly the written audio, whatever the chunking', async () => {
    const input = ramp(STEREO48, 170);
    const out = new PacedOutput({ format: STEREO48, frameMs: 20, cushionMs: 60 });
    expect(out.frameBytes).toBe(960 * 4);
    // Odd chunk sizes split sample frames across writes.
    for (let i = 0; i < input.length; i += 7) out.write(input.subarray(i, i + 7));
    out.end();
    const { frames } = collect(out);
    await once(out, 'end');
    for (const f of frames) expect(f.length).toBe(out.frameBytes);
    // 170 ms = 8.5 frames: 9 frames, the last padded with zeros.
    expect(frames.length).toBe(9);
    expect(Buffer.concat(frames).subarray(0, input.length).equals(input)).toBe(true);
    expect(out.playedMs).toBe(170);
    expect(out.playedFrames).toBe(170 * 48);
    expect(out.silenceMs).toBe(10);
    expect(out.underruns).toBe(0);
  });

  it('waits for the cushion before the first audio frame and fills with silence meanwhile', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 100, underrun: 'silence' });
    const { frames } = collect(out);
    out.write(ramp(MONO, 60));
    await sleep(150);
    // Reader attached: silence frames keep coming, but the 60 ms queued are below the cushion.
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((f) => f.every((b) => b === 0))).toBe(true);
    expect(out.playedMs).toBe(0);
    expect(out.state).toBe('buffering');
    out.write(ramp(MONO, 60, 5));
    await sleep(100);
    expect(out.playedMs).toBeGreaterThan(0);
    out.destroy();
  });

  it("in 'pause' mode emits nothing until the cushion is queued, and nothing during an underrun", async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 80, underrun: 'pause' });
    const { frames } = collect(out);
    const underrun = new Promise((resolve) => out.once('underrun', resolve));
    out.write(ramp(MONO, 40));
    await sleep(120);
    expect(frames.length).toBe(0);
    out.write(ramp(MONO, 60, 3));
    await underrun;
    const count = frames.length;
    // 100 ms written = 5 frames; the underrun emits nothing more.
    expect(count).toBe(5);
    expect(out.playedMs).toBe(100);
    expect(out.silenceMs).toBe(0);
    expect(out.underruns).toBe(1);
    await sleep(80);
    expect(frames.length).toBe(count);
    out.destroy();
  });

  it("in 'silence' mode keeps emitting zeros through an underrun and counts it", async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 40, underrun: 'silence' });
    const events: string[] = [];
    out.on('underrun', () => events.push('underrun'));
    out.on('drained', () => events.push('drained'));
    const input = ramp(MONO, 60);
    out.write(input);
    const { frames } = collect(out);
    await sleep(250);
    expect(out.playedMs).toBe(60);
    expect(out.underruns).toBe(1);
    expect(events).toEqual(['drained', 'underrun']);
    expect(out.silenceMs).toBeGreaterThan(0);
    expect(audioOf(frames, out.frameBytes).equals(input)).toBe(true);
    // Audio after the gap plays again (after the cushion), in order.
    const more = ramp(MONO, 40, 9);
    out.end(more);
    await once(out, 'end');
    expect(out.playedMs).toBe(100);
    const all = Buffer.concat(frames);
    expect(all.indexOf(more)).toBeGreaterThan(all.indexOf(input));
  });

  it('plays a tail shorter than a frame at once, padded, instead of holding it', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 0, underrun: 'pause' });
    const { frames } = collect(out);
    const tail = ramp(MONO, 25); // 1.25 frames
    out.write(tail);
    await once(out, 'drained');
    expect(out.playedMs).toBe(25);
    expect(frames.length).toBe(2);
    expect(Buffer.concat(frames).subarray(0, tail.length).equals(tail)).toBe(true);
    out.destroy();
  });

  it('clear() drops the queue and writes still in flight, and returns their duration exactly', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 40, maxQueuedMs: 200 });
    const { frames } = collect(out);
    const speech = ramp(MONO, 1000);
    // 1 s written into a 200 ms queue: most of it waits in the writable buffer.
    for (let i = 0; i < speech.length; i += 3200) out.write(speech.subarray(i, i + 3200));
    await sleep(120);
    const played = out.playedMs;
    expect(played).toBeGreaterThan(0);
    const dropped = out.clear();
    expect(dropped + out.playedMs).toBe(1000);
    expect(out.clearedMs).toBe(dropped);
    expect(out.queuedMs).toBe(0);
    const after = frames.length;
    await sleep(100);
    // Nothing of the old speech comes out after clear(): only silence.
    expect(frames.slice(after).every((f) => f.every((b) => b === 0))).toBe(true);
    expect(out.playedMs).toBe(played);
    // New audio written after clear() does play.
    const reply = ramp(MONO, 60, 11);
    out.end(reply);
    await once(out, 'end');
    expect(out.playedMs).toBe(played + 60);
    expect(Buffer.concat(frames.slice(after)).includes(reply)).toBe(true);
  });

  it('applies backpressure to a writer that gets ahead of the clock', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 20, maxQueuedMs: 100 });
    collect(out);
    const chunk = ramp(MONO, 100);
    let accepted = 0;
    while (out.write(chunk)) accepted++;
    expect(accepted).toBeLessThan(1000);
    expect(out.writableNeedDrain).toBe(true);
    await once(out, 'drain');
    expect(out.playedMs).toBeGreaterThan(0);
    out.destroy();
  });

  it('stops the clock while the reader does not read (at most one frame waits), and resumes', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 0, underrun: 'pause' });
    out.write(ramp(MONO, 400));
    out.read(0); // start the clock without consuming
    await sleep(120);
    expect(out.readableLength).toBeLessThanOrEqual(out.frameBytes);
    const playedWhilePaused = out.playedMs;
    expect(playedWhilePaused).toBeLessThanOrEqual(20);
    const { frames } = collect(out); // flowing
    await sleep(120);
    expect(frames.length).toBeGreaterThan(2);
    out.destroy();
  });

  it('catches up after a stalled event loop with a bounded burst, then re-anchors the clock', async () => {
    // A virtual clock decides it: the stall is 300 ms (15 frame periods) passing while no timer can run.
    const undoClock = useVirtualClock();
    try {
      const out = new PacedOutput({ format: MONO, cushionMs: 0, maxCatchUpFrames: 3 });
      out.write(ramp(MONO, 2000));
      const { frames } = collect(out);
      await vi.advanceTimersByTimeAsync(60);
      expect(out.clockResets).toBe(0);
      const before = frames.length;
      expect(before).toBeGreaterThanOrEqual(3);
      vi.setSystemTime(Date.now() + 300);
      await vi.advanceTimersByTimeAsync(20); // the late timer fires, 15 frames behind
      const burst = frames.length - before;
      // At most 3 frames came out together, not 15, and the grid was re-anchored to now.
      expect(burst).toBeGreaterThanOrEqual(1);
      expect(burst).toBeLessThanOrEqual(3);
      expect(out.clockResets).toBe(1);
      // From the new anchor it plays in time again: 100 ms, 5 frames (give or take the one at the edge).
      const afterBurst = frames.length;
      await vi.advanceTimersByTimeAsync(100);
      expect(frames.length - afterBurst).toBeGreaterThanOrEqual(4);
      expect(frames.length - afterBurst).toBeLessThanOrEqual(6);
      expect(out.clockResets).toBe(1);
      out.destroy();
    } finally {
      undoClock();
    }
  });

  it('streams running at once share one timer, and each plays its own audio on time and in full', async () => {
    const base = timeoutCount();
    const inputs = [1, 2, 3, 4, 5, 6].map((seed) => ramp(STEREO48, 200, seed));
    const outs = inputs.map((input, k) => {
      // Different frame durations and start times: one clock serves them all.
      const out = new PacedOutput({ format: STEREO48, frameMs: k % 2 === 0 ? 20 : 10, cushionMs: 0 });
      out.end(input);
      return out;
    });
    const started = performance.now();
    const collected = outs.map((out) => collect(out));
    await sleep(60);
    expect(timeoutCount() - base).toBeLessThanOrEqual(1);
    await Promise.all(outs.map((out) => once(out, 'end')));
    const elapsedMs = performance.now() - started;
    // 200 ms of audio each, paced in real time (not all at once), from frames that were never overwritten.
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    collected.forEach(({ frames }, k) => {
      expect(Buffer.concat(frames).equals(inputs[k]!)).toBe(true);
      expect(outs[k]!.playedMs).toBe(200);
    });
    expect(timeoutCount()).toBeLessThanOrEqual(base);
  });

  it('releases its timer on end, destroy and abort', async () => {
    const base = timeoutCount();
    const a = new PacedOutput({ format: MONO, cushionMs: 0 });
    collect(a);
    const aClosed = once(a, 'close');
    a.end(ramp(MONO, 50));
    await aClosed;
    expect(timeoutCount()).toBeLessThanOrEqual(base);

    const b = new PacedOutput({ format: MONO, cushionMs: 0 });
    collect(b);
    b.write(ramp(MONO, 500));
    await sleep(50);
    b.destroy();
    await once(b, 'close');
    const framesAtDestroy = b.playedMs;
    expect(timeoutCount()).toBeLessThanOrEqual(base);
    await sleep(60);
    expect(b.playedMs).toBe(framesAtDestroy);

    const controller = new AbortController();
    const c = new PacedOutput({ format: MONO, cushionMs: 0, signal: controller.signal });
    collect(c);
    c.write(ramp(MONO, 500));
    const error = new Promise<Error>((resolve) => c.once('error', resolve));
    const closed = new Promise((resolve) => c.once('close', resolve));
    await sleep(30);
    controller.abort();
    expect((await error).name).toBe('AbortError');
    await closed;
    expect(timeoutCount()).toBeLessThanOrEqual(base);

    const aborted = AbortSignal.abort();
    const d = new PacedOutput({ format: MONO, signal: aborted });
    const [err] = (await once(d, 'error')) as [Error];
    expect(err.name).toBe('AbortError');
  });

  it('finishes at once when ended with nothing queued, and "finish" waits until all was emitted', async () => {
    const empty = new PacedOutput({ format: MONO });
    collect(empty);
    empty.end();
    await once(empty, 'end');
    expect(empty.playedMs).toBe(0);

    const out = new PacedOutput({ format: MONO, cushionMs: 0 });
    collect(out);
    out.end(ramp(MONO, 100));
    await once(out, 'finish');
    expect(out.playedMs).toBe(100);
  });

  it('setCushionMs changes the cushion while running: a buffering stream starts once the new cushion is queued', async () => {
    const out = new PacedOutput({ format: MONO, cushionMs: 1000, underrun: 'pause' });
    const { frames } = collect(out);
    const input = ramp(MONO, 100);
    out.write(input);
    expect(out.state).toBe('buffering');
    out.setCushionMs(120);
    expect(out.state).toBe('buffering');
    out.setCushionMs(60);
    expect(out.state).toBe('playing');
    expect(out.cushionBytes).toBe(msToBytes(MONO, 60));
    expect(() => out.setCushionMs(-1)).toThrow(InputError);
    out.end();
    await once(out, 'end');
    expect(out.playedMs).toBe(100);
    expect(audioOf(frames, out.frameBytes).equals(input)).toBe(true);
  });

  it('rejects unusable options with InputError', () => {
    expect(() => new PacedOutput({ format: MONO, frameMs: 0 })).toThrow(InputError);
    expect(() => new PacedOutput({ format: MONO, cushionMs: -1 })).toThrow(InputError);
    expect(() => new PacedOutput({ format: MONO, underrun: 'loop' as never })).toThrow(InputError);
    expect(() => new PacedOutput({ format: MONO, maxCatchUpFrames: 0 })).toThrow(InputError);
    expect(() => new PacedOutput({ format: { sampleRate: 5, channels: 1, encoding: 's16le' } })).toThrow();
    expect(bytesPerFrame(MONO)).toBe(2);
  });
});
