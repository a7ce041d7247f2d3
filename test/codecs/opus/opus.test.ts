import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { OggOpusEncoder } from '../../../src/codecs/ogg/ogg-opus-encoder.js';
import { FormatError, InputError } from '../../../src/core/errors.js';
import { OPUS_FRAME_DURATIONS_MS, OpusDecoder, OpusEncoder, opusBackendName, opusPacketSamples, parseOpusHead, type OpusCorruptPacket } from '../../../src/codecs/opus/opus.js';
import { createOpusHead } from '../../../src/codecs/ogg/ogg-opus-muxer.js';
import { collect, runThrough } from '../test-audio.js';

function tone(rate: number, channels: number, frames: number): Buffer {
  const pcm = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) pcm.writeInt16LE(Math.round(9000 * Math.sin((2 * Math.PI * 500 * i) / rate)), (i * channels + c) * 2);
  return pcm;
}

async function packetsOf(encoder: OpusEncoder, pcm: Buffer): Promise<Buffer[]> {
  const packets: Buffer[] = [];
  encoder.on('data', (p: Buffer) => packets.push(p));
  const done = new Promise((resolve, reject) => {
    encoder.once('end', resolve);
    encoder.once('error', reject);
  });
  encoder.end(pcm);
  await done;
  return packets;
}

async function decodeAll(decoder: OpusDecoder, packets: Uint8Array[]): Promise<{ pcm: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  decoder.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<unknown>((resolve) => {
    decoder.once('error', resolve);
    decoder.once('end', () => resolve(undefined));
    for (const p of packets) decoder.write(p);
    decoder.end();
  });
  return { pcm: Buffer.concat(parts), error };
}

describe('OpusEncoder / OpusDecoder', () => {
  it('uses a prism-media backend', () => {
    expect(['opusscript', '@discordjs/opus', 'node-opus']).toContain(opusBackendName());
  });

  for (const frameDurationMs of OPUS_FRAME_DURATIONS_MS) {
    it(`encodes ${frameDurationMs} ms frames at 48 kHz stereo and decodes them back`, async () => {
      const encoder = new OpusEncoder({ sampleRate: 48000, channels: 2, frameDurationMs, bitrate: 64000 });
      expect(encoder.frameSamples).toBe(48 * frameDurationMs);
      const pcm = tone(48000, 2, 4800 + 7);
      const packets = await packetsOf(encoder, pcm);
      const frames = Math.ceil((4800 + 7) / encoder.frameSamples);
      expect(packets.length).toBe(frames);
      expect(encoder.paddedSamples).toBe(frames * encoder.frameSamples - 4807);
      for (const p of packets) expect(opusPacketSamples(p)).toBe(encoder.frameSamples);
      const { pcm: out, error } = await decodeAll(new OpusDecoder({ sampleRate: 48000, channels: 2 }), packets);
      expect(error).toBeUndefined();
      expect(out.length).toBe(frames * encoder.frameSamples * 4);
    });
  }

  it("decodePacket gives the backend's own decode, in bytes that later decodes never overwrite", async () => {
    const packets = await packetsOf(new OpusEncoder({ sampleRate: 48000, channels: 2 }), tone(48000, 2, 48000));
    const requireHere = createRequire(import.meta.url);
    const prism = requireHere('prism-media') as { opus: { Decoder: new (o: object) => { encoder: { decode(p: Buffer): Buffer }; destroy(): void } } };
    for (const [sampleRate, channels] of [[48000, 2], [24000, 1], [16000, 1]] as const) {
      const ours = new OpusDecoder({ sampleRate, channels });
      const reference = new prism.opus.Decoder({ rate: sampleRate, channels, frameSize: sampleRate / 50 });
      // All kept first (more than one slab's worth), compared after: a shared buffer reused too early would show.
      const decoded = packets.map((p) => ours.decodePacket(p)!);
      const expected = packets.map((p) => Buffer.from(reference.encoder!.decode(p)));
      expect(decoded.reduce((n, b) => n + b.length, 0)).toBe(48000 * (sampleRate / 48000) * channels * 2);
      for (let i = 0; i < packets.length; i++) expect(decoded[i]!.equals(expected[i]!), `packet ${i} at ${sampleRate}/${channels}`).toBe(true);
      expect(decoded.some((b) => b.some((x) => x !== 0))).toBe(true);
      ours.destroy();
      reference.destroy();
    }
  });

  it('works at every Opus rate, mono', async () => {
    for (const sampleRate of [8000, 12000, 16000, 24000, 48000] as const) {
      const packets = await packetsOf(new OpusEncoder({ sampleRate, channels: 1 }), tone(sampleRate, 1, sampleRate / 10));
      expect(packets.length).toBe(5);
      const { pcm } = await decodeAll(new OpusDecoder({ sampleRate, channels: 1 }), packets);
      expect(pcm.length).toBe((sampleRate / 10) * 2);
    }
  });

  it('rejects rates, channels, frame sizes and bitrates Opus cannot do', () => {
    expect(() => new OpusEncoder({ sampleRate: 44100 as 48000 })).toThrow(InputError);
    expect(() => new OpusDecoder({ sampleRate: 22050 as 48000 })).toThrow(/8000, 12000, 16000, 24000, 48000/);
    expect(() => new OpusEncoder({ channels: 3 as 2 })).toThrow(InputError);
    expect(() => new OpusEncoder({ frameDurationMs: 30 as 20 })).toThrow(/2.5, 5, 10, 20, 40, 60/);
    expect(() => new OpusEncoder({ bitrate: 1000 })).toThrow(InputError);
    expect(() => new OpusEncoder({ complexity: 11 })).toThrow(/complexity 11 must be a whole number from 0 to 10/);
    expect(() => new OpusEncoder({ complexity: 2.5 })).toThrow(InputError);
  });

  it('encodes at a lower complexity (speech mode) to packets that decode to the same length', async () => {
    const packets = await packetsOf(new OpusEncoder({ sampleRate: 16000, channels: 1, application: 'voip', bitrate: 24000, complexity: 0 }), tone(16000, 1, 1600));
    expect(packets.length).toBe(5);
    const { pcm } = await decodeAll(new OpusDecoder({ sampleRate: 16000, channels: 1 }), packets);
    expect(pcm.length).toBe(1600 * 2);
  });

  it('an input ending inside a sample frame is a FormatError', async () => {
    const encoder = new OpusEncoder({ sampleRate: 48000, channels: 2 });
    const result = collect(encoder).then(() => undefined, (e: unknown) => e);
    encoder.end(Buffer.alloc(3));
    expect(await result).toBeInstanceOf(FormatError);
  });
});

