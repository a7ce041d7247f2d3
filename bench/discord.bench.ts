// Discord voice plumbing against what bot authors use today, in one run, in real time:
// - send: toDiscord vs a Raw resource (the player's own prism-media encoder), both read by the real
//   @discordjs/voice AudioPlayer cycle (a ready stand-in connection records each packet it prepares);
// - receive: fromDiscord vs prism opus.Decoder on the same AudioReceiveStream feed (real-time timer,
//   losses, damaged packets, pauses, Discord silence frames);
// - cost: CPU per stream for receive (decode + resample) and send (pace + encode), ours vs prism (+ ffmpeg).
// Run alone: node --expose-gc --import tsx bench/discord.bench.ts   (DISCORD_BENCH_SECONDS=20 for a quick run)
import { AudioReceiveStream, EndBehaviorType, createAudioPlayer, createAudioResource, type AudioPlayer, type StreamType } from '@discordjs/voice';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../scripts/seeded-random.js';
import { pcmCorrelation, speechLikeSignal } from '../scripts/speech-like-signal.js';
import { resolveFfmpeg } from '../src/codecs/ffmpeg/ffmpeg-resolve.js';
import { OpusDecoder, OpusEncoder, opusBackendName, opusPacketSamples } from '../src/codecs/opus/opus.js';
import { DISCORD_PCM, REALTIME_PCM, msToBytes, type PcmFormat } from '../src/core/pcm/pcm-format.js';
import { DISCORD_SILENCE_PACKET, isDiscordSilencePacket } from '../src/streams/discord/discord-stream-type.js';
import { fromDiscord } from '../src/streams/discord/from-discord.js';
import { toDiscord, type ToDiscordStream } from '../src/streams/discord/to-discord.js';
import { table, writeSection } from './report.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const prism = require('prism-media') as any;
process.env.PATH = `${path.dirname(resolveFfmpeg().path)}${path.delimiter}${process.env.PATH ?? ''}`;

const RECEIVE_SECONDS = Number(process.env.DISCORD_BENCH_SECONDS ?? 60);
const COST_SECONDS = Math.max(5, Math.round(RECEIVE_SECONDS / 8));
/** Send-cost rounds per pipeline (median taken), after one short uncounted warm-up round. */
const SEND_ROUNDS = 5;
/** Opus bit rate of toDiscord's default and of the like-for-like peer rows (a Discord voice channel's default). */
const DISCORD_BITRATE = 64_000;
const COST_STREAMS = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

const speechLike = speechLikeSignal;

/** Children's CPU (reaped child processes such as ffmpeg), ms, from /proc/self/stat. */
function childCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return 0;
  }
}
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---------------------------------------------------------------- send, real time, real player
interface SendResult {
  label: string;
  who: string;
  totalMs: number;
  playedMs: number;
  idleEarly: boolean;
  missed: number;
  gapsMs: number;
  firstMs: number;
  bad: number;
}

function fakeConnection(packets: Array<{ t: number; p: Buffer }>) {
  return { state: { status: 'ready' }, prepareAudioPacket: (p: Buffer) => packets.push({ t: performance.now(), p }), dispatchAudio() {}, setSpeaking() {}, onSubscriptionRemoved() {} };
}

