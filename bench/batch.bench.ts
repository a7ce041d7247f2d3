// Batch transcription against the emulator: 1,000 small WAVs (generated here) with 3 corrupt ones, the
// emulator's latency option standing in for the API's processing time. Reports items/s, wall time, what was
// reported, and that a rerun requests nothing; then items/s at concurrency 1, 4 and 16 on a smaller batch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TokenLab } from '../src/client.js';
import { startEmulator } from '../src/emulator/start-emulator.js';
import { findAudioFiles } from '../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../src/jobs/batch/plan-batch-jobs.js';
import { runBatch } from '../src/jobs/batch/run-batch.js';
import { BatchCostMeter } from '../src/jobs/batch/batch-cost.js';
import { formatUsd } from '../src/api/cost/budget-exceeded-error.js';
import { writeBatchFiles } from '../scripts/make-batch-files.js';
import { table, writeSection } from './report.js';

const FILES = 1000;
const CORRUPT = [137, 500, 862];
const LATENCY_MS = 100;

const root = await mkdtemp(path.join(tmpdir(), 'tla-batch-bench-'));
const emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', maxLoggedRequests: 100, faults: [{ kind: 'latency', latencyMs: LATENCY_MS, match: '/v1/audio/transcriptions' }] });
const client = new TokenLab({ apiKey: 'bench', baseURL: emu.url });
let transcriptions = 0;
emu.requests.length = 0;
const countRequests = (): number => transcriptions;
const logged = setInterval(() => {
  // The emulator keeps the last 100 records: count as they arrive.
  transcriptions += emu.requests.splice(0).filter((r) => r.path === '/v1/audio/transcriptions').length;
}, 20);

try {
  const dir = path.join(root, 'in');
  await writeBatchFiles(dir, FILES, CORRUPT);
  const out = path.join(root, 'out');
  const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: out });
  const manifestPath = path.join(out, 'manifest.jsonl');
  // The dry run a user would do first: every file's length read from its header (ffmpeg only where the header does not say), catalog prices, nothing billable.
  const estimateStarted = performance.now();
  const cost = await BatchCostMeter.create(jobs, { client });
  const estimate = await cost.estimateAll();
  const estimateMs = performance.now() - estimateStarted;
  const rssBefore = process.memoryUsage().rss;
  const first = await runBatch({ client, jobs, manifestPath, concurrency: 16, costOf: cost.costOf, estimateCostUsd: cost.estimateCostUsd });
  const rssAfter = process.memoryUsage().rss;
  const requestsBefore = countRequests();
  const rerun = await runBatch({ client, jobs, manifestPath, concurrency: 16 });
  await new Promise((r) => setTimeout(r, 50));
  const rerunRequests = countRequests() - requestsBefore;

  const scaling: (string | number)[][] = [];
  const small = planTranscribeJobs((await findAudioFiles([dir])).slice(0, 96), { kind: 'transcribe', outputDir: path.join(root, 'scale') });
  for (const concurrency of [1, 4, 16]) {
    const r = await runBatch({ client, jobs: small, concurrency, overwrite: true });
    scaling.push([concurrency, small.length, r.done, (r.durationMs / 1000).toFixed(2), r.itemsPerSecond.toFixed(1), (concurrency * (1000 / LATENCY_MS)).toFixed(0)]);
  }

  const body = [
    `${FILES} WAV files of 0.85 s (two tone bursts), ${CORRUPT.length} of them corrupt (a WAV header over random bytes), transcribed with \`runBatch\` at concurrency 16 against the emulator with \`latency=${LATENCY_MS}\` ms per transcription and its energy detector.`,
    '',
    table(
      ['run', 'items', 'done', 'skipped', 'failed (reported)', 'stopped', 'wall time s', 'items/s', 'API requests'],
      [
        ['first', first.total, first.done, first.skipped, `${first.failed} (${first.failures.map((f) => f.name).join(', ')})`, first.stoppedBy?.reason ?? 'no', (first.durationMs / 1000).toFixed(2), first.itemsPerSecond.toFixed(1), first.done + first.failed],
        ['rerun', rerun.total, rerun.done, rerun.skipped, rerun.failed, rerun.stoppedBy?.reason ?? 'no', (rerun.durationMs / 1000).toFixed(2), '-', rerunRequests],
      ],
    ),
    '',
    `Cost: the dry run (\`--dry-run\`: ${FILES} WAV lengths read from their headers in-process, only the ${estimate.unpriced.length} corrupt ones handed to ffmpeg, 4 at once; whisper-1's catalog price) took ${(estimateMs / 1000).toFixed(2)} s and estimated $${formatUsd(estimate.totalUsd)} with ${estimate.unpriced.length} files unpriced (the corrupt ones, named with the reason); the run metered $${formatUsd(first.costUsd ?? 0)} (${first.unpricedItems} done items unpriced; text answers carry no usage, so each item is priced from its probed length and its manifest line says so).`,
    '',
    `The rerun hashes every file to check the manifest and requests only the ${rerun.failed} failed items again (done items: 0 requests). RSS grew ${((rssAfter - rssBefore) / 2 ** 20).toFixed(1)} MiB over the first run (emulator in the same process).`,
    '',
    `Throughput against concurrency (${small.length} files, the same latency; the bound is concurrency x 1000 / latency):`,
    '',
    table(['concurrency', 'items', 'done', 'wall time s', 'items/s', 'latency bound items/s'], scaling),
  ].join('\n');
  writeSection('batch', 'Batch transcription (1,000 files, 3 corrupt)', body);
  if (first.done !== FILES - CORRUPT.length || first.failed !== CORRUPT.length || rerunRequests !== CORRUPT.length) process.exitCode = 1;
} finally {
  clearInterval(logged);
  await client.close();
  await emu.close();
  await rm(root, { recursive: true, force: true });
}
