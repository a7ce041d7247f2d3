// Paced output benchmark: clock jitter of PacedOutput (deviation of each 20 ms frame from the ideal
// grid) over 60 s with the event loop under load, against a naive setInterval(20) pacer running in
// the same process at the same time (so both suffer the same load). Plus a short unloaded baseline.
// Run alone: node --expose-gc --import tsx bench/paced-output.bench.ts   (PACED_BENCH_SECONDS=15 for a quick run)
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DISCORD_PCM } from '../src/core/pcm/pcm-format.js';
import { PacedOutput } from '../src/streams/paced-output.js';
import { table, writeSection } from './report.js';

const LOADED_SECONDS = Number(process.env.PACED_BENCH_SECONDS ?? 60);
const BASELINE_SECONDS = Math.max(5, Math.round(LOADED_SECONDS / 6));
const FRAME_MS = 20;
const LOAD_PERIOD_MS = 40;
const LOAD_MIN_MS = 5;
const LOAD_MAX_MS = 15;

interface Stats {
  /** |interval between consecutive frames − 20 ms|, p50 and p99: frame-to-frame jitter, blind to slow drift. */
  intervalP50: number;
  intervalP99: number;
  frames: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  finalDrift: number;
}

function stats(times: number[], durationMs: number): Stats {
  // The grid's phase is fitted (median offset), so a late first frame does not count against every frame.
  const offsets = times.map((t, n) => t - n * FRAME_MS).sort((a, b) => a - b);
  const t0 = offsets[Math.floor(offsets.length / 2)] ?? 0;
  const dev = times.map((t, n) => t - (t0 + n * FRAME_MS));
  const abs = dev.map(Math.abs).sort((a, b) => a - b);
  const q = (p: number): number => abs[Math.min(abs.length - 1, Math.floor(p * abs.length))] ?? NaN;
  const intervals = times.slice(1).map((t, i) => Math.abs(t - times[i]! - FRAME_MS)).sort((a, b) => a - b);
  const qi = (p: number): number => intervals[Math.min(intervals.length - 1, Math.floor(p * intervals.length))] ?? NaN;
  return { intervalP50: qi(0.5), intervalP99: qi(0.99), frames: times.length, expected: Math.floor(durationMs / FRAME_MS), p50: q(0.5), p99: q(0.99), max: abs[abs.length - 1] ?? NaN, finalDrift: dev[dev.length - 1] ?? NaN };
}

/** Busy work of 5-15 ms every 40 ms: a bot doing JSON, crypto, VAD on the same thread. */
function startLoad(): () => void {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const timer = setInterval(() => {
    const until = performance.now() + LOAD_MIN_MS + random() * (LOAD_MAX_MS - LOAD_MIN_MS);
    while (performance.now() < until) {
      // Burn CPU synchronously.
    }
  }, LOAD_PERIOD_MS);
  return () => clearInterval(timer);
}

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

async function run(seconds: number, loaded: boolean): Promise<{ paced: Stats; naive: Stats; resets: number; underruns: number; loop: LoopDelay }> {
  // How late the event loop itself ran (timer lateness): the floor under any pacer's jitter.
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const durationMs = seconds * 1000;
  const format = DISCORD_PCM;
  const frameBytes = (format.sampleRate / 1000) * FRAME_MS * 4;

  // PacedOutput fed by a producer that writes 100 ms blocks whenever there is room (like a TTS stream).
  const paced = new PacedOutput({ format, frameMs: FRAME_MS, cushionMs: 60 });
  const pacedTimes: number[] = [];
  paced.on('data', () => pacedTimes.push(performance.now()));
  const block = Buffer.alloc(frameBytes * 5, 1);
  let producing = true;
  const produce = (): void => {
    while (producing && paced.write(block)) {
      // Fill until backpressure.
    }
    if (producing) paced.once('drain', produce);
  };
  produce();

  // The naive pacer: one frame per setInterval(20) tick, as many hand-written bots do.
  const naiveTimes: number[] = [];
  const naive = setInterval(() => {
    naiveTimes.push(performance.now());
    Buffer.alloc(frameBytes); // the frame it would send
  }, FRAME_MS);

  const stopLoad = loaded ? startLoad() : () => {};
  await new Promise((r) => setTimeout(r, durationMs));
  stopLoad();
  producing = false;
  clearInterval(naive);
  const resets = paced.clockResets;
  const underruns = paced.underruns;
  paced.destroy();
  histogram.disable();
  // The histogram records whole timer periods; subtract the 5 ms period to get the lateness.
  const late = (ns: number): number => Math.max(0, ns / 1e6 - 5);
  const loop = { p50: late(histogram.percentile(50)), p99: late(histogram.percentile(99)), max: late(histogram.max) };
  return { paced: stats(pacedTimes, durationMs), naive: stats(naiveTimes, durationMs), resets, underruns, loop };
}

