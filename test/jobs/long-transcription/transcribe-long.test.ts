import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { transcribeLong, translateLong } from '../../../src/jobs/long-transcription/transcribe-long.js';
import { transcribePiece } from '../../../src/jobs/long-transcription/transcribe-piece.js';
import { LongTranscriptionError } from '../../../src/jobs/long-transcription/long-transcription-error.js';
import type { TranscriptionPieceUnit } from '../../../src/jobs/long-transcription/piece-unit.js';
import { BudgetExceededError } from '../../../src/api/cost/budget-exceeded-error.js';
import { FormatError, InputError } from '../../../src/core/errors.js';
import { wavHeader } from '../../../src/emulator/encode-speech.js';
import { writeLectureWav, type LectureAudio } from '../../../scripts/make-lecture-audio.js';

const KEY = 'sk-test-long-0123456789abcdef';
let emu: EmulatorHandle;
let client: TokenLab;
let dir: string;
let lecture: LectureAudio;

beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY] });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tla-long-'));
  lecture = await writeLectureWav(path.join(dir, 'lecture.wav'), { durationMs: 100_000, seed: 3, longPauseMs: 15_000, monologueMs: 45_000 });
}, 60_000);
afterAll(async () => {
  await client.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const pieceUploads = (from = 0) => emu.requests.slice(from).filter((r) => r.path === '/v1/audio/transcriptions' && r.file?.filename?.startsWith('piece-'));
const cueTimes = (srt: string) => [...srt.matchAll(/(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})/g)].map((m) => {
  const t = (i: number) => Number(m[i]) * 3_600_000 + Number(m[i + 1]) * 60_000 + Number(m[i + 2]) * 1000 + Number(m[i + 3]);
  return { startMs: t(1), endMs: t(5) };
});

describe('transcribeLong', () => {
  it('cuts at pauses into pieces under the limits, and the merged SRT lands where the whole file\'s transcript does (±100 ms)', async () => {
    const before = emu.requests.length;
    const progress: { piecesDone: number; piecesTotal: number | undefined }[] = [];
    const result = await transcribeLong(client, {
      file: lecture.path,
      model: 'whisper-1',
      responseFormat: 'srt',
      maxPieceMs: 20_000,
      workDir: path.join(dir, 'work-a'),
      keepAudio: true,
      onProgress: (p) => progress.push({ piecesDone: p.piecesDone, piecesTotal: p.piecesTotal }),
    });
    const uploads = pieceUploads(before);
    expect(uploads.length).toBe(result.pieces.length);
    expect(result.pieces.length).toBeGreaterThanOrEqual(4);
    expect(result.requestsMade).toBe(result.pieces.length);
    // Every piece is Ogg/Opus, small, and asked for timestamps.
    for (const u of uploads) {
      expect(u.file!.filename).toMatch(/\.ogg$/);
      expect(u.file!.byteLength).toBeLessThan(20 * 4000);
      expect(u.fields!['response_format']).toBe('verbose_json');
    }
    // Units record each piece's length: never over the limit.
    const units = readdirSync(result.workDir).filter((f) => f.endsWith('.unit.json'));
    expect(units.length).toBe(result.pieces.length);
    for (const pc of result.pieces) expect(pc.requestId).toMatch(/\S/);
    expect(progress.at(-1)).toEqual({ piecesDone: result.pieces.length, piecesTotal: result.pieces.length });

    // Reference: the emulator's own transcript of the whole file in one upload.
    const whole = await client.audio.transcriptions.create({ file: lecture.path, model: 'whisper-1', responseFormat: 'srt' });
    const ref = cueTimes(whole);
    const got = cueTimes(result.output);
    expect(got.length).toBeGreaterThan(3);
    for (const cue of got) {
      const nearestStart = Math.min(...ref.map((r) => Math.abs(r.startMs - cue.startMs)));
      const nearestEnd = Math.min(...ref.map((r) => Math.abs(r.endMs - cue.endMs)));
      // A cue that ends at a piece boundary may be a split of a longer one; its other end must still match.
      expect(Math.min(nearestStart, nearestEnd)).toBeLessThanOrEqual(100);
    }
    const startsMatched = got.filter((c) => ref.some((r) => Math.abs(r.startMs - c.startMs) <= 100)).length;
    expect(startsMatched / got.length).toBeGreaterThanOrEqual(0.7);
    // And against where speech really is: every cue starts inside a sentence or just before one (its onset).
    const outside = (t: number) => Math.min(...lecture.clips.map((c) => (t < c.startMs ? c.startMs - t : t > c.endMs ? t - c.endMs : 0)));
    for (const cue of got) expect(outside(cue.startMs)).toBeLessThanOrEqual(100);
    for (const cue of got) expect(outside(cue.endMs)).toBeLessThanOrEqual(150);
    // Edges in the file's time within 100 ms of the speech's own, except splits well inside a sentence.
    const edgeError = (t: number, key: 'startMs' | 'endMs') =>
      lecture.clips.some((c) => t > c.startMs + 100 && t < c.endMs - 100) ? undefined : Math.min(...lecture.clips.map((c) => Math.abs(c[key] - t)));
    const starts = got.map((c) => edgeError(c.startMs, 'startMs')).filter((e) => e !== undefined);
    const ends = got.map((c) => edgeError(c.endMs, 'endMs')).filter((e) => e !== undefined);
    expect(starts.length).toBeGreaterThan(got.length / 2);
    expect(ends.length).toBeGreaterThan(got.length / 2);
    expect(Math.max(...starts)).toBeLessThanOrEqual(100);
    expect(Math.max(...ends)).toBeLessThanOrEqual(100);
  }, 120_000);

  it('resumes after an abort: no finished piece is requested again', async () => {
    const workDir = path.join(dir, 'work-resume');
    const ac = new AbortController();
    const before = emu.requests.length;
    let doneAtAbort = 0;
    await expect(
      transcribeLong(client, {
        file: lecture.path,
        model: 'whisper-1',
        maxPieceMs: 20_000,
        concurrency: 2,
        workDir,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.piecesDone >= 2 && !ac.signal.aborted) {
            doneAtAbort = p.piecesDone;
            ac.abort();
          }
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const first = pieceUploads(before);
    const finishedFirst = new Set(first.filter((r) => r.status === 200).map((r) => r.file!.filename!));
    expect(doneAtAbort).toBeGreaterThanOrEqual(2);
    const mid = emu.requests.length;
    const result = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 20_000, concurrency: 2, workDir });
    const second = pieceUploads(mid).map((r) => r.file!.filename!);
    expect(result.piecesReused).toBeGreaterThanOrEqual(doneAtAbort);
    expect(second.length).toBe(result.pieces.length - result.piecesReused);
    // Finished pieces of the first run whose results were saved are not requested again.
    const reusedNames = new Set(result.pieces.filter((p) => !second.includes(`piece-${String(p.index).padStart(6, '0')}.ogg`)).map((p) => `piece-${String(p.index).padStart(6, '0')}.ogg`));
    for (const name of second) expect(reusedNames.has(name)).toBe(false);
    expect([...finishedFirst].filter((n) => second.includes(n)).length).toBeLessThanOrEqual(finishedFirst.size - doneAtAbort);

    // A third run with everything saved makes no request and does not decode again.
    const mid2 = emu.requests.length;
    const again = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 20_000, concurrency: 2, workDir, responseFormat: 'json' });
    expect(pieceUploads(mid2)).toHaveLength(0);
    expect(again.requestsMade).toBe(0);
    expect(JSON.parse(again.output).pieces.map((p: { request_id: string }) => p.request_id)).toEqual(result.pieces.map((p) => p.requestId));
  }, 120_000);

  it('budget cap: stops before the piece that would pass it, says so; a rerun with a higher cap finishes the rest', async () => {
    const workDir = path.join(dir, 'work-budget');
    // whisper-1 at $0.006/min: a 20 s piece is about $0.002.
    const err = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 20_000, concurrency: 1, workDir, maxCostUsd: 0.003 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongTranscriptionError);
    const lte = err as LongTranscriptionError;
    expect(lte.cause).toBeInstanceOf(BudgetExceededError);
    expect(lte.message).toMatch(/Budget cap reached: stopped before piece \d+ of lecture\.wav/);
    expect(lte.message).toMatch(/run the same command again to resume/);
    expect(lte.piecesDone).toBeGreaterThanOrEqual(1);
    const result = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 20_000, concurrency: 1, workDir, maxCostUsd: 1 });
    expect(result.piecesReused).toBe(lte.piecesDone);
    expect(result.cost!.complete).toBe(true);
    expect(result.cost!.totalUsd).toBeGreaterThan(0);
  }, 120_000);

  it('a model without timestamps: json per piece, one cue per piece', async () => {
    const before = emu.requests.length;
    const result = await transcribeLong(client, { file: lecture.path, model: 'gpt-4o-mini-transcribe', responseFormat: 'vtt', maxPieceMs: 20_000, workDir: path.join(dir, 'work-json') });
    const uploads = pieceUploads(before);
    expect(uploads.every((u) => u.fields!['response_format'] === 'json')).toBe(true);
    expect(result.output.startsWith('WEBVTT')).toBe(true);
    expect(result.segments.length).toBe(result.pieces.length);
    expect(result.usage?.kind).toBe('tokens');
  }, 120_000);

  it('translateLong sends pieces to /audio/translations', async () => {
    const before = emu.requests.length;
    const result = await translateLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 30_000, workDir: path.join(dir, 'work-tr'), responseFormat: 'verbose_json' });
    const tr = emu.requests.slice(before).filter((r) => r.path === '/v1/audio/translations');
    expect(tr.length).toBe(result.pieces.length);
    expect(JSON.parse(result.output)).toMatchObject({ task: 'translate' });
  }, 120_000);

  it('silence only: a clear error and no request', async () => {
    const file = path.join(dir, 'silence.wav');
    writeFileSync(file, Buffer.concat([wavHeader(16_000, 16_000 * 2 * 5), Buffer.alloc(16_000 * 2 * 5)]));
    const before = emu.requests.length;
    await expect(transcribeLong(client, { file, model: 'whisper-1', workDir: path.join(dir, 'work-silence') })).rejects.toMatchObject({ code: 'TLA_ERR_NO_SPEECH' });
    expect(pieceUploads(before)).toHaveLength(0);
  });

  it('not audio: FormatError, no request; a missing file: InputError', async () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'these are lecture notes, not audio\n'.repeat(200));
    const before = emu.requests.length;
    await expect(transcribeLong(client, { file, model: 'whisper-1', workDir: path.join(dir, 'work-text') })).rejects.toBeInstanceOf(FormatError);
    expect(pieceUploads(before)).toHaveLength(0);
    await expect(transcribeLong(client, { file: path.join(dir, 'nope.wav'), model: 'whisper-1' })).rejects.toBeInstanceOf(InputError);
  }, 60_000);

  it('402 from the API: stops, keeps what is done, says how to resume', async () => {
    const poor = await startEmulator({ apiKeys: [KEY], faults: [{ kind: 'status', status: 402, match: '/v1/audio/transcriptions' }] });
    const c = new TokenLab({ apiKey: KEY, baseURL: poor.url });
    try {
      const err = await transcribeLong(c, { file: lecture.path, model: 'whisper-1', maxPieceMs: 30_000, workDir: path.join(dir, 'work-402') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LongTranscriptionError);
      expect((err as LongTranscriptionError).cause).toMatchObject({ status: 402 });
      expect((err as Error).message).toMatch(/resume/);
    } finally {
      await c.close();
      await poor.close();
    }
  }, 60_000);
});

