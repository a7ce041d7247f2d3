// Decode benchmark: time to first PCM and throughput (x realtime) of decode() in-process (WAV,
// Ogg/Opus, WebM/Opus) against decode() forced through ffmpeg and against prism-media's own pipelines
// (prism.FFmpeg for WAV; OggDemuxer/WebmDemuxer + opus.Decoder for Opus), on the same bytes, in one run.
// Run alone: node --expose-gc --import tsx bench/decode.bench.ts   (DECODE_BENCH_SECONDS=20 for a quick run)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { resolveFfmpeg } from '../src/codecs/ffmpeg/ffmpeg-resolve.js';
import { runFfmpeg } from '../src/codecs/ffmpeg/ffmpeg-process.js';
import { decode } from '../src/streams/decode.js';
import { table, writeSection } from './report.js';

const require = createRequire(import.meta.url);
const prism = require('prism-media') as typeof import('prism-media');

const SECONDS = Number(process.env.DECODE_BENCH_SECONDS ?? 60);
const ROUNDS = Number(process.env.DECODE_BENCH_ROUNDS ?? 7);
const RATE = 48_000;
const CHANNELS = 2;
const PCM_BYTES_PER_SECOND = RATE * CHANNELS * 2;

const ffmpeg = resolveFfmpeg();
// prism-media finds ffmpeg on PATH (or ffmpeg-static); give it the same binary as ours.
process.env.PATH = `${path.dirname(ffmpeg.path)}${path.delimiter}${process.env.PATH ?? ''}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'tla-decode-bench-'));
const files = { wav: path.join(dir, 'a.wav'), ogg: path.join(dir, 'a.opus'), webm: path.join(dir, 'a.webm') };
// Speech-like material is not needed for speed; a two-tone signal with noise keeps the codecs busy.
const source = ['-f', 'lavfi', '-i', `aevalsrc=0.3*sin(2*PI*220*t)+0.2*sin(2*PI*3300*t)+0.05*(random(0)-0.5)|0.3*sin(2*PI*330*t)+0.05*(random(1)-0.5):s=${RATE}:d=${SECONDS}`];
const base = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...source];
await runFfmpeg([...base, '-c:a', 'pcm_s16le', files.wav]);
await runFfmpeg([...base, '-c:a', 'libopus', '-b:a', '64k', '-f', 'ogg', files.ogg]);
await runFfmpeg([...base, '-c:a', 'libopus', '-b:a', '64k', '-f', 'webm', files.webm]);
const bytes = { wav: readFileSync(files.wav), ogg: readFileSync(files.ogg), webm: readFileSync(files.webm) };
rmSync(dir, { recursive: true, force: true });

function slices(buf: Buffer): Readable {
  // The same delivery for every contender: 64 KB chunks, as a file or socket gives them.
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += 65_536) yield buf.subarray(i, i + 65_536);
  })());
}

interface Run {
  firstMs: number;
  totalMs: number;
  /** CPU time of this process (user + system): the work of in-process decoders, not of ffmpeg children. */
  cpuMs: number;
  pcmBytes: number;
}

async function measure(make: () => Readable | Duplex): Promise<Run> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stream = make();
  let first = -1;
  let pcmBytes = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      if (first < 0) first = performance.now() - t0;
      pcmBytes += c.length;
    });
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  const cpu = process.cpuUsage(cpu0);
  return { firstMs: first, totalMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, pcmBytes };
}

type Contender = { name: string; make: () => Readable | Duplex };

const prismFfmpegArgs = ['-analyzeduration', '0', '-loglevel', '0', '-f', 's16le', '-ar', String(RATE), '-ac', String(CHANNELS)];
const groups: { format: string; contenders: Contender[] }[] = [
  {
    format: 'WAV (s16, 48 kHz stereo)',
    contenders: [
      { name: 'decode() in-process', make: () => decode(slices(bytes.wav)) },
      { name: 'decode() via ffmpeg', make: () => decode(slices(bytes.wav), { decoder: 'ffmpeg' }) },
      { name: 'prism.FFmpeg', make: () => slices(bytes.wav).pipe(new prism.FFmpeg({ args: prismFfmpegArgs })) },
    ],
  },
  {
    format: 'Ogg/Opus (64 kb/s stereo)',
    contenders: [
      { name: 'decode() in-process', make: () => decode(slices(bytes.ogg)) },
      { name: 'decode() via ffmpeg', make: () => decode(slices(bytes.ogg), { decoder: 'ffmpeg' }) },
      {
        name: 'prism OggDemuxer + opus.Decoder',
        make: () => slices(bytes.ogg).pipe(new prism.opus.OggDemuxer()).pipe(new prism.opus.Decoder({ rate: RATE, channels: CHANNELS, frameSize: 960 })),
      },
      { name: 'prism.FFmpeg', make: () => slices(bytes.ogg).pipe(new prism.FFmpeg({ args: prismFfmpegArgs })) },
    ],
  },
  {
    format: 'WebM/Opus (64 kb/s stereo)',
    contenders: [
      { name: 'decode() in-process', make: () => decode(slices(bytes.webm)) },
      { name: 'decode() via ffmpeg', make: () => decode(slices(bytes.webm), { decoder: 'ffmpeg' }) },
      {
        name: 'prism WebmDemuxer + opus.Decoder',
        make: () => slices(bytes.webm).pipe(new prism.opus.WebmDemuxer()).pipe(new prism.opus.Decoder({ rate: RATE, channels: CHANNELS, frameSize: 960 })),
      },
      { name: 'prism.FFmpeg', make: () => slices(bytes.webm).pipe(new prism.FFmpeg({ args: prismFfmpegArgs })) },
    ],
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const rows: (string | number)[][] = [];
const summary: Record<string, Record<string, { first: number; xrt: number; cpuXrt: number }>> = {};
for (const group of groups) {
  const results = new Map<string, Run[]>();
  // One warm-up, then rounds interleaved across contenders so machine noise hits all alike.
  for (const c of group.contenders) await measure(c.make);
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of group.contenders) {
      globalThis.gc?.();
      const run = await measure(c.make);
      results.set(c.name, [...(results.get(c.name) ?? []), run]);
    }
  }
  summary[group.format] = {};
  for (const c of group.contenders) {
    const runs = results.get(c.name)!;
    const first = median(runs.map((x) => x.firstMs));
    const total = median(runs.map((x) => x.totalMs));
    const audioSeconds = runs[0]!.pcmBytes / PCM_BYTES_PER_SECOND;
    const xrt = audioSeconds / (total / 1000);
    const cpu = median(runs.map((x) => x.cpuMs));
    const cpuXrt = audioSeconds / (cpu / 1000);
    const inProcess = !c.name.includes('ffmpeg') && !c.name.includes('FFmpeg');
    summary[group.format]![c.name] = { first, xrt, cpuXrt };
    rows.push([
      group.format, c.name, first.toFixed(1), total.toFixed(0), audioSeconds.toFixed(2), `${xrt.toFixed(0)}x`,
      inProcess ? `${cpu.toFixed(0)} ms (${cpuXrt.toFixed(0)}x)` : `${cpu.toFixed(0)} ms + the child's`,
    ]);
    console.log(`${group.format} | ${c.name}: first PCM ${first.toFixed(1)} ms, ${xrt.toFixed(0)}x realtime`);
  }
}

