import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../src/core/errors.js';
import type { PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { createSpectralVad } from '../../src/core/vad/spectral-vad.js';
import { VadChunker, vadChunker, type VadUtterance, type VadChunkerOptions } from '../../src/streams/vad-chunker.js';
import { bursts, loudnessEngine } from '../core/vad/fake-engine.js';
import { chunked, toS16 } from '../core/vad/synth-speech.js';

const MONO16: PcmFormat = { sampleRate: 16000, channels: 1, encoding: 's16le' };

async function cut(bytes: Buffer, sizes: number[], options: Partial<VadChunkerOptions> & { format?: PcmFormat } = {}): Promise<VadUtterance[]> {
  const out: VadUtterance[] = [];
  await pipeline(
    Readable.from(chunked(bytes, sizes)),
    vadChunker({ format: MONO16, engine: () => loudnessEngine(), ...options }),
    new Writable({
      objectMode: true,
      write(u: VadUtterance, _e, cb) {
        out.push(u);
        cb();
      },
    }),
  );
  return out;
}

const brief = (us: VadUtterance[]) => us.map((u) => ({ startMs: u.startMs, endMs: u.endMs, speechStartMs: u.speechStartMs, speechEndMs: u.speechEndMs, bytes: u.pcm.length, reason: u.reason }));

describe('VadChunker', () => {
  it('cuts utterances with pre-roll and post-pad, in the input format, with exact times', async () => {
    const x = bursts(16000, 4000, [
      [1000, 1600],
      [2500, 2900],
    ]);
    const us = await cut(toS16(x), [3200], { preRollMs: 300, postPadMs: 100, minSilenceMs: 500, minSpeechMs: 100 });
    expect(brief(us)).toEqual([
      { startMs: 700, endMs: 1700, speechStartMs: 1000, speechEndMs: 1600, bytes: 32000, reason: 'silence' },
      { startMs: 2200, endMs: 3000, speechStartMs: 2500, speechEndMs: 2900, bytes: 25600, reason: 'silence' },
    ]);
    // The audio is the input's own bytes for that span.
    expect(us[0]!.pcm.equals(toS16(x).subarray(700 * 32, 1700 * 32))).toBe(true);
    expect(us[0]!.format).toEqual(MONO16);
  });

  it('any chunking (1 byte, odd sizes, whole) gives identical utterances', async () => {
    const x = bursts(16000, 3000, [
      [300, 900],
      [1700, 2300],
    ]);
    const bytes = toS16(x);
    const whole = await cut(bytes, [bytes.length]);
    const ones = await cut(bytes, [1]);
    const odd = await cut(bytes, [7, 333, 1, 2048]);
    expect(whole.length).toBe(2);
    for (const other of [ones, odd]) {
      expect(brief(other)).toEqual(brief(whole));
      other.forEach((u, i) => expect(u.pcm.equals(whole[i]!.pcm)).toBe(true));
    }
  });

  it('works on 48 kHz stereo f32 through the resampler and returns 48 kHz stereo f32', async () => {
    const mono = bursts(48000, 2500, [[800, 1400]]);
    const st = new Float32Array(mono.length * 2);
    for (let i = 0; i < mono.length; i++) st[2 * i] = st[2 * i + 1] = mono[i]!;
    const format: PcmFormat = { sampleRate: 48000, channels: 2, encoding: 'f32le' };
    const us = await cut(Buffer.from(st.buffer), [3841, 17], { format, preRollMs: 200, postPadMs: 0 });
    expect(us.length).toBe(1);
    expect(us[0]!.format).toEqual(format);
    expect(us[0]!.speechStartMs).toBe(800);
    expect(us[0]!.speechEndMs).toBe(1400);
    expect(us[0]!.pcm.length).toBe(((us[0]!.endMs - us[0]!.startMs) * 48 * 8) | 0);
    // Resampled input: any chunking still gives the same utterances, byte for byte.
    const ones = await cut(Buffer.from(st.buffer), [1, 5, 8000], { format, preRollMs: 200, postPadMs: 0 });
    expect(brief(ones)).toEqual(brief(us));
    expect(ones[0]!.pcm.equals(us[0]!.pcm)).toBe(true);
  });

  it('accepts any rate from 8 kHz to 384 kHz (resampled for the engine) with the same decisions', async () => {
    for (const sampleRate of [8000, 22050, 96000, 384000]) {
      const x = bursts(sampleRate, 2000, [[500, 1200]]);
      const us = await cut(toS16(x), [sampleRate / 25 + 1], { format: { sampleRate, channels: 1, encoding: 's16le' }, preRollMs: 100, postPadMs: 0 });
      expect(us.map((u) => [u.speechStartMs, u.speechEndMs])).toEqual([[500, 1200]]);
      expect(us[0]!.pcm.length).toBe(Math.round((800 * sampleRate) / 1000) * 2);
    }
  });

  it('closes the utterance in progress when the input ends mid-speech', async () => {
    const us = await cut(toS16(bursts(16000, 1500, [[1000, 1500]])), [999]);
    expect(brief(us)).toEqual([{ startMs: 700, endMs: 1500, speechStartMs: 1000, speechEndMs: 1500, bytes: 800 * 32, reason: 'end-of-stream' }]);
  });

  it('splits long speech at maxUtteranceMs without losing or repeating audio', async () => {
    const x = bursts(16000, 5000, [
      [0, 1790],
      [1800, 5000],
    ]);
    const us = await cut(toS16(x), [4096], { maxUtteranceMs: 2000, splitSearchMs: 1000, preRollMs: 0 });
    // The first split finds the 10 ms gap; the second has no quiet frame and cuts near the limit.
    expect(us.map((u) => u.reason)).toEqual(['max-length', 'max-length', 'end-of-stream']);
    expect([us[0]!.startMs, us[0]!.endMs]).toEqual([0, 1790]);
    expect(us[1]!.startMs).toBe(1790);
    expect(us[1]!.endMs - us[1]!.startMs).toBeLessThanOrEqual(2000);
    expect(us[1]!.endMs - us[1]!.startMs).toBeGreaterThan(1000);
    expect(us[2]!.startMs).toBe(us[1]!.endMs);
    expect(Buffer.concat(us.map((u) => u.pcm)).equals(toS16(x))).toBe(true);
  });

  it('handles silence, DC offset, clipping and NaN samples without false speech', async () => {
    const f = new Float32Array(16000 * 2).fill(0.4); // DC
    for (let i = 0; i < 1000; i++) f[5000 + i] = NaN;
    const dc = await cut(Buffer.from(f.buffer), [1000], { format: { sampleRate: 16000, channels: 1, encoding: 'f32le' } });
    expect(dc).toEqual([]);
    const silent = await cut(Buffer.alloc(64000), [320]);
    expect(silent).toEqual([]);
    const clipped = bursts(16000, 2000, [[500, 1200]]).map((v) => Math.max(-0.05, Math.min(0.05, v * 10)) * 20);
    const us = await cut(toS16(clipped), [640]);
    expect(us.length).toBe(1);
    expect(us[0]!.speechStartMs).toBe(500);
  });

  it('honours backpressure: a reader that does not read holds the writer', async () => {
    // Many short utterances, readableHighWaterMark 2, nobody reading.
    const spans: [number, number][] = [];
    for (let t = 0; t < 20_000; t += 1000) spans.push([t + 100, t + 400]);
    const bytes = toS16(bursts(16000, 20_000, spans));
    const chunker = new VadChunker({ format: MONO16, engine: loudnessEngine(), readableHighWaterMark: 2, minSilenceMs: 300 });
    let accepted = 0;
    for (const c of chunked(bytes, [3200])) {
      if (!chunker.write(c)) break;
      accepted++;
    }
    await new Promise((r) => setImmediate(r));
    expect(accepted).toBeLessThan(100);
    expect(chunker.readableLength).toBeGreaterThanOrEqual(2);
    expect(chunker.readableLength).toBeLessThan(20);
    chunker.destroy();
  });

  it('destroy and abort release it, an already-aborted signal aborts at once', async () => {
    const ac = new AbortController();
    const chunker = vadChunker({ format: MONO16, engine: loudnessEngine(), signal: ac.signal });
    const closed = new Promise((r) => chunker.once('close', r));
    chunker.write(toS16(bursts(16000, 500, [[0, 500]])));
    ac.abort();
    await closed;
    expect(chunker.destroyed).toBe(true);
    const pre = AbortSignal.abort();
    const c2 = vadChunker({ format: MONO16, engine: loudnessEngine(), signal: pre });
    const err = await new Promise<Error>((r) => c2.once('error', r));
    expect(err.name).toBe('AbortError');
  });

  it('rejects bad formats and options with typed errors', () => {
    expect(() => vadChunker({ format: { sampleRate: 1000, channels: 1, encoding: 's16le' } })).toThrow(FormatError);
    expect(() => vadChunker({ format: MONO16, minSilenceMs: -5 })).toThrow(InputError);
    expect(() => vadChunker({ format: MONO16, engine: {} as never })).toThrow(/VadEngine/);
  });

  it('re-emits the segmenter events', async () => {
    const events: string[] = [];
    const chunker = vadChunker({ format: MONO16, engine: loudnessEngine(), minSpeechMs: 100 });
    chunker.on('vad', (e) => events.push(e.type));
    chunker.resume();
    chunker.end(toS16(bursts(16000, 2000, [[200, 260], [1000, 1500]])));
    await new Promise((r) => chunker.once('end', r));
    expect(events).toEqual(['speech-start', 'speech-discard', 'speech-start', 'speech-start', 'speech-end']);
  });

  it('refuses the spectral engine alone (a pre-gate only: it would never end a turn through music)', () => {
    expect(() => vadChunker({ format: MONO16, engine: () => createSpectralVad() })).toThrow(/pre-gate only/);
  });

  it('uses Silero by default', async () => {
    const c = vadChunker({ format: MONO16 });
    expect((c as unknown as { tracker: { engine: { name: string } } }).tracker.engine.name).toMatch(/silero/);
    c.destroy();
  });
});
