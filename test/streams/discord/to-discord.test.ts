// toDiscord against the real @discordjs/voice 0.18 AudioPlayer loop (its global 20 ms cycle, missed-frame
// rule and silence padding), with no Discord connection: a ready stand-in connection receives the packets the
// player prepares. Time is virtual (fake timers drive both clocks), so nothing here depends on machine load.
import { AudioPlayerStatus, createAudioPlayer, createAudioResource, type AudioPlayer, type StreamType } from '@discordjs/voice';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpusDecoder, opusPacketSamples } from '../../../src/codecs/opus/opus.js';
import { InputError } from '../../../src/core/errors.js';
import { DISCORD_PCM, REALTIME_PCM, msToBytes, type PcmFormat } from '../../../src/core/pcm/pcm-format.js';
import { isDiscordSilencePacket } from '../../../src/streams/discord/discord-stream-type.js';
import { toDiscord, type ToDiscordStream } from '../../../src/streams/discord/to-discord.js';
import { correlation, fakeConnection, pcmSource, schedule, speechLike, subscribe, useVirtualClock, type PreparedPacket } from './discord-harness.js';

let restoreClock: () => void;
/** Players of the test: @discordjs/voice keeps one module-wide cycle; a player left in it would stall the next test's. */
const players: AudioPlayer[] = [];
beforeEach(() => {
  restoreClock = useVirtualClock();
});
afterEach(() => {
  for (const player of players.splice(0)) player.stop(true);
  restoreClock();
});

interface Run {
  player: AudioPlayer;
  out: ToDiscordStream;
  packets: PreparedPacket[];
  /** Packets the player read from our stream. */
  handed: Buffer[];
  states: string[];
  errors: Error[];
}

function play(out: ToDiscordStream): Run {
  const player = createAudioPlayer();
  players.push(player);
  const { connection, packets } = fakeConnection();
  subscribe(player, connection);
  const handed: Buffer[] = [];
  const states: string[] = [];
  const errors: Error[] = [];
  // Counting the packets the player takes must not switch the stream to flowing mode (a 'data' listener would).
  const read = out.read.bind(out);
  out.read = (size?: number) => {
    const packet = read(size) as Buffer | null;
    if (packet !== null) handed.push(packet);
    return packet;
  };
  player.on('stateChange', (_from, to) => states.push(to.status));
  player.on('error', (err) => errors.push(err));
  player.play(createAudioResource(out, { inputType: out.streamType as StreamType }));
  return { player, out, packets, handed, states, errors };
}

async function untilIdle(run: Run, limitMs = 60_000): Promise<void> {
  for (let t = 0; t < limitMs && run.player.state.status !== AudioPlayerStatus.Idle; t += 100) await vi.advanceTimersByTimeAsync(100);
  expect(run.player.state.status).toBe(AudioPlayerStatus.Idle);
}

/** Silence the player inserted itself because our stream had nothing: a missed frame (5 of them make it stop). */
function missedFrames(run: Run): number {
  // The player prepares exactly one packet per cycle: ours, its own silence for a missed read, or its 5 end-padding frames.
  return run.packets.length - run.handed.length - 5;
}

function audioPackets(packets: PreparedPacket[]): PreparedPacket[] {
  return packets.filter((p) => !isDiscordSilencePacket(p.packet));
}

/** Index range from the first to the last non-silence packet, and the silence packets inside it. */
function gapsInside(packets: PreparedPacket[]): number {
  const first = packets.findIndex((p) => !isDiscordSilencePacket(p.packet));
  let last = packets.length - 1;
  while (last > first && isDiscordSilencePacket(packets[last]!.packet)) last--;
  return packets.slice(first, last + 1).filter((p) => isDiscordSilencePacket(p.packet)).length;
}