const check: (string | number)[][] = [];
for (const [format, s] of Object.entries(summary)) {
  const ours = s['decode() in-process']!;
  const viaFfmpeg = s['decode() via ffmpeg']!;
  const prismCodec = Object.entries(s).find(([n]) => n.startsWith('prism') && !n.includes('FFmpeg'))?.[1];
  const prismFfmpeg = s['prism.FFmpeg']!;
  check.push([
    format,
    'first PCM sooner than the ffmpeg path',
    `${ours.first.toFixed(1)} vs ${viaFfmpeg.first.toFixed(1)} ms (${(viaFfmpeg.first / ours.first).toFixed(1)}x sooner)`,
    ours.first < viaFfmpeg.first ? 'yes' : 'no',
  ]);
  if (prismCodec) {
    // Same codec (opusscript) on both sides: compare CPU time, which the shared machine's load skews less than wall time.
    check.push([
      format,
      "CPU per second of audio no worse than prism's in-process pipeline (±10%)",
      `${ours.cpuXrt.toFixed(0)}x vs ${prismCodec.cpuXrt.toFixed(0)}x realtime per CPU (wall: ${ours.xrt.toFixed(0)}x vs ${prismCodec.xrt.toFixed(0)}x)`,
      ours.cpuXrt >= prismCodec.cpuXrt * 0.9 ? 'yes' : 'no',
    ]);
  } else {
    check.push([format, "throughput at least prism's FFmpeg", `${ours.xrt.toFixed(0)}x vs ${prismFfmpeg.xrt.toFixed(0)}x realtime`, ours.xrt >= prismFfmpeg.xrt ? 'yes' : 'no']);
  }
}

writeSection(
  'decode',
  'Decode: time to first PCM and throughput',
  `${SECONDS} s of 48 kHz stereo audio per file, fed as 64 KB chunks from memory; median of ${ROUNDS} interleaved rounds after a warm-up.
ffmpeg: ${ffmpeg.path} (${ffmpeg.source}). Opus backend: opusscript (WebAssembly) unless @discordjs/opus is installed.
"decode() via ffmpeg" is the same call with \`decoder: 'ffmpeg'\` (its output is a WAV pipe parsed in-process).
In-process Opus: ours = the codecs' OggOpusDecoder (CRC-checked pages, pre-skip, end trim) or the codecs' WebmOpusDecoder +
OpusDecoder + trim; prism = OggDemuxer/WebmDemuxer + opus.Decoder (no pre-skip or end trim, drops WebM BlockGroups).
Both use the same Opus library, so CPU time is the fair comparison on a shared machine; wall time includes waiting for a core.

${table(['input', 'pipeline', 'first PCM (ms)', 'total (ms)', 'audio (s)', 'speed (wall)', 'CPU in this process'], rows)}

Against the issue's asks (in-process vs the ffmpeg path, and vs prism-media's own pipeline):

${table(['input', 'target', 'measured', 'met?'], check)}
`,
);
