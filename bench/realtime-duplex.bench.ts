// realtimeDuplex against a realtime server in another process (bench/realtime-bench-server.ts) on 127.0.0.1:
// per-event overhead side by side with the openai SDK's OpenAIRealtimeWS and a bare `ws` + JSON.parse, the
// duplex's send path (20 ms of 48 kHz stereo mic PCM → append sent) and receive path (20 ms delta → PCM queued
// for playback, 48 kHz stereo), interrupt → silent output, concurrent sessions with < 1 % late output frames, and
// heap over a 60-minute session run at accelerated pace.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { TokenLab } from '../src/api/client.js';
import { realtimeDuplex, type RealtimeDuplex } from '../src/streams/realtime-duplex.js';
import { table, writeSection } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const OUT = { sampleRate: 48000, channels: 2, encoding: 's16le' as const };

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const f3 = (x: number) => x.toFixed(3);
const f1 = (x: number) => x.toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the server process
const server = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'realtime-bench-server.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
const base = `http://127.0.0.1:${port}/v1`;
const client = new TokenLab({ apiKey: 'sk-bench-000000000000', baseURL: base, maxRetries: 0 });

async function openDuplex(query: string, options: Parameters<typeof realtimeDuplex>[1] = {}): Promise<RealtimeDuplex> {
  const duplex = realtimeDuplex(client, { model: query, connect: { skipModelCheck: true, keepaliveMs: 0 }, outputFormat: OUT, inputFormat: OUT, ...options });
  await duplex.ready;
  return duplex;
}

// --- 1. per-event overhead: 5000 deltas of 20 ms, blasted; time from the first to the last event handled
const N_EVENTS = 5000;
async function perEvent(label: string, run: () => Promise<number>): Promise<string[]> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await run());
  const best = Math.min(...times);
  return [label, f3((best * 1000) / N_EVENTS)];
}