describe('toDiscord through the real AudioPlayer', () => {
  it('plays a steady 24 kHz source: 20 ms packets that decode, no missed frame, first packet within 100 ms', async () => {
    const source = pcmSource(REALTIME_PCM);
    const pcm = speechLike(REALTIME_PCM, 2000);
    const chunk = msToBytes(REALTIME_PCM, 20);
    const plan = [];
    for (let i = 0; i < 100; i++) plan.push({ atMs: i * 20, chunk: pcm.subarray(i * chunk, (i + 1) * chunk) });
    const t0 = Date.now();
    schedule(source, plan);
    const run = play(toDiscord(source));
    await untilIdle(run);

    expect(run.errors).toEqual([]);
    expect(missedFrames(run)).toBe(0);
    expect(run.states).toEqual(['buffering', 'playing', 'idle']);
    expect(run.out.playedMs).toBe(2000);
    const audio = audioPackets(run.packets);
    expect(audio.length).toBe(100);
    expect(gapsInside(run.packets)).toBe(0);
    expect(audio[0]!.atMs - t0).toBeLessThanOrEqual(100);
    const decoder = new OpusDecoder({ sampleRate: 48_000, channels: 2 });
    for (const { packet } of run.packets) {
      expect(opusPacketSamples(packet)).toBe(960);
      expect(decoder.decodePacket(packet)?.length).toBe(3840);
    }
    expect(decoder.corruptPackets).toBe(0);
    decoder.destroy();
    // Encoded at the source's own 24 kHz mono (no resampler): the decode matches the source.
    expect(run.out.pacedFormat).toEqual(REALTIME_PCM);
    const mono = new OpusDecoder({ sampleRate: 24_000, channels: 1 });
    const decoded = Buffer.concat(audio.map(({ packet }) => mono.decodePacket(packet)!));
    mono.destroy();
    expect(decoded.length).toBe(pcm.length);
    expect(correlation(decoded, pcm, 200)).toBeGreaterThan(0.95);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a source at a rate Opus does not run at (44.1 kHz) is resampled to 48 kHz stereo, and raw output is always 48 kHz stereo', async () => {
    const cd: PcmFormat = { sampleRate: 44_100, channels: 2, encoding: 's16le' };
    const source = pcmSource(cd);
    schedule(source, [{ atMs: 0, chunk: speechLike(cd, 1000) }]);
    const run = play(toDiscord(source));
    expect(run.out.pacedFormat).toEqual(DISCORD_PCM);
    await untilIdle(run);
    expect(run.errors).toEqual([]);
    expect(run.out.playedMs).toBeCloseTo(1000, 0);
    expect(missedFrames(run)).toBe(0);
    const decoder = new OpusDecoder({ sampleRate: 48_000, channels: 2 });
    for (const { packet } of run.packets) expect(decoder.decodePacket(packet)?.length).toBe(3840);
    decoder.destroy();

    const speech = pcmSource(REALTIME_PCM);
    schedule(speech, [{ atMs: 0, chunk: speechLike(REALTIME_PCM, 500) }]);
    const raw = play(toDiscord(speech, { streamType: 'raw' }));
    expect(raw.out.pacedFormat).toEqual(DISCORD_PCM);
    await untilIdle(raw);
    expect(raw.handed.every((frame) => frame.length === 3840)).toBe(true);
    expect(raw.out.playedMs).toBeCloseTo(500, 0);
    for (const { packet } of raw.packets) expect(opusPacketSamples(packet)).toBe(960);
  });

  it('a below-real-time source (300 ms bursts, 200 ms holes) plays all its audio; the player never goes idle on it', async () => {
    const source = pcmSource(REALTIME_PCM);
    const burst = speechLike(REALTIME_PCM, 300);
    const plan = [];
    for (let i = 0; i < 8; i++) plan.push({ atMs: i * 500, chunk: burst });
    schedule(source, plan);
    const run = play(toDiscord(source));
    await untilIdle(run);

    expect(run.errors).toEqual([]);
    expect(missedFrames(run)).toBe(0);
    expect(run.states.filter((s) => s === 'idle')).toHaveLength(1);
    expect(run.out.playedMs).toBe(2400);
    // An underrun plays the partial frame it finds: at most one extra packet each.
    expect(audioPackets(run.packets).length).toBeGreaterThanOrEqual(120);
    expect(audioPackets(run.packets).length).toBeLessThanOrEqual(120 + run.out.underruns);
    expect(run.out.underruns).toBeGreaterThan(0);
  });

  it('a source at 1x real time in bursts up to 500 ms apart plays with no gap after the start cushion', async () => {
    const source = pcmSource(REALTIME_PCM);
    // Cumulative arrival never falls behind real time: 200 ms at 0, +500 at 200, +300 at 700, +500 at 1000, +400 at 1500.
    const sizes = [200, 500, 300, 500, 400];
    const times = [0, 200, 700, 1000, 1500];
    const pcm = speechLike(REALTIME_PCM, 1900);
    let offset = 0;
    const plan = sizes.map((ms, i) => {
      const bytes = msToBytes(REALTIME_PCM, ms);
      const chunk = pcm.subarray(offset, offset + bytes);
      offset += bytes;
      return { atMs: times[i]!, chunk };
    });
    schedule(source, plan);
    const run = play(toDiscord(source));
    await untilIdle(run);

    expect(missedFrames(run)).toBe(0);
    expect(gapsInside(run.packets)).toBe(0);
    expect(audioPackets(run.packets)).toHaveLength(95);
    expect(run.out.underruns).toBe(0);
  });

  it('grows the cushion after an underrun, so a source that keeps bursting late stops stuttering', async () => {
    const source = pcmSource(REALTIME_PCM);
    // 1x on average but every burst lands 100 ms after the previous one ran out.
    const plan = [];
    for (let i = 0; i < 10; i++) plan.push({ atMs: i * 400 + (i > 0 ? 100 : 0), chunk: speechLike(REALTIME_PCM, 400, i) });
    schedule(source, plan);
    const out = toDiscord(source);
    const run = play(out);
    await untilIdle(run);
    // Playback starts at 60 ms (the pacer's first tick after the 40 ms cushion), the first burst runs out at 460 and
    // the second lands at 500: one underrun, 40 ms late, cushion 40 + 40; every later burst comes within it.
    expect(out.underruns).toBe(1);
    expect(out.cushionMs).toBe(80);
    expect(out.playedMs).toBe(4000);
    expect(missedFrames(run)).toBe(0);
  });

  it.each([['raw'], ['ogg/opus']] as const)('%s: the player turns it into 20 ms Opus packets with no missed frame', async (streamType) => {
    const source = pcmSource(DISCORD_PCM);
    const pcm = speechLike(DISCORD_PCM, 1000);
    const plan = [];
    for (let i = 0; i < 10; i++) plan.push({ atMs: i * 100, chunk: pcm.subarray(i * 19_200, (i + 1) * 19_200) });
    schedule(source, plan);
    const run = play(toDiscord(source, { streamType }));
    await untilIdle(run);
    expect(run.errors).toEqual([]);
    expect(run.out.playedMs).toBe(1000);
    const audio = audioPackets(run.packets);
    expect(audio.length).toBeGreaterThanOrEqual(50);
    for (const { packet } of run.packets) expect(opusPacketSamples(packet)).toBe(960);
    expect(gapsInside(run.packets)).toBe(0);
  });

  it('clear() on barge-in drops the queue at once, reports it, and later audio plays again', async () => {
    const source = pcmSource(REALTIME_PCM);
    source.push(speechLike(REALTIME_PCM, 3000));
    const out = toDiscord(source);
    const run = play(out);
    await vi.advanceTimersByTimeAsync(1000);
    const before = audioPackets(run.packets).length;
    const cleared = out.clear();
    expect(cleared).toBeGreaterThan(1500);
    // Not yet counted either way: the packet waiting in the stream's buffer for the player, and the resampler's delay.
    expect(3000 - out.playedMs - cleared).toBeGreaterThanOrEqual(0);
    expect(3000 - out.playedMs - cleared).toBeLessThanOrEqual(20 + 3);
    await vi.advanceTimersByTimeAsync(500);
    // At most the packet already handed to the player still plays.
    expect(audioPackets(run.packets).length - before).toBeLessThanOrEqual(1);
    expect(run.player.state.status).toBe(AudioPlayerStatus.Playing);
    source.push(speechLike(REALTIME_PCM, 400, 2));
    source.push(null);
    await untilIdle(run);
    expect(out.playedMs + out.clearedMs).toBeCloseTo(3400, 6);
    expect(out.clearedMs).toBe(cleared);
    expect(missedFrames(run)).toBe(0);
  });

  it('clear() also drops what waits in the source beyond the queue (maxQueuedMs)', async () => {
    const source = pcmSource(REALTIME_PCM);
    for (let i = 0; i < 10; i++) source.push(speechLike(REALTIME_PCM, 500, i + 1));
    const out = toDiscord(source, { maxQueuedMs: 2000 });
    const run = play(out);
    await vi.advanceTimersByTimeAsync(1000);
    // The queue holds 2 s; the rest of the 5 s waits in the source (paused).
    expect(source.readableLength).toBeGreaterThan(0);
    const before = audioPackets(run.packets).length;
    const cleared = out.clear();
    expect(source.readableLength).toBe(0);
    expect(cleared).toBeGreaterThan(3500);
    source.push(null);
    await untilIdle(run);
    expect(audioPackets(run.packets).length - before).toBeLessThanOrEqual(1);
    expect(out.playedMs + out.clearedMs).toBeCloseTo(5000, 6);
    expect(missedFrames(run)).toBe(0);
  });

  it('clear() between the two bytes of a sample: the audio after it is still in step (not byte-swapped noise)', async () => {
    const source = pcmSource(REALTIME_PCM);
    const pcm = speechLike(REALTIME_PCM, 3000);
    const plan = [];
    for (let i = 0, at = 0; i * 333 < pcm.length; i++, at += 7) plan.push({ atMs: at, chunk: pcm.subarray(i * 333, (i + 1) * 333) });
    schedule(source, plan);
    const out = toDiscord(source);
    const run = play(out);
    // 143 chunks (0..142) are in by 997 ms: 47 619 bytes, the last sample split in two.
    await vi.advanceTimersByTimeAsync(997);
    const clearedAt = Date.now();
    out.clear();
    await untilIdle(run);
    const after = audioPackets(run.packets).filter((p) => p.atMs > clearedAt + 20);
    expect(after.length).toBeGreaterThan(50);
    const mono = new OpusDecoder({ sampleRate: 24_000, channels: 1 });
    const decoded = Buffer.concat(after.map(({ packet }) => mono.decodePacket(packet)!));
    mono.destroy();
    // The audio after the clear is the source from its next whole sample (23 810) on.
    const rest = pcm.subarray(23_810 * 2);
    expect(correlation(decoded.subarray(0, Math.min(decoded.length, rest.length)), rest, 300)).toBeGreaterThan(0.9);
  });

  it('pads the last partial frame and survives odd chunk sizes', async () => {
    const source = pcmSource(REALTIME_PCM);
    const pcm = speechLike(REALTIME_PCM, 1010);
    const plan = [];
    for (let i = 0, at = 0; i < pcm.length; i += 333, at += 7) plan.push({ atMs: at, chunk: pcm.subarray(i, i + 333) });
    schedule(source, plan);
    const run = play(toDiscord(source));
    await untilIdle(run);
    expect(run.out.playedMs).toBeCloseTo(1010, 6);
    expect(audioPackets(run.packets)).toHaveLength(51);
    expect(missedFrames(run)).toBe(0);
  });

  it('a player stopped mid-reply destroys the source (default) and leaves no timer', async () => {
    const source = pcmSource(REALTIME_PCM);
    source.push(speechLike(REALTIME_PCM, 2000));
    const out = toDiscord(source);
    const run = play(out);
    await vi.advanceTimersByTimeAsync(500);
    run.player.stop(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(out.destroyed).toBe(true);
    expect(source.destroyed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('destroySource: false leaves a long-lived source open (paused, detached)', async () => {
    const source = pcmSource(REALTIME_PCM);
    source.push(speechLike(REALTIME_PCM, 1000));
    const out = toDiscord(source, { destroySource: false });
    const run = play(out);
    await vi.advanceTimersByTimeAsync(300);
    run.player.stop(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(out.destroyed).toBe(true);
    expect(source.destroyed).toBe(false);
    expect(source.listenerCount('data')).toBe(0);
    source.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a source that fails mid-way: what arrived plays, then the player reports a typed error', async () => {
    const source = pcmSource(REALTIME_PCM);
    source.push(speechLike(REALTIME_PCM, 600));
    setTimeout(() => source.destroy(new Error('socket hang up')), 100);
    const out = toDiscord(source);
    const ours: Error[] = [];
    out.on('error', (e) => ours.push(e));
    const run = play(out);
    await untilIdle(run);
    expect(run.out.playedMs).toBe(600);
    // The player wraps it in an AudioPlayerError (name and message kept).
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]!.name).toBe('InputError');
    const cause = ours[0];
    expect(cause).toBeInstanceOf(InputError);
    expect((cause as InputError).code).toBe('TLA_ERR_DISCORD_SOURCE_FAILED');
    // The player's own cycle timer stops at its next 20 ms turn; none of ours is left.
    await vi.advanceTimersByTimeAsync(20);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an abort signal destroys the stream with an AbortError', async () => {
    const source = pcmSource(REALTIME_PCM);
    source.push(speechLike(REALTIME_PCM, 1000));
    const controller = new AbortController();
    const out = toDiscord(source, { signal: controller.signal });
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    out.resume();
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(20);
    expect(errors[0]?.name).toBe('AbortError');
    expect(source.destroyed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('toDiscord input checks', () => {
  it('refuses an object-mode source (Opus packets), a source of unknown format and unknown options', () => {
    const objects = new Readable({ objectMode: true, read() {} });
    expect(() => toDiscord(objects, { format: REALTIME_PCM })).toThrow(expect.objectContaining({ code: 'TLA_ERR_DISCORD_INPUT' }));
    const bytes = new Readable({ read() {} });
    expect(() => toDiscord(bytes)).toThrow(expect.objectContaining({ code: 'TLA_ERR_DISCORD_INPUT' }));
    expect(() => toDiscord(bytes, { format: REALTIME_PCM, streamType: 'mp3' as never })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
    expect(() => toDiscord(bytes, { format: REALTIME_PCM, cushionMs: -5 })).toThrow(InputError);
    expect(() => toDiscord(bytes, { format: { sampleRate: 5, channels: 1, encoding: 's16le' } as PcmFormat })).toThrow(expect.objectContaining({ code: 'TLA_ERR_PCM_FORMAT' }));
    expect(() => toDiscord(bytes, { format: REALTIME_PCM, streamType: 'raw', bitrate: 96_000 })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
    expect(() => toDiscord(bytes, { format: REALTIME_PCM, streamType: 'raw', complexity: 5 })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
    expect(() => toDiscord(bytes, { format: REALTIME_PCM, complexity: 11 })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
  });

  it('a source that emits strings fails with a typed error after what arrived', async () => {
    const source = new Readable({ read() {}, encoding: 'latin1' }) as Readable;
    const out = toDiscord(source, { format: REALTIME_PCM });
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    out.resume();
    source.push(Buffer.alloc(480));
    await vi.advanceTimersByTimeAsync(200);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect((errors[0] as InputError).code).toBe('TLA_ERR_DISCORD_INPUT');
  });
});
