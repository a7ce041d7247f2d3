import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { runCliProcess } from './run-cli-process.js';

let emu: EmulatorHandle;
const KEY = 'sk-cli-secret-0123456789abcdef';
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin' });
});
afterAll(async () => {
  await emu.close();
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('tokenlab-audio CLI: usage, exit codes, secrets', () => {
  it('node bin/tokenlab-audio.cjs --help prints the usage and exits 0 (built or from source)', async () => {
    const run = await runCliProcess(['--help'], { fromSource: false });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage:/);
    expect(run.stdout).toMatch(/tokenlab-audio speak/);
    expect(run.stdout).toMatch(/Exit codes/);
  });

  it('gives a short usage message and exit 2 for bad arguments', async () => {
    const missing = await runCliProcess(['speak', 'hello']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/-o out\.mp3/);
    expect(missing.stderr).toMatch(/^Usage: tokenlab-audio speak/m);
    noStack(missing.stderr);
    const unknown = await runCliProcess(['models', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
    noStack(unknown.stderr);
    const command = await runCliProcess(['dance']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/Unknown command: dance/);
  });

  it('says how to set the key when there is none (exit 3)', async () => {
    const run = await runCliProcess(['models', '--base-url', emu.url]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/TOKENLAB_API_KEY/);
  });

  it('lists models as a table and as JSON, never printing the key', async () => {
    const table = await runCliProcess(['models', '--recommended-for', 'tts'], { env: { TOKENLAB_API_KEY: KEY, TOKENLAB_BASE_URL: emu.url } });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^MODEL\s+CATEGORY/);
    expect(table.stdout).toMatch(/^gpt-4o-mini-tts\s+tts/m);
    const json = await runCliProcess(['models', '--json', '--api-key', KEY, '--base-url', emu.url]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.data.map((m: { id: string }) => m.id)).toContain('whisper-1');
    expect(doc.requestId).toMatch(/^req_/);
    for (const run of [table, json]) expect(run.stdout + run.stderr).not.toContain(KEY);
  });

  it('reports an API error with its request id, exit 4, without the key', async () => {
    const wrong = 'sk-wrong-key-that-must-not-leak-42';
    const run = await runCliProcess(['models', '--api-key', wrong, '--base-url', emu.url]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/req_[0-9a-f]+/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    noStack(run.stderr);
    const json = await runCliProcess(['models', '--json', '--api-key', wrong, '--base-url', emu.url]);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout).error).toMatchObject({ exitCode: 4, status: 401 });
  });

  it('reports a connection failure with exit 5', async () => {
    const run = await runCliProcess(['models', '--api-key', KEY, '--base-url', 'http://127.0.0.1:9/v1']);
    expect(run.code).toBe(5);
    noStack(run.stderr);
  });
});
