import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { spawnCli } from './run-cli-process.js';
import { runCliInProcess } from './run-cli-in-process.js';

let emu: EmulatorHandle;
let failing: EmulatorHandle;
let dir: string;
let speechWav: string;
const env = (): Record<string, string> => ({ TOKENLAB_API_KEY: 'sk-cli', TOKENLAB_BASE_URL: emu.url });

beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin' });
  failing = await startEmulator({ voiceEngine: 'builtin', faults: [{ kind: 'status', status: 402, match: '/v1/audio/speech' }] });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-cli-'));
  const res = await fetch(`${emu.url}/audio/speech`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'First sentence here. ... ... ... Second sentence, after a long pause.', voice: 'onyx', response_format: 'wav' }),
  });
  speechWav = path.join(dir, 'input.wav');
  await writeFile(speechWav, Buffer.from(await res.arrayBuffer()));
});
afterAll(async () => {
  await emu.close();
  await failing.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tokenlab-audio CLI commands against the emulator', () => {
  it('speak writes the audio file in the format of its extension', async () => {
    const out = path.join(dir, 'hello.wav');
    const run = await runCliInProcess(['speak', 'Hello from the command line.', '-o', out, '--voice', 'nova', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ format: 'wav', output: out });
    const bytes = await readFile(out);
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(summary.byteLength).toBe(bytes.length);
    expect(emu.requests.at(-1)?.json).toMatchObject({ input: 'Hello from the command line.', voice: 'nova', response_format: 'wav' });
  });

  it('speak leaves no file behind when the API fails (exit 4)', async () => {
    const out = path.join(dir, 'never.mp3');
    const run = await runCliInProcess(['speak', 'This will fail.', '-o', out, '--base-url', failing.url, '--api-key', 'k']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/req_/);
    await expect(stat(out)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.startsWith('never'))).toEqual([]);
  });

  it('speak and transcribe refuse an output path they cannot write before paying for the call (exit 3)', async () => {
    const before = emu.requests.length;
    const missing = path.join(dir, 'no-such-dir', 'out.mp3');
    const speak = await runCliInProcess(['speak', 'Paid for and then lost.', '-o', missing], { env: env() });
    expect(speak.code).toBe(3);
    expect(speak.stderr).toMatch(/does not exist/);
    const transcribe = await runCliInProcess(['transcribe', speechWav, '-o', path.join(dir, 'no-such-dir', 'talk.txt')], { env: env() });
    expect(transcribe.code).toBe(3);
    const intoDir = await runCliInProcess(['speak', 'Into a directory.', '-o', dir], { env: env() });
    expect(intoDir.code).toBe(3);
    expect(emu.requests.length).toBe(before);
  });

  it('transcribe prints SRT on stdout and writes -o files', async () => {
    const run = await runCliInProcess(['transcribe', speechWav, '--format', 'srt'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\[speech /);
    const out = path.join(dir, 'talk.vtt');
    const saved = await runCliInProcess(['transcribe', speechWav, '--format', 'vtt', '-o', out, '--quiet'], { env: env() });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe('');
    expect(await readFile(out, 'utf8')).toMatch(/^WEBVTT\n\n/);
  });

  it('transcribe keeps the request id for text formats too (--json and the status line)', async () => {
    const run = await runCliInProcess(['transcribe', speechWav, '--format', 'srt', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(typeof summary.result).toBe('string');
    expect(summary.requestId).toMatch(/^req_/);
    const plain = await runCliInProcess(['transcribe', speechWav, '--format', 'text'], { env: env() });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/request req_[0-9a-f]+/);
  });

  it('translate gives JSON with --json', async () => {
    const run = await runCliInProcess(['translate', speechWav, '--format', 'verbose_json', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.result.task).toBe('translate');
    expect(doc.result.segments.length).toBeGreaterThan(0);
  });

  it('split writes one WAV per utterance and an index of times', async () => {
    const outDir = path.join(dir, 'parts');
    const run = await runCliInProcess(['split', speechWav, '-o', outDir, '--min-silence-ms', '400', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.utterances.length).toBeGreaterThanOrEqual(2);
    const index = JSON.parse(await readFile(path.join(outDir, 'index.json'), 'utf8'));
    expect(index.utterances).toEqual(doc.utterances);
    for (const u of index.utterances) {
      const wav = await readFile(path.join(outDir, u.file));
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      // 16 kHz mono s16le: the file holds exactly the utterance's span.
      expect((wav.length - 44) / 32).toBeCloseTo(u.endMs - u.startMs, 0);
      expect(u.speechStartMs).toBeGreaterThanOrEqual(u.startMs);
    }
  });

  it('demo runs every stage offline and reports their timings', async () => {
    const run = await runCliInProcess(['demo', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.mode).toBe('offline');
    expect(doc.stages.map((s: { name: string }) => s.name)).toEqual(['emulator', 'models', 'speak', 'decode', 'resample', 'vad split', 'transcribe', 'realtime']);
    // The realtime turn with one barge-in: the truncation sent is what was played, never more than received.
    expect(doc.realtime.interruption.action).toBe('truncate');
    expect(doc.realtime.interruption.playedMs).toBeGreaterThan(0);
    expect(doc.realtime.interruption.playedMs).toBeLessThanOrEqual(doc.realtime.interruption.receivedMs);
    expect(doc.realtime.turns.length).toBe(2);
    expect(doc.realtime.turns[0].interrupted).toBe(true);
    expect(doc.utterances.length).toBeGreaterThan(0);
    expect(doc.transcript.text).toMatch(/^\[speech \d+\.\d\d–\d+\.\d\d s\]/);
  });

  it('emulate serves until SIGTERM and then exits 0', async () => {
    const child = spawnCli(['emulate', '--port', '0', '--json', '--voice', 'builtin'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        try {
          resolve(JSON.parse(out).url as string);
        } catch {
          // not complete yet
        }
      });
      child.once('exit', (code) => reject(new Error(`emulate exited early with ${code}`)));
    });
    const res = await fetch(`${url}/models`, { headers: { authorization: 'Bearer anything' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
