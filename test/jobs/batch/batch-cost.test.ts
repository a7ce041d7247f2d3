import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { BatchCostMeter } from '../../../src/jobs/batch/batch-cost.js';
import { findAudioFiles } from '../../../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../../src/jobs/batch/plan-batch-jobs.js';
import { probeAudioDurationMs } from '../../../src/jobs/batch/probe-audio-duration.js';
import { writeBatchFiles } from '../../../scripts/make-batch-files.js';
import { runCliInProcess } from '../../cli/run-cli-in-process.js';

let emu: EmulatorHandle;
let root: string;
let client: TokenLab;
// The emulator's catalog: whisper-1 at $0.006 per minute, tts-1 at $15 per 1 M characters.
const WHISPER_PER_SECOND = 0.006 / 60;
const TTS1_PER_CHARACTER = 15 / 1_000_000;

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy' });
  client = new TokenLab({ apiKey: 'sk-cost', baseURL: emu.url });
  root = await mkdtemp(path.join(tmpdir(), 'tla-batch-cost-'));
});
afterAll(async () => {
  await client.close();
  await emu.close();
  await rm(root, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url });
const billable = (): number => emu.requests.filter((r) => r.path.startsWith('/v1/audio/')).length;
const lines = async (file: string): Promise<Record<string, unknown>[]> => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('probeAudioDurationMs', () => {
  it('reads a file\'s length without decoding it, and says why it cannot for a corrupt file', async () => {
    const dir = path.join(root, 'probe');
    const [good, bad] = await writeBatchFiles(dir, 2, [1]);
    expect(Math.abs((await probeAudioDurationMs(good!)) - 850)).toBeLessThanOrEqual(25);
    await expect(probeAudioDurationMs(bad!)).rejects.toMatchObject({ code: 'TLA_ERR_INPUT_FILE', message: expect.stringMatching(/Cannot tell how long .*clip-0002\.wav is/) });
  });
});

describe('BatchCostMeter against the emulator\'s catalog', () => {
  it('estimates every item from probed lengths and catalog prices; a corrupt file and an unpriced model are unpriced with the reason, not guessed', async () => {
    const dir = path.join(root, 'meter');
    await writeBatchFiles(dir, 4, [3]);
    const files = await findAudioFiles([dir]);
    const jobs = [
      ...planTranscribeJobs(files, { kind: 'transcribe', outputDir: path.join(root, 'meter-out'), model: 'whisper-1' }),
      ...planTranscribeJobs(files.slice(0, 1), { kind: 'transcribe', outputDir: path.join(root, 'meter-out-2'), model: 'no-such-model' }),
    ];
    const before = billable();
    const meter = await BatchCostMeter.create(jobs, { client });
    const estimate = await meter.estimateAll();
    expect(billable()).toBe(before);
    expect(estimate.items).toHaveLength(5);
    const priced = estimate.items.filter((i) => i.costUsd !== undefined);
    expect(priced.map((i) => i.name)).toEqual(['clip-0001.wav', 'clip-0002.wav', 'clip-0003.wav']);
    for (const item of priced) expect(item.costUsd).toBeCloseTo((item.durationMs! / 1000) * WHISPER_PER_SECOND, 12);
    expect(estimate.totalUsd).toBeCloseTo(priced.reduce((s, i) => s + i.costUsd!, 0), 12);
    expect(estimate.complete).toBe(false);
    expect(estimate.unpriced.map((u) => [u.name, u.model])).toEqual([
      ['clip-0004.wav', 'whisper-1'],
      ['clip-0001.wav', 'no-such-model'],
    ]);
    expect(estimate.unpriced[0]!.missing).toMatch(/Cannot tell how long/);
    expect(estimate.unpriced[1]!.missing).toMatch(/no pricing for "no-such-model"/);
    expect(meter.estimateCostUsd(jobs[0]!)).toBe(priced[0]!.costUsd);
  });
});

describe('CLI batches with the cost meter (in process)', () => {
  it('transcribe DIR --dry-run estimates the whole batch and sends nothing billable, writes nothing', async () => {
    const dir = path.join(root, 'dry');
    await writeBatchFiles(dir, 3, [1]);
    const out = path.join(root, 'dry-out');
    const before = billable();
    const run = await runCliInProcess(['transcribe', dir, '-o', out, '--dry-run', '--json'], { env: env() });
    expect(run.code).toBe(0);
    expect(billable()).toBe(before);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ dryRun: true, total: 3, complete: false });
    expect(doc.unpriced).toEqual([{ name: 'clip-0002.wav', missing: expect.stringMatching(/Cannot tell how long/) }]);
    expect(doc.estimatedCostUsd).toBeCloseTo((doc.audioMs / 1000) * WHISPER_PER_SECOND, 12);
    expect(await stat(out).catch(() => undefined)).toBeUndefined();

    const human = await runCliInProcess(['transcribe', dir, '-o', out, '--dry-run'], { env: env() });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^dry run: 3 items \(1\.\d+ s of audio\) would cost about \$0\.000\d+ \(2 with whisper-1: .*\), plus 1 item that cannot be priced\./);
    expect(human.stdout).toMatch(/clip-0002\.wav: not priced: Cannot tell how long/);
    expect(human.stdout).toMatch(/Nothing was sent\./);
  }, 30_000);

  it('records each item\'s cost in the manifest (from the usage for json, an estimate said as such for text) and the batch\'s in the summary', async () => {
    const dir = path.join(root, 'metered');
    await writeBatchFiles(dir, 3);
    const outJson = path.join(root, 'metered-json');
    const run = await runCliInProcess(['transcribe', dir, '-o', outJson, '--format', 'json', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    const records = (await lines(path.join(outJson, 'manifest.jsonl'))).filter((l) => l['type'] === 'item');
    expect(records).toHaveLength(3);
    for (const r of records) {
      // The emulator bills whole seconds: a 0.85 s clip is 1 s.
      expect(r['costUsd']).toBeCloseTo(1 * WHISPER_PER_SECOND, 12);
      expect(r['costNote']).toBeNull();
    }
    expect(summary.costUsd).toBeCloseTo(3 * WHISPER_PER_SECOND, 12);
    expect(summary.unpricedItems).toBe(0);
    const summaryLine = (await lines(path.join(outJson, 'manifest.jsonl'))).find((l) => l['type'] === 'summary')!;
    expect(summaryLine['costUsd']).toBeCloseTo(3 * WHISPER_PER_SECOND, 12);

    const outText = path.join(root, 'metered-text');
    const text = await runCliInProcess(['transcribe', dir, '-o', outText], { env: env() });
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/3 done, .* about \$0\.000\d+; manifest/);
    for (const r of (await lines(path.join(outText, 'manifest.jsonl'))).filter((l) => l['type'] === 'item')) {
      expect(r['costNote']).toMatch(/^estimated: the text answer carried no usage; priced from 0\.8\d s of audio \(probed\)/);
      expect(r['costUsd']).toBeGreaterThan(0);
    }
  }, 30_000);

  it('--max-cost stops before the item that would pass the cap, says where and how to resume (exit 7); a higher cap finishes only the rest', async () => {
    const dir = path.join(root, 'capped');
    await writeBatchFiles(dir, 6);
    const out = path.join(root, 'capped-out');
    const before = billable();
    // Each item costs 1 s of whisper-1 ($0.0001): the cap pays for three.
    const run = await runCliInProcess(['transcribe', dir, '-o', out, '--format', 'json', '--concurrency', '1', '--max-cost', '0.0003'], { env: env() });
    expect(run.code).toBe(7);
    expect(billable() - before).toBe(3);
    expect(run.stderr).toMatch(/Budget cap reached: stopped before clip-0004\.wav\. Spent or committed \$0\.0003 of \$0\.0003/);
    expect(run.stderr).toMatch(/run it again \(with a higher --max-cost/);
    expect(run.stderr).toMatch(/3 done, 0 already done, 0 failed, 3 not started/);
    const summary = (await lines(path.join(out, 'manifest.jsonl'))).find((l) => l['type'] === 'summary')!;
    expect(summary).toMatchObject({ done: 3, notStarted: 3, stoppedBy: 'budget' });

    const resumed = await runCliInProcess(['transcribe', dir, '-o', out, '--format', 'json', '--max-cost', '1', '--json'], { env: env() });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ done: 3, skipped: 3, failed: 0, stoppedBy: null, maxCostUsd: 1 });
    expect(billable() - before).toBe(6);

    // A cap cannot be kept for a model the catalog does not price: refused before anything is sent.
    const unpriced = await runCliInProcess(['transcribe', dir, '-o', path.join(root, 'capped-2'), '--model', 'no-such-model', '--max-cost', '1'], { env: env() });
    expect(unpriced.code).toBe(3);
    expect(unpriced.stderr).toMatch(/Cannot keep --max-cost: clip-0001\.wav cannot be priced \(no pricing for "no-such-model"/);
    expect(billable() - before).toBe(6);
  }, 60_000);

  it('speak --batch: --dry-run counts characters at the catalog price (no model: said, not guessed); the run records each clip\'s cost; cached clips cost 0', async () => {
    const list = path.join(root, 'lines.txt');
    const texts = ['Hello there.', 'The build has finished.', 'Goodbye.'];
    await writeFile(list, `${texts.join('\n')}\n`);
    const out = path.join(root, 'spoken');
    const characters = texts.reduce((n, t) => n + t.length, 0);
    const before = billable();

    const noModel = await runCliInProcess(['speak', '--batch', list, '-o', out, '--dry-run', '--json'], { env: env() });
    expect(noModel.code).toBe(0);
    expect(JSON.parse(noModel.stdout)).toMatchObject({ characters, estimatedCostUsd: 0, complete: false, unpriced: [{ missing: expect.stringMatching(/no model given/) }, {}, {}] });

    const dry = await runCliInProcess(['speak', '--batch', list, '-o', out, '--model', 'tts-1', '--dry-run', '--json'], { env: env() });
    expect(JSON.parse(dry.stdout)).toMatchObject({ characters, complete: true, byModel: { 'tts-1': { items: 3 } } });
    expect(JSON.parse(dry.stdout).estimatedCostUsd).toBeCloseTo(characters * TTS1_PER_CHARACTER, 12);
    expect(billable()).toBe(before);

    const run = await runCliInProcess(['speak', '--batch', list, '-o', out, '--model', 'tts-1', '--format', 'wav', '--json'], { env: env() });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).costUsd).toBeCloseTo(characters * TTS1_PER_CHARACTER, 12);
    const items = (await lines(path.join(out, 'manifest.jsonl'))).filter((l) => l['type'] === 'item');
    // Items finish in any order (concurrency 4): match each by name.
    for (const [i, t] of texts.entries()) expect(items.find((r) => r['name'] === String(i + 1).padStart(4, '0'))!['costUsd']).toBeCloseTo(t.length * TTS1_PER_CHARACTER, 12);

    const cached = await runCliInProcess(['speak', '--batch', list, '-o', out, '--model', 'tts-1', '--format', 'wav', '--overwrite', '--json'], { env: env() });
    expect(JSON.parse(cached.stdout)).toMatchObject({ done: 3, fromCache: 3, costUsd: 0 });
    const last = (await lines(path.join(out, 'manifest.jsonl'))).filter((l) => l['type'] === 'item').slice(-3);
    for (const r of last) expect(r).toMatchObject({ fromCache: true, costUsd: 0, costNote: 'served from the speech cache: not billed' });
  }, 60_000);
});
