// The emulator that the realtime-duplex bench's scale run talks to, in its own process (the client's CPU is
// then the client's). Every response is 4 s of speech (`REPLY_AUDIO_MS`) in deltas of about 20 ms, sent 1.5x
// faster than real time after 100 ms, as a model streams. Prints its URL on stdout; answers "stats" with a JSON
// line (CPU, loop delay); exits when stdin closes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startEmulator } from '../src/emulator/start-emulator.js';
import { startWindowProfile } from './cpu-profile-window.js';

const replyAudioMs = Number(process.env['REPLY_AUDIO_MS'] ?? 4000);
const emulator = await startEmulator({
  voiceEngine: 'builtin',
  realtime: { firstAudioDelayMs: 100, audioDeltaMs: 20, paceFactor: 1.5, responder: () => ({ text: 'This is the agent speaking.', audioMs: replyAudioMs }) },
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu0 = process.cpuUsage();
let t0 = performance.now();
process.stdout.write(`${emulator.url}\n`);
const lines = createInterface({ input: process.stdin });
/** "reset <file>": profiles the window until the next "stats" and writes the profile to <file>. */
let stopProfile: (() => Promise<void>) | null = null;
lines.on('line', async (line) => {
  if (line.startsWith('reset')) {
    const file = line.slice('reset'.length).trim();
    if (file) {
      const stop = await startWindowProfile();
      stopProfile = () => stop(file);
    }
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    loop.reset();
    process.stdout.write('{}\n');
    return;
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  if (stopProfile) {
    await stopProfile();
    stopProfile = null;
  }
  process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 })}\n`);
});
lines.on('close', () => {
  void emulator.close().then(() => process.exit(0));
});
