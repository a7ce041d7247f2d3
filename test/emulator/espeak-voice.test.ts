import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isEspeakAvailable } from '../../src/emulator/espeak-voice.js';
import { startEmulator } from '../../src/emulator/start-emulator.js';

const hasEspeak = await isEspeakAvailable();

function espeakChildren(): number {
  try {
    const out = execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.trim() === 'espeak-ng').length;
  } catch {
    return 0; // ps exits 1 when there are no children
  }
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

// espeak-ng is optional (tests must pass without it): this part is skipped when it is not installed.
describe.skipIf(!hasEspeak)('speech from espeak-ng (skipped: espeak-ng is not installed)', () => {
  it('speaks through espeak-ng, resampled to 24 kHz', async () => {
    const emu = await startEmulator({ voiceEngine: 'espeak' });
    try {
      const res = await fetch(`${emu.url}/audio/speech`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'Hello from espeak.', response_format: 'wav' }),
      });
      const wav = Buffer.from(await res.arrayBuffer());
      expect(wav.readUInt32LE(24)).toBe(24000);
      expect(wav.length).toBeGreaterThan(24000);
    } finally {
      await emu.close();
    }
  });

  it('kills espeak-ng when the client goes away mid-stream', async () => {
    const emu = await startEmulator({ voiceEngine: 'espeak', speechPaceMs: 50, speechChunkMs: 20 });
    try {
      const controller = new AbortController();
      const res = await fetch(`${emu.url}/audio/speech`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'This is a long text. '.repeat(150), response_format: 'pcm' }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      expect(espeakChildren()).toBe(1);
      controller.abort();
      expect(await until(() => espeakChildren() === 0)).toBe(true);
    } finally {
      await emu.close();
    }
  });
});
