import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { runCliInProcess } from './run-cli-in-process.js';

let emu: EmulatorHandle;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-cli-streams-'));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tokenlab-audio CLI with stdin and stdout', () => {
  it('speak - reads the text from stdin', async () => {
    const out = path.join(dir, 'stdin.wav');
    const run = await runCliInProcess(['speak', '-', '-o', out], { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url }, input: 'Text from a pipe.' });
    expect(run.code).toBe(0);
    expect(emu.requests.at(-1)?.json).toMatchObject({ input: 'Text from a pipe.' });
    expect((await readFile(out)).toString('ascii', 0, 4)).toBe('RIFF');
  });

  it('speak -o - writes the audio bytes to stdout', async () => {
    const run = await runCliInProcess(['speak', 'Bytes to stdout.', '-o', '-', '--format', 'wav'], { env: { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url } });
    expect(run.code).toBe(0);
    const wav = run.stdoutBytes;
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  });

  it('demo --live without a key says how to set one (exit 3)', async () => {
    const run = await runCliInProcess(['demo', '--live']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/TOKENLAB_API_KEY/);
  });
});

describe('split --format ogg-opus', () => {
  it('writes Ogg/Opus files', async () => {
    const res = await fetch(`${emu.url}/audio/speech`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'One sentence.\n\nAnother sentence after a paragraph break.', response_format: 'wav' }),
    });
    const { writeFile } = await import('node:fs/promises');
    const input = path.join(dir, 'two.wav');
    await writeFile(input, Buffer.from(await res.arrayBuffer()));
    const outDir = path.join(dir, 'opus-parts');
    const run = await runCliInProcess(['split', input, '-o', outDir, '--format', 'ogg-opus', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.utterances.length).toBe(2);
    for (const u of doc.utterances) {
      expect(u.file).toMatch(/\.opus$/);
      const bytes = await readFile(path.join(outDir, u.file));
      expect(bytes.toString('ascii', 0, 4)).toBe('OggS');
      expect(bytes.includes(Buffer.from('OpusHead'))).toBe(true);
    }
  });
});