async function rawWs(): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?model=blast-${N_EVENTS}`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    ws.on('message', (d) => {
      const e = JSON.parse(String(d));
      if (e.type !== 'response.output_audio.delta') return;
      if (n++ === 0) t0 = performance.now();
      if (n === N_EVENTS) {
        resolve(performance.now() - t0);
        ws.close();
      }
    });
    ws.send(JSON.stringify({ type: 'response.create' }));
  });
}

async function tokenlabSession(): Promise<number> {
  const session = await client.realtime.connect({ model: `blast-${N_EVENTS}`, skipModelCheck: true, keepaliveMs: 0 });
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    session.on('response.output_audio.delta', () => {
      if (n++ === 0) t0 = performance.now();
      if (n === N_EVENTS) {
        resolve(performance.now() - t0);
        void session.close();
      }
    });
    session.createResponse();
  });
}

async function openaiSdk(): Promise<number> {
  const openai = new OpenAI({ apiKey: 'sk-bench-000000000000', baseURL: base });
  // The SDK forces wss://; a plain TCP connection reaches the local server (ws's documented createConnection option).
  const rt = new OpenAIRealtimeWS(
    { model: `blast-${N_EVENTS}`, options: { createConnection: () => net.connect(port, '127.0.0.1') } as never },
    openai,
  );
  await new Promise((r) => rt.socket.once('open', r));
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    rt.on('response.output_audio.delta', () => {
      if (n++ === 0) t0 = performance.now();
      if (n === N_EVENTS) {
        resolve(performance.now() - t0);
        rt.close();
      }
    });
    rt.send({ type: 'response.create' });
  });
}

const perEventRows = [
  await perEvent('ws + JSON.parse (floor)', rawWs),
  await perEvent('openai SDK v6 OpenAIRealtimeWS', openaiSdk),
  await perEvent('tokenlab-audio RealtimeSession', tokenlabSession),
];

// --- 2. receive path in the duplex: delta event → 48 kHz stereo PCM queued in the paced output
async function receivePath(): Promise<{ p50: number; p99: number; max: number }> {
  const session = await client.realtime.connect({ model: 'blast-3000', skipModelCheck: true, keepaliveMs: 0 });
  let t = 0;
  const costs: number[] = [];
  session.on('response.output_audio.delta', () => {
    t = performance.now();
  });
  const duplex = realtimeDuplex(session, { outputFormat: OUT, maxQueuedOutputMs: 70_000 });
  await duplex.ready;
  session.on('response.output_audio.delta', () => costs.push(performance.now() - t));
  duplex.resume();
  session.createResponse();
  await session.waitFor('response.done');
  while (costs.length < 3000) await sleep(10);
  duplex.destroy();
  await session.close();
  const warm = costs.slice(200);
  return { p50: pct(warm, 50), p99: pct(warm, 99), max: Math.max(...warm) };
}
const recv = await receivePath();

// --- 3. send path: 20 ms of 48 kHz stereo mic PCM per write → append sent (write() runs _write synchronously)
async function sendPath(): Promise<{ p50: number; p99: number; bytesPerFrame: number }> {
  const duplex = await openDuplex('stream-0', { batchMs: 20 });
  duplex.resume();
  const frame = Buffer.alloc(48000 * 4 * 0.02);
  for (let i = 0; i < frame.length / 2; i++) frame.writeInt16LE(Math.round(3000 * Math.sin(i / 7)), i * 2);
  const costs: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    duplex.write(frame);
    costs.push(performance.now() - t);
    if (i % 50 === 0) await sleep(0);
  }
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200; i++) duplex.write(frame);
  const after = process.memoryUsage().heapUsed;
  await sleep(50);
  duplex.destroy();
  const warm = costs.slice(200);
  return { p50: pct(warm, 50), p99: pct(warm, 99), bytesPerFrame: Math.max(0, (after - before) / 200) };
}
const send = await sendPath();

// --- 4. interrupt → silent output (first frame without the interrupted audio), 30 barge-ins
async function interruptToSilence(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 30; i++) {
    const duplex = await openDuplex('stream-3000', { cushionMs: 60 });
    let interruptAt = 0;
    let silentAt = 0;
    duplex.on('data', (frame: Buffer) => {
      if (interruptAt && !silentAt && frame.every((b) => b === 0)) silentAt = performance.now();
    });
    duplex.session!.createResponse();
    await sleep(200 + Math.random() * 300);
    interruptAt = performance.now();
    duplex.interrupt();
    while (!silentAt) await sleep(1);
    out.push(silentAt - interruptAt);
    duplex.destroy();
  }
  return out;
}
const silence = await interruptToSilence();

// --- 5. concurrent sessions: each streams 4 s of output while its mic sends 20 ms frames in real time
async function concurrent(n: number): Promise<{ late: number; frames: number; lateTurns: number }> {
  const duplexes = await Promise.all(Array.from({ length: n }, () => openDuplex('stream-4000', { outputFormat: { sampleRate: 24000, channels: 1, encoding: 's16le' }, inputFormat: { sampleRate: 24000, channels: 1, encoding: 's16le' } })));
  let late = 0;
  let frames = 0;
  const mic = Buffer.alloc(960);
  const stops: Array<() => void> = [];
  for (const d of duplexes) {
    let last = 0;
    d.on('data', () => {
      const now = performance.now();
      if (last && now - last > 40) late++; // a frame more than one frame period late
      last = now;
      frames++;
    });
    const t = setInterval(() => d.write(mic), 20);
    stops.push(() => clearInterval(t));
    d.session!.createResponse();
  }
  await sleep(4500);
  for (const s of stops) s();
  const lateTurns = duplexes.reduce((a, d) => a + d.pacedOutput.clockResets, 0);
  for (const d of duplexes) d.destroy();
  await sleep(200);
  return { late, frames, lateTurns };
}
const scaleRows: string[][] = [];
let sustained = 0;
for (const n of [50, 100, 200, 300]) {
  const r = await concurrent(n);
  const latePct = (100 * r.late) / Math.max(1, r.frames);
  scaleRows.push([String(n), String(r.frames), f3(latePct), String(r.lateTurns)]);
  if (latePct < 1) sustained = n;
  else break;
}

// --- 6. heap over a 60-minute session at accelerated pace: 60 turns of 60 s in and 60 s out, each interrupted
async function longSession(): Promise<string[][]> {
  const duplex = await openDuplex('blast-3000', { maxQueuedOutputMs: 70_000, outputFormat: { sampleRate: 24000, channels: 1, encoding: 's16le' }, inputFormat: { sampleRate: 24000, channels: 1, encoding: 's16le' }, sendPolicy: 'drop-oldest' });
  duplex.resume();
  const mic = Buffer.alloc(960);
  const rows: string[][] = [];
  for (let minute = 0; minute < 60; minute++) {
    for (let i = 0; i < 3000; i++) {
      duplex.write(mic);
      if (i % 100 === 0) await sleep(0);
    }
    duplex.session!.createResponse();
    await duplex.session!.waitFor('response.done');
    await sleep(20);
    duplex.interrupt();
    if (minute % 10 === 0 || minute === 59) {
      gc();
      rows.push([String(minute + 1), f1(process.memoryUsage().heapUsed / 2 ** 20), f1(process.memoryUsage().rss / 2 ** 20)]);
    }
  }
  duplex.destroy();
  return rows;
}
const memRows = await longSession();

await client.close();
server.stdin!.end();

writeSection(
  'realtime-duplex',
  'Realtime duplex (client side, server in another process on 127.0.0.1)',
  `
Per-event overhead, ${N_EVENTS} output-audio deltas of 20 ms blasted by the server (best of 3), µs per event from the first to the last handled:

${table(['client', 'µs / event'], perEventRows)}

Duplex per 20 ms frame (targets ≤ 0.5 ms p99 each):

${table(['path', 'p50 ms', 'p99 ms', 'note'], [
  ['send: 48 kHz stereo PCM in → append sent', f3(send.p50), f3(send.p99), `heap ≈ ${Math.round(send.bytesPerFrame)} B/frame (the append message is ~1.3 KB of base64 + JSON)`],
  ['receive: delta → 48 kHz stereo PCM queued', f3(recv.p50), f3(recv.p99), `max ${f3(recv.max)} ms`],
])}

Interrupt → first silent output frame (30 barge-ins at random moments, 20 ms frames): p50 ${f1(pct(silence, 50))} ms, p99 ${f1(pct(silence, 99))} ms, max ${f1(Math.max(...silence))} ms (target: ≤ one 20 ms frame p99, before the sink's own cushion).

Concurrent duplex sessions in this one process (each: 4 s of real-time output, mic frames every 20 ms); a frame is late when it comes > 40 ms after the previous one:

${table(['sessions', 'frames', 'late %', 'clock resets'], scaleRows)}

Sustained with < 1 % late frames: **${sustained}** sessions (goal ≥ 200).

Heap over a 60-minute session at accelerated pace (60 turns: 60 s of mic in, 60 s of output, barge-in):

${table(['minute', 'heap MiB (after gc)', 'rss MiB'], memRows)}
`,
);
process.exit(0);
