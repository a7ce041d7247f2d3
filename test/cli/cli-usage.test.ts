import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { runCliProcess } from './run-cli-process.js';
import { runCliInProcess } from './run-cli-in-process.js';

let emu: EmulatorHandle;
const KEY = 'sk-cli-secret-0123456789abcdef';
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin' });
});
afterAll(async () => {
  await emu.close();
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

/** The same entry point as the executable, in this process (for the many small cases). */
const inProcess = (args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliInProcess> => runCliInProcess(args, { env });

describe('tokenlab-audio executable (child processes)', () => {
  it('node bin/tokenlab-audio.cjs --help prints the usage and exits 0 (built or from source)', async () => {
    const run = await runCliProcess(['--help'], { viaBin: true });
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
  });
});

describe('tokenlab-audio keys and API errors (in process)', () => {
  it('says how to set the key when there is none (exit 3)', async () => {
    const run = await runCliInProcess(['models', '--base-url', emu.url]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/TOKENLAB_API_KEY/);
  });

  it('lists models as JSON with the key from the command line, never printing it', async () => {
    const json = await runCliInProcess(['models', '--json', '--api-key', KEY, '--base-url', emu.url]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.data.map((m: { id: string }) => m.id)).toContain('whisper-1');
    expect(doc.requestId).toMatch(/^req_/);
    expect(json.stdout + json.stderr).not.toContain(KEY);
  });

  it('reports an API error with its request id, exit 4, without the key', async () => {
    const wrong = 'sk-wrong-key-that-must-not-leak-42';
    const run = await runCliInProcess(['models', '--api-key', wrong, '--base-url', emu.url]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/req_[0-9a-f]+/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    noStack(run.stderr);
  });
});

describe('tokenlab-audio usage and exit codes (in process)', () => {
  it('exit 2 for unknown options, commands and bad values, with the usage line', async () => {
    const unknown = await inProcess(['models', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(unknown.stderr).toMatch(/^Usage: tokenlab-audio models/m);
    const command = await inProcess(['dance']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/Unknown command: dance/);
    const speed = await inProcess(['speak', 'hi', '-o', 'x.mp3', '--speed', '9']);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toMatch(/--speed must be a number from 0.25 to 4/);
    const format = await inProcess(['transcribe', 'a.wav', '--format', 'docx']);
    expect(format.code).toBe(2);
    const extra = await inProcess(['models', 'surplus']);
    expect(extra.code).toBe(2);
    expect(await inProcess([])).toMatchObject({ code: 2 });
    expect((await inProcess(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect((await inProcess(['speak', '--help'])).stdout).toMatch(/^Usage: tokenlab-audio speak/);
  });

  it('prints the model table with a header and ranks', async () => {
    const table = await inProcess(['models', '--recommended-for', 'tts'], { TOKENLAB_API_KEY: KEY, TOKENLAB_BASE_URL: emu.url });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^MODEL\s+CATEGORY\s+PROVIDER\s+STATUS\s+OPERATIONS\s+RANK/);
    expect(table.stdout.split('\n')[1]).toMatch(/^gpt-4o-mini-tts\s+tts\s+openai\s+active \(latest\)\s+speech\s+#1/);
  });

  it('gives a JSON error document with --json', async () => {
    const run = await inProcess(['models', '--json', '--api-key', 'sk-nope-nope', '--base-url', emu.url]);
    expect(run.code).toBe(4);
    expect(JSON.parse(run.stdout).error).toMatchObject({ exitCode: 4, status: 401 });
    expect(run.stdout).not.toContain('sk-nope-nope');
  });

  it('exit 5 when the API cannot be reached', async () => {
    const run = await inProcess(['models', '--api-key', KEY, '--base-url', 'http://127.0.0.1:9/v1']);
    expect(run.code).toBe(5);
    noStack(run.stderr);
  });

  it('exit 3 for input problems: missing files, empty text (a directory without -o is usage, exit 2)', async () => {
    expect((await inProcess(['speak', '--input-file', '/nonexistent/words.txt', '-o', 'x.mp3'], { TOKENLAB_API_KEY: KEY })).code).toBe(3);
    expect((await inProcess(['speak', '   ', '-o', 'x.mp3'], { TOKENLAB_API_KEY: KEY })).code).toBe(3);
    // A directory is a batch input: without -o DIR that is a usage error that says what to add.
    const directory = await inProcess(['transcribe', process.cwd()], { TOKENLAB_API_KEY: KEY });
    expect(directory.code).toBe(2);
    expect(directory.stderr).toMatch(/a batch needs an output directory/);
    const big = await inProcess(['transcribe', 'package.json', '--upload-limit-bytes', '100'], { TOKENLAB_API_KEY: KEY, TOKENLAB_BASE_URL: emu.url });
    expect(big.code).toBe(3);
    // Over the upload limit the file goes the long-file way (said on a line); package.json is not audio: exit 3.
    expect(big.stderr).toMatch(/over the 100 B upload limit: transcribing it in pieces/);
    expect(big.stderr).toMatch(/not audio/);
    const missing = await inProcess(['transcribe', '/nonexistent/talk.wav'], { TOKENLAB_API_KEY: KEY });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/No such file/);
  });
});
