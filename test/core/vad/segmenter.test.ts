import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { Segmenter, resolveSegmenterOptions, type SegmenterEvent, type SegmenterOptions } from '../../../src/core/vad/segmenter.js';

/**
 * Runs probabilities through a segmenter with fixed-length frames; returns the events. The fast
 * confirmation is off unless `options` set it (it has its own tests), so `minSpeechMs` rules alone.
 */
function run(probs: number[], options: SegmenterOptions = {}, frameMs = 10, end = true): SegmenterEvent[] {
  const events: SegmenterEvent[] = [];
  const seg = new Segmenter((e) => events.push(e), { fastConfirmMs: Infinity, ...options });
  probs.forEach((p, i) => seg.push(p, i * frameMs, frameMs));
  if (end) seg.end();
  return events;
}

const rep = (p: number, n: number): number[] => Array.from({ length: n }, () => p);
const summary = (evs: SegmenterEvent[]) =>
  evs.map((e) =>
    e.type === 'speech-start'
      ? `${e.confirmed ? 'start' : 'tentative'}@${e.atMs} speech=${e.speechStartMs} from=${e.startMs}`
      : e.type === 'speech-end'
        ? `end@${e.atMs} speech=${e.speechStartMs}-${e.speechEndMs} audio=${e.startMs}-${e.endMs} ${e.reason}`
        : `discard@${e.atMs} speech=${e.speechStartMs}`,
  );

