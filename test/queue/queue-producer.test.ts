import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { findAudioFiles } from '../../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../src/jobs/batch/plan-batch-jobs.js';
import { BatchQueue, startBatchWorker } from '../../src/queue/index.js';
import { writeBatchFiles } from '../../scripts/make-batch-files.js';
import { runCliInProcess } from '../cli/run-cli-in-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let emu: EmulatorHandle;
let root: string;
const WHISPER_PER_SECOND = 0.006 / 60;

beforeAll(async () => {
  redis = await startRedisServer();
  emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy' });
  root = await mkdtemp(path.join(tmpdir(), 'tla-queue-producer-'));
});
afterAll(async () => {
  await emu?.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

const lines = async (file: string): Promise<Record<string, unknown>[]> => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const transcriptions = (e: EmulatorHandle): number => e.requests.filter((r) => r.path === '/v1/audio/transcriptions').length;

describe('the queue producer on the CLI (transcribe DIR -o OUT --queue URL)', () => {
  it('submits, waits for the workers, writes the manifest with each item\'s cost; the same command again queues nothing and adds no line', async () => {
    const queueName = 'cli-producer';
    const dir = path.join(root, 'in');
    await writeBatchFiles(dir, 5, [3]);
    const out = path.join(root, 'out');
    const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 2, workerId: 'w1' });
    const env = { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url };
    try {
      const before = transcriptions(emu);
      const run = await runCliInProcess(['transcribe', dir, '-o', out, '--format', 'json', '--queue', redis.url, '--queue-name', queueName, '--json'], { env });
      expect(run.code).toBe(7);
      const doc = JSON.parse(run.stdout);
      expect(doc).toMatchObject({ total: 5, done: 4, failed: 1, notStarted: 0, stoppedBy: null, unpricedItems: 0, manifest: path.join(out, 'manifest.jsonl'), possibleDoubleCharges: [] });
      expect(doc.batchId).toMatch(/^batch-[0-9a-f]{16}$/);
      expect(doc.failures).toEqual([{ name: 'clip-0004.wav', error: expect.objectContaining({ status: 400 }) }]);
      // Each 0.85 s clip is billed as 1 s of whisper-1 by the emulator.
      expect(doc.costUsd).toBeCloseTo(4 * WHISPER_PER_SECOND, 12);
      expect(transcriptions(emu) - before).toBe(5);
      const manifest = await lines(path.join(out, 'manifest.jsonl'));
      const items = manifest.filter((l) => l['type'] === 'item');
      expect(items).toHaveLength(5);
      for (const r of items.filter((l) => l['status'] === 'done')) expect(r).toMatchObject({ worker: 'w1', costUsd: expect.closeTo(WHISPER_PER_SECOND, 12), requestIds: [expect.stringMatching(/^req_/)] });

      // Again: the finished items are not queued; the failed one is queued once more (and fails again).
      const again = await runCliInProcess(['transcribe', dir, '-o', out, '--format', 'json', '--queue', redis.url, '--queue-name', queueName], { env });
      expect(again.code).toBe(7);
      expect(again.stderr).toMatch(/queued 1 of 5 items as batch batch-[0-9a-f]{16} \(4 already done, 0 already queued\)/);
      expect(again.stderr).toMatch(/clip-0004\.wav: failed: /);
      expect(transcriptions(emu) - before).toBe(6);
      const after = (await lines(path.join(out, 'manifest.jsonl'))).filter((l) => l['type'] === 'item');
      expect(after).toHaveLength(5);

      // --detach only submits; nothing is left to queue.
      const detached = await runCliInProcess(['transcribe', dir, '-o', out, '--format', 'json', '--queue', redis.url, '--queue-name', queueName, '--detach', '--json'], { env });
      expect(detached.code).toBe(0);
      expect(JSON.parse(detached.stdout)).toMatchObject({ total: 5, alreadyDone: 4, detached: true });
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('a 429 slows the workers down as long as Retry-After says and fails nothing', async () => {
    const queueName = 'rate-limited';
    const stamps: number[] = [];
    const limited = await startEmulator({
      voiceEngine: 'builtin',
      speechDetector: 'energy',
      faults: [{ kind: 'status', status: 429, retryAfterSeconds: 1, match: '/v1/audio/transcriptions', times: 2 }],
      log: (line) => {
        if (line.includes('/v1/audio/transcriptions')) stamps.push(performance.now());
      },
    });
    const dir = path.join(root, 'in-429');
    await writeBatchFiles(dir, 4);
    const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: path.join(root, 'out-429') });
    const queue = await BatchQueue.open({ redis: redis.url, queueName });
    // No client retries: the queue itself must handle the 429.
    const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: limited.url, maxRetries: 0 }, concurrency: 1, workerId: 'w429' });
    try {
      await queue.submit('b429', jobs);
      const report = await queue.wait('b429', { pollIntervalMs: 50 });
      expect(report).toMatchObject({ total: 4, done: 4, failed: 0, notStarted: 0, stoppedBy: undefined });
      const answered = limited.requests.filter((r) => r.path === '/v1/audio/transcriptions').map((r) => r.status);
      expect(answered.filter((s) => s === 429)).toHaveLength(2);
      expect(answered.filter((s) => s === 200)).toHaveLength(4);
      // The request after each 429 waited at least the second the server asked for (the queue was paused).
      const firstAfter429 = stamps[answered.indexOf(429) + 1]! - stamps[answered.indexOf(429)]!;
      expect(firstAfter429).toBeGreaterThanOrEqual(950);
    } finally {
      await worker.close();
      await queue.forget('b429');
      await queue.close();
      await limited.close();
    }
  }, 60_000);

  it('a 402 stops every worker and the producer: finished items kept, exit 4, and it says how to resume', async () => {
    const queueName = 'cli-402';
    const broke = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', faults: [{ kind: 'status', status: 402, match: '/v1/audio/transcriptions' }] });
    const dir = path.join(root, 'in-cli-402');
    await writeBatchFiles(dir, 4);
    const out = path.join(root, 'out-cli-402');
    const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: broke.url }, concurrency: 1, workerId: 'w-broke' });
    const args = ['transcribe', dir, '-o', out, '--queue', redis.url, '--queue-name', queueName];
    try {
      const run = await runCliInProcess(args, { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: broke.url } });
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/Stopped: insufficient-balance at clip-0001\.wav: .*402.*Top up the balance, then resume\. Finished items are kept; run the same command again to queue only the unfinished ones\./s);
      expect(run.stderr).toMatch(/0 done, 1 failed, 3 not started/);
    } finally {
      await worker.close();
      await broke.close();
    }
    const worker2 = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 2, workerId: 'w-ok' });
    try {
      const resumed = await runCliInProcess([...args, '--json'], { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url } });
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ total: 4, done: 4, failed: 0, notStarted: 0, stoppedBy: null });
    } finally {
      await worker2.close();
    }
  }, 60_000);
  it('--max-cost with --queue: the producer estimates the unfinished items and queues nothing when that passes the cap (exit 7, estimate and cap said)', async () => {
    const queueName = 'cli-capped';
    const dir = path.join(root, 'capped-in');
    await writeBatchFiles(dir, 3);
    const out = path.join(root, 'capped-out');
    const env = { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url };
    const before = transcriptions(emu);
    // Each 0.85 s clip is estimated at 0.85 s of whisper-1: three cost about $0.000255, over a cap of $0.0002.
    const refused = await runCliInProcess(['transcribe', dir, '-o', out, '--queue', redis.url, '--queue-name', queueName, '--max-cost', '0.0002', '--detach'], { env });
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/Budget cap: the 3 items to queue would cost about \$0\.0002[56], over --max-cost \$0\.0002; nothing was queued/);
    const json = await runCliInProcess(['transcribe', dir, '-o', out, '--queue', redis.url, '--queue-name', queueName, '--max-cost', '0.0002', '--detach', '--json'], { env });
    expect(json.code).toBe(7);
    expect(JSON.parse(json.stdout)).toMatchObject({ queued: 0, maxCostUsd: 0.0002, estimatedCostUsd: expect.closeTo(3 * 0.85 * WHISPER_PER_SECOND, 12), stoppedBy: { reason: 'budget' } });
    // Under the cap: all three are queued (none was queued by the refused runs).
    const queued = await runCliInProcess(['transcribe', dir, '-o', out, '--queue', redis.url, '--queue-name', queueName, '--max-cost', '0.001', '--detach'], { env });
    expect(queued.code).toBe(0);
    expect(queued.stderr).toMatch(/queued 3 of 3 items as batch batch-[0-9a-f]{16} \(0 already done, 0 already queued\)/);
    expect(transcriptions(emu) - before).toBe(0);
  }, 60_000);
});