async function sendScenario(label: string, plan: Array<{ atMs: number; ms: number }>, ours: boolean): Promise<SendResult> {
  const format = DISCORD_PCM;
  const source = Object.assign(new Readable({ read() {} }), { format });
  const packets: Array<{ t: number; p: Buffer }> = [];
  const player: AudioPlayer = createAudioPlayer();
  (player as any).subscribe(fakeConnection(packets));
  let handed = 0;
  let out: ToDiscordStream | undefined;
  let stream: Readable = source;
  if (ours) {
    out = toDiscord(source);
    const read = out.read.bind(out);
    out.read = (n?: number) => {
      const v = read(n);
      if (v !== null) handed++;
      return v;
    };
    stream = out;
  }
  const resource = createAudioResource(stream, { inputType: (ours ? 'opus' : 'raw') as StreamType });
  let totalMs = 0;
  let firstPushAt = -1;
  const t0 = performance.now();
  let sourceEndAt = Infinity;
  let i = 0;
  const next = (): void => {
    const step = plan[i]!;
    const pcm = speechLike(format, step.ms, i + 1);
    if (firstPushAt < 0) firstPushAt = performance.now();
    source.push(pcm);
    totalMs += step.ms;
    i++;
    if (i < plan.length) setTimeout(next, Math.max(0, t0 + plan[i]!.atMs - performance.now()));
    else {
      source.push(null);
      sourceEndAt = performance.now();
    }
  };
  setTimeout(next, 0);
  player.play(resource);
  let idleAt = -1;
  player.on('stateChange', (_a, b) => {
    if (b.status === 'idle' && idleAt < 0) idleAt = performance.now();
  });
  player.on('error', () => {});
  const limit = plan[plan.length - 1]!.atMs + totalPlanMs(plan) + 5000;
  while (idleAt < 0 && performance.now() - t0 < limit) await sleep(50);
  player.stop(true);
  const firstAudio = packets.find((x) => !isDiscordSilencePacket(x.p));
  const firstIdx = packets.findIndex((x) => !isDiscordSilencePacket(x.p));
  let lastIdx = packets.length - 1;
  while (lastIdx > firstIdx && isDiscordSilencePacket(packets[lastIdx]!.p)) lastIdx--;
  const gaps = firstIdx < 0 ? 0 : packets.slice(firstIdx, lastIdx + 1).filter((x) => isDiscordSilencePacket(x.p)).length;
  const decoder = new OpusDecoder({ sampleRate: 48_000, channels: 2 });
  let bad = 0;
  for (const { p } of packets) if (opusPacketSamples(p) !== 960 || decoder.decodePacket(p)?.length !== 3840) bad++;
  decoder.destroy();
  const playedMs = ours ? out!.playedMs : resource.playbackDuration;
  return {
    label,
    who: ours ? 'toDiscord (opus)' : 'Raw resource (player encodes)',
    totalMs,
    playedMs,
    idleEarly: idleAt < sourceEndAt || playedMs < totalMs,
    missed: ours ? packets.length - handed - 5 : NaN,
    gapsMs: gaps * 20,
    firstMs: firstAudio ? firstAudio.t - firstPushAt : NaN,
    bad,
  };
}
function totalPlanMs(plan: Array<{ ms: number }>): number {
  return plan.reduce((a, s) => a + s.ms, 0);
}

// ---------------------------------------------------------------- receive, real time
interface Slot {
  packet: Buffer | null;
  kind: 'speech' | 'lost' | 'corrupt' | 'pause' | 'silence';
}
const INVALID_PACKET = Buffer.from([0xfe, 200, 1, 2, 3]);

function receiveTimeline(seconds: number): { slots: Slot[]; segments: Array<[number, number]>; pause1s: number } {
  const rand = seededRandom(7);
  const speech = speechLike(DISCORD_PCM, 6000, 5);
  const encoder = new OpusEncoder({ sampleRate: 48_000, channels: 2 });
  const packets: Buffer[] = [];
  encoder.encodeChunk(speech, (p) => packets.push(p));
  encoder.destroy();
  const slots: Slot[] = [];
  const segments: Array<[number, number]> = [];
  let pause1s = -1;
  while (slots.length * 20 < seconds * 1000) {
    const start = slots.length;
    const n = 100 + Math.floor(rand() * 150);
    for (let i = 0; i < n; i++) {
      const r = rand();
      const kind = r < 0.01 ? 'lost' : r < 0.015 ? 'corrupt' : 'speech';
      slots.push({ packet: kind === 'lost' ? null : kind === 'corrupt' ? INVALID_PACKET : packets[(start + i) % packets.length]!, kind });
    }
    segments.push([start, slots.length]);
    for (let i = 0; i < 5; i++) slots.push({ packet: DISCORD_SILENCE_PACKET, kind: 'silence' });
    const pause = pause1s < 0 ? 50 : 15 + Math.floor(rand() * 60);
    if (pause1s < 0) pause1s = slots.length;
    for (let i = 0; i < pause; i++) slots.push({ packet: null, kind: 'pause' });
  }
  return { slots, segments, pause1s };
}

