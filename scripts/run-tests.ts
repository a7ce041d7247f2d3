// `npm test`: the type check and the vitest suite side by side, and the run fails when either fails.
// Most of the suite waits on real time (sockets, ffmpeg children, paced audio), so tsc fits in the gaps instead of
// adding its whole run in front; it runs at a lower CPU priority so the suite's real-time cases keep the CPU they
// need. tsc is incremental (its build info under node_modules/.cache), so an unchanged tree checks in seconds.
// Arguments go to vitest: `npm test -- test/cli`.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg: string, file: string): string => path.join(root, 'node_modules', pkg, file);

interface Finished {
  code: number;
  output: string;
  seconds: number;
}

function run(command: string[], options: { captureOutput: boolean; niceness?: number }): Promise<Finished> {
  const started = performance.now();
  const child = spawn(process.execPath, command, { cwd: root, stdio: options.captureOutput ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (options.niceness !== undefined && child.pid !== undefined) {
    try {
      setPriority(child.pid, options.niceness);
    } catch {
      // Not permitted here: it then runs at normal priority, which is only slower.
    }
  }
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: 1, output: `${output}${String(error)}\n`, seconds: (performance.now() - started) / 1000 }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output, seconds: (performance.now() - started) / 1000 }));
  });
}

const typecheck = run([bin('typescript', 'bin/tsc'), '--noEmit', '-p', '.', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tokenlab-audio/typecheck.tsbuildinfo'], { captureOutput: true, niceness: 10 });
const suite = await run([bin('vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)], { captureOutput: false });
const types = await typecheck;
// After vitest's summary, so the two never interleave.
if (types.output.trim()) process.stdout.write(types.output);
process.stdout.write(`typecheck (tsc --noEmit): ${types.code === 0 ? 'no errors' : 'FAILED'} in ${types.seconds.toFixed(1)} s\n`);
process.exitCode = suite.code !== 0 ? suite.code : types.code;
