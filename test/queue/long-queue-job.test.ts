import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { transcribeLong } from '../../src/jobs/long-transcription/transcribe-long.js';
import { BatchQueue, startBatchWorker } from '../../src/queue/index.js';
import { writeLectureWav, type LectureAudio } from '../../scripts/make-lecture-audio.js';
import { writeBatchFiles } from '../../scripts/make-batch-files.js';
import { findAudioFiles } from '../../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../src/jobs/batch/plan-batch-jobs.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { runCliInProcess } from '../cli/run-cli-in-process.js';

let redis: RedisServer;
let emu: EmulatorHandle;
let root: string;
let lecture: LectureAudio;

beforeAll(async () => {
  redis = await startRedisServer();
  emu = await startEmulator({ voiceEngine: 'builtin' });
  root = await mkdtemp(path.join(tmpdir(), 'tla-queue-long-'));
  lecture = await writeLectureWav(path.join(root, 'lecture.wav'), { durationMs: 70_000, seed: 5, longPauseMs: 12_000, monologueMs: 30_000, engine: 'builtin' });
}, 60_000);
afterAll(async () => {
  await emu?.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

const clipDir = async (dir: string): Promise<string> => {
  await writeBatchFiles(dir, 2);
  return dir;
};
const transcriptions = (): number => emu.requests.filter((r) => r.path === '/v1/audio/transcriptions').length;

describe('a long file through the queue: pieces are jobs, the merge runs when all are done', () => {
  it('cuts at the producer, two workers transcribe the pieces, the merge writes the SRT in source time; enqueuing again requests nothing; a local transcribeLong reuses the pieces', async () => {
    const queueName = 'long-q';
    const workDir = path.join(root, 'work');
    const output = path.join(root, 'out', 'lecture.srt');
    const queue = await BatchQueue.open({ redis: redis.url, queueName });
    const workers = await Promise.all(['wa', 'wb'].map((id) => startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 2, workerId: id })));
    try {
      const before = transcriptions();
      const submitted = await queue.submitLong('long-1', { kind: 'transcribe-long', name: 'lecture.wav', file: lecture.path, output, model: 'whisper-1', responseFormat: 'srt', workDir, maxPieceMs: 20_000 });
      expect(submitted.submitted).toBe(1);
      expect(submitted.pieces).toBeGreaterThanOrEqual(3);
      const report = await queue.wait('long-1', { pollIntervalMs: 100 });
      expect(report).toMatchObject({ total: 1, done: 1, failed: 0, duplicateResults: 0 });
      const record = report.records[0]!;
      expect(record).toMatchObject({ name: 'lecture.wav', kind: 'transcribe', output, status: 'done' });
      expect(record.requestIds).toHaveLength(submitted.pieces);
      expect(record.costUsd).toBeGreaterThan(0);
      expect(transcriptions() - before).toBe(submitted.pieces);
      // Both workers took pieces.
      const srt = await readFile(output, 'utf8');
      const cues = [...srt.matchAll(/(\d\d):(\d\d):(\d\d),(\d{3}) --> /g)].map((m) => ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]));
      expect(cues.length).toBeGreaterThanOrEqual(submitted.pieces);
      // Cue starts are in the source's time: the last one is past the first piece's length.
      expect(Math.max(...cues)).toBeGreaterThan(30_000);
      for (const start of cues) expect(lecture.regions.some((s) => start >= s.startMs - 300 && start <= s.endMs)).toBe(true);

      // Enqueued again: the item is done, nothing is queued or requested.
      expect(await queue.submitLong('long-1', { kind: 'transcribe-long', name: 'lecture.wav', file: lecture.path, output, model: 'whisper-1', responseFormat: 'srt', workDir, maxPieceMs: 20_000 })).toMatchObject({ submitted: 0, alreadyDone: 1 });
      // In another batch (the pieces are keyed by content + options): queued, but every piece answers from its saved result.
      const other = await queue.submitLong('long-2', { kind: 'transcribe-long', name: 'lecture.wav', file: lecture.path, output: path.join(root, 'out', 'again.srt'), model: 'whisper-1', responseFormat: 'srt', workDir, maxPieceMs: 20_000 });
      expect(other.submitted).toBe(1);
      expect(await queue.wait('long-2', { pollIntervalMs: 100 })).toMatchObject({ done: 1 });
      expect(await readFile(path.join(root, 'out', 'again.srt'), 'utf8')).toBe(srt);
      expect(transcriptions() - before).toBe(submitted.pieces);

      // The same work directory serves a local transcribeLong: 0 requests.
      const client = new TokenLab({ apiKey: 'k', baseURL: emu.url });
      try {
        const local = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', responseFormat: 'srt', workDir, maxPieceMs: 20_000, timestamps: true });
        expect(local.requestsMade).toBe(0);
        expect(local.output).toBe(srt);
      } finally {
        await client.close();
      }
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
    }
  }, 120_000);
  it('submit and submitLong on the same batch id both add to it: neither resets the other\'s items', async () => {
    const queueName = 'mixed-q';
    const workDir = path.join(root, 'work-mixed');
    const clips = planTranscribeJobs(await findAudioFiles([await clipDir(path.join(root, 'mixed-in'))]), { kind: 'transcribe', outputDir: path.join(root, 'mixed-out') });
    const long = { kind: 'transcribe-long', name: 'lecture.wav', file: lecture.path, output: path.join(root, 'mixed-out', 'lecture.srt'), model: 'whisper-1', responseFormat: 'srt', workDir, maxPieceMs: 20_000 } as const;
    const queue = await BatchQueue.open({ redis: redis.url, queueName });
    try {
      // No worker yet: what the batch lists is what the producer added.
      await queue.submit('mixed', clips.slice(0, 1));
      await queue.submitLong('mixed', long);
      expect((await queue.progress('mixed')).total).toBe(2);
      await queue.submit('mixed', clips);
      expect((await queue.progress('mixed')).total).toBe(3);
      expect(await queue.submit('mixed', clips)).toMatchObject({ submitted: 0, alreadyQueued: 2 });
      expect((await queue.progress('mixed')).total).toBe(3);
      const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 4, workerId: 'wm' });
      try {
        const report = await queue.wait('mixed', { pollIntervalMs: 100 });
        expect(report).toMatchObject({ total: 3, done: 3, failed: 0, notStarted: 0 });
        expect(report.records.map((r) => r.name).sort()).toEqual(['clip-0001.wav', 'clip-0002.wav', 'lecture.wav']);
      } finally {
        await worker.close();
      }
    } finally {
      await queue.close();
    }
  }, 120_000);
  it('CLI transcribe --long --queue: cut here, pieces run by a worker, the merged SRT written; the same command again requests nothing', async () => {
    const queueName = 'long-cli';
    const output = path.join(root, 'cli-out', 'lecture.srt');
    await mkdir(path.dirname(output), { recursive: true });
    const env = { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url };
    const args = ['transcribe', lecture.path, '--long', '--queue', redis.url, '--queue-name', queueName, '--format', 'srt', '-o', output, '--work-dir', path.join(root, 'work-cli')];
    const worker = await startBatchWorker({ redis: redis.url, queueName, client: { apiKey: 'k', baseURL: emu.url }, concurrency: 2, workerId: 'wc' });
    try {
      const before = transcriptions();
      const run = await runCliInProcess([...args, '--json'], { env });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc).toMatchObject({ status: 'done', output, stoppedBy: null, possibleDoubleCharges: [] });
      expect(doc.pieces).toBeGreaterThanOrEqual(1);
      expect(doc.requestIds).toHaveLength(doc.pieces);
      expect(transcriptions() - before).toBe(doc.pieces);
      expect(await readFile(output, 'utf8')).toMatch(/^1\r?\n\d\d:\d\d:\d\d,\d{3} --> /);
      const again = await runCliInProcess(args, { env });
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/already done as batch batch-[0-9a-f]{16}/);
      expect(transcriptions() - before).toBe(doc.pieces);
      // The workers write the transcript: without -o there is nowhere to put it.
      const noOutput = await runCliInProcess(['transcribe', lecture.path, '--long', '--queue', redis.url], { env });
      expect(noOutput.code).toBe(2);
      expect(noOutput.stderr).toMatch(/--long --queue needs -o FILE/);
    } finally {
      await worker.close();
    }
  }, 120_000);
});