async function receiveRun(seconds: number) {
  const { slots, segments, pause1s } = receiveTimeline(seconds);
  const oursIn = new AudioReceiveStream({ end: { behavior: EndBehaviorType.Manual } });
  const peerIn = new AudioReceiveStream({ end: { behavior: EndBehaviorType.Manual } });
  const ours = fromDiscord(oursIn, { format: REALTIME_PCM });
  const oursChunks: Buffer[] = [];
  ours.on('data', (c: Buffer) => oursChunks.push(c));
  const peer = new prism.opus.Decoder({ rate: 48_000, channels: 2, frameSize: 960 });
  let peerBytes = 0;
  let peerError = '';
  let peerDiedAtMs = -1;
  peerIn.pipe(peer);
  peer.on('data', (c: Buffer) => (peerBytes += c.length));
  peer.on('error', (e: Error) => {
    peerError = e.message;
    if (peerDiedAtMs < 0) peerDiedAtMs = performance.now() - t0;
  });
  const t0 = performance.now();
  let lateMax = 0;
  for (let i = 0; i < slots.length; i++) {
    const due = t0 + i * 20;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lateMax = Math.max(lateMax, performance.now() - due);
    const p = slots[i]!.packet;
    if (p) {
      oursIn.push(p);
      if (!peer.destroyed) peerIn.push(p);
    }
  }
  // The feed ends where its timeline ends (the end is a point on the timeline: a trailing pause is kept).
  await sleep(Math.max(0, t0 + slots.length * 20 - performance.now()));
  oursIn.push(null);
  peerIn.push(null);
  await new Promise((r) => (ours.readableEnded ? r(null) : ours.once('end', r)));
  const pcm = Buffer.concat(oursChunks);
  const bytesPerMs = msToBytes(REALTIME_PCM, 1);
  const timelineMs = slots.length * 20;
  // Reference: every slot decoded in place (lost, damaged, silence and pause slots are silence).
  const refDecoder = new OpusDecoder({ sampleRate: 24_000, channels: 1 });
  const ref = Buffer.concat(slots.map((s) => (s.kind === 'speech' ? refDecoder.decodePacket(s.packet!)! : Buffer.alloc(960))));
  refDecoder.destroy();
  let minR = 1;
  let worstLag = 0;
  for (const [a, b] of segments) {
    const seg = (x: Buffer) => x.subarray(a * 20 * bytesPerMs, b * 20 * bytesPerMs);
    const { r, lag } = pcmCorrelation(seg(pcm), seg(ref), 48, 8);
    if (r < minR) minR = r;
    if (Math.abs(lag) > Math.abs(worstLag)) worstLag = lag;
  }
  const pause = pcm.subarray((pause1s * 20 + 20) * bytesPerMs, (pause1s * 20 + 980) * bytesPerMs);
  const lostOrBad = slots.filter((s) => s.kind === 'lost' || s.kind === 'corrupt').length;
  return {
    timelineMs,
    oursMs: pcm.length / bytesPerMs,
    peerMs: peerBytes / msToBytes(DISCORD_PCM, 1),
    peerError,
    peerDiedAtMs,
    minR,
    worstLagMs: worstLag / 24,
    pauseSilent: pause.every((b) => b === 0),
    lostOrBad,
    stats: ours.stats,
    feedLateMaxMs: lateMax,
  };
}

// ---------------------------------------------------------------- cost
/** The receive pipelines of the cost table, in pairs (ours, the peer), reading packets from `feed`. */
function receivePipelines(feed: () => Readable): Array<[string, () => Promise<void>]> {
  const drain = (s: NodeJS.ReadableStream) => new Promise<void>((r, j) => s.on('data', () => {}).on('end', () => r()).on('error', j));
  return [
    ['fromDiscord → 24 kHz mono (decoder at 24 kHz)', () => drain(fromDiscord(feed(), { format: REALTIME_PCM, livePauses: false }))],
    [
      'prism opus.Decoder 48 kHz stereo → prism FFmpeg → 24 kHz mono',
      async () => {
        const ff = new prism.FFmpeg({ args: ['-loglevel', 'error', '-f', 's16le', '-ar', '48000', '-ac', '2', '-i', '-', '-f', 's16le', '-ar', '24000', '-ac', '1'] });
        const done = drain(ff);
        feed().pipe(new prism.opus.Decoder({ rate: 48_000, channels: 2, frameSize: 960 })).pipe(ff);
        await done;
        await new Promise((r) => (ff.process.exitCode !== null ? r(null) : ff.process.once('exit', r)));
      },
    ],
    ['fromDiscord → 48 kHz stereo', () => drain(fromDiscord(feed(), { format: DISCORD_PCM, livePauses: false }))],
    ['prism opus.Decoder 48 kHz stereo', () => drain(feed().pipe(new prism.opus.Decoder({ rate: 48_000, channels: 2, frameSize: 960 })))],
  ];
}

