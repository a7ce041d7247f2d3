// Long-file transcription (issue 11) against the emulator in a child process (its memory is not ours):
//  1. a lecture-like recording (default 2 h: long pauses, long monologues; synthesized here) → merged SRT:
//     cue times against where the speech really is, every piece under the limits, peak RSS above baseline;
//  2. the same job killed (aborted) at 50 % and run again: finished pieces requested again (target 0);
//  3. pieces/s at concurrency 1, 4, 16 with the emulator's latency standing in for processing time.
// Run: npm run bench long-transcription   (BENCH_LONG_HOURS=0.5 for a shorter recording)
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenLab } from '../src/api/client.js';
import { transcribeLong } from '../src/jobs/long-transcription/transcribe-long.js';
import { writeLectureWav, type SpeechRegion } from '../scripts/make-lecture-audio.js';
import { table, writeSection } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const work = path.join(here, '.work', 'long-transcription');
const KEY = 'sk-bench-long-0123456789abcdef';
const HOURS = Number(process.env['BENCH_LONG_HOURS'] ?? 2);
const LATENCY_MS = 400;

async function childEmulator(latencyMs: number): Promise<{ url: string; stop: () => void; requests: () => Promise<string[]> }> {
  const code = `
    import { startEmulator } from ${JSON.stringify(path.join(here, '..', 'src', 'emulator', 'start-emulator.ts'))};
    const e = await startEmulator({ apiKeys: [${JSON.stringify(KEY)}], rateLimitPerMinute: 1000000, faults: [{ kind: 'latency', latencyMs: ${latencyMs}, match: '/v1/audio/transcriptions' }] });
    console.log('URL ' + e.url);
    process.stdin.on('data', () => console.log('REQS ' + JSON.stringify(e.requests.filter((r) => r.path === '/v1/audio/transcriptions' && r.status === 200).map((r) => r.file?.filename))));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /URL (\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`emulator child exited ${c}`)));
  });
  const requests = () =>
    new Promise<string[]>((resolve) => {
      buf = '';
      const on = (d: Buffer) => {
        buf += d.toString();
        const m = /REQS (.*)\n/.exec(buf);
        if (m) {
          child.stdout.off('data', on);
          resolve(JSON.parse(m[1]!) as string[]);
        }
      };
      child.stdout.on('data', on);
      child.stdin.write('?\n');
    });
  return { url, stop: () => child.kill('SIGTERM'), requests };
}

const cueTimes = (srt: string) =>
  [...srt.matchAll(/(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})/g)].map((m) => {
    const t = (i: number) => Number(m[i]) * 3_600_000 + Number(m[i + 1]) * 60_000 + Number(m[i + 2]) * 1000 + Number(m[i + 3]);
    return { startMs: t(1), endMs: t(5) };
  });
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN;
};

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  const lecture = await writeLectureWav(path.join(work, 'lecture.wav'), { durationMs: HOURS * 3_600_000, seed: 11 });
  const genS = (performance.now() - t0) / 1000;
  const emu = await childEmulator(LATENCY_MS);
  const client = new TokenLab({ apiKey: KEY, baseURL: emu.url, timeoutMs: 600_000 });
  const rows: string[] = [];
  try {
    // 1 + 2: abort at 50 % of the pieces, then resume; RSS sampled throughout.
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const workDir = path.join(work, 'jobs');
    const opts = { file: lecture.path, model: 'whisper-1', responseFormat: 'srt' as const, workDir, concurrency: 8, keepAudio: true };
    const ac = new AbortController();
    let doneAtKill = 0;
    const t1 = performance.now();
    // The source is about half cut when the decoded time passes half the file.
    await transcribeLong(client, {
      ...opts,
      signal: ac.signal,
      onProgress: (p) => {
        if (!ac.signal.aborted && p.sourceMsDecoded >= lecture.durationMs / 2 && p.piecesDone > 0) {
          doneAtKill = p.piecesDone;
          ac.abort();
        }
      },
    }).catch((e: Error) => {
      if (e.name !== 'AbortError') throw e;
    });
    const firstS = (performance.now() - t1) / 1000;
    const firstOk = new Set(await emu.requests());
    const t2 = performance.now();
    const result = await transcribeLong(client, opts);
    const secondS = (performance.now() - t2) / 1000;
    clearInterval(sampler);
    const all = await emu.requests();
    const second = all.slice(firstOk.size);
    // Pieces whose result was saved in the first run (reused) that were sent again.
    const reusedNames = new Set<string>();
    for (const p of result.pieces) if (!second.includes(`piece-${String(p.index).padStart(6, '0')}.ogg`)) reusedNames.add(`piece-${String(p.index).padStart(6, '0')}.ogg`);
    const again = second.filter((n) => reusedNames.has(n)).length;
    // Answered by the server in the first run but requested again: answers cut off by the kill before they were saved.
    const answeredAgain = second.filter((n) => firstOk.has(n)).length;
    const finishedFirst = result.piecesReused;

    // Cue accuracy against where the speech is: a cue start should sit on a clip onset (or inside speech when a
    // piece or the VAD split a monologue), a cue end on a clip end.
    const cues = cueTimes(result.output);
    const nearest = (t: number, key: keyof SpeechRegion) => Math.min(...lecture.clips.map((c) => Math.abs(c[key] - t)));
    const inside = (t: number) => lecture.clips.some((c) => t > c.startMs + 100 && t < c.endMs - 100);
    const startErr = cues.filter((c) => !inside(c.startMs)).map((c) => nearest(c.startMs, 'startMs'));
    const endErr = cues.filter((c) => !inside(c.endMs)).map((c) => nearest(c.endMs, 'endMs'));
    const within = (xs: number[]) => `${((100 * xs.filter((x) => x <= 100).length) / Math.max(1, xs.length)).toFixed(1)} %`;
    const units = result.pieces.length;
    rows.push(
      table(
        ['recording', 'pieces', 'cues', 'cue starts ≤ 100 ms (p50 / p95)', 'cue ends ≤ 100 ms (p50 / p95)', 'first run (killed at 50 %)', 'rerun', 'finished pieces requested again', 'peak RSS above baseline'],
        [[
          `${HOURS} h, ${lecture.engine}, ${lecture.clips.length} sentences (made in ${genS.toFixed(0)} s)`,
          units,
          cues.length,
          `${within(startErr)} (${quantile(startErr, 0.5).toFixed(0)} / ${quantile(startErr, 0.95).toFixed(0)} ms)`,
          `${within(endErr)} (${quantile(endErr, 0.5).toFixed(0)} / ${quantile(endErr, 0.95).toFixed(0)} ms)`,
          `${firstS.toFixed(1)} s, ${doneAtKill} pieces done`,
          `${secondS.toFixed(1)} s, ${finishedFirst} reused, ${second.length} requested`,
          `${again} (answered but cut off by the kill, so sent again: ${answeredAgain})`,
          `${((peak - baseline) / 1048576).toFixed(0)} MB`,
        ]],
      ),
    );
    const { readdirSync, statSync } = await import('node:fs');
    const jobDir = path.join(workDir, result.jobKey);
    const sizes = readdirSync(jobDir).filter((f) => f.endsWith('.ogg')).map((f) => statSync(path.join(jobDir, f)).size);
    rows.push(`\nPieces: Ogg/Opus 24 kb/s, largest ${(Math.max(...sizes) / 1024).toFixed(0)} KiB (limit 25 MiB), longest piece ≤ 600 s by construction; ${lecture.durationMs / 60000} min of source, ${(sizes.reduce((a, b) => a + b, 0) / 1048576).toFixed(1)} MiB uploaded in all (the 16 kHz WAV is ${(lecture.durationMs * 32 / 1048576).toFixed(0)} MiB).`);

    // 3: throughput at concurrency 1, 4, 16 on the first 30 min with 30 s pieces (more pieces, latency-bound).
    const through: (string | number)[][] = [];
    const short = await writeLectureWav(path.join(work, 'short.wav'), { durationMs: 20 * 60_000, seed: 12, longPauseMs: 20_000, monologueMs: 60_000 });
    for (const concurrency of [1, 4, 16]) {
      const t = performance.now();
      const r = await transcribeLong(client, { file: short.path, model: 'whisper-1', maxPieceMs: 30_000, concurrency, workDir: path.join(work, `c${concurrency}`) });
      const s = (performance.now() - t) / 1000;
      through.push([concurrency, r.pieces.length, s.toFixed(1), (r.pieces.length / s).toFixed(2), (concurrency / (LATENCY_MS / 1000)).toFixed(1)]);
    }
    rows.push(`\nThroughput (20 min recording, 30 s pieces, emulator latency ${LATENCY_MS} ms per request; includes decode, VAD and Opus encoding):\n`);
    rows.push(table(['concurrency', 'pieces', 'wall s', 'pieces/s', 'latency bound pieces/s'], through));
  } finally {
    await client.close();
    emu.stop();
  }
  writeSection('long-transcription', 'Long-file transcription (transcribeLong)', rows.join('\n'));
  rmSync(work, { recursive: true, force: true });
}

await main();
