// The emulator under test for bench/emulator-realtime.bench.ts, in its own process so its CPU is its own.
// Prints its URL on stdout; answers each stdin line "stats" with one JSON line (CPU, memory, loop delay);
// exits when stdin closes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startEmulator } from '../src/emulator/start-emulator.js';

const emulator = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 300, paceFactor: 1.5 } });
const loop = monitorEventLoopDelay({ resolution: 10 });
let cpu0 = process.cpuUsage();
let t0 = performance.now();
process.stdout.write(`${emulator.url}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'reset') {
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    loop.reset();
    loop.enable();
    process.stdout.write('{}\n');
    return;
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMiB: process.memoryUsage().rss / 2 ** 20, loopP50Ms: loop.percentile(50) / 1e6, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 })}\n`,
  );
});
lines.on('close', () => {
  void emulator.close().then(() => process.exit(0));
});
