// realtimeDuplex against realtime servers in other processes on 127.0.0.1. On the scripted server
// (bench/realtime-bench-server.ts, which can blast deltas as fast as the socket takes them): per-event overhead
// side by side with the openai SDK's OpenAIRealtimeWS and a bare `ws` + JSON.parse, the duplex's send path (20 ms
// of 48 kHz stereo mic PCM → append sent) and receive path (20 ms delta → PCM queued for playback, 48 kHz
// stereo) with the bytes each allocates (measured in a child process, bench/alloc-meter.ts), interrupt → silent
// output, and heap over a 60-minute session run at accelerated pace. On the emulator (the product's own, in a
// child process, bench/realtime-duplex-emulator-child.ts): how many concurrent duplex sessions this one process
// sustains with < 1 % late output frames, with the pacers' clock resets and this process's CPU per session.
//   npm run bench realtime-duplex            (REALTIME_BENCH_ONLY=scale REALTIME_BENCH_SESSIONS=200 for one scale run,
//   REALTIME_BENCH_ONLY=alloc for the allocation figures alone, =interrupt for the barge-ins alone, =events for the per-event table alone;
//   profile it with node --cpu-prof --expose-gc --import tsx bench/realtime-duplex.bench.ts)
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import os from 'node:os';
import v8 from 'node:v8';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { TokenLab } from '../src/client.js';
import { realtimeDuplex, type RealtimeDuplex } from '../src/streams/realtime-duplex.js';
import { loadText, table, writeSection } from './report.js';
import { ALLOC_METER_FLAGS, allocationPerCall } from './alloc-meter.js';
import { startWindowProfile } from './cpu-profile-window.js';

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

const ONLY = process.env['REALTIME_BENCH_ONLY'];
const SCALE_SESSIONS = (process.env['REALTIME_BENCH_SESSIONS'] ?? '50,100,200,300').split(',').map(Number);
const SCALE_RUNS = Number(process.env['REALTIME_BENCH_SCALE_RUNS'] ?? 3);
const loadStart = os.loadavg();

// --- the scripted server process (an allocation child reuses its parent's)
const server = process.env['REALTIME_BENCH_PORT'] ? null : spawn(process.execPath, ['--import', 'tsx', path.join(here, 'realtime-bench-server.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
const port = server ? await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim())))) : Number(process.env['REALTIME_BENCH_PORT']);
const base = `http://127.0.0.1:${port}/v1`;
const client = new TokenLab({ apiKey: 'sk-bench-000000000000', baseURL: base, maxRetries: 0 });

async function openDuplex(query: string, options: Parameters<typeof realtimeDuplex>[1] = {}): Promise<RealtimeDuplex> {
  const duplex = realtimeDuplex(client, { model: query, connect: { skipModelCheck: true, keepaliveMs: 0 }, outputFormat: OUT, inputFormat: OUT, ...options });
  await duplex.ready;
  return duplex;
}

// --- 1. per-event overhead: 5000 deltas of 20 ms, blasted; from the first to the last event handled, the wall
// time and this process's CPU time (the server runs in its own process: the wall time can be its pace)
const N_EVENTS = 5000;
interface Elapsed {
  wallMs: number;
  cpuMs: number;
}
function elapsed(t0: number, c0: NodeJS.CpuUsage): Elapsed {
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}
/** Five rounds, each running every client once (in turn, so drift in the machine's load touches them alike); best of five each. */
async function perEvent(clients: ReadonlyArray<readonly [string, () => Promise<Elapsed>]>): Promise<string[][]> {
  const runs = clients.map(() => [] as Elapsed[]);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < clients.length; i++) runs[i]!.push(await clients[i]![1]());
  }
  return clients.map(([label], i) => {
    const best = (key: keyof Elapsed) => Math.min(...runs[i]!.map((r) => r[key]));
    return [label, f3((best('cpuMs') * 1000) / N_EVENTS), f3((best('wallMs') * 1000) / N_EVENTS)];
  });
}

