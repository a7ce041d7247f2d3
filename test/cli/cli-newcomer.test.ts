import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { ProgressReporter } from '../../src/cli/progress-reporter.js';
import { flacTotalSamples } from '../../src/cli/commands/speak-command.js';
import { inCliWords } from '../../src/cli/describe-error.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { startLoopback, type LoopbackServer } from '../transports/loopback-server.js';

interface TestIo extends CliIo {
  out(): string;
  err(): string;
}
function fakeIo(env: Record<string, string> = {}, options: { tty?: boolean; stdin?: Buffer; signal?: AbortSignal } = {}): TestIo {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 100 });
  const stdin = new PassThrough();
  if (options.stdin) stdin.end(options.stdin);
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d));
  stderr.on('data', (d: Buffer) => (err += d));
  return { stdout, stderr, stdin, env, signal: options.signal ?? new AbortController().signal, cwd: dir, out: () => out, err: () => err };
}

let emu: EmulatorHandle;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-newcomer-'));
  env = { TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: emu.url };
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe('timeouts', () => {
  let silent: LoopbackServer;
  beforeAll(async () => {
    silent = await startLoopback(() => {}); // accepts, never answers
  });
  afterAll(() => silent.close());

  it('--timeout bounds a call to a server that never answers (exit 5, says it was the deadline)', async () => {
    const io = fakeIo({ TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: silent.url });
    expect(await runCli(['models', '--timeout', '0.4'], io)).toBe(5);
    expect(io.err()).toMatch(/did not complete within its deadline of 400 ms.*raise --timeout/s);
  });

  it('TOKENLAB_TIMEOUT does the same; a malformed value is a usage error', async () => {
    const io = fakeIo({ TOKENLAB_API_KEY: 'k', TOKENLAB_BASE_URL: silent.url, TOKENLAB_TIMEOUT: '300ms' });
    expect(await runCli(['models'], io)).toBe(5);
    expect(io.err()).toMatch(/deadline of 300 ms/);
    const bad = fakeIo(env);
    expect(await runCli(['models', '--timeout', 'soon'], bad)).toBe(2);
    expect(bad.err()).toMatch(/--timeout must be a time such as 30 \(seconds\), 90s, 10m or 1h/);
  });
});

describe('speak as a newcomer meets it', () => {
  it('refuses -o x.mp3 --format wav instead of writing WAV into .mp3', async () => {
    const io = fakeIo(env);
    expect(await runCli(['speak', 'hello', '-o', 'x.mp3', '--format', 'wav'], io)).toBe(2);
    expect(io.err()).toMatch(/-o x\.mp3 names mp3 audio but --format says wav/);
    await expect(stat(path.join(dir, 'x.mp3'))).rejects.toThrow();
  });

  it('names --allow-secrets (not allowSecrets: true) and the flag lets the text through', async () => {
    const text = 'Open http://localhost:3000/admin now';
    const refused = fakeIo(env);
    expect(await runCli(['speak', text, '-o', 'secret.wav'], refused)).toBe(3);
    expect(refused.err()).toMatch(/looks like a private or internal URL \(localhost\).*pass --allow-secrets/s);
    expect(refused.err()).not.toMatch(/allowSecrets/);
    const allowed = fakeIo(env);
    expect(await runCli(['speak', text, '-o', 'secret.wav', '--allow-secrets'], allowed)).toBe(0);
  });

  it('FLAC output carries its length in STREAMINFO', async () => {
    const io = fakeIo(env);
    expect(await runCli(['speak', 'A sentence long enough to span several FLAC frames of audio.', '-o', 'len.flac'], io)).toBe(0);
    const bytes = await readFile(path.join(dir, 'len.flac'));
    expect(flacTotalSamples(bytes)).toBeGreaterThan(24_000);
  });

  it('raw PCM output says its layout', async () => {
    const io = fakeIo(env);
    expect(await runCli(['speak', 'raw audio please', '-o', 'raw.pcm'], io)).toBe(0);
    expect(io.err()).toMatch(/raw s16le 24000 Hz mono \(ffplay -f s16le -ar 24000 -ch_layout mono\)/);
    const json = fakeIo(env);
    expect(await runCli(['speak', 'raw audio please', '-o', 'raw2.pcm', '--json'], json)).toBe(0);
    expect(JSON.parse(json.out()).pcm).toEqual({ sampleRate: 24_000, channels: 1, encoding: 's16le' });
  });

  it('lists voices (documented names when the catalog lists none)', async () => {
    const io = fakeIo(env);
    expect(await runCli(['voices', '--model', 'gpt-4o-mini-tts', '--json'], io)).toBe(0);
    const doc = JSON.parse(io.out()) as { voices: string[]; source: string };
    expect(doc.voices).toContain('alloy');
    expect(['catalog', 'documented']).toContain(doc.source);
  });
});

