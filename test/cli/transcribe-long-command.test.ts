import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { writeLectureWav, type LectureAudio } from '../../scripts/make-lecture-audio.js';
import { runCliInProcess } from './run-cli-in-process.js';

let dir: string;
let emu: EmulatorHandle;
let lecture: LectureAudio;
const env = () => ({ TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url });
const uploads = () => emu.requests.filter((r) => r.path === '/v1/audio/transcriptions').length;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tla-long-cli-'));
  emu = await startEmulator();
  lecture = await writeLectureWav(path.join(dir, 'talk.wav'), { durationMs: 40_000, seed: 5, longPauseMs: 14_000, monologueMs: 32_000 });
}, 60_000);
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tokenlab-audio transcribe, long files', () => {
  it('over the upload limit: says so on a line, transcribes in pieces, writes the merged SRT', async () => {
    const out = path.join(dir, 'talk.srt');
    const before = uploads();
    const run = await runCliInProcess(['transcribe', lecture.path, '--format', 'srt', '-o', out, '--upload-limit-bytes', '300000', '--work-dir', path.join(dir, 'work')], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/is [\d.]+ [KMG]?i?B, over the [\d.]+ [KMG]?i?B upload limit: transcribing it in pieces cut at pauses/);
    expect(run.stderr).toMatch(/in \d+ pieces \(\d+ requested, 0 resumed\)/);
    expect(uploads()).toBeGreaterThan(before);
    const srt = await readFile(out, 'utf8');
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> /);
    // A rerun resumes everything: nothing is requested.
    const mid = uploads();
    const again = await runCliInProcess(['transcribe', lecture.path, '--format', 'srt', '-o', out, '--long', '--upload-limit-bytes', '300000', '--work-dir', path.join(dir, 'work'), '--json'], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(uploads()).toBe(mid);
    const json = JSON.parse(again.stdout);
    expect(json.piecesReused).toBe(json.pieces);
    expect(json.requestIds.every((id: string | null) => typeof id === 'string')).toBe(true);
  }, 120_000);

  it('--dry-run estimates from the duration and the catalog price and sends nothing billable', async () => {
    const before = uploads();
    const run = await runCliInProcess(['transcribe', lecture.path, '--dry-run', '--json'], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.dryRun).toBe(true);
    expect(json.estimatedCostUsd).toBeCloseTo((40 / 60) * 0.006, 4);
    expect(uploads()).toBe(before);
  }, 60_000);
});