async function rawWs(): Promise<Elapsed> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?model=blast-${N_EVENTS}`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    let c0 = process.cpuUsage();
    ws.on('message', (d) => {
      const e = JSON.parse(String(d));
      if (e.type !== 'response.output_audio.delta') return;
      if (n++ === 0) (t0 = performance.now()), (c0 = process.cpuUsage());
      if (n === N_EVENTS) {
        resolve(elapsed(t0, c0));
        ws.close();
      }
    });
    ws.send(JSON.stringify({ type: 'response.create' }));
  });
}

async function tokenlabSession(): Promise<Elapsed> {
  const session = await client.realtime.connect({ model: `blast-${N_EVENTS}`, skipModelCheck: true, keepaliveMs: 0 });
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    let c0 = process.cpuUsage();
    session.on('response.output_audio.delta', () => {
      if (n++ === 0) (t0 = performance.now()), (c0 = process.cpuUsage());
      if (n === N_EVENTS) {
        resolve(elapsed(t0, c0));
        void session.close();
      }
    });
    session.createResponse();
  });
}

/** The session's audio sink (what realtimeDuplex consumes): deltas read from the frame bytes, no event object. */
async function tokenlabAudioSink(): Promise<Elapsed> {
  const session = await client.realtime.connect({ model: `blast-${N_EVENTS}`, skipModelCheck: true, keepaliveMs: 0 });
  return new Promise((resolve) => {
    let n = 0;
    let t0 = 0;
    let c0 = process.cpuUsage();
    session.setOutputAudioSink(() => {
      if (n++ === 0) (t0 = performance.now()), (c0 = process.cpuUsage());
      if (n === N_EVENTS) {
        resolve(elapsed(t0, c0));
        void session.close();
      }
    });
    session.createResponse();
  });
}

async function openaiSdk(): Promise<Elapsed> {
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
    let c0 = process.cpuUsage();
    rt.on('response.output_audio.delta', () => {
      if (n++ === 0) (t0 = performance.now()), (c0 = process.cpuUsage());
      if (n === N_EVENTS) {
        resolve(elapsed(t0, c0));
        rt.close();
      }
    });
    rt.send({ type: 'response.create' });
  });
}

// --- 2. receive path in the duplex: delta frame → 48 kHz stereo PCM queued in the paced output (timed around
// the session's audio sink, which the duplex set: the bytes are read, decoded, resampled and queued in it)
async function receivePath(): Promise<{ p50: number; p99: number; max: number }> {
  const session = await client.realtime.connect({ model: 'blast-3000', skipModelCheck: true, keepaliveMs: 0 });
  const costs: number[] = [];
  const duplex = realtimeDuplex(session, { outputFormat: OUT, maxQueuedOutputMs: 70_000 });
  await duplex.ready;
  const sink = session.outputAudioSink!;
  session.setOutputAudioSink((d) => {
    const t = performance.now();
    sink(d);
    costs.push(performance.now() - t);
  });
  duplex.resume();
  session.createResponse();
  await session.waitFor('response.done');
  while (costs.length < 3000) await sleep(10);
  duplex.destroy();
  await session.close();
  const warm = costs.slice(200);
  return { p50: pct(warm, 50), p99: pct(warm, 99), max: Math.max(...warm) };
}

// --- 3. send path: 20 ms of 48 kHz stereo mic PCM per write → append sent (write() runs _write synchronously)
const MIC_FRAME = Buffer.alloc(48000 * 4 * 0.02);
for (let i = 0; i < MIC_FRAME.length / 2; i++) MIC_FRAME.writeInt16LE(Math.round(3000 * Math.sin(i / 7)), i * 2);
/** The append message of 20 ms at 24 kHz mono s16, bytes. */
const APPEND_BYTES = '{"type":"input_audio_buffer.append","audio":""}'.length + Math.ceil(960 / 3) * 4;

async function sendPath(): Promise<{ p50: number; p99: number }> {
  const duplex = await openDuplex('stream-0', { batchMs: 20 });
  duplex.resume();
  const costs: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    duplex.write(MIC_FRAME);
    costs.push(performance.now() - t);
    if (i % 50 === 0) await sleep(0);
  }
  await sleep(50);
  duplex.destroy();
  const warm = costs.slice(200);
  return { p50: pct(warm, 50), p99: pct(warm, 99) };
}

interface AllocFigures {
  sendBytes: number;
  sendCalls: number;
  /** A bare ws.send of a Buffer of the message's size per step (what ws and the socket cost by themselves). */
  wsSendBytes: number;
  /** JS heap bytes per delta, socket to PCM queued. */
  receiveBytes: number;
  /** ArrayBuffer bytes per delta (mostly the socket's read buffers: as many as the reads, which depend on timing). */
  receiveArrayBufferBytes: number;
  receiveDeltas: number;
  receiveClean: boolean;
  /** The same response received by a session with an audio sink that does nothing (socket, ws, session): JS heap bytes per delta. */
  bareReceiveBytes: number;
}

/** The child (started with the allocation meter's flags): bytes per send-path frame and per received delta. Prints one JSON line. */
async function allocationChild(): Promise<never> {
  const gcNow = (globalThis as { gc: () => void }).gc;
  // Send: each step writes one 20 ms frame (one append of 20 ms goes out, the socket writes it); every 10th
  // step lets the event loop run (socket callbacks), inside the window.
  const duplex = await openDuplex('stream-0', { batchMs: 20 });
  duplex.resume();
  const send = await allocationPerCall((i) => {
    duplex.write(MIC_FRAME);
    if (i % 10 === 9) return new Promise((r) => setImmediate(r));
    return undefined;
  }, 2000);
  duplex.destroy();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?model=stream-0`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const message = Buffer.from(`{"type":"input_audio_buffer.append","audio":"${'A'.repeat(1280)}"}`);
  const wsSend = await allocationPerCall((i) => {
    ws.send(message, { binary: false });
    if (i % 20 === 19) return new Promise((r) => setImmediate(r));
    return undefined;
  }, 2000);
  ws.close();
  // Receive: 1000 deltas blasted by the server, from socket bytes to PCM queued in the pacer (nothing is played:
  // the reader is paused), one window around the whole response; ws's receive buffers count too.
  const DELTAS = 1000;
  const receive = async (withDuplex: boolean): Promise<{ bytes: number; arrayBufferBytes: number; clean: boolean }> => {
    const session = await client.realtime.connect({ model: `blast-${DELTAS}`, skipModelCheck: true, keepaliveMs: 0 });
    const rx = withDuplex ? realtimeDuplex(session, { outputFormat: OUT, maxQueuedOutputMs: 70_000 }) : null;
    await rx?.ready;
    const sink = session.outputAudioSink ?? (() => {});
    let n = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((r) => (done = r));
    session.setOutputAudioSink((d) => {
      sink(d);
      if (++n === DELTAS) done();
    });
    gcNow();
    gcNow();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const h0 = v8.getHeapStatistics().used_heap_size;
    const a0 = process.memoryUsage().arrayBuffers;
    session.createResponse();
    await all;
    const h1 = v8.getHeapStatistics().used_heap_size;
    const a1 = process.memoryUsage().arrayBuffers;
    const clean = profiler.stop().statistics.length === 0;
    rx?.destroy();
    await session.close();
    return { bytes: (h1 - h0) / DELTAS, arrayBufferBytes: (a1 - a0) / DELTAS, clean };
  };
  // Two warm-ups, then the median of three windows: a window in which the JIT (re)compiles the path counts
  // the code it makes (seen: one window in three, up to 4x the others).
  const median = async (withDuplex: boolean) => {
    const runs = [await receive(withDuplex), await receive(withDuplex), await receive(withDuplex)].sort((a, b) => a.bytes - b.bytes);
    return { ...runs[1]!, clean: runs.every((r) => r.clean) };
  };
  await receive(true);
  await receive(false);
  const bare = await median(false);
  const full = await median(true);
  const figures: AllocFigures = {
    sendBytes: send.bytes, sendCalls: send.calls, wsSendBytes: wsSend.bytes,
    receiveBytes: full.bytes, receiveArrayBufferBytes: full.arrayBufferBytes, receiveDeltas: DELTAS, receiveClean: full.clean && bare.clean, bareReceiveBytes: bare.bytes,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

function allocationInChild(): AllocFigures {
  const r = spawnSync(process.execPath, [...ALLOC_METER_FLAGS, '--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, REALTIME_BENCH_ALLOC_CHILD: '1', REALTIME_BENCH_PORT: String(port) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as AllocFigures;
  } catch {
    console.error(`realtime-duplex bench: the allocation child failed (${r.status ?? r.signal}): ${line}`);
    return { sendBytes: NaN, sendCalls: 0, wsSendBytes: NaN, receiveBytes: NaN, receiveArrayBufferBytes: NaN, receiveDeltas: 0, receiveClean: false, bareReceiveBytes: NaN };
  }
}

// --- 4. interrupt → silent output (first frame without the interrupted audio), 100 barge-ins. Also how far
// past the pacer's frame grid that frame came (the grid is 20 ms: an interrupt waits for the next frame time)
const BARGE_INS = 100;
async function interruptToSilence(): Promise<{ total: number[]; pastGrid: number[] }> {
  const total: number[] = [];
  const pastGrid: number[] = [];
  for (let i = 0; i < BARGE_INS; i++) {
    const duplex = await openDuplex('stream-3000', { cushionMs: 60 });
    let interruptAt = 0;
    let silentAt = 0;
    let lastFrameAt = 0;
    let lastBeforeInterrupt = 0;
    duplex.on('data', (frame: Buffer) => {
      const now = performance.now();
      if (interruptAt && !silentAt && frame.every((b) => b === 0)) silentAt = now;
      lastFrameAt = now;
    });
    duplex.session!.createResponse();
    await sleep(200 + Math.random() * 300);
    interruptAt = performance.now();
    lastBeforeInterrupt = lastFrameAt;
    duplex.interrupt();
    while (!silentAt) await sleep(1);
    total.push(silentAt - interruptAt);
    pastGrid.push(Math.max(0, silentAt - (lastBeforeInterrupt + 20)));
    duplex.destroy();
  }
  return { total, pastGrid };
}

// --- 5. concurrent sessions against the emulator in another process: each plays a 4 s reply in real time
// while its mic sends 20 ms frames in real time
interface EmulatorChild {
  url: string;
  ask(cmd: string): Promise<Record<string, number>>;
  close(): void;
}

async function startEmulatorChild(): Promise<EmulatorChild> {
  // REALTIME_BENCH_PROFILE=<path prefix> profiles the emulator child's measured windows too (<prefix>-emulator-<n>.cpuprofile).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'realtime-duplex-emulator-child.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => (await lines.next()).value as string;
  const url = await next();
  return {
    url,
    ask: async (cmd) => {
      child.stdin!.write(`${cmd}\n`);
      return JSON.parse(await next()) as Record<string, number>;
    },
    close: () => child.stdin!.end(),
  };
}

interface ScaleRun {
  sessions: number;
  frames: number;
  late: number;
  clockResets: number;
  underruns: number;
  /** This process's CPU over the measured window, ms per second of wall time per session. */
  cpuMsPerSecondPerSession: number;
  emulatorCpuShare: number;
  failed: number;
  /** Event-loop delay of this process over the window. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** GC pauses in the window: total and longest, ms. */
  gcMs: number;
  gcMaxMs: number;
  /** JS heap after a full GC at the end of the window, with every session still open, KiB per session (above the heap before they opened). */
  heapKiBPerSession: number;
}

const MONO24 = { sampleRate: 24000, channels: 1, encoding: 's16le' as const };

async function concurrent(emulator: EmulatorChild, n: number): Promise<ScaleRun> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const emuClient = new TokenLab({ apiKey: 'sk-bench-000000000000', baseURL: emulator.url, maxRetries: 0 });
  const opened = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const d = realtimeDuplex(emuClient, { model: 'gpt-realtime-mini', connect: { keepaliveMs: 0 }, turnDetection: 'local', transcription: false, outputFormat: MONO24, inputFormat: MONO24 });
      d.on('error', () => {});
      await d.ready;
      return d;
    }),
  );
  const duplexes = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  let late = 0;
  let frames = 0;
  const mic = Buffer.alloc(960);
  const stops: Array<() => void> = [];
  // The sockets and sessions just opened, all at once, are still in the young generation: without a full GC
  // here the window's first scavenges would copy and promote them (seen: 20-30 ms each at 250 sessions), which
  // is the cost of opening a crowd of sessions in one go, not of running them.
  gc();
  await emulator.ask(process.env['REALTIME_BENCH_PROFILE'] ? `reset ${process.env['REALTIME_BENCH_PROFILE']}-emulator-${n}.cpuprofile` : 'reset');
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const profiling = process.env['REALTIME_BENCH_PROFILE'] ? await startWindowProfile() : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const d of duplexes) {
    let last = 0;
    d.on('data', () => {
      const now = performance.now();
      if (last && now - last > 40) late++; // a frame more than one frame period late
      last = now;
      frames++;
    });
    // Each session's mic at its own phase within the 20 ms frame, as independent callers' audio arrives
    // (timers made in one loop would all fire in the same turn); the responses still all start together.
    let t: NodeJS.Timeout | undefined;
    const start = setTimeout(() => (t = setInterval(() => d.write(mic), 20)), Math.random() * 20);
    stops.push(() => (clearTimeout(start), clearInterval(t)));
    d.session!.createResponse();
  }
  await sleep(4500);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const emu = await emulator.ask('stats');
  loopDelay.disable();
  gcObserver.disconnect();
  if (profiling) await profiling(`${process.env['REALTIME_BENCH_PROFILE']}-${n}.cpuprofile`);
  for (const s of stops) s();
  gc();
  const heapKiBPerSession = (process.memoryUsage().heapUsed - heapBefore) / 1024 / Math.max(1, duplexes.length);
  const clockResets = duplexes.reduce((a, d) => a + d.pacedOutput.clockResets, 0);
  const underruns = duplexes.reduce((a, d) => a + d.pacedOutput.underruns, 0);
  for (const d of duplexes) d.destroy();
  await emuClient.close();
  await sleep(300);
  return {
    sessions: n,
    frames,
    late,
    clockResets,
    underruns,
    cpuMsPerSecondPerSession: ((cpu.user + cpu.system) / 1000 / (wallMs / 1000)) / Math.max(1, duplexes.length),
    emulatorCpuShare: emu['cpuMs']! / emu['wallMs']!,
    failed: n - duplexes.length,
    loopP99Ms: loopDelay.percentile(99) / 1e6,
    loopMaxMs: loopDelay.max / 1e6,
    gcMs: gcPauses.reduce((a, b) => a + b, 0),
    gcMaxMs: Math.max(0, ...gcPauses),
    heapKiBPerSession,
  };
}