/**
 * One receive pipeline in this (child) process: an uncounted warm-up on 5 s of packets (the first run of a pipeline
 * pays for JIT, up to 50 % more, which is no per-stream cost), then `seconds` of packets decoded as fast as possible.
 * Prints the CPU ms of the measured run (this process up to its end, plus ffmpeg children once reaped).
 */
async function receiveCostChild(index: number, seconds: number): Promise<never> {
  const speech = speechLike(DISCORD_PCM, seconds * 1000, 9);
  const encoder = new OpusEncoder({ sampleRate: 48_000, channels: 2 });
  const packets: Buffer[] = [];
  encoder.encodeChunk(speech, (p) => packets.push(p));
  encoder.destroy();
  let fed = packets.slice(0, 250); // the warm-up: 5 s
  const [, run] = receivePipelines(() => Readable.from(fed, { objectMode: true }))[index]!;
  await run();
  fed = packets;
  (globalThis as { gc?: () => void }).gc?.();
  const s0 = selfCpuMs();
  const c0 = childCpuMs();
  await run();
  const self = selfCpuMs() - s0;
  await sleep(200); // lets an ffmpeg child be reaped (its CPU is counted then)
  process.stdout.write(`${JSON.stringify({ cpuMs: self + (childCpuMs() - c0) })}\n`);
  process.exit(0);
}

/**
 * Receive cost per pipeline: each measured run in a fresh child process (so no pipeline runs on JIT state or garbage
 * another left: in one process, fromDiscord 48 kHz stereo measured 5-11 % slower than when run alone, prism's decoder
 * not), five rounds, the order alternating between ours and the peer's; the median per pipeline.
 */
async function receiveCost(seconds: number) {
  const ROUNDS = 5;
  const names = receivePipelines(() => Readable.from([])).map(([name]) => name);
  const runs = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const pair of [[0, 1], [2, 3]]) {
      for (const index of round % 2 === 0 ? pair : [...pair].reverse()) {
        const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], {
          env: { ...process.env, DISCORD_RX_CHILD: String(index), DISCORD_RX_SECONDS: String(seconds) },
          encoding: 'utf8',
        });
        const line = r.stdout.trim().split('\n').pop() ?? '';
        const cpu = (JSON.parse(line || '{"cpuMs":null}') as { cpuMs: number | null }).cpuMs;
        if (cpu === null) throw new Error(`discord bench: receive cost child ${index} failed: ${r.stderr}`);
        runs.set(names[index]!, [...(runs.get(names[index]!) ?? []), cpu]);
      }
    }
  }
  return [...runs].map(([name, cpus]) => {
    const cpu = [...cpus].sort((a, b) => a - b)[ROUNDS >> 1]!;
    return [name, fmt(cpu / seconds, 2), fmt((1000 * seconds) / cpu, 0)];
  });
}

/**
 * Real-time send cost: N players at once for `seconds`, CPU ms per stream-second. `peerBitrate` sets the player's
 * prism encoder through `resource.encoder.setBitrate` (what @discordjs/voice documents); unset, prism's default.
 */