const fmt = (x: number): string => x.toFixed(2);
const rows: (string | number)[][] = [];
const loopRows: (string | number)[][] = [];
const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
for (const [label, seconds, loaded] of [
  ['no load', BASELINE_SECONDS, false],
  [`loaded (${LOAD_MIN_MS}-${LOAD_MAX_MS} ms busy every ${LOAD_PERIOD_MS} ms)`, LOADED_SECONDS, true],
] as const) {
  console.log(`running ${label} for ${seconds} s…`);
  const r = await run(seconds, loaded);
  results[label] = r;
  for (const [name, s] of [['PacedOutput (drift-corrected)', r.paced], ['setInterval(20) pacer', r.naive]] as const) {
    rows.push([label, `${seconds} s`, name, `${s.frames} / ${s.expected}`, fmt(s.p50), fmt(s.p99), fmt(s.max), fmt(s.finalDrift), fmt(s.intervalP50), fmt(s.intervalP99)]);
  }
  loopRows.push([label, fmt(r.loop.p50), fmt(r.loop.p99), fmt(r.loop.max)]);
  console.log(`  paced p50 ${fmt(r.paced.p50)} p99 ${fmt(r.paced.p99)} drift ${fmt(r.paced.finalDrift)}; naive p50 ${fmt(r.naive.p50)} p99 ${fmt(r.naive.p99)} drift ${fmt(r.naive.finalDrift)}; resets ${r.resets}`);
}

const loaded = Object.entries(results).find(([k]) => k.startsWith('loaded'))![1];
const check = [
  ['p99 deviation under load ≤ 1 frame (20 ms)', `${fmt(loaded.paced.p99)} ms`, loaded.paced.p99 <= FRAME_MS ? 'yes' : 'no'],
  ['no drift: frames emitted = frames due (±1)', `${loaded.paced.frames} / ${loaded.paced.expected}`, Math.abs(loaded.paced.frames - loaded.paced.expected) <= 1 ? 'yes' : 'no'],
  ['p99 better than setInterval(20) in the same run', `${fmt(loaded.paced.p99)} vs ${fmt(loaded.naive.p99)} ms`, loaded.paced.p99 < loaded.naive.p99 ? 'yes' : 'no'],
  ['clock never re-anchored (no stall > 200 ms)', `${loaded.resets} (loop delay max ${fmt(loaded.loop.max)} ms)`, loaded.resets === 0 ? 'yes' : 'no'],
  ['a typical frame on the grid under load: p50 |dev| ≤ 2 ms', `${fmt(loaded.paced.p50)} ms`, loaded.paced.p50 <= 2 ? 'yes' : 'no'],
];

writeSection(
  'paced-output',
  'Paced output: clock jitter on the 20 ms grid',
  `48 kHz stereo s16le, 20 ms frames, cushion 60 ms, a producer writing 100 ms blocks whenever there is room.
Deviation = emission time of frame n minus (t0 + n × 20 ms), t0 fitted as the median offset, so it includes drift
(a pacer that loses time drifts away from the grid); absolute values in ms. "frames / due" counts frames emitted against
frames due in the run.
Both pacers run at the same time in one process, under the same load.

${table(['event loop', 'duration', 'pacer', 'frames / due', 'grid p50 |dev| ms', 'grid p99 |dev| ms', 'grid max |dev| ms', 'final drift ms', 'interval p50 |Δ−20| ms', 'interval p99 |Δ−20| ms'], rows)}

A stall longer than 10 frames (200 ms, the default \`maxCatchUpFrames\`) makes PacedOutput emit 10 frames at once and
re-anchor its grid (counted as a reset): the lost time is forgiven rather than burst out, so every later frame sits that much off the original grid.
A late frame is followed at once by the frames that fell due meanwhile (that is the catch-up), so the interval
column shows intervals near 0 as well as near 40 ms: its p99 is about one frame by design; the grid columns say whether
the clock kept its schedule.

Event-loop delay measured during each run (\`monitorEventLoopDelay\`, 5 ms timer, its period subtracted): how late any timer fired,
i.e. the floor under every pacer's jitter. On a shared 2-core machine, other processes add to it.

${table(['event loop', 'loop delay p50 ms', 'loop delay p99 ms', 'loop delay max ms'], loopRows)}

Targets (the issue asks for the jitter numbers; these are the bars we hold them to):

${table(['target', 'measured', 'met?'], check)}
`,
);
