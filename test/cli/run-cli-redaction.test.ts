import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';

const KEY = 'sk-cli-debug-0123456789abcdefXYZ';
let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
});
afterAll(async () => {
  await emu.close();
});

describe('runCli with TOKENLAB_DEBUG', () => {
  it('prints the stack of an unexpected error with the key redacted', async () => {
    let stderr = '';
    // An output stream that fails with a message quoting the key (as a careless wrapper might).
    const stdout = new Writable({
      write(_chunk, _enc, callback) {
        callback();
      },
    });
    stdout.write = (() => {
      throw new Error(`cannot write output for ${KEY}`);
    }) as typeof stdout.write;
    const code = await runCli(['models', '--api-key', KEY, '--base-url', emu.url], {
      stdout,
      stderr: new Writable({
        write(chunk, _enc, callback) {
          stderr += String(chunk);
          callback();
        },
      }),
      stdin: new PassThrough(),
      env: { TOKENLAB_DEBUG: '1' },
      signal: new AbortController().signal,
      cwd: process.cwd(),
    });
    expect(code).toBe(EXIT.failure);
    expect(stderr).toMatch(/cannot write output/);
    expect(stderr).toMatch(/\n\s+at /); // the stack is there
    expect(stderr).not.toContain(KEY);
  });
});