async function sendCost(seconds: number, ours: boolean, sourceFormat: PcmFormat, peerBitrate?: number): Promise<number> {
  const pcm = speechLike(sourceFormat, seconds * 1000, 3);
  const players: AudioPlayer[] = [];
  const children: any[] = [];
  const s0 = selfCpuMs();
  const c0 = childCpuMs();
  for (let i = 0; i < COST_STREAMS; i++) {
    const source = Object.assign(Readable.from([pcm], { objectMode: false }), { format: sourceFormat });
    let input: Readable;
    let type: string;
    if (ours) {
      input = toDiscord(source);
      type = 'opus';
    } else if (sourceFormat.sampleRate !== 48_000) {
      const ff = new prism.FFmpeg({ args: ['-loglevel', 'error', '-f', 's16le', '-ar', String(sourceFormat.sampleRate), '-ac', String(sourceFormat.channels), '-i', '-', '-f', 's16le', '-ar', '48000', '-ac', '2'] });
      children.push(ff);
      source.pipe(ff);
      input = ff;
      type = 'raw';
    } else {
      input = source;
      type = 'raw';
    }
    const player = createAudioPlayer();
    (player as any).subscribe(fakeConnection([]));
    player.on('error', () => {});
    const resource = createAudioResource(input, { inputType: type as StreamType });
    if (peerBitrate !== undefined) resource.encoder!.setBitrate(peerBitrate);
    player.play(resource);
    players.push(player);
  }
  await sleep(seconds * 1000 + 300);
  for (const p of players) p.stop(true);
  // prism's FFmpeg does not end its child when the pipeline is torn down: stop it (its CPU is counted once reaped).
  await Promise.all(children.map((ff) => new Promise((r) => (ff.process.exitCode !== null || ff.process.signalCode !== null ? r(null) : (ff.process.once('exit', r), ff.process.kill('SIGKILL'))))));
  await sleep(200);
  const cpu = selfCpuMs() - s0 + (childCpuMs() - c0);
  return cpu / (COST_STREAMS * seconds);
}

interface SendCell {
  name: string;
  ours: boolean;
  format: PcmFormat;
  peerBitrate?: number;
}

/**
 * Every send pipeline, one short warm-up round each (uncounted: the first run of a pipeline in a process paid for
 * JIT and WebAssembly tier-up, up to 60 % more), then {@link SEND_ROUNDS} rounds in alternating order; the median.
 */
async function sendCosts(cells: SendCell[], seconds: number): Promise<string[][]> {
  for (const c of cells) await sendCost(2, c.ours, c.format, c.peerBitrate);
  const runs = cells.map(() => [] as number[]);
  for (let round = 0; round < SEND_ROUNDS; round++) {
    const order = cells.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) runs[i]!.push(await sendCost(seconds, cells[i]!.ours, cells[i]!.format, cells[i]!.peerBitrate));
  }
  return cells.map((c, i) => {
    const cpu = [...runs[i]!].sort((a, b) => a - b)[SEND_ROUNDS >> 1]!;
    return [c.name, fmt(cpu, 2), fmt(1000 / cpu, 0)];
  });
}

// ---------------------------------------------------------------- run
if (process.env.DISCORD_RX_CHILD !== undefined) await receiveCostChild(Number(process.env.DISCORD_RX_CHILD), Number(process.env.DISCORD_RX_SECONDS));

