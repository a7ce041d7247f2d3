import { describe, expect, it } from 'vitest';
import { syllabify, VoiceSynth } from '../../src/emulator/voice-synth.js';
import { VadChunker, type VadUtterance } from '../../src/streams/vad-chunker.js';

const RATE = 24000;

function render(text: string, voice = 'alloy', speed = 1, chunk = 2400): Int16Array {
  const synth = new VoiceSynth(text, { voice, speed, sampleRate: RATE });
  const out = new Int16Array(synth.totalSamples);
  const buf = new Int16Array(chunk);
  let at = 0;
  for (let n = synth.read(buf); n > 0; n = synth.read(buf)) {
    out.set(buf.subarray(0, n), at);
    at += n;
  }
  expect(at).toBe(synth.totalSamples);
  return out;
}

/** Per 20 ms frame: RMS (0..1) and zero-crossing rate (0..1). */
function frames(pcm: Int16Array): { rms: number; zcr: number }[] {
  const n = RATE / 50;
  const out = [];
  for (let f = 0; f + n <= pcm.length; f += n) {
    let sum = 0;
    let zc = 0;
    for (let i = f; i < f + n; i++) {
      sum += (pcm[i]! / 32768) ** 2;
      if (i > f && (pcm[i]! >= 0) !== (pcm[i - 1]! >= 0)) zc++;
    }
    out.push({ rms: Math.sqrt(sum / n), zcr: zc / n });
  }
  return out;
}

/** Fundamental frequency of a voiced stretch by normalized autocorrelation (60–400 Hz), or 0. */
function pitch(pcm: Int16Array, start: number): number {
  const n = 960;
  let best = 0;
  let bestLag = 0;
  for (let lag = Math.floor(RATE / 400); lag <= RATE / 60; lag++) {
    let acc = 0;
    let e0 = 0;
    let e1 = 0;
    for (let i = 0; i < n; i++) {
      const a = pcm[start + i] ?? 0;
      const b = pcm[start + i + lag] ?? 0;
      acc += a * b;
      e0 += a * a;
      e1 += b * b;
    }
    const r = acc / Math.sqrt(e0 * e1 + 1);
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  return best > 0.5 ? RATE / bestLag : 0;
}

function meanPitch(pcm: Int16Array): { mean: number; spread: number } {
  const f = frames(pcm);
  const values: number[] = [];
  f.forEach((fr, i) => {
    const f0 = fr.rms > 0.1 && fr.zcr < 0.15 && (i + 3) * 480 < pcm.length ? pitch(pcm, i * 480) : 0;
    if (f0 > 0) values.push(f0);
  });
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const spread = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, spread };
}

const TEXT = 'The quick brown fox jumps over the lazy dog. She sells sea shells, by the sea shore?';

describe('VoiceSynth (the built-in speech-like voice)', () => {
  it('is neither silence nor a plain tone: voiced frames, noisy consonant frames and pauses', () => {
    const f = frames(render(TEXT));
    const loud = f.filter((x) => x.rms > 0.05);
    expect(loud.length / f.length).toBeGreaterThan(0.4);
    expect(loud.filter((x) => x.zcr < 0.1).length).toBeGreaterThan(20); // vowels
    expect(f.filter((x) => x.rms > 0.01 && x.zcr > 0.3).length).toBeGreaterThan(5); // s, sh, f, t bursts
    expect(f.filter((x) => x.rms < 0.005).length).toBeGreaterThan(20); // pauses
  });

  it('has a moving pitch contour', () => {
    const { spread } = meanPitch(render(TEXT));
    expect(spread).toBeGreaterThan(5);
  });

  it('pauses longer at sentence ends than between words', () => {
    const f = frames(render('One two three. Four five six.'));
    const gaps: number[] = [];
    let run = 0;
    let started = false;
    for (const x of f) {
      if (x.rms < 0.005) run++;
      else {
        if (started && run > 0) gaps.push(run * 20);
        run = 0;
        started = true;
      }
    }
    const longest = Math.max(...gaps);
    expect(longest).toBeGreaterThanOrEqual(300);
    expect(gaps.filter((g) => g >= 300)).toHaveLength(1);
  });

  it('gives voices their own pitch', () => {
    const low = meanPitch(render(TEXT, 'onyx')).mean;
    const high = meanPitch(render(TEXT, 'nova')).mean;
    expect(high).toBeGreaterThan(low * 1.5);
    expect(render('Hi there.', 'someone-custom')).not.toEqual(render('Hi there.', 'someone-else'));
  });

  it('is deterministic and independent of the read size', () => {
    const a = render(TEXT, 'sage', 1, 1);
    const b = render(TEXT, 'sage', 1, 4097);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('speaks faster at a higher speed', () => {
    const normal = render(TEXT).length;
    const fast = render(TEXT, 'alloy', 2).length;
    expect(fast / normal).toBeGreaterThan(0.4);
    expect(fast / normal).toBeLessThan(0.65);
  });

  it('is heard as speech by the toolkit VAD', async () => {
    const pcm = render('Good morning. This is a test of the built in voice.', 'echo');
    const chunker = new VadChunker({ format: { sampleRate: RATE, channels: 1, encoding: 's16le' } });
    const found: VadUtterance[] = [];
    chunker.on('data', (u: VadUtterance) => found.push(u));
    await new Promise((resolve) => {
      chunker.on('end', resolve);
      chunker.end(Buffer.from(pcm.buffer));
    });
    const speechMs = found.reduce((sum, u) => sum + u.speechEndMs - u.speechStartMs, 0);
    expect(speechMs / ((pcm.length / RATE) * 1000)).toBeGreaterThan(0.6);
  });

  it('syllabifies words around vowel groups', () => {
    expect(syllabify('banana')).toEqual(['ba', 'na', 'na']);
    expect(syllabify('strengths')).toEqual(['strengths']);
    expect(syllabify('rhythm')).toEqual(['rhythm']);
    expect(syllabify('')).toEqual([]);
  });
});
