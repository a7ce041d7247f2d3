// The duplex's encoder (PCM in → wire bytes) and decoder (delta → PCM out), and the append message encoder.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppendEncoder } from '../../../src/api/realtime/append-encoder.js';
import { RealtimeEventError } from '../../../src/api/realtime/realtime-errors.js';
import { g711Encode } from '../../../src/codecs/g711/g711.js';
import { Resampler } from '../../../src/core/resampler/resampler.js';
import { DeltaDecoder } from '../../../src/streams/realtime/delta-decoder.js';
import { InputEncoder } from '../../../src/streams/realtime/input-encoder.js';
import { realtimeWire } from '../../../src/streams/realtime/realtime-wire.js';
import { PacedOutput } from '../../../src/streams/paced-output.js';

function tone48kStereo(frames: number): Buffer {
  const out = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    out.writeInt16LE(Math.round(9000 * Math.sin(i / 9)), i * 4);
    out.writeInt16LE(Math.round(7000 * Math.sin(i / 5)), i * 4 + 2);
  }
  return out;
}

function encodeAll(wire: 'pcm' | 'pcmu', input: Buffer, chunks: number[]): Buffer {
  const parts: Buffer[] = [];
  const enc = new InputEncoder({ sampleRate: 48000, channels: 2, encoding: 's16le' }, realtimeWire(wire), (b) => parts.push(Buffer.from(b)));
  let at = 0;
  for (const n of chunks) {
    enc.write(input.subarray(at, at + n));
    at += n;
  }
  if (at < input.length) enc.write(input.subarray(at));
  return Buffer.concat(parts);
}

describe('InputEncoder', () => {
  const input = tone48kStereo(4800);
  const reference = (() => {
    const r = new Resampler({ inputRate: 48000, outputRate: 24000, channels: 2, outputChannels: 1 });
    const copy = new Int16Array(input.length / 2);
    new Uint8Array(copy.buffer).set(input);
    const y = r.process(copy);
    return Buffer.from(y.buffer, y.byteOffset, y.length * 2);
  })();

  it('gives the resampler\'s output whatever the chunking (sample frames split across writes included)', () => {
    expect(encodeAll('pcm', input, [input.length]).equals(reference)).toBe(true);
    let seed = 7;
    const chunks: number[] = [];
    for (let total = 0; total < input.length; ) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const n = 1 + (seed % 999);
      chunks.push(n);
      total += n;
    }
    expect(encodeAll('pcm', input, chunks).equals(reference)).toBe(true);
  });

  it('encodes G.711 at 8 kHz', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 8000, channels: 2, outputChannels: 1 });
    const copy = new Int16Array(input.length / 2);
    new Uint8Array(copy.buffer).set(input);
    const y = r.process(copy);
    const law = new Uint8Array(y.length);
    g711Encode('mulaw', y, law, y.length);
    expect(encodeAll('pcmu', input, [3, 1000, 5])).toEqual(Buffer.from(law));
  });
});

describe('AppendEncoder', () => {
  it('builds the append message as bytes, reusing its view for equal lengths', () => {
    const enc = new AppendEncoder();
    const audio = Buffer.from(Array.from({ length: 1920 }, (_, i) => i & 255));
    const m1 = enc.encode(audio);
    expect(JSON.parse(m1.toString())).toEqual({ type: 'input_audio_buffer.append', audio: audio.toString('base64') });
    const m2 = enc.encode(audio, 0, 1920);
    expect(m2).toBe(m1);
    const m3 = enc.encode(audio, 5, 7);
    expect(JSON.parse(m3.toString()).audio).toBe(audio.subarray(5, 12).toString('base64'));
    expect(() => enc.encode(audio, 0, 0)).toThrow(RealtimeEventError);
  });
});

describe('DeltaDecoder', () => {
  const pcm = Buffer.alloc(960);
  for (let i = 0; i < 480; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 4)), i * 2);
  const b64 = pcm.toString('base64');

  it('decodes from text and from bytes alike, into 48 kHz stereo as the resampler makes it', () => {
    const out = { sampleRate: 48000, channels: 2, encoding: 's16le' } as const;
    const a = new DeltaDecoder(realtimeWire('pcm'), out);
    const b = new DeltaDecoder(realtimeWire('pcm'), out);
    const ref = new Resampler({ inputRate: 24000, outputRate: 48000, channels: 1, outputChannels: 2 });
    const bytes = Buffer.from(`"x${b64}y"`, 'latin1');
    for (let k = 0; k < 3; k++) {
      const x = Buffer.from(a.decode(b64));
      const y = Buffer.from(b.decodeBytes(bytes, 2, 2 + b64.length));
      const r = ref.process(new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + 960)));
      expect(x.equals(y)).toBe(true);
      expect(x.equals(Buffer.from(r.buffer, r.byteOffset, r.length * 2))).toBe(true);
      expect(a.lastWireBytes).toBe(960);
    }
  });

  it('float output and G.711 input', () => {
    const f = new DeltaDecoder(realtimeWire('pcmu'), { sampleRate: 8000, channels: 1, encoding: 'f32le' });
    const law = Buffer.alloc(160, 0xff); // µ-law silence
    const y = f.decode(law.toString('base64'));
    expect(y.length).toBe(160 * 4);
    expect(new Float32Array(y.buffer, y.byteOffset, 160).every((v) => Math.abs(v) < 1e-3)).toBe(true);
  });

  it('hands the pacer its own memory without a copy, and never reuses memory a sink still holds', async () => {
    const out = { sampleRate: 24000, channels: 1, encoding: 's16le' } as const;
    const dec = new DeltaDecoder(realtimeWire('pcm'), out);
    // A sink that keeps every chunk by reference until later: the decoder must not write into them again.
    const kept: Buffer[] = [];
    const holder = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _e, cb) {
        kept.push(chunk);
        setTimeout(cb, 1);
      },
    });
    const expected: Buffer[] = [];
    for (let k = 0; k < 5; k++) {
      const delta = Buffer.alloc(960, k + 1);
      const y = dec.decode(delta.toString('base64'));
      expected.push(Buffer.from(y));
      dec.writeTo(holder, y);
    }
    await new Promise((r) => holder.end(r));
    expect(kept.map((b) => b.toString('hex'))).toEqual(expected.map((b) => b.toString('hex')));
    // The pacer copies into its ring within write(): the same view serves every delta.
    const paced = new PacedOutput({ format: out, maxQueuedMs: 1000 });
    const first = dec.decode(b64);
    dec.writeTo(paced, first);
    expect(paced.writableLength).toBe(0);
    expect(dec.decode(b64)).toBe(first);
    paced.destroy();
  });
});
