// fromDiscord fed by a real @discordjs/voice AudioReceiveStream (what connection.receiver.subscribe returns),
// pushed on a 20 ms timer with losses, a damaged packet, a pause, Discord silence frames and a network clump.
// Time is virtual (fake timers), so arrival times are exact and the assertions are exact too.
import { AudioReceiveStream, EndBehaviorType } from '@discordjs/voice';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../../scripts/seeded-random.js';
import { OpusDecoder } from '../../../src/codecs/opus/opus.js';
import { InputError } from '../../../src/core/errors.js';
import { DISCORD_PCM, REALTIME_PCM, STT_PCM, type PcmFormat } from '../../../src/core/pcm/pcm-format.js';
import { DISCORD_SILENCE_PACKET } from '../../../src/streams/discord/discord-stream-type.js';
import { fromDiscord, type DiscordSpeechEvent, type FromDiscordStream } from '../../../src/streams/discord/from-discord.js';
import { correlation, opusPackets, speechLike, useVirtualClock } from './discord-harness.js';

let restoreClock: () => void;
beforeEach(() => {
  restoreClock = useVirtualClock();
});
afterEach(() => {
  restoreClock();
});

/** A packet libopus rejects: code 2 (two frames of different sizes) whose first size claims more bytes than follow. */
const INVALID_PACKET = Buffer.from([0xfc | 2, 200, 1, 2, 3]);

const speech = speechLike(DISCORD_PCM, 2000, 3);
const PACKETS = opusPackets(speech);

type Slot = Buffer | null | { clumpAfter: number; packet: Buffer };

function receiveStream(): AudioReceiveStream {
  return new AudioReceiveStream({ end: { behavior: EndBehaviorType.Manual } });
}

/**
 * Pushes slot i at i × 20 ms (null: nothing, the packet is lost or the user is quiet), then ends `endAfterMs`
 * after the last slot's end (the end is a point on the timeline: the output reaches it).
 */
function feed(stream: AudioReceiveStream, slots: Slot[], endAfterMs = 0): void {
  slots.forEach((slot, i) => {
    if (slot === null) return;
    if (Buffer.isBuffer(slot)) setTimeout(() => stream.push(slot), i * 20);
    else setTimeout(() => stream.push(slot.packet), slot.clumpAfter);
  });
  setTimeout(() => stream.push(null), slots.length * 20 + endAfterMs);
}

interface Collected {
  pcm: Buffer;
  events: Array<{ type: string } & DiscordSpeechEvent>;
}

async function collect(out: FromDiscordStream, untilMs: number): Promise<Collected> {
  const chunks: Buffer[] = [];
  const events: Collected['events'] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  out.on('speechStart', (e) => events.push({ type: 'start', ...e }));
  out.on('speechEnd', (e) => events.push({ type: 'end', ...e }));
  let ended = false;
  out.on('end', () => (ended = true));
  for (let t = 0; t < untilMs && !ended; t += 20) await vi.advanceTimersByTimeAsync(20);
  expect(ended).toBe(true);
  return { pcm: Buffer.concat(chunks), events };
}

/** Reference: each slot decoded on its own place (lost/quiet/damaged slots are silence), at the output format. */
function reference(slots: Array<Buffer | null>, format: PcmFormat): Buffer {
  const decoder = new OpusDecoder({ sampleRate: format.sampleRate as 24000, channels: format.channels as 1 | 2 });
  const frameBytes = (format.sampleRate / 50) * format.channels * 2;
  const out = slots.map((p) => (p === null || p === INVALID_PACKET || p === DISCORD_SILENCE_PACKET ? Buffer.alloc(frameBytes) : decoder.decodePacket(p)!));
  decoder.destroy();
  return Buffer.concat(out);
}

function msToByte(format: PcmFormat, ms: number): number {
  return (ms * format.sampleRate * format.channels * 2) / 1000;
}