describe('OpusDecoder with bad packets', () => {
  const good = (async () => packetsOf(new OpusEncoder({ sampleRate: 48000, channels: 2 }), tone(48000, 2, 960 * 5)))();
  const junk = [Buffer.alloc(0), Buffer.from('garbage!garbage!garbage!'), Buffer.alloc(5000, 1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])];

  it("'skip' (default) drops them, counts them, and keeps decoding", async () => {
    const decoder = new OpusDecoder();
    const seen: OpusCorruptPacket[] = [];
    decoder.on('corrupt', (c: OpusCorruptPacket) => seen.push(c));
    const packets = await good;
    const { pcm, error } = await decodeAll(decoder, [packets[0]!, ...junk, ...packets.slice(1)]);
    expect(error).toBeUndefined();
    expect(pcm.length).toBe(5 * 960 * 4);
    expect(decoder.corruptPackets).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBe(decoder.corruptPackets);
    expect(seen[0]).toEqual({ byteLength: 0, reason: 'empty packet' });
  });

  it("'silence' keeps timing with silence as long as the last good packet", async () => {
    const packets = await good;
    const decoder = new OpusDecoder({ onCorrupt: 'silence' });
    const { pcm } = await decodeAll(decoder, [packets[0]!, Buffer.alloc(0), packets[1]!]);
    expect(pcm.length).toBe(3 * 960 * 4);
    expect(pcm.subarray(960 * 4, 2 * 960 * 4).every((b) => b === 0)).toBe(true);
  });

  it("'error' ends the stream with a FormatError after the audio before it", async () => {
    const packets = await good;
    const { pcm, error } = await decodeAll(new OpusDecoder({ onCorrupt: 'error' }), [packets[0]!, Buffer.alloc(0)]);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('TLA_ERR_OPUS_PACKET');
    expect(pcm.length).toBe(960 * 4);
  });

  it('decodes 3-byte packets (Discord silence frames) and recognises OpusHead/OpusTags', async () => {
    const decoder = new OpusDecoder();
    let head: unknown;
    decoder.on('head', (h: unknown) => (head = h));
    const tags = Buffer.concat([Buffer.from('OpusTags'), Buffer.alloc(8)]);
    const { pcm, error } = await decodeAll(decoder, [createOpusHead({ channels: 2, preSkip: 312 }), tags, Buffer.from([0xf8, 0xff, 0xfe]), Buffer.from([0xf8, 0xff, 0xfe])]);
    expect(error).toBeUndefined();
    expect(head).toMatchObject({ channels: 2, preSkip: 312, outputGainDb: 0, mappingFamily: 0 });
    expect(pcm.length).toBe(2 * 960 * 4);
    expect(decoder.corruptPackets).toBe(0);
  });

  it('every possible 3-byte packet start never crashes the decoder (sampled)', async () => {
    const decoder = new OpusDecoder();
    const packets: Buffer[] = [];
    for (let toc = 0; toc < 256; toc++) packets.push(Buffer.from([toc, 0x5a, 0xa5]));
    const { error } = await decodeAll(decoder, packets);
    expect(error).toBeUndefined();
    expect(decoder.corruptPackets + decoder.decodedPackets).toBe(256);
  });
});