describe('transcribe and split', () => {
  let wav: Buffer;
  beforeAll(async () => {
    const res = await fetch(`${emu.url}/audio/speech`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'Reading audio from standard input.', response_format: 'wav' }),
    });
    wav = Buffer.from(await res.arrayBuffer());
  });

  it('transcribe - reads the audio from stdin', async () => {
    const io = fakeIo(env, { stdin: wav });
    expect(await runCli(['transcribe', '-'], io)).toBe(0);
    expect(io.out()).toMatch(/^\[speech /);
    expect(io.err()).toMatch(/transcribed stdin in/);
  });

  it('a failed split leaves no directory behind', async () => {
    const notAudio = path.join(dir, 'notes.mp3');
    await writeFile(notAudio, 'these are meeting notes, not audio\n'.repeat(40));
    const io = fakeIo(env);
    const code = await runCli(['split', notAudio, '-o', 'parts/deeper'], io);
    expect(code).not.toBe(0);
    await expect(stat(path.join(dir, 'parts'))).rejects.toThrow(/ENOENT/);
  });

  it('a missing ffmpeg exits 6 and says FFMPEG_PATH points nowhere', async () => {
    const notAudio = path.join(dir, 'notes2.mp3');
    await writeFile(notAudio, 'not audio either\n'.repeat(40));
    const io = fakeIo({ ...env, FFMPEG_PATH: path.join(dir, 'no-such-ffmpeg') });
    const saved = process.env['FFMPEG_PATH'];
    process.env['FFMPEG_PATH'] = path.join(dir, 'no-such-ffmpeg'); // the resolver reads the process environment
    try {
      expect(await runCli(['split', notAudio, '-o', 'parts2'], io)).toBe(6);
    } finally {
      if (saved === undefined) delete process.env['FFMPEG_PATH'];
      else process.env['FFMPEG_PATH'] = saved;
    }
    expect(io.err()).toMatch(/FFMPEG_PATH is set to .*no-such-ffmpeg, which does not exist/);
    expect(io.err()).not.toMatch(/\{ ffmpegPath \}|\{ from \}/);
  });
});

describe('progress line', () => {
  it('an interrupted upload never prints "done" before the error; success says how long processing took', () => {
    const io = fakeIo({}, { tty: true });
    const p = new ProgressReporter(io, { json: false, quiet: false }, 'Transcribing');
    p.upload(4_000_000, 4_801_134);
    p.processing();
    p.stop();
    expect(io.err()).toMatch(/Transcribing: uploaded, processing… 0 s\n$/);
    expect(io.err()).not.toMatch(/done|processed in/);
    const ok = fakeIo({}, { tty: true });
    const q = new ProgressReporter(ok, { json: false, quiet: false }, 'Transcribing');
    q.processing();
    q.done();
    expect(ok.err()).toMatch(/Transcribing: uploaded, processed in \d+\.\d s\n$/);
  });

  it('shows sent and total in the same units', () => {
    const io = fakeIo({}, { tty: true });
    const p = new ProgressReporter(io, { json: false, quiet: false }, 'Up');
    p.upload(3_984_588, 4_801_134);
    p.stop();
    expect(io.err()).toMatch(/3\.8 MiB\/4\.6 MiB/);
    expect(io.err()).not.toMatch(/\/4801134/);
  });
});

describe('CLI wording', () => {
  it('replaces library option names with flags', () => {
    expect(inCliWords('Remove it, or pass allowSecrets: true if it is not a real credential.')).toBe('Remove it, or pass --allow-secrets if it is not a real credential.');
    expect(inCliWords('or pass new TokenLab({ apiKey }).')).toBe('or pass --api-key KEY.');
    expect(inCliWords('If your server allows more, raise uploadLimitBytes.')).toBe('If your server allows more, raise --upload-limit-bytes.');
  });
});
