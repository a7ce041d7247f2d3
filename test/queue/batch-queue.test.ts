import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { findAudioFiles } from '../../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../src/jobs/batch/plan-batch-jobs.js';
import { BatchQueue, QueueConnectionError, QueueDependencyError, parseRedisUrl, startBatchWorker } from '../../src/queue/index.js';
import { loadBullmq, type BullmqModule } from '../../src/queue/load-bullmq.js';
import { writeBatchFiles } from '../../scripts/make-batch-files.js';
import { spawnCli } from '../cli/run-cli-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let emu: EmulatorHandle;
let root: string;

beforeAll(async () => {
  redis = await startRedisServer();
  // Each transcription takes 400 ms, so a worker is reliably caught with requests in flight.
  emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', faults: [{ kind: 'latency', latencyMs: 400, match: '/v1/audio/transcriptions' }] });
  root = await mkdtemp(path.join(tmpdir(), 'tla-queue-'));
});
afterAll(async () => {
  await emu?.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

function startWorkerProcess(id: string, queueName: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null>; output: () => string } {
  const child = spawnCli(['worker', '--redis', redis.url, '--queue', queueName, '--worker-id', id, '--concurrency', '2', '--lock-duration-ms', '1500', '--json'], {
    env: { TOKENLAB_API_KEY: 'sk-queue', TOKENLAB_BASE_URL: emu.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('"type":"ready"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${id} exited with ${code}: ${out}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

describe('the queue: BullMQ on a real redis-server', () => {
  it('two worker processes share a batch; one is SIGKILLed mid-job; every item completes exactly once and the report names the requests in flight at the kill', async () => {
    const queueName = 'kill-test';
    const dir = path.join(root, 'in');
    await writeBatchFiles(dir, 16);
    const out = path.join(root, 'out');
    const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: out });
    const queue = await BatchQueue.open({ redis: redis.url, queueName });
    const a = startWorkerProcess('worker-a', queueName);
    const b = startWorkerProcess('worker-b', queueName);
    try {
      await Promise.all([a.ready, b.ready]);
      const submitted = await queue.submit('batch-1', jobs);
      expect(submitted).toMatchObject({ total: 16, submitted: 16, alreadyDone: 0 });
      // Submitting again while it runs queues nothing twice.
      expect(await queue.submit('batch-1', jobs)).toMatchObject({ submitted: 0 });

      // Wait until worker A has a billable request in flight and at least one item is done, then kill it.
      let killed = false;
      for (let i = 0; i < 400 && !killed; i++) {
        const report = await queue.report('batch-1');
        if (report.done >= 1 && report.inFlightRequests.some((r) => r.worker === 'worker-a')) {
          a.child.kill('SIGKILL');
          killed = true;
        } else await new Promise((r) => setTimeout(r, 25));
      }
      expect(killed).toBe(true);
      await a.exited;
      // What was in flight at the kill, read once worker A is dead (a request seen in flight just before the kill
      // can have finished in between). Its marks stay until worker B takes the jobs over, after the 1.5 s lock.
      const inFlightAtKill = (await queue.report('batch-1')).inFlightRequests.filter((r) => r.worker === 'worker-a').map((r) => r.name);
      expect(inFlightAtKill.length).toBeGreaterThan(0);

      const report = await queue.wait('batch-1', { pollIntervalMs: 100 });
      expect(report).toMatchObject({ total: 16, done: 16, failed: 0, notStarted: 0, pending: 0, duplicateResults: 0 });
      expect(report.records).toHaveLength(16);
      expect(new Set(report.records.map((r) => r.name)).size).toBe(16);
      for (const r of report.records) {
        expect(r.status).toBe('done');
        expect(r.requestIds[0]).toMatch(/^req_/);
        expect((await readFile(r.output, 'utf8')).length).toBeGreaterThan(0);
      }
      // The items in flight at the kill were redone by worker B and are named as possible double charges.
      expect(report.possibleDoubleCharges.map((d) => d.name).sort()).toEqual([...inFlightAtKill].sort());
      for (const d of report.possibleDoubleCharges) expect(d).toMatchObject({ worker: 'worker-a', detectedBy: 'worker-b', reason: 'worker-lost' });
      for (const name of inFlightAtKill) expect(report.records.find((r) => r.name === name)!.worker).toBe('worker-b');
      expect(report.inFlightRequests).toEqual([]);
      // The emulator saw one request per item, plus at most one for each item that was in flight at the kill.
      const perFile = new Map<string, number>();
      for (const r of emu.requests) if (r.path === '/v1/audio/transcriptions') perFile.set(r.file!.filename!, (perFile.get(r.file!.filename!) ?? 0) + 1);
      for (const job of jobs) {
        const n = perFile.get(path.basename(job.file)) ?? 0;
        if (inFlightAtKill.includes(job.name)) expect(n).toBeLessThanOrEqual(2);
        else expect(n).toBe(1);
      }

      // Submitting the finished batch again does nothing.
      expect(await queue.submit('batch-1', jobs)).toMatchObject({ submitted: 0, alreadyDone: 16 });
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
      await b.exited;
      await queue.close();
    }
  }, 90_000);

  it('a 402 in one job stops the batch for every worker; the rest is recorded as not started, and a resubmission finishes it', async () => {
    const queueName = 'balance-test';
    const broke = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', faults: [{ kind: 'status', status: 402, match: '/v1/audio/transcriptions' }] });
    const dir = path.join(root, 'in-402');
    await writeBatchFiles(dir, 6);
    const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: path.join(root, 'out-402') });
    const queue = await BatchQueue.open({ redis: redis.url, queueName });
    const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: broke.url }, concurrency: 1, workerId: 'w402' });
    try {
      await queue.submit('b402', jobs);
      const report = await queue.wait('b402', { pollIntervalMs: 50 });
      expect(report.stoppedBy).toMatch(/^insufficient-balance at clip-0001\.wav: .*402/);
      expect(report).toMatchObject({ done: 0, failed: 1, notStarted: 5 });
      expect(report.records.find((r) => r.status === 'not-started')!.error!.code).toBe('TLA_ERR_BATCH_STOPPED');
    } finally {
      await worker.close();
      await broke.close();
    }
    // Balance topped up: a worker on the working API, and the same submission resumes.
    const worker2 = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 3, workerId: 'w-ok' });
    try {
      expect(await queue.submit('b402', jobs)).toMatchObject({ submitted: 6, alreadyDone: 0 });
      const report = await queue.wait('b402', { pollIntervalMs: 50 });
      expect(report).toMatchObject({ done: 6, failed: 0, notStarted: 0, stoppedBy: undefined });
    } finally {
      await worker2.close();
      await queue.forget('b402');
      await queue.close();
    }
  }, 60_000);

  it('says clearly when bullmq is missing or Redis cannot be reached', async () => {
    const name = 'bullmq-that-is-not-installed';
    const missing = (): Promise<BullmqModule> => import(/* @vite-ignore */ name) as Promise<BullmqModule>;
    await expect(loadBullmq(missing)).rejects.toBeInstanceOf(QueueDependencyError);
    await expect(loadBullmq(missing)).rejects.toThrow(/npm install bullmq/);
    await expect(BatchQueue.open({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 500 })).rejects.toBeInstanceOf(QueueConnectionError);
    expect(() => parseRedisUrl('http://x')).toThrow(QueueConnectionError);
    expect(parseRedisUrl('rediss://u:s3cret@example.com:6380/2')).toMatchObject({ options: { host: 'example.com', port: 6380, db: 2, username: 'u', password: 's3cret', tls: {} }, safeUrl: 'rediss://u:***@example.com:6380/2' });
  });
});
