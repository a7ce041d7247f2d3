import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { resolveFfmpeg } from '../../../src/codecs/ffmpeg/ffmpeg-resolve.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { findAudioFiles } from '../../../src/jobs/batch/find-audio-files.js';
import { planSpeakJobs, planTranscribeJobs } from '../../../src/jobs/batch/plan-batch-jobs.js';
import { readSpeechList } from '../../../src/jobs/batch/read-speech-list.js';
import { runBatch } from '../../../src/jobs/batch/run-batch.js';
import type { BatchRecord } from '../../../src/jobs/batch/batch-manifest.js';
import { corruptWav, silentWav, toneWav, writeBatchFiles } from '../../../scripts/make-batch-files.js';

let emu: EmulatorHandle;
let root: string;
const clients: TokenLab[] = [];

function client(options: { maxRetries?: number; dispatcher?: Dispatcher } = {}): TokenLab {
  const c = new TokenLab({ apiKey: 'sk-batch', baseURL: emu.url, ...options });
  clients.push(c);
  return c;
}

async function manifestLines(file: string): Promise<(BatchRecord | { type: 'summary' })[]> {
  return (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

function transcriptionRequests(): number {
  return emu.requests.filter((r) => r.path === '/v1/audio/transcriptions').length;
}

/** A dispatcher that asks the emulator for a 402 on every transcription after the first `okCount` (the `x-emulator-fault` header). */
function balanceRunsOutAfter(okCount: number): Dispatcher {
  let seen = 0;
  return new Agent().compose((dispatch) => (opts, handler) => {
    if (String(opts.path).includes('/audio/transcriptions') && ++seen > okCount) {
      opts = { ...opts, headers: { ...(opts.headers as Record<string, string>), 'x-emulator-fault': '402' } };
    }
    return dispatch(opts, handler);
  });
}

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy' });
  root = await mkdtemp(path.join(tmpdir(), 'tla-batch-'));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
  await rm(root, { recursive: true, force: true });
});

