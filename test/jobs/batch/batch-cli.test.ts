import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { writeBatchFiles } from '../../../scripts/make-batch-files.js';
import { runCliProcess } from '../../cli/run-cli-process.js';

let emu: EmulatorHandle;
let broke: EmulatorHandle;
let root: string;

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy' });
  broke = await startEmulator({ voiceEngine: 'builtin', speechDetector: 'energy', faults: [{ kind: 'status', status: 402, match: '/v1/audio/transcriptions' }] });
  root = await mkdtemp(path.join(tmpdir(), 'tla-batch-cli-'));
});
afterAll(async () => {
  await emu.close();
  await broke.close();
  await rm(root, { recursive: true, force: true });
});

describe('CLI batches', () => {
  it('transcribe DIR -o OUT: a corrupt file is reported, the rest done, exit 7; the rerun requests nothing done; a 402 exits 4 saying how to resume', async () => {
    const dir = path.join(root, 'in');
    await writeBatchFiles(dir, 5, [2]);
    const out = path.join(root, 'out');
    const env = { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url };
    const run = await runCliProcess(['transcribe', dir, '-o', out, '--format', 'srt', '--json'], { env });
    expect(run.code).toBe(7);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ total: 5, done: 4, failed: 1, exitCode: 7, manifest: path.join(out, 'manifest.jsonl') });
    expect(summary.failures[0]).toMatchObject({ name: 'clip-0003.wav', error: { status: 400 } });
    expect(await readFile(path.join(out, 'clip-0001.srt'), 'utf8')).toMatch(/-->/);

    const transcriptions = (): number => emu.requests.filter((r) => r.path === '/v1/audio/transcriptions').length;
    const before = transcriptions();
    const again = await runCliProcess(['transcribe', path.join(dir, '*.wav'), '-o', out, '--format', 'srt'], { env });
    expect(again.code).toBe(7);
    expect(again.stderr).toMatch(/0 done, 4 already done, 1 failed/);
    // Only the failed item is requested again (the cost meter's one pricing lookup is not billable).
    expect(transcriptions() - before).toBe(1);

    await writeBatchFiles(path.join(root, 'more'), 2);
    const stopped = await runCliProcess(['transcribe', path.join(root, 'more'), '-o', path.join(root, 'more-out')], { env: { ...env, TOKENLAB_BASE_URL: broke.url } });
    expect(stopped.code).toBe(4);
    expect(stopped.stderr).toMatch(/balance is exhausted \(402\).*run the same command again to resume/s);
  }, 60_000);

  it('speak --batch list.jsonl -o DIR writes one clip per line (exit 0); a bad line is a usage-free input error (exit 3)', async () => {
    const list = path.join(root, 'clips.jsonl');
    await writeFile(list, '{"id":"hello","text":"Hello there."}\n\n{"text":"Second clip.","voice":"nova"}\n');
    const out = path.join(root, 'clips');
    const run = await runCliProcess(['speak', '--batch', list, '-o', out, '--format', 'wav', '--json'], { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ done: 2, failed: 0 });
    expect((await readFile(path.join(out, 'hello.wav'))).toString('latin1', 0, 4)).toBe('RIFF');
    expect((await readFile(path.join(out, '0002.wav'))).toString('latin1', 0, 4)).toBe('RIFF');
    await writeFile(list, '{"text":"ok"}\nnot json\n');
    const bad = await runCliProcess(['speak', '--batch', list, '-o', out], { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url } });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/clips\.jsonl line 2: not valid JSON/);
  }, 60_000);
});