async function scaleRuns(): Promise<{ rows: string[][]; sustained: number }> {
  const emulator = await startEmulatorChild();
  const rows: string[][] = [];
  let sustained = 0;
  // One unreported round first: the first sessions in a fresh process pay for compiling the whole path
  // (seen: stalls of 100+ ms), which a server that has been up for a minute has long done.
  await concurrent(emulator, SCALE_SESSIONS[0]!);
  for (const n of SCALE_SESSIONS) {
    // Three runs per size, the median one reported: one stall of the event loop longer than a frame makes every
    // session late at once (0.44 % of a run at 200 sessions), so single runs of the same size varied 0-1.3 %.
    const runs: Array<{ r: ScaleRun; latePct: number }> = [];
    for (let i = 0; i < SCALE_RUNS; i++) {
      const r = await concurrent(emulator, n);
      runs.push({ r, latePct: (100 * r.late) / Math.max(1, r.frames) });
    }
    runs.sort((a, b) => a.latePct - b.latePct);
    const { r, latePct } = runs[SCALE_RUNS >> 1]!;
    rows.push([String(n), String(r.failed), String(r.frames), `${f3(latePct)} (${runs.map((x) => f3(x.latePct)).join(', ')})`, String(r.clockResets), String(r.underruns), f3(r.cpuMsPerSecondPerSession), `${Math.round(r.cpuMsPerSecondPerSession * r.sessions / 10)} %`, f3((r.emulatorCpuShare * 1000) / r.sessions), `${Math.round(r.emulatorCpuShare * 100)} %`, `${f1(r.loopP99Ms)} / ${f1(r.loopMaxMs)}`, `${f1(r.gcMs)} / ${f1(r.gcMaxMs)}`, f1(r.heapKiBPerSession)]);
    console.log(rows[rows.length - 1]!.join(' | '));
    // Every size runs (a loaded machine can fail a small one and pass a larger one: the curve says more).
    if (latePct < 1 && r.failed === 0 && n > sustained) sustained = n;
  }
  emulator.close();
  return { rows, sustained };
}