describe('fromDiscord keeps the timeline', () => {
  it('a lost packet, a damaged one, a 1 s pause and silence frames each cost exactly their own time, in place', async () => {
    const slots: Array<Buffer | null> = [];
    for (let i = 0; i < 50; i++) slots.push(i === 10 ? null : i === 20 ? INVALID_PACKET : PACKETS[i]!);
    for (let i = 0; i < 50; i++) slots.push(null);
    for (let i = 50; i < 95; i++) slots.push(PACKETS[i]!);
    for (let i = 0; i < 5; i++) slots.push(DISCORD_SILENCE_PACKET);
    const stream = receiveStream();
    const out = fromDiscord(stream, { userId: 'u1', format: REALTIME_PCM });
    feed(stream, slots);
    const { pcm, events } = await collect(out, 5000);

    expect(pcm.length).toBe(msToByte(REALTIME_PCM, slots.length * 20));
    expect(out.stats).toMatchObject({ corruptPackets: 1, silencePackets: 5, insertedSilenceMs: 1020, outputMs: 3000, overflowMs: 0 });
    // The pause is silent, in place.
    expect(pcm.subarray(msToByte(REALTIME_PCM, 1000), msToByte(REALTIME_PCM, 2000)).every((b) => b === 0)).toBe(true);
    // The lost and the damaged packet are silent for exactly their 20 ms.
    for (const at of [200, 400]) expect(pcm.subarray(msToByte(REALTIME_PCM, at), msToByte(REALTIME_PCM, at + 20)).every((b) => b === 0)).toBe(true);
    expect(pcm.subarray(msToByte(REALTIME_PCM, 220), msToByte(REALTIME_PCM, 240)).some((b) => b !== 0)).toBe(true);
    // Each segment matches a reference decode of the same packets on the same grid.
    const ref = reference(slots, REALTIME_PCM);
    for (const [from, to] of [[0, 1000], [2000, 2900]] as const) {
      const seg = (b: Buffer) => b.subarray(msToByte(REALTIME_PCM, from), msToByte(REALTIME_PCM, to));
      expect(correlation(seg(pcm), seg(ref))).toBeGreaterThan(0.95);
    }
    expect(events.map((e) => [e.type, e.atMs])).toEqual([
      ['start', 0],
      ['end', 1000],
      ['start', 2000],
      ['end', 2900],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a clump after a network stall is placed back to back, not after invented silence', async () => {
    // Packets 10..14 are held up by the network and arrive together at 300 ms with packet 15 (due from 200 to 280).
    const slots: Slot[] = [];
    for (let i = 0; i < 40; i++) slots.push(i >= 10 && i < 15 ? { clumpAfter: 300, packet: PACKETS[i]! } : PACKETS[i]!);
    const stream = receiveStream();
    const out = fromDiscord(stream, { format: STT_PCM, jitterMs: 120 });
    feed(stream, slots);
    const { pcm } = await collect(out, 3000);
    expect(out.stats.insertedSilenceMs).toBe(0);
    expect(pcm.length).toBe(msToByte(STT_PCM, 800));
    expect(correlation(pcm, reference(PACKETS.slice(0, 40), STT_PCM))).toBeGreaterThan(0.95);
  });

  it('a stall longer than the jitter allowance (10 packets at once) is still placed back to back', async () => {
    const slots: Slot[] = [];
    for (let i = 0; i < 40; i++) slots.push(i >= 10 && i < 20 ? { clumpAfter: 400, packet: PACKETS[i]! } : PACKETS[i]!);
    const stream = receiveStream();
    const out = fromDiscord(stream, { format: STT_PCM, livePauses: false });
    feed(stream, slots);
    const { pcm } = await collect(out, 3000);
    expect(out.stats.insertedSilenceMs).toBe(0);
    expect(pcm.length).toBe(msToByte(STT_PCM, 800));
  });

  it('with livePauses, the silence of a pause flows while it happens (a realtime session hears it)', async () => {
    const stream = receiveStream();
    const out = fromDiscord(stream, { format: REALTIME_PCM });
    let bytes = 0;
    out.on('data', (c: Buffer) => (bytes += c.length));
    for (let i = 0; i < 10; i++) setTimeout(() => stream.push(PACKETS[i]!), i * 20);
    await vi.advanceTimersByTimeAsync(1200);
    // 200 ms of speech and ~1 s of pause so far (less the 40 ms jitter allowance), before any packet ended it.
    expect(bytes).toBeGreaterThanOrEqual(msToByte(REALTIME_PCM, 1120));
    expect(out.speaking).toBe(false);
    stream.push(null);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('without livePauses nothing runs while the user is quiet; the pause is filled when speech resumes', async () => {
    const stream = receiveStream();
    const out = fromDiscord(stream, { format: DISCORD_PCM, livePauses: false });
    const slots: Array<Buffer | null> = [...PACKETS.slice(0, 5), ...Array<null>(25).fill(null), ...PACKETS.slice(5, 10)];
    feed(stream, slots);
    let bytes = 0;
    out.on('data', (c: Buffer) => (bytes += c.length));
    await vi.advanceTimersByTimeAsync(300);
    const atPauseStart = bytes;
    await vi.advanceTimersByTimeAsync(250);
    expect(atPauseStart).toBe(msToByte(DISCORD_PCM, 100));
    expect(bytes).toBe(atPauseStart);
    await vi.advanceTimersByTimeAsync(500);
    expect(out.readableEnded).toBe(true);
    expect(bytes).toBe(msToByte(DISCORD_PCM, 700));
    expect(out.stats.insertedSilenceMs).toBe(500);
  });
});

describe('fromDiscord keeps the timeline under jitter, late packets and stalls', () => {
  // 30 s of speech segments (1 % lost, 0.5 % damaged, 5 silence frames after each) and pauses of 0.3-1.5 s, each
  // packet arriving up to 12 ms late, one packet in 97 arriving 70 ms late (after later ones), and a 200 ms stall
  // every 3 s whose packets arrive in one clump. Arrival times are virtual, so this is exact.
  const rand = seededRandom(11);
  const slots: Array<Buffer | null> = [];
  while (slots.length < 1500) {
    const n = 100 + Math.floor(rand() * 150);
    for (let i = 0; i < n; i++) {
      const r = rand();
      slots.push(r < 0.01 ? null : r < 0.015 ? INVALID_PACKET : PACKETS[(slots.length + i) % PACKETS.length]!);
    }
    for (let i = 0; i < 5; i++) slots.push(DISCORD_SILENCE_PACKET);
    for (let i = 15 + Math.floor(rand() * 60); i > 0; i--) slots.push(null);
  }
  const delays = slots.map((_, i) => (i % 150 < 10 ? (10 - (i % 150)) * 20 : i % 97 === 13 ? 70 : 0) + rand() * 12);

  for (const livePauses of [true, false]) {
    it(`output length equals the arrival timeline within one frame (livePauses ${livePauses})`, async () => {
      const stream = receiveStream();
      const out = fromDiscord(stream, { format: STT_PCM, livePauses });
      slots.forEach((p, i) => {
        if (p !== null) setTimeout(() => stream.push(p), i * 20 + delays[i]!);
      });
      setTimeout(() => stream.push(null), slots.length * 20);
      const { pcm } = await collect(out, slots.length * 20 + 1000);
      expect(Math.abs(pcm.length / msToByte(STT_PCM, 1) - slots.length * 20)).toBeLessThanOrEqual(20);
      expect(out.stats.corruptPackets).toBe(slots.filter((p) => p === INVALID_PACKET).length);
      expect(vi.getTimerCount()).toBe(0);
    }, 60_000);
  }
});

describe('fromDiscord ends and fails cleanly', () => {
  it('a receive stream destroyed without an error (the user left) ends the PCM cleanly, speech closed', async () => {
    const stream = receiveStream();
    const out = fromDiscord(stream, { userId: 'u2' });
    for (let i = 0; i < 5; i++) setTimeout(() => stream.push(PACKETS[i]!), i * 20);
    setTimeout(() => stream.destroy(), 90);
    const { pcm, events } = await collect(out, 1000);
    expect(pcm.length).toBe(msToByte(REALTIME_PCM, 100));
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a receive stream that fails makes the PCM fail with TLA_ERR_DISCORD_RECEIVE_FAILED and frees the decoder and timer', async () => {
    const stream = receiveStream();
    const out = fromDiscord(stream);
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    out.resume();
    stream.push(PACKETS[0]!);
    await vi.advanceTimersByTimeAsync(20);
    stream.destroy(new Error('decryption failed'));
    await vi.advanceTimersByTimeAsync(20);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect((errors[0] as InputError).code).toBe('TLA_ERR_DISCORD_RECEIVE_FAILED');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('things that are not packets are counted as damaged, never fatal', async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const out = fromDiscord(stream, { format: STT_PCM });
    const corrupt: unknown[] = [];
    out.on('corrupt', (c) => corrupt.push(c));
    stream.push(PACKETS[0]!);
    stream.push('hello');
    stream.push(Buffer.alloc(0));
    stream.push(Buffer.alloc(5000, 0x41));
    stream.push(PACKETS[1]!);
    stream.push(null);
    const { pcm } = await collect(out, 500);
    expect(out.stats.corruptPackets).toBe(3);
    expect(corrupt).toHaveLength(3);
    expect(pcm.length).toBeGreaterThanOrEqual(msToByte(STT_PCM, 40));
  });

  it('refuses a byte stream and formats Opus cannot decode to', () => {
    expect(() => fromDiscord(new Readable({ read() {} }))).toThrow(expect.objectContaining({ code: 'TLA_ERR_DISCORD_INPUT' }));
    const objects = new Readable({ objectMode: true, read() {} });
    expect(() => fromDiscord(objects, { format: { sampleRate: 44_100, channels: 1, encoding: 's16le' } })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
    expect(() => fromDiscord(objects, { format: { sampleRate: 24_000, channels: 1, encoding: 'f32le' } })).toThrow(InputError);
    expect(() => fromDiscord(objects, { jitterMs: -1 })).toThrow(InputError);
  });

  it('an abort signal destroys the stream and frees everything', async () => {
    const stream = receiveStream();
    const controller = new AbortController();
    const out = fromDiscord(stream, { signal: controller.signal });
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    stream.push(PACKETS[0]!);
    await vi.advanceTimersByTimeAsync(60);
    controller.abort();
    await vi.advanceTimersByTimeAsync(20);
    expect(errors[0]?.name).toBe('AbortError');
    expect(stream.listenerCount('data')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