describe('transcribePiece', () => {
  it('is idempotent: a unit whose result is saved is answered from it, with no request', async () => {
    const result = await transcribeLong(client, { file: lecture.path, model: 'whisper-1', maxPieceMs: 30_000, workDir: path.join(dir, 'work-unit'), keepAudio: true });
    const unitFile = readdirSync(result.workDir).find((f) => f.endsWith('.unit.json'))!;
    const unit = JSON.parse((await import('node:fs')).readFileSync(path.join(result.workDir, unitFile), 'utf8')) as TranscriptionPieceUnit;
    expect(unit).toMatchObject({ kind: 'tokenlab-audio/transcription-piece', version: 1, jobKey: result.jobKey });
    const before = emu.requests.length;
    const again = await transcribePiece(client, unit);
    expect(again.reused).toBe(true);
    expect(emu.requests.length).toBe(before);
    // Without a result path it requests, and maps times into the source.
    const fresh = await transcribePiece(client, { ...unit, resultPath: undefined });
    expect(fresh.reused).toBe(false);
    expect(emu.requests.length).toBe(before + 1);
    for (const s of fresh.segments) {
      expect(s.startMs).toBeGreaterThanOrEqual(unit.sourceStartMs - 1);
      expect(s.endMs).toBeLessThanOrEqual(unit.sourceEndMs + 1);
    }
    await expect(transcribePiece(client, { ...unit, resultPath: undefined, audioByteLength: unit.audioByteLength + 1 })).rejects.toMatchObject({ code: 'TLA_ERR_LONG_PIECE' });
  }, 60_000);
});
