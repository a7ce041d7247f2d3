import { describe, expect, it } from 'vitest';
import { SpeechSegmentFinder, refineVadSpans } from '../../src/emulator/speech-segment-finder.js';

const span = (startMs: number, endMs: number) => ({ startMs, endMs });

describe('refineVadSpans', () => {
  it('moves a late onset and a lagging end onto the sound bursts', () => {
    const bursts = [span(1010, 1300), span(1340, 1900), span(5000, 5400)];
    const [seg, next] = refineVadSpans([span(1056, 2120), span(5024, 5600)], bursts);
    expect(seg!.span).toEqual(span(1010, 1900));
    expect(seg!.words).toEqual([span(1010, 1300), span(1340, 1900)]);
    expect(next!.span).toEqual(span(5000, 5400));
  });

  it('keeps the VAD edge where the sound runs on past the reach (noise louder than the floor)', () => {
    const [seg] = refineVadSpans([span(2000, 3000)], [span(0, 6000)]);
    expect(seg!.span).toEqual(span(2000, 3000));
    expect(seg!.words).toEqual([span(2000, 3000)]);
  });

  it('keeps the VAD span when no burst is near it', () => {
    const [seg] = refineVadSpans([span(2000, 3000)], [span(100, 200), span(8000, 8100)]);
    expect(seg!.span).toEqual(span(2000, 3000));
    expect(seg!.words).toEqual([]);
  });

  it('moves a length split from inside a word to the widest pause near it, without overlap', () => {
    // The VAD split at 30 000 ms, inside the burst 29 800–30 300; the pause 29 100–29 350 is the widest within 2 s.
    const bursts = [span(0, 28_000), span(28_080, 29_100), span(29_350, 29_700), span(29_800, 30_300), span(30_360, 33_000)];
    const out = refineVadSpans([span(20, 30_000), span(30_000, 33_100)], bursts);
    expect(out.map((s) => s.span)).toEqual([span(0, 29_100), span(29_350, 33_000)]);
    expect(out[0]!.span.endMs).toBeLessThanOrEqual(out[1]!.span.startMs);
  });

  it('never starts a segment before the previous one ends', () => {
    const out = refineVadSpans([span(1000, 2000), span(2100, 3000)], [span(900, 2150), span(2150, 2900)]);
    expect(out[0]!.span).toEqual(span(900, 2150));
    expect(out[1]!.span).toEqual(span(2150, 2900));
  });
});

describe('SpeechSegmentFinder', () => {
  it('with the energy detector gives the energy segments, any chunking alike', () => {
    const rate = 16_000;
    const pcm = Buffer.alloc(rate * 2 * 3);
    for (let i = Math.round(0.5 * rate); i < Math.round(1.5 * rate); i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate)), i * 2);
    const run = (chunk: number) => {
      const f = new SpeechSegmentFinder({ sampleRate: rate, detector: 'energy' });
      for (let o = 0; o < pcm.length; o += chunk) f.write(pcm.subarray(o, o + chunk));
      return { segments: f.end().map((s) => s.span), durationMs: f.durationMs };
    };
    const whole = run(pcm.length);
    expect(whole.segments).toEqual([span(500, 1500)]);
    expect(whole.durationMs).toBe(3000);
    expect(run(333)).toEqual(whole);
  });
});