describe('Segmenter', () => {
  it('starts tentatively on the first frame at the threshold, confirms after minSpeechMs, ends after minSilenceMs', () => {
    const probs = [...rep(0, 50), ...rep(0.9, 100), ...rep(0, 80)];
    expect(summary(run(probs, { minSpeechMs: 200, minSilenceMs: 500, preRollMs: 300, postPadMs: 100 }))).toEqual([
      'tentative@510 speech=500 from=200',
      'start@700 speech=500 from=200',
      'end@2000 speech=500-1500 audio=200-1600 silence',
    ]);
  });

  it('treats the threshold as inclusive and just-below as silence', () => {
    expect(run([0.49, 0.49, 0.49], { threshold: 0.5 })).toEqual([]);
    expect(run([0.5], { threshold: 0.5, minSpeechMs: 0 })[0]).toMatchObject({ type: 'speech-start', confirmed: false });
  });

  it('ends exactly when the pause reaches minSilenceMs, not a frame earlier', () => {
    const opts = { minSpeechMs: 0, minSilenceMs: 300, postPadMs: 0, preRollMs: 0 };
    const evA = run([...rep(1, 10), ...rep(0, 29), 1, ...rep(1, 5)], opts, 10, false);
    expect(evA.filter((e) => e.type === 'speech-end')).toEqual([]);
    const evB = run([...rep(1, 10), ...rep(0, 30)], opts, 10, false);
    expect(evB.at(-1)).toMatchObject({ type: 'speech-end', atMs: 400, speechEndMs: 100, endMs: 100 });
  });

  it('hysteresis: frames between the thresholds keep speech going, but cannot cancel a pause once it started', () => {
    const opts = { threshold: 0.6, endThreshold: 0.3, minSpeechMs: 0, minSilenceMs: 100, postPadMs: 0, preRollMs: 0 };
    // 0.45 right after speech: still speech (no pause has started) -> end comes 100 ms after the 0.45 run.
    const a = run([...rep(0.9, 5), ...rep(0.45, 20), ...rep(0, 10)], opts, 10, false);
    expect(a.at(-1)).toMatchObject({ type: 'speech-end', speechEndMs: 250, atMs: 350 });
    // A pause started (0.1); frames of 0.45 do not cancel it -> end 100 ms after the pause started.
    const b = run([...rep(0.9, 5), 0.1, ...rep(0.45, 20)], opts, 10, false);
    expect(b.at(-1)).toMatchObject({ type: 'speech-end', speechEndMs: 50, atMs: 150 });
    // A frame at the start threshold cancels the pause.
    const c = run([...rep(0.9, 5), ...rep(0.1, 5), 0.6, ...rep(0.1, 9)], opts, 10, false);
    expect(c.filter((e) => e.type === 'speech-end')).toEqual([]);
    // A 0.45 frame alone never starts speech.
    expect(run(rep(0.45, 50), opts)).toEqual([]);
  });

  it('discards a tentative start that does not reach minSpeechMs, and its audio can be pre-roll again', () => {
    const probs = [...rep(0, 40), ...rep(0.9, 5), ...rep(0, 60), ...rep(0.9, 40), ...rep(0, 60)];
    const evs = run(probs, { minSpeechMs: 100, minSilenceMs: 500, preRollMs: 300 });
    expect(summary(evs)).toEqual([
      'tentative@410 speech=400 from=100',
      'discard@950 speech=400',
      'tentative@1060 speech=1050 from=750',
      'start@1150 speech=1050 from=750',
      'end@1950 speech=1050-1450 audio=750-1550 silence',
    ]);
  });

  it('bursts separated by pauses shorter than minSilenceMs add up to confirm', () => {
    const burst = [...rep(0.9, 6), ...rep(0, 20)];
    const evs = run([...burst, ...burst, ...burst, ...burst], { minSpeechMs: 200, minSilenceMs: 300 });
    expect(evs.map((e) => e.type + (e.type === 'speech-start' ? String(e.confirmed) : ''))).toEqual([
      'speech-startfalse',
      'speech-starttrue',
      'speech-end',
    ]);
    expect(evs[1]).toMatchObject({ atMs: 3 * 260 + 20 });
  });

  it('pre-roll never reaches before 0 or into the previous utterance', () => {
    const probs = [...rep(0.9, 30), ...rep(0, 55), ...rep(0.9, 30), ...rep(0, 60)];
    const evs = run(probs, { minSpeechMs: 100, minSilenceMs: 500, preRollMs: 500, postPadMs: 100 });
    const ends = evs.filter((e) => e.type === 'speech-end');
    expect(ends.map((e) => [e.startMs, e.endMs])).toEqual([
      [0, 400],
      [400, 1250],
    ]);
  });

  it('splits an utterance at maxUtteranceMs at the quietest recent frame, and carries on', () => {
    const probs: number[] = [];
    for (let i = 0; i < 500; i++) probs.push(i === 150 ? 0.2 : i === 100 ? 0.4 : 0.95);
    const evs = run(probs, { minSpeechMs: 0, maxUtteranceMs: 2000, splitSearchMs: 1000, preRollMs: 0, endThreshold: 0.1 });
    expect(summary(evs)).toEqual([
      'tentative@10 speech=0 from=0',
      'start@10 speech=0 from=0',
      'end@2000 speech=0-1500 audio=0-1500 max-length',
      'tentative@2000 speech=1500 from=1500',
      'start@2000 speech=1500 from=1500',
      // No quiet frame in the second window: among equals the latest frame wins.
      'end@3500 speech=1500-3490 audio=1500-3490 max-length',
      'tentative@3500 speech=3490 from=3490',
      'start@3500 speech=3490 from=3490',
      'end@5000 speech=3490-5000 audio=3490-5000 end-of-stream',
    ]);
  });

  it('a forced split prefers the quieter of equally unlikely frames (level breaks ties)', () => {
    const events: SegmenterEvent[] = [];
    const seg = new Segmenter((e) => events.push(e), { minSpeechMs: 0, maxUtteranceMs: 1000, splitSearchMs: 500, preRollMs: 0 });
    for (let i = 0; i < 100; i++) seg.push(0.9, i * 10, 10, i === 70 ? 0.001 : 0.1);
    expect(events.find((e) => e.type === 'speech-end')).toMatchObject({ endMs: 700, reason: 'max-length' });
  });

  it('NaN probabilities count as silence; out-of-range ones are clamped', () => {
    const evs = run([...rep(2, 30), ...rep(NaN, 60)], { minSpeechMs: 100, minSilenceMs: 500, postPadMs: 0, preRollMs: 0 }, 10, false);
    expect(summary(evs)).toEqual(['tentative@10 speech=0 from=0', 'start@100 speech=0 from=0', 'end@800 speech=0-300 audio=0-300 silence']);
    expect(run(rep(-1, 10))).toEqual([]);
  });

  it('end() closes an utterance in progress and discards a tentative start; never stuck', () => {
    expect(summary(run([...rep(0, 10), ...rep(0.9, 50)], { preRollMs: 50 }))).toEqual([
      'tentative@110 speech=100 from=50',
      'start@300 speech=100 from=50',
      'end@600 speech=100-600 audio=50-600 end-of-stream',
    ]);
    expect(summary(run([...rep(0, 10), ...rep(0.9, 5)], { preRollMs: 50 }))).toEqual(['tentative@110 speech=100 from=50', 'discard@150 speech=100']);
    // Ending in a pause: the end is the pause start plus the post-pad, bounded by the stream end.
    expect(run([...rep(0.9, 30), ...rep(0, 5)], { postPadMs: 100 }).at(-1)).toMatchObject({ speechEndMs: 300, endMs: 350 });
  });

  it('exposes its state as a discriminated union', () => {
    const seg = new Segmenter(() => {}, { minSpeechMs: 50 });
    expect(seg.state).toEqual({ kind: 'idle' });
    seg.push(0.9, 0, 10);
    expect(seg.state).toMatchObject({ kind: 'tentative', voicedMs: 10 });
    for (let i = 1; i < 6; i++) seg.push(0.9, i * 10, 10);
    expect(seg.state).toMatchObject({ kind: 'speech', silenceStartMs: null });
    seg.push(0, 60, 10);
    expect(seg.state).toMatchObject({ kind: 'speech', silenceStartMs: 60 });
  });

  it('rejects bad frames and bad options with typed errors', () => {
    const seg = new Segmenter(() => {});
    seg.push(0, 0, 10);
    expect(() => seg.push(0, 5, 10)).toThrow(InputError);
    expect(() => seg.push(0, NaN, 10)).toThrow(/finite/);
    expect(() => seg.push(0, 10, 0)).toThrow(InputError);
    seg.end();
    expect(() => seg.push(0, 20, 10)).toThrow(/after end/);
    seg.reset();
    expect(() => seg.push(0, 0, 10)).not.toThrow();
    expect(() => resolveSegmenterOptions({ threshold: 1.5 })).toThrow(InputError);
    expect(() => resolveSegmenterOptions({ threshold: 0.5, endThreshold: 0.7 })).toThrow(/endThreshold/);
    expect(() => resolveSegmenterOptions({ minSilenceMs: -1 })).toThrow(/minSilenceMs/);
    expect(() => resolveSegmenterOptions({ maxUtteranceMs: 10 })).toThrow(/maxUtteranceMs/);
    expect(resolveSegmenterOptions({ maxUtteranceMs: Infinity }).maxUtteranceMs).toBe(Infinity);
    expect(resolveSegmenterOptions()).toMatchObject({ threshold: 0.5, endThreshold: 0.45, minSpeechMs: 200, minSilenceMs: 500, preRollMs: 300, postPadMs: 100 });
  });

  it('gives the same events for the same probabilities whatever the frame length grouping', () => {
    // 10 ms frames vs the same probabilities held over 30 ms frames: boundaries land on frame edges.
    const p30 = [0, 0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const p10 = p30.flatMap((p) => [p, p, p]);
    const a = run(p30, { minSpeechMs: 90, minSilenceMs: 300 }, 30);
    const b = run(p10, { minSpeechMs: 90, minSilenceMs: 300 }, 10);
    expect(summary(b).filter((s) => !s.startsWith('tentative'))).toEqual(summary(a).filter((s) => !s.startsWith('tentative')));
  });
  describe('fast confirmation (barge-in)', () => {
    // Silero-like 32 ms frames; the defaults: fastConfirmMs 64, fastConfirmThreshold 0.9.
    const fast = (probs: number[], options: SegmenterOptions = {}): SegmenterEvent[] => run(probs, { fastConfirmMs: 64, fastConfirmThreshold: 0.9, ...options }, 32);

    it('confirms after 64 ms when the frames after the onset are all sure, whatever the onset frame was', () => {
      // Onset at 0.6 (rising), then 0.95: confirmed at the end of the second frame, not after minSpeechMs.
      const evs = fast([0, 0.6, 0.95, 0.97, 0.99, 0.99, 0.99, 0.99, ...rep(0, 20)]);
      expect(evs[0]).toMatchObject({ type: 'speech-start', confirmed: false, atMs: 64 });
      expect(evs[1]).toMatchObject({ type: 'speech-start', confirmed: true, atMs: 96, speechStartMs: 32 });
    });

    it('a burst that fades after its first frame (noise, music) still needs minSpeechMs', () => {
      // 0.89 then 0.77: not sure enough, so it is discarded like before.
      const evs = fast([0, 0.89, 0.77, 0.68, 0.3, ...rep(0, 20)]);
      expect(evs.map((e) => e.type)).toEqual(['speech-start', 'speech-discard']);
      // A long run of middling probabilities is confirmed by minSpeechMs (200 ms) as before.
      const slow = fast([0, ...rep(0.7, 10), ...rep(0, 20)]);
      expect(slow[1]).toMatchObject({ type: 'speech-start', confirmed: true, atMs: 32 + 224 });
    });

    it('a dip under fastConfirmThreshold ends the fast path for that start', () => {
      const evs = fast([0, 0.6, 0.85, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, ...rep(0, 20)]);
      expect(evs[1]).toMatchObject({ type: 'speech-start', confirmed: true, atMs: 32 + 224 });
    });

    it('is the default, and off with fastConfirmMs: Infinity', () => {
      expect(resolveSegmenterOptions()).toMatchObject({ fastConfirmMs: 64, fastConfirmThreshold: 0.9 });
      const probs = [0, 0.6, 0.95, 0.97, 0.99, 0.99, 0.99, 0.99, 0.99, ...rep(0, 20)];
      const events: SegmenterEvent[] = [];
      const seg = new Segmenter((e) => events.push(e));
      probs.forEach((p, i) => seg.push(p, i * 32, 32));
      expect(events[1]).toMatchObject({ confirmed: true, atMs: 96 });
      expect(fast(probs, { fastConfirmMs: Infinity })[1]).toMatchObject({ confirmed: true, atMs: 32 + 224 });
      expect(() => resolveSegmenterOptions({ fastConfirmThreshold: 0.4 })).toThrow(/fastConfirmThreshold/);
    });
  });
});
