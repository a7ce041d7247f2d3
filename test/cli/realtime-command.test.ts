import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/codecs/wav/wav-writer.js';
import { REALTIME_PCM } from '../../src/core/pcm/pcm-format.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { speechPcm } from '../emulator/realtime/realtime-test-client.js';
import { runCliInProcess } from './run-cli-in-process.js';
import { spawnCli } from './run-cli-process.js';

let emu: EmulatorHandle;
let dir: string;
let question: string;
beforeAll(async () => {
  emu = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 100, responder: () => ({ text: 'Fine, thank you.' }) } });
  dir = await mkdtemp(path.join(tmpdir(), 'tla-rt-cli-'));
  question = path.join(dir, 'question.wav');
  await writeFile(question, encodeWav(speechPcm('how are you doing today', 300), REALTIME_PCM));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tokenlab-audio realtime', () => {
  it('plays a file as the microphone, records the reply, shows transcripts and per-turn latency (model from the catalog)', async () => {
    const out = path.join(dir, 'answer.wav');
    const run = await runCliInProcess(['realtime', '--input', question, '--output', out], { env: { TOKENLAB_API_KEY: 'sk-rt', TOKENLAB_BASE_URL: emu.url } });
    expect(run.stderr).toContain('realtime session on gpt-realtime');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/agent: Fine, thank you\./);
    expect(run.stderr).toMatch(/turn resp_\S+: .*server \d+ ms/);
    expect(run.stderr).toContain('realtime session closed cleanly');
    const wav = await readFile(out);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.length - 44).toBeGreaterThan(48 * 500);
  }, 60_000);

  it('--json streams the events as JSON lines', async () => {
    const out = path.join(dir, 'answer2.wav');
    const run = await runCliInProcess(['realtime', '--input', question, '--output', out, '--json', '--model', 'gpt-realtime-mini'], { env: { TOKENLAB_API_KEY: 'sk-rt', TOKENLAB_BASE_URL: emu.url } });
    expect(run.code).toBe(0);
    const types = run.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('session.created');
    expect(types).toContain('input_audio_buffer.speech_stopped');
    expect(types).toContain('response.done');
    expect(types.at(-1)).toBe('tokenlab.closed');
  }, 60_000);
});

describe('tokenlab-audio realtime and Ctrl-C', () => {
  it('closes the session cleanly on SIGINT and says so (exit 130)', async () => {
    const child = spawnCli(['realtime', '--input', question, '--output', path.join(dir, 'cut.wav')], { env: { TOKENLAB_API_KEY: 'sk-rt', TOKENLAB_BASE_URL: emu.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!interrupted && stderr.includes('realtime session on')) interrupted = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(stderr).toMatch(/Interrupted: realtime session closed cleanly \(code 1000\)/);
    expect(code).toBe(130);
  }, 60_000);
});