describe('runBatch: transcription of a directory', () => {
  it('reports and skips a corrupt file, a file with no audio track and a text file; a silence-only file is done with a warning; the rerun redoes nothing', async () => {
    const dir = path.join(root, 'mixed');
    await writeBatchFiles(dir, 4);
    await writeFile(path.join(dir, 'broken.wav'), corruptWav(7));
    await writeFile(path.join(dir, 'silence.wav'), silentWav(800));
    await writeFile(path.join(dir, 'notes.mp3'), 'This is a text file that was named like audio.\n');
    const ffmpeg = await resolveFfmpeg();
    execFileSync(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=black:s=16x16:d=0.5', '-c:v', 'mjpeg', '-f', 'matroska', path.join(dir, 'video-only.mkv')]);
    const out = path.join(root, 'mixed-out');
    const manifestPath = path.join(out, 'manifest.jsonl');
    const files = await findAudioFiles([dir]);
    expect(files.map((f) => f.name)).toEqual(['broken.wav', 'clip-0001.wav', 'clip-0002.wav', 'clip-0003.wav', 'clip-0004.wav', 'notes.mp3', 'silence.wav', 'video-only.mkv']);
    const jobs = planTranscribeJobs(files, { kind: 'transcribe', outputDir: out, responseFormat: 'text' });
    const progress: number[] = [];
    const report = await runBatch({ client: client(), jobs, manifestPath, concurrency: 3, onProgress: (p) => progress.push(p.done + p.failed + p.skipped) });

    expect(report).toMatchObject({ total: 8, done: 5, failed: 3, skipped: 0, notStarted: 0, warnings: 1, stoppedBy: undefined });
    expect(progress.at(-1)).toBe(8);
    expect(report.failures.map((f) => f.name).sort()).toEqual(['broken.wav', 'notes.mp3', 'video-only.mkv']);
    const byName = new Map(report.failures.map((f) => [f.name, f]));
    // The corrupt WAV and the video went to the server and were refused with a 400 and a request id.
    expect(byName.get('broken.wav')!.error).toMatchObject({ status: 400, code: 'TLA_ERR_API_BAD_REQUEST' });
    expect(byName.get('broken.wav')!.error!.requestId).toMatch(/^req_/);
    expect(byName.get('video-only.mkv')!.error).toMatchObject({ status: 400 });
    // The text file was refused before any upload.
    expect(byName.get('notes.mp3')!.error).toMatchObject({ code: 'TLA_ERR_INPUT_FILE', status: null });
    expect(byName.get('notes.mp3')!.error!.message).toMatch(/text file/);

    const lines = await manifestLines(manifestPath);
    const items = lines.filter((l): l is BatchRecord => l.type === 'item');
    expect(items).toHaveLength(8);
    for (const item of items.filter((i) => i.status === 'done')) {
      expect(item.requestIds).toHaveLength(1);
      expect(item.requestIds[0]).toMatch(/^req_/);
      expect(item.key).toMatch(/^[0-9a-f]{64}$/);
      await expect(stat(item.output)).resolves.toBeTruthy();
    }
    const silence = items.find((i) => i.name === 'silence.wav')!;
    expect(silence).toMatchObject({ status: 'done' });
    expect(silence.warning).toMatch(/no speech/);
    expect(await readFile(path.join(out, 'clip-0001.txt'), 'utf8')).not.toBe('');
    expect(lines.at(-1)).toMatchObject({ type: 'summary', done: 5, failed: 3 });

    // Rerun: the done items are not requested again; only the two failures that reach the server are.
    const before = transcriptionRequests();
    const again = await runBatch({ client: client(), jobs, manifestPath, concurrency: 3 });
    expect(again).toMatchObject({ done: 0, skipped: 5, failed: 3 });
    expect(transcriptionRequests() - before).toBe(2);

    // A changed option is a different result: it is done again (into the same output).
    const srt = planTranscribeJobs(files.filter((f) => f.name === 'clip-0001.wav'), { kind: 'transcribe', outputDir: out, responseFormat: 'text', prompt: 'tones' });
    expect(await runBatch({ client: client(), jobs: srt, manifestPath })).toMatchObject({ done: 1, skipped: 0 });
  });

  it('a 402 mid-batch stops the batch, keeps what is done and says how to resume; the rerun finishes only the rest', async () => {
    const dir = path.join(root, 'balance');
    await writeBatchFiles(dir, 10);
    const out = path.join(root, 'balance-out');
    const manifestPath = path.join(out, 'manifest.jsonl');
    const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: out });
    const report = await runBatch({ client: client({ dispatcher: balanceRunsOutAfter(4) }), jobs, manifestPath, concurrency: 1 });
    expect(report.stoppedBy?.reason).toBe('insufficient-balance');
    expect(report.stoppedBy?.item).toBe('clip-0005.wav');
    expect(report.stoppedBy?.message).toMatch(/balance is exhausted \(402\)/);
    expect(report.stoppedBy?.message).toMatch(/run the same command again to resume/);
    expect(report).toMatchObject({ done: 4, failed: 1, notStarted: 5 });
    expect((await readdir(out)).filter((f) => f.endsWith('.txt'))).toHaveLength(4);

    const before = transcriptionRequests();
    const resumed = await runBatch({ client: client(), jobs, manifestPath, concurrency: 2 });
    expect(resumed).toMatchObject({ done: 6, skipped: 4, failed: 0, stoppedBy: undefined });
    expect(transcriptionRequests() - before).toBe(6);
  });

  it('a rate limit slows the batch down and fails nothing', async () => {
    const limited = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', faults: [{ kind: 'status', status: 429, retryAfterSeconds: 0.05, match: '/v1/audio/transcriptions', times: 4 }] });
    try {
      const dir = path.join(root, 'rate');
      await writeBatchFiles(dir, 6);
      const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: path.join(root, 'rate-out') });
      const concurrencies: number[] = [];
      const c = new TokenLab({ apiKey: 'k', baseURL: limited.url, maxRetries: 0 });
      clients.push(c);
      const report = await runBatch({ client: c, jobs, concurrency: 4, onProgress: (p) => concurrencies.push(p.concurrency) });
      expect(report).toMatchObject({ done: 6, failed: 0, stoppedBy: undefined, rateLimitWaits: 4 });
      expect(Math.min(...concurrencies)).toBeLessThan(4);
      expect(limited.requests.filter((r) => r.status === 429)).toHaveLength(4);
    } finally {
      await limited.close();
    }
  });

  it('an output directory that cannot be written stops the batch at the first item, with the lost request named', async () => {
    const dir = path.join(root, 'readonly-in');
    await writeBatchFiles(dir, 5);
    const out = path.join(root, 'readonly-out');
    await mkdir(out);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('chattr', ['+i', out]);
    else await chmod(out, 0o555);
    try {
      const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: out });
      const manifestPath = path.join(root, 'readonly-manifest.jsonl');
      const report = await runBatch({ client: client(), jobs, manifestPath, concurrency: 1 });
      expect(report.stoppedBy?.reason).toBe('output');
      expect(report.stoppedBy?.message).toMatch(/Cannot write .*clip-0001\.txt: (permission denied|the file system is read-only)\. The result of request req_\S+ was lost/);
      expect(report).toMatchObject({ done: 0, failed: 1, notStarted: 4 });
      const [line] = await manifestLines(manifestPath);
      expect(line).toMatchObject({ type: 'item', status: 'failed', error: { code: 'TLA_ERR_BATCH_OUTPUT' } });
      expect((line as BatchRecord).requestIds[0]).toMatch(/^req_/);
    } finally {
      if (asRoot) execFileSync('chattr', ['-i', out]);
      else await chmod(out, 0o755);
    }
  });

  it.skipIf(process.getuid?.() !== 0)('a disk that fills up (a 192 KiB tmpfs) stops the batch with "the disk is full"; nothing half-written is left', async () => {
    const mount = path.join(root, 'tiny-disk');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192k', 'tmpfs', mount]);
    try {
      const entries = Array.from({ length: 8 }, (_, i) => ({ name: `clip-${i}`, text: `Clip ${i}.`, line: i + 1 }));
      const jobs = planSpeakJobs(entries, { outputDir: mount, responseFormat: 'wav' });
      const report = await runBatch({ client: client(), jobs, manifestPath: path.join(root, 'tiny-manifest.jsonl'), concurrency: 1 });
      expect(report.stoppedBy?.reason).toBe('output');
      expect(report.stoppedBy?.message).toMatch(/the disk is full/);
      expect(report.done).toBeGreaterThan(0);
      expect(report.notStarted).toBeGreaterThan(0);
      expect((await readdir(mount)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});

describe('runBatch: speech from a list', () => {
  it('speaks each CSV line into its own file; a rerun with the outputs deleted is served from the speech cache', async () => {
    const list = path.join(root, 'lines.csv');
    await writeFile(list, 'id,text,voice\nintro,"Welcome, everyone.",nova\nbody,The main part.,\noutro,"Thanks for ""listening"".",onyx\n');
    const out = path.join(root, 'speech-out');
    const cacheDir = path.join(root, 'speech-cache');
    const jobs = planSpeakJobs(await readSpeechList(list), { outputDir: out, responseFormat: 'wav', voice: 'alloy' });
    const c = new TokenLab({ apiKey: 'k', baseURL: emu.url, speechCacheDir: cacheDir });
    clients.push(c);
    const speechRequests = (): number => emu.requests.filter((r) => r.path === '/v1/audio/speech').length;
    const before = speechRequests();
    const report = await runBatch({ client: c, jobs, manifestPath: path.join(out, 'manifest.jsonl'), concurrency: 2 });
    expect(report).toMatchObject({ done: 3, failed: 0, fromCache: 0 });
    expect(speechRequests() - before).toBe(3);
    const voices = emu.requests.slice(-3).map((r) => (r.json as { voice: string }).voice).sort();
    expect(voices).toEqual(['alloy', 'nova', 'onyx']);
    expect((await readFile(path.join(out, 'intro.wav'))).toString('latin1', 0, 4)).toBe('RIFF');

    await rm(path.join(out, 'body.wav'));
    await rm(path.join(out, 'outro.wav'));
    const rerun = await runBatch({ client: c, jobs, manifestPath: path.join(out, 'manifest.jsonl'), concurrency: 2 });
    expect(rerun).toMatchObject({ done: 2, skipped: 1, fromCache: 2 });
    expect(speechRequests() - before).toBe(3);
  });
});
