import { describe, expect, it } from 'vitest';
import { EnergySegmenter, type TimedSpan } from '../../src/emulator/energy-segmenter.js';
import { describeSpeech, formatTranscript, toSrt, toVtt, type TranscriptResult } from '../../src/emulator/transcript-format.js';

const result: TranscriptResult = {
  task: 'transcribe',
  language: 'english',
  durationMs: 3_725_004.6,
  segments: [
    { startMs: 520, endMs: 1870, text: describeSpeech({ startMs: 520, endMs: 1870 }), words: [{ startMs: 520, endMs: 900, word: 'a' }] },
    { startMs: 3_723_450, endMs: 3_725_004.6, text: 'late', words: [] },
  ],
};

describe('transcript formats', () => {
  it('describes a span with two decimals and an en dash', () => {
    expect(describeSpeech({ startMs: 520, endMs: 1870 })).toBe('[speech 0.52–1.87 s]');
  });

  it('writes SRT and VTT timestamps past an hour, rounded to ms', () => {
    expect(toSrt(result.segments)).toBe('1\n00:00:00,520 --> 00:00:01,870\n[speech 0.52–1.87 s]\n\n2\n01:02:03,450 --> 01:02:05,005\nlate\n');
    expect(toVtt(result.segments)).toBe('WEBVTT\n\n00:00:00.520 --> 00:00:01.870\n[speech 0.52–1.87 s]\n\n01:02:03.450 --> 01:02:05.005\nlate\n');
  });

  it('puts words only when asked, segments by default', () => {
    const plain = JSON.parse(formatTranscript(result, 'verbose_json').body);
    expect(plain.segments).toHaveLength(2);
    expect(plain.words).toBeUndefined();
    expect(plain.duration).toBe(3725.005);
    const words = JSON.parse(formatTranscript(result, 'verbose_json', { granularities: ['word'] }).body);
    expect(words.words).toEqual([{ word: 'a', start: 0.52, end: 0.9 }]);
    expect(words.segments).toBeUndefined();
  });
});

describe('EnergySegmenter', () => {
  function bursts(): Buffer {
    const rate = 16000;
    const pcm = Buffer.alloc(rate * 3 * 2);
    for (let i = 0; i < rate * 3; i++) {
      const t = i / rate;
      const on = (t >= 0.3 && t < 0.8) || (t >= 0.85 && t < 1.0) || (t >= 1.6 && t < 2.2);
      pcm.writeInt16LE(on ? Math.round(9000 * Math.sin(2 * Math.PI * 300 * t)) : (i % 7) - 3, i * 2);
    }
    return pcm;
  }
  function run(pcm: Buffer, chunk: number): { segments: TimedSpan[]; words: TimedSpan[][] } {
    const segments: TimedSpan[] = [];
    const words: TimedSpan[][] = [];
    const seg = new EnergySegmenter({ sampleRate: 16000, onSegment: (s, w) => (segments.push(s), words.push(w)) });
    for (let at = 0; at < pcm.length; at += chunk) seg.write(pcm.subarray(at, at + chunk));
    seg.end();
    return { segments, words };
  }

  it('finds segments and word gaps at their exact times, for any chunking (odd byte counts too)', () => {
    const pcm = bursts();
    const whole = run(pcm, pcm.length);
    expect(whole.segments).toEqual([{ startMs: 300, endMs: 1000 }, { startMs: 1600, endMs: 2200 }]);
    expect(whole.words[0]).toEqual([{ startMs: 300, endMs: 800 }, { startMs: 850, endMs: 1000 }]);
    expect(run(pcm, 1)).toEqual(whole);
    expect(run(pcm, 333)).toEqual(whole);
  });

  it('reports nothing for silence', () => {
    expect(run(Buffer.alloc(32000), 1000).segments).toEqual([]);
  });
});