// --- 6. heap over a 60-minute session at accelerated pace: 60 turns of 60 s in and 60 s out, each interrupted
async function longSession(): Promise<string[][]> {
  const duplex = await openDuplex('blast-3000', { maxQueuedOutputMs: 70_000, outputFormat: MONO24, inputFormat: MONO24, sendPolicy: 'drop-oldest' });
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

const PER_EVENT_CLIENTS: ReadonlyArray<readonly [string, () => Promise<Elapsed>]> = [
  ['ws + JSON.parse (floor)', rawWs],
  ['openai SDK v6 OpenAIRealtimeWS', openaiSdk],
  ['tokenlab-audio RealtimeSession (typed delta events)', tokenlabSession],
  ["tokenlab-audio RealtimeSession audio sink (what realtimeDuplex uses: read from the frame's bytes)", tokenlabAudioSink],
];
const PER_EVENT_COLUMNS = ['client', 'client CPU µs / event', 'wall µs / event'];
const SCALE_COLUMNS = ['sessions', 'failed to open', 'frames', 'late % (median run; all runs)', 'clock resets', 'underruns', 'client CPU ms/s per session', 'client CPU (of one core)', 'emulator CPU ms/s per session', 'emulator CPU (of one core)', 'loop delay p99 / max ms', 'GC total / longest ms', 'heap KiB per session'];

if (process.env['REALTIME_BENCH_ALLOC_CHILD'] === '1') await allocationChild();

if (ONLY === 'alloc') {
  console.log(JSON.stringify(allocationInChild()));
  await client.close();
  server?.stdin!.end();
  process.exit(0);
}

if (ONLY === 'events') {
  console.log(table(PER_EVENT_COLUMNS, await perEvent(PER_EVENT_CLIENTS)));
  await client.close();
  server?.stdin!.end();
  process.exit(0);
}

if (ONLY === 'interrupt') {
  const { total, pastGrid: past } = await interruptToSilence();
  console.log(`interrupt → silence p50 ${f1(pct(total, 50))} p99 ${f1(pct(total, 99))} max ${f1(Math.max(...total))} ms; past the grid p50 ${f1(pct(past, 50))} p99 ${f1(pct(past, 99))} ms`);
  await client.close();
  server?.stdin!.end();
  process.exit(0);
}

if (ONLY === 'scale') {
  const scale = await scaleRuns();
  console.log(table(SCALE_COLUMNS, scale.rows));
  await client.close();
  server?.stdin!.end();
  process.exit(0);
}

const perEventRows = await perEvent(PER_EVENT_CLIENTS);
const recv = await receivePath();
const send = await sendPath();
const alloc = allocationInChild();
const { total: silence, pastGrid } = await interruptToSilence();
const scale = await scaleRuns();
const memRows = await longSession();

await client.close();
server?.stdin!.end();

writeSection(
  'realtime-duplex',
  'Realtime duplex (client side, servers in other processes on 127.0.0.1)',
  `
Per-event overhead on the scripted server (bench/realtime-bench-server.ts: it blasts ${N_EVENTS} output-audio deltas of 20 ms as fast as the socket takes them, which the emulator does not do), µs per event from the first to the last handled, best of 5 rounds (each round runs every client once): this process's CPU time (the client's own cost) and the wall time (which the server's pace can set):

${table(PER_EVENT_COLUMNS, perEventRows)}

Duplex per 20 ms frame on the scripted server (targets ≤ 0.5 ms p99 each; bytes allocated per frame measured in a child process with a 64 MiB young generation, no GC in the window, bench/alloc-meter.ts):

${table(['path', 'p50 ms', 'p99 ms', 'bytes allocated / frame', 'of which the socket and ws by themselves', 'the message'], [
  ['send: 48 kHz stereo PCM in → append sent', f3(send.p50), f3(send.p99), `${Math.round(alloc.sendBytes)}`, `${Math.round(alloc.wsSendBytes)} (a bare ws.send of the same bytes)`, `${APPEND_BYTES} B sent`],
  ['receive: delta frame → 48 kHz stereo PCM queued', f3(recv.p50), f3(recv.p99), `${Math.round(alloc.receiveBytes)} JS heap + ${Math.round(alloc.receiveArrayBufferBytes)} ArrayBuffer`, `${Math.round(alloc.bareReceiveBytes)} JS heap (a session whose audio sink does nothing)`, '1427 B received'],
])}

Send: ${alloc.sendCalls} frames, one append each (batchMs 20), socket writes included. The duplex builds the append message as bytes in a reused buffer (base64 written in place) behind room for the frame header, and the session writes the whole frame (zero masking key) to the socket in one write, instead of \`ws\`'s cork + header + payload writev (a new buffer is taken only when the socket could not write the last message at once); the bare ws.send column is \`ws\` with its default random mask, which also copies the message into a masked frame (${APPEND_BYTES + 8} B a message).
Receive: ${alloc.receiveDeltas} deltas blasted, one window around the whole response (median of three after two warm-ups; a window in which the JIT recompiles the path counts the code it makes, so a loaded machine gives larger and more variable figures${alloc.receiveClean ? '' : '; a GC ran in a window: not exact'}); the ArrayBuffer bytes are mostly the socket's read buffers (the message as it arrived). The session reads the delta from the frame bytes (no string, no JSON.parse), the duplex decodes base64 and resamples into reused buffers, and the pacer copies the PCM into its ring. Max receive cost ${f3(recv.max)} ms.

Interrupt → first silent output frame (${BARGE_INS} barge-ins at random moments, 20 ms frames): p50 ${f1(pct(silence, 50))} ms, p99 ${f1(pct(silence, 99))} ms, max ${f1(Math.max(...silence))} ms (target: ≤ one 20 ms frame p99, before the sink's own cushion). The interrupt stops the queued audio at once; the first silent frame goes out at the next time on the pacer's 20 ms grid (frames are never sent early, which would add latency to everything after), so the wait is the rest of the current frame plus the timer's lateness: that frame came p50 ${f1(pct(pastGrid, 50))} ms, p99 ${f1(pct(pastGrid, 99))} ms, max ${f1(Math.max(...pastGrid))} ms more than one frame period after the frame before the interrupt.

Concurrent duplex sessions in this one process against the emulator in another process (bench/realtime-duplex-emulator-child.ts: local turn mode, no transcription, every response 4 s of speech in ~20 ms deltas at 1.5x real time). Each session: 24 kHz mono in and out, mic frames of 20 ms every 20 ms (each session at its own random phase within the frame, as independent callers' audio arrives), one response played in real time, 4.5 s measured; every session asks for its response in the same millisecond (the worst case: a crowd of responses starting at once), after one unreported warm-up round at the smallest size and a full GC once the sessions are open (so that the window does not pay for promoting what opening them all at once made). A frame is late when it comes > 40 ms after the previous one; a clock reset is a pacer that fell > 200 ms behind (event loop stalled) and re-anchored. One event-loop stall longer than a frame makes every session late at once, so the late % counts stalls: 1 % of 4.5 s at 200 sessions is about two. Each size runs ${SCALE_RUNS} times; the row is the run with the median late %, and all the runs' late % are listed. Heap per session: after a full GC at the end of the window, sessions still open. The emulator shares the machine's ${os.cpus().length} cores:

${table(SCALE_COLUMNS, scale.rows)}

Sustained with < 1 % late frames: **${scale.sustained}** sessions (goal ≥ 200).

Heap over a 60-minute session at accelerated pace (60 turns: 60 s of mic in, 60 s of output, barge-in):

${table(['minute', 'heap MiB (after gc)', 'rss MiB'], memRows)}
`,
);
process.exit(0);
