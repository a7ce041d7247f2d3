// Shared pieces of the Discord interop tests: a virtual clock that drives both @discordjs/voice's audio cycle
// (Date.now + setTimeout/setImmediate) and our pacer (performance.now + setTimeout), a stand-in for a ready
// VoiceConnection that records what the real AudioPlayer prepares, and a deterministic speech-like signal.
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { vi } from 'vitest';
import { pcmCorrelation, speechLikeSignal } from '../../../scripts/speech-like-signal.js';
import { OpusEncoder } from '../../../src/codecs/opus/opus.js';
import type { PcmFormat } from '../../../src/core/pcm/pcm-format.js';

/**
 * Fakes timers, Date and performance.now (the perf_hooks object is the one our modules hold, so its `now`
 * is pointed at the fake Date). Returns the undo.
 */
export function useVirtualClock(): () => void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'] });
  const spy = vi.spyOn(performance, 'now').mockImplementation(() => Date.now());
  return () => {
    spy.mockRestore();
    vi.useRealTimers();
  };
}

export interface PreparedPacket {
  atMs: number;
  packet: Buffer;
}

/**
 * What AudioPlayer needs from a VoiceConnection to run its cycle for it: a `ready` state, and somewhere to
 * put the packet it prepares each 20 ms (a real connection would encrypt and send it).
 */
export function fakeConnection(): { connection: object; packets: PreparedPacket[] } {
  const packets: PreparedPacket[] = [];
  const connection = {
    state: { status: 'ready' },
    prepareAudioPacket(packet: Buffer) {
      packets.push({ atMs: Date.now(), packet });
    },
    dispatchAudio() {},
    setSpeaking() {},
    onSubscriptionRemoved() {},
  };
  return { connection, packets };
}

/** Subscribes the stand-in connection the way VoiceConnection#subscribe does (the player's method is internal). */
export function subscribe(player: object, connection: object): void {
  (player as { subscribe(c: object): unknown }).subscribe(connection);
}

/** Speech-like test audio (see scripts/speech-like-signal.ts). */
export const speechLike = speechLikeSignal;

/** A PCM Readable with a `format`, fed by the test (push / end). */
export function pcmSource(format: PcmFormat): Readable & { format: PcmFormat } {
  const source = new Readable({ read() {} }) as Readable & { format: PcmFormat };
  source.format = format;
  return source;
}

/** Pushes `chunks[i]` at virtual time `atMs[i]` (ms from now), then ends the source after the last. */
export function schedule(source: Readable, plan: Array<{ atMs: number; chunk: Buffer }>, end = true): void {
  for (const { atMs, chunk } of plan) setTimeout(() => source.push(chunk), atMs);
  if (end) setTimeout(() => source.push(null), Math.max(0, ...plan.map((p) => p.atMs)));
}

/** Opus packets (48 kHz stereo, 20 ms) of `pcm`. */
export function opusPackets(pcm: Buffer): Buffer[] {
  const encoder = new OpusEncoder({ sampleRate: 48_000, channels: 2, frameDurationMs: 20 });
  const packets: Buffer[] = [];
  encoder.encodeChunk(pcm, (p) => packets.push(p));
  encoder.destroy();
  return packets;
}

/** Pearson correlation at the best lag within ±maxLag samples. */
export function correlation(a: Buffer, b: Buffer, maxLag = 0): number {
  return pcmCorrelation(a, b, maxLag).r;
}