describe('Opus helpers', () => {
  it('reads packet durations from the TOC byte', () => {
    expect(opusPacketSamples(Buffer.from([0xfc]))).toBe(960); // CELT FB 20 ms, one frame
    expect(opusPacketSamples(Buffer.from([0xfd]))).toBe(1920); // two frames
    expect(opusPacketSamples(Buffer.from([0xff, 0x03]))).toBe(2880); // code 3, three frames
    expect(opusPacketSamples(Buffer.from([0x08]))).toBe(960); // SILK NB 20 ms
    expect(opusPacketSamples(Buffer.from([0x18]))).toBe(2880); // SILK NB 60 ms
    expect(opusPacketSamples(Buffer.from([0x80]))).toBe(120); // CELT NB 2.5 ms
    expect(opusPacketSamples(Buffer.from([0xff, 0x3f]))).toBe(0); // 63 x 20 ms > 120 ms
    expect(opusPacketSamples(Buffer.alloc(0))).toBe(0);
  });

  it('parses OpusHead and rejects damaged ones', () => {
    expect(parseOpusHead(createOpusHead({ channels: 1, preSkip: 120, inputSampleRate: 16000, outputGainDb: -3 }))).toEqual({
      version: 1, channels: 1, preSkip: 120, inputSampleRate: 16000, outputGainDb: -3, mappingFamily: 0,
    });
    expect(() => parseOpusHead(Buffer.from('OpusHea'))).toThrow(FormatError);
    const zero = createOpusHead({ channels: 1 });
    zero[9] = 0;
    expect(() => parseOpusHead(zero)).toThrow(/0 channels/);
  });
});

describe('OpusEncoder construction failures', () => {
  it('a bad bitrate or Ogg option leaves no codec behind (every prism encoder made is released)', () => {
    const prism = createRequire(import.meta.url)('prism-media') as { opus: { Encoder: { prototype: { _destroy: unknown } } } };
    const made = vi.spyOn(prism.opus.Encoder.prototype as { _destroy: () => void }, '_destroy');
    const before = opusBackendName(); // loads the backend outside the count
    made.mockClear();
    const construct = vi.fn();
    const Original = prism.opus.Encoder;
    const counting = new Proxy(Original as unknown as new (...a: unknown[]) => object, {
      construct(target, args, newTarget) {
        construct();
        return Reflect.construct(target, args, newTarget);
      },
    });
    (prism.opus as { Encoder: unknown }).Encoder = counting;
    let released: number;
    try {
      expect(() => new OpusEncoder({ sampleRate: 48000, channels: 1, bitrate: 1 })).toThrow(InputError);
      expect(() => new OggOpusEncoder({ sampleRate: 48000, channels: 1, pageDurationMs: 0 })).toThrow(InputError);
      released = made.mock.calls.length;
    } finally {
      (prism.opus as { Encoder: unknown }).Encoder = Original;
      made.mockRestore();
    }
    expect(before).toBeTypeOf('string');
    expect(construct.mock.calls.length).toBeGreaterThan(0);
    expect(released).toBe(construct.mock.calls.length);
  });
});
