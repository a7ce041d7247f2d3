// ChannelMixer over real AudioReceiveStreams (decoded by fromDiscord inside the mixer), on virtual time.
import { AudioReceiveStream, EndBehaviorType } from '@discordjs/voice';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { DISCORD_PCM, REALTIME_PCM, STT_PCM } from '../../../src/core/pcm/pcm-format.js';
import { ChannelMixer } from '../../../src/streams/discord/channel-mixer.js';
import { DISCORD_SILENCE_PACKET } from '../../../src/streams/discord/discord-stream-type.js';
import { opusPackets, speechLike, useVirtualClock } from './discord-harness.js';

let restoreClock: () => void;
beforeEach(() => {
  restoreClock = useVirtualClock();
});
afterEach(() => {
  restoreClock();
});

const ALICE = opusPackets(speechLike(DISCORD_PCM, 1000, 11));
const BOB = opusPackets(speechLike(DISCORD_PCM, 1000, 22));

function receiveStream(): AudioReceiveStream {
  return new AudioReceiveStream({ end: { behavior: EndBehaviorType.Manual } });
}

/** Speech of `packets` from `startMs`, closed by Discord's 5 silence packets. */
function talk(stream: AudioReceiveStream, packets: Buffer[], startMs: number): number {
  packets.forEach((p, i) => setTimeout(() => stream.push(p), startMs + i * 20));
  for (let i = 0; i < 5; i++) setTimeout(() => stream.push(DISCORD_SILENCE_PACKET), startMs + (packets.length + i) * 20);
  return startMs + (packets.length + 5) * 20;
}

/** Energy per 20 ms frame of s16 PCM (mono), to see who is audible when. */
function frameEnergy(pcm: Buffer, frameBytes: number): number[] {
  const out: number[] = [];
  for (let off = 0; off + frameBytes <= pcm.length; off += frameBytes) {
    let e = 0;
    for (let i = off; i < off + frameBytes; i += 2) e += Math.abs(pcm.readInt16LE(i));
    out.push(e / (frameBytes / 2));
  }
  return out;
}

describe('ChannelMixer', () => {
  it("active-speaker: the first speaker keeps the floor through an overlap; the other gets it after the hangover", async () => {
    const mixer = new ChannelMixer({ format: REALTIME_PCM, hangoverMs: 100 });
    const speakers: Array<string | null> = [];
    mixer.on('speaker', (id) => speakers.push(id));
    const chunks: Buffer[] = [];
    mixer.on('data', (c: Buffer) => chunks.push(c));
    const alice = receiveStream();
    const bob = receiveStream();
    mixer.add('alice', alice);
    mixer.add('bob', bob);
    talk(alice, ALICE.slice(0, 25), 0); // speaks 0..500 ms
    talk(bob, BOB.slice(0, 25), 300); // starts while Alice speaks, 300..800 ms
    await vi.advanceTimersByTimeAsync(1500);
    expect(speakers).toEqual(['alice', 'bob', null]);
    let ended = false;
    mixer.on('end', () => (ended = true));
    mixer.end();
    await vi.advanceTimersByTimeAsync(100);
    expect(ended).toBe(true);
    const pcm = Buffer.concat(chunks);
    const energy = frameEnergy(pcm, 960);
    // Alice is heard (frames 0..24), then Bob from the end of Alice's hangover until he stops at 800 ms.
    expect(energy.slice(2, 24).every((e) => e > 500)).toBe(true);
    expect(energy.slice(26, 30).every((e) => e === 0)).toBe(true); // Alice's silence packets and hangover
    expect(energy.slice(31, 39).every((e) => e > 500)).toBe(true); // Bob, mid-sentence
    expect(energy.slice(41).every((e) => e === 0)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('mix: both voices summed, on one timeline', async () => {
    const mixer = new ChannelMixer({ format: STT_PCM, mode: 'mix' });
    const chunks: Buffer[] = [];
    mixer.on('data', (c: Buffer) => chunks.push(c));
    const alice = receiveStream();
    const bob = receiveStream();
    mixer.add('alice', alice);
    mixer.add('bob', bob);
    talk(alice, ALICE.slice(0, 20), 0);
    talk(bob, BOB.slice(0, 20), 0);
    await vi.advanceTimersByTimeAsync(800);
    mixer.end();
    await vi.advanceTimersByTimeAsync(100);
    const energy = frameEnergy(Buffer.concat(chunks), 640);
    expect(energy.length).toBeGreaterThanOrEqual(20);
    expect(energy.slice(2, 18).every((e) => e > 500)).toBe(true);
  });

  it('a user who leaves (their stream ends) leaves the mix; the floor passes on; end() ends the output', async () => {
    const mixer = new ChannelMixer({ format: REALTIME_PCM, hangoverMs: 0 });
    const speakers: Array<string | null> = [];
    const left: string[] = [];
    mixer.on('speaker', (id) => speakers.push(id));
    mixer.on('leave', (id) => left.push(id));
    mixer.resume();
    const alice = receiveStream();
    const bob = receiveStream();
    mixer.add('alice', alice);
    mixer.add('bob', bob);
    ALICE.slice(0, 30).forEach((p, i) => setTimeout(() => alice.push(p), i * 20));
    setTimeout(() => alice.destroy(), 300); // Alice disconnects mid-sentence
    talk(bob, BOB.slice(0, 20), 100);
    await vi.advanceTimersByTimeAsync(1000);
    expect(left).toEqual(['alice']);
    expect(speakers.slice(0, 3)).toEqual(['alice', null, 'bob']);
    let ended = false;
    mixer.on('end', () => (ended = true));
    mixer.end();
    await vi.advanceTimersByTimeAsync(100);
    expect(ended).toBe(true);
    expect(mixer.users).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a PCM input in another format and a user added twice', () => {
    const mixer = new ChannelMixer({ format: REALTIME_PCM });
    const pcm = Object.assign(new Readable({ read() {} }), { format: STT_PCM });
    expect(() => mixer.add('x', pcm)).toThrow(expect.objectContaining({ code: 'TLA_ERR_DISCORD_INPUT' }));
    mixer.add('y', receiveStream());
    expect(() => mixer.add('y', receiveStream())).toThrow(InputError);
    expect(() => new ChannelMixer({ mode: 'loudest' as never })).toThrow(expect.objectContaining({ code: 'TLA_ERR_INPUT_OPTION' }));
    mixer.destroy();
    expect(mixer.users).toEqual([]);
  });
});
