import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { VadGate, isVadEventSource, vadGate, type VadGateEvent, type VadGateOptions } from '../../src/streams/vad-gate.js';
import { bursts, loudnessEngine } from '../core/vad/fake-engine.js';
import { chunked, toS16 } from '../core/vad/synth-speech.js';

const MONO16: PcmFormat = { sampleRate: 16000, channels: 1, encoding: 's16le' };

async function gate(bytes: Buffer, sizes: number[], options: VadGateOptions = {}): Promise<{ out: Buffer; events: VadGateEvent[] }> {
  const parts: Buffer[] = [];
  const events: VadGateEvent[] = [];
  const g = vadGate({ format: MONO16, engine: () => loudnessEngine(), ...options });
  g.on('turn', (e) => events.push(e));
  await pipeline(
    Readable.from(chunked(bytes, sizes)),
    g,
    new Writable({
      write(c: Buffer, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return { out: Buffer.concat(parts), events };
}

describe('VadGate', () => {
  const x = bursts(16000, 4000, [
    [1000, 1600],
    [2800, 3200],
  ]);
  const bytes = toS16(x);
  // minSpeechMs alone decides confirmation here (the segmenter tests cover the fast path).
  const opts = { preRollMs: 300, minSilenceMs: 500, minSpeechMs: 100, fastConfirmMs: Infinity, postPadMs: 0 };

  it('passes audio only from the pre-roll start to the end decision, and says where the turns are', async () => {
    const { out, events } = await gate(bytes, [3200], opts);
    // Turn 1: 700 .. 2100 (1600 + 500 hangover); turn 2: 2500 .. 3700.
    const expected = Buffer.concat([bytes.subarray(700 * 32, 2100 * 32), bytes.subarray(2500 * 32, 3700 * 32)]);
    expect(out.equals(expected)).toBe(true);
    expect(events.map((e) => `${e.type}${e.type === 'speech-start' ? (e.confirmed ? '+' : '?') : ''}@${e.atMs}:${e.outputByteOffset}`)).toEqual([
      'speech-start?@1010:0',
      'speech-start+@1100:0',
      'speech-end@2100:44800',
      'speech-start?@2810:44800',
      'speech-start+@2900:44800',
      'speech-end@3700:83200',
    ]);
  });

  it('any chunking gives the same output bytes and events', async () => {
    const ref = await gate(bytes, [bytes.length], opts);
    for (const sizes of [[1], [3, 500, 7], [640]]) {
      const got = await gate(bytes, sizes, opts);
      expect(got.out.equals(ref.out)).toBe(true);
      expect(got.events).toEqual(ref.events);
    }
  });

  it('openOn tentative sends from the first frame and reports discards', async () => {
    const y = toS16(bursts(16000, 2000, [[500, 550]]));
    const { out, events } = await gate(y, [320], { ...opts, openOn: 'tentative' });
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'speech-discard']);
    expect(out.length).toBe((1050 - 200) * 32);
    const closed = await gate(y, [320], opts);
    expect(closed.out.length).toBe(0);
  });

  it('never repeats audio when the next pre-roll reaches into the last hangover', async () => {
    const y = toS16(bursts(16000, 3000, [[200, 600], [1200, 1600]]));
    const { out } = await gate(y, [640], { ...opts, preRollMs: 500 });
    // Turn 1: 0 .. 1100 (600 + 500); turn 2 would start at 700 but 1100 was already sent.
    expect(out.equals(y.subarray(0, 2100 * 32))).toBe(true);
  });

  it('takes the format from the stream piped in, and is a VAD event source', async () => {
    const src = new PassThrough() as PassThrough & { format: PcmFormat };
    src.format = MONO16;
    const g = new VadGate({ engine: loudnessEngine() });
    expect(isVadEventSource(g)).toBe(true);
    expect(isVadEventSource(src)).toBe(false);
    src.pipe(g);
    g.resume();
    src.end(bytes);
    await new Promise((r) => g.once('end', r));
    expect(g.format).toEqual(MONO16);
  });

  it('honours backpressure: a reader that does not read holds the writer', async () => {
    const g = vadGate({ format: MONO16, engine: loudnessEngine() });
    const loud = toS16(bursts(16000, 20_000, [[0, 20_000]]));
    let accepted = 0;
    for (const c of chunked(loud, [3200])) {
      if (!g.write(c)) break;
      accepted++;
    }
    await new Promise((r) => setImmediate(r));
    expect(accepted).toBeLessThan(50);
    expect(g.readableLength).toBeLessThan(64 * 1024);
    g.destroy();
  });

  it('closes an open turn at the end of the input', async () => {
    const y = toS16(bursts(16000, 1500, [[1000, 1500]]));
    const { out, events } = await gate(y, [999], opts);
    expect(events.at(-1)).toMatchObject({ type: 'speech-end', reason: 'end-of-stream', atMs: 1500 });
    expect(out.equals(y.subarray(700 * 32))).toBe(true);
  });

  it('propagates engine errors and cleans up on abort', async () => {
    const bad = loudnessEngine();
    bad.process = () => {
      throw new Error('engine broke');
    };
    await expect(gate(bytes, [3200], { engine: bad })).rejects.toThrow('engine broke');
    const ac = new AbortController();
    const g = vadGate({ format: MONO16, engine: loudnessEngine(), signal: ac.signal });
    const err = new Promise<Error>((r) => g.once('error', r));
    ac.abort();
    expect((await err).name).toBe('AbortError');
  });
});
