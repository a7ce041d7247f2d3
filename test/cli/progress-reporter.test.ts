import { PassThrough } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../src/cli/progress-reporter.js';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

function fakeIo(tty: boolean, env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d));
  stderr.on('data', (d: Buffer) => (err += d));
  return { stdout, stderr, stdin: new PassThrough(), env, signal: new AbortController().signal, cwd: process.cwd(), out: () => out, err: () => err };
}

let emu: EmulatorHandle;
let dir: string;
let wav: string;
beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-progress-'));
  const res = await fetch(`${emu.url}/audio/speech`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'Progress bars only on a terminal.', response_format: 'wav' }),
  });
  wav = path.join(dir, 'a.wav');
  await writeFile(wav, Buffer.from(await res.arrayBuffer()));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe('progress on a terminal only', () => {
  it('draws an upload bar and a processing line when stderr is a TTY', async () => {
    const io = fakeIo(true, { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url });
    expect(await runCli(['transcribe', wav], io)).toBe(0);
    expect(io.err()).toMatch(/Transcribing \|/);
    expect(io.err()).toMatch(/processing/);
    expect(io.out()).toMatch(/^\[speech /);
  });

  it('writes no control characters when stderr is not a TTY, or with --json', async () => {
    const pipe = fakeIo(false, { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url });
    expect(await runCli(['transcribe', wav], pipe)).toBe(0);
    expect(pipe.err()).not.toMatch(/\u001b\[/);
    const json = fakeIo(true, { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url });
    expect(await runCli(['transcribe', wav, '--json'], json)).toBe(0);
    expect(json.err()).toBe('');
    expect(JSON.parse(json.out()).result).toMatch(/^\[speech /);
  });

  it('the reporter is inert when disabled', () => {
    const io = fakeIo(false);
    const p = new ProgressReporter(io, { json: false, quiet: false }, 'X');
    p.upload(5, 10);
    p.processing();
    p.done();
    expect(io.err()).toBe('');
  });
});