console.log(`opus backend: ${opusBackendName()}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const loadBefore = os.loadavg()[0]!;
const steady = Array.from({ length: 250 }, (_, i) => ({ atMs: i * 20, ms: 20 }));
const slow = Array.from({ length: 12 }, (_, i) => ({ atMs: i * 500, ms: 300 }));
const bursty: Array<{ atMs: number; ms: number }> = [];
for (let at = 0, i = 0; at < 10_000; i++) {
  const ms = [200, 500, 300, 500, 400][i % 5]!;
  bursty.push({ atMs: at, ms });
  at += ms; // cumulative arrival exactly 1x real time, bursts up to 500 ms apart
}
const scenarios: Array<[string, Array<{ atMs: number; ms: number }>]> = [
  ['steady (20 ms chunks at 1x)', steady],
  ['300 ms bursts, 200 ms holes (0.6x)', slow],
  ['bursts up to 500 ms apart, 1.0x', bursty],
];
const sendResults: SendResult[] = [];
for (const [label, plan] of scenarios) {
  console.log(`send: ${label}`);
  const [a, b] = await Promise.all([sendScenario(label, plan, true), sendScenario(label, plan, false)]);
  sendResults.push(a, b);
  console.log(a, b);
}
console.log('receive: real-time feed…');
const rx = await receiveRun(RECEIVE_SECONDS);
console.log(rx);
console.log('cost: receive');
const rxCost = await receiveCost(COST_SECONDS * 6);
console.log('cost: send');
const kbps = `${DISCORD_BITRATE / 1000} kbps`;
const txCost = await sendCosts(
  [
    { name: `toDiscord, 24 kHz mono source (pace + encode at 24 kHz mono, ${kbps})`, ours: true, format: REALTIME_PCM },
    { name: 'prism FFmpeg 24k→48k stereo + player Raw/prism opus.Encoder (prism default, ~99 kbps)', ours: false, format: REALTIME_PCM },
    { name: `prism FFmpeg 24k→48k stereo + player Raw/prism opus.Encoder at ${kbps}`, ours: false, format: REALTIME_PCM, peerBitrate: DISCORD_BITRATE },
    { name: `toDiscord, 48 kHz stereo source (pace + encode, ${kbps})`, ours: true, format: DISCORD_PCM },
    { name: 'player Raw/prism opus.Encoder, 48 kHz stereo source (prism default, ~99 kbps)', ours: false, format: DISCORD_PCM },
    { name: `player Raw/prism opus.Encoder, 48 kHz stereo source, at ${kbps}`, ours: false, format: DISCORD_PCM, peerBitrate: DISCORD_BITRATE },
  ],
  COST_SECONDS,
);
const loadAfter = os.loadavg()[0]!;

/** A cost target row: ours (a cost table row: name, CPU ms, streams per core) against each peer row. */
function costTarget(label: string, ours: string[], peers: string[][]): [string, string, boolean] {
  const streams = (row: string[]) => Number(row[2]);
  return [label, `${ours[2]} vs ${peers.map((p) => p[2]).join('; ')}`, peers.every((p) => streams(ours) >= streams(p))];
}

const ourSteady = sendResults[0]!;
const ourSlow = sendResults[2]!;
const ourBursty = sendResults[4]!;
const minuteErr = (Math.abs(rx.oursMs - rx.timelineMs) / rx.timelineMs) * 60_000;
const targets = [
  ['send: 0.6x bursty source plays all audio, player never idle early', `${fmt(ourSlow.playedMs, 0)} / ${ourSlow.totalMs} ms, idle early: ${ourSlow.idleEarly}`, !ourSlow.idleEarly && ourSlow.playedMs === ourSlow.totalMs],
  ['send: ≥1x source in bursts ≤500 ms apart: 0 ms gaps after start', `${ourBursty.gapsMs} ms`, ourBursty.gapsMs === 0],
  ['send: every packet 20 ms and decodes', `${ourSteady.bad + ourSlow.bad + ourBursty.bad} bad`, ourSteady.bad + ourSlow.bad + ourBursty.bad === 0],
  ['send: first frame ≤ 100 ms after first audio (steady)', `${fmt(ourSteady.firstMs)} ms`, ourSteady.firstMs <= 100],
  ['receive: duration = timeline within 20 ms per minute', `${fmt(rx.oursMs - rx.timelineMs, 0)} ms over ${fmt(rx.timelineMs / 1000, 0)} s (${fmt(minuteErr)} ms/min)`, minuteErr <= 20],
  ['receive: 1 s pause kept in place and silent', String(rx.pauseSilent), rx.pauseSilent],
  ['receive: losses/damage cost their own 20 ms', `${rx.lostOrBad} lost or damaged; inserted ${fmt(rx.stats.insertedSilenceMs, 0)} ms incl. pauses; duration error ${fmt(rx.oursMs - rx.timelineMs, 0)} ms`, Math.abs(rx.oursMs - rx.timelineMs) <= 20],
  ['receive: correlation with reference decode > 0.95 per segment', `min ${fmt(rx.minR, 3)} (worst lag ${fmt(rx.worstLagMs)} ms)`, rx.minR > 0.95],
  costTarget('cost: receive → 24 kHz mono, streams per core ≥ prism', rxCost[0]!, [rxCost[1]!]),
  costTarget('cost: receive → 48 kHz stereo, streams per core ≥ prism', rxCost[2]!, [rxCost[3]!]),
  costTarget('cost: send 24 kHz mono source, streams per core ≥ prism (default; same bit rate)', txCost[0]!, [txCost[1]!, txCost[2]!]),
  costTarget('cost: send 48 kHz stereo source, streams per core ≥ prism (default; same bit rate)', txCost[3]!, [txCost[4]!, txCost[5]!]),
].map(([a, b, ok]) => [a as string, b as string, ok ? 'yes' : 'no']);

writeSection(
  'discord',
  'Discord voice: toDiscord / fromDiscord against the @discordjs/voice player and prism-media',
  `Opus backend: ${opusBackendName()} (prism-media's choice, the same for both sides). Machine load average (1 min) ${fmt(loadBefore, 2)} before, ${fmt(loadAfter, 2)} after, on ${os.cpus().length} cores: timing figures include that load.

**Send**, real time. The real AudioPlayer cycle reads each stream; a ready stand-in connection records every packet it prepares.
The peer is what bots do today: \`createAudioResource(pcm, { inputType: StreamType.Raw })\` (the player's prism encoder, no pacing).
"gaps" = silence packets between the first and last audio packet; "missed" = frames the player found nothing to read (5 in a row make it stop).

${table(['source', 'stream', 'audio played / sent ms', 'player idle early?', 'missed frames', 'gaps ms', 'first audio ms', 'bad packets'], sendResults.map((r) => [r.label, r.who, `${fmt(r.playedMs, 0)} / ${r.totalMs}`, r.idleEarly ? 'yes' : 'no', Number.isNaN(r.missed) ? '–' : r.missed, r.gapsMs, fmt(r.firstMs), r.bad]))}

**Receive**, real time: one AudioReceiveStream feed of ${fmt(rx.timelineMs / 1000, 0)} s on a drift-corrected 20 ms timer (latest push ${fmt(rx.feedLateMaxMs)} ms late), speech segments of 2-5 s
with 1 % lost packets, 0.5 % damaged packets, Discord's 5 silence packets after each segment and pauses (the first exactly 1 s).
fromDiscord at 24 kHz mono; the peer is prism opus.Decoder on an identical feed.

${table(['stream', 'output s', 'timeline s', 'note'], [
    ['fromDiscord', fmt(rx.oursMs / 1000, 2), fmt(rx.timelineMs / 1000, 2), `${rx.stats.corruptPackets} damaged skipped, ${rx.stats.silencePackets} silence packets, ${fmt(rx.stats.insertedSilenceMs, 0)} ms silence inserted`],
    ['prism opus.Decoder', fmt(rx.peerMs / 1000, 2), fmt(rx.timelineMs / 1000, 2), rx.peerError ? `died at ${fmt(rx.peerDiedAtMs / 1000, 1)} s: ${rx.peerError}` : 'pauses and losses dropped'],
  ])}

**Cost**: CPU (this process + reaped ffmpeg children) per second of audio per stream, and streams per core (1000 / that).
Receive: ${COST_SECONDS * 6} s of packets decoded as fast as possible, each run in a fresh process after an uncounted 5 s warm-up there (in one process, runs left JIT state and garbage to the next: fromDiscord 48 kHz stereo measured 5-11 % slower than alone), median of 5 rounds alternating ours and the peer first. Send: ${COST_STREAMS} players at once for ${COST_SECONDS} s, real time,
median of ${SEND_ROUNDS} rounds in alternating order after an uncounted warm-up of each pipeline.
Encoder settings: both sides run opusscript's libopus with the AUDIO application and no FEC; toDiscord at ${kbps}
(a Discord voice channel's default) and complexity 9 (WebRTC's desktop default; the same packets as 10 here),
prism at libopus's defaults (complexity 10, ~99 kbps at 48 kHz stereo) unless the row says ${kbps} (set through
\`resource.encoder.setBitrate\`, as @discordjs/voice documents). toDiscord encodes a 24 kHz mono source as it is
(Opus packets decode at 48 kHz stereo anywhere); the peer must convert it to 48 kHz stereo for a Raw resource.

${table(['receive pipeline', 'CPU ms per audio s', 'streams per core'], rxCost)}

${table(['send pipeline', 'CPU ms per audio s', 'streams per core'], txCost)}

Targets:

${table(['target', 'measured', 'met?'], targets)}
`,
);
process.exit(0);
