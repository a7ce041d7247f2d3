// Runs every bench/*.bench.ts in its own process (so one's heap and JIT state do not colour the next),
// then assembles bench/RESULTS.md from the sections each wrote to bench/results/<name>.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const resultsDir = path.join(here, 'results');
mkdirSync(resultsDir, { recursive: true });

const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, file)], {
    stdio: 'inherit',
    cwd: path.join(here, '..'),
  });
  if (r.status !== 0) console.error(`${file} exited with ${r.status ?? r.signal}`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmark results',
  '',
  `Machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}; Node ${process.version}.`,
  `Assembled: ${new Date().toISOString()} by \`npm run bench\`. Each section below says when it was last run and the machine's load average then.`,
  `Load average at assembly (1 / 5 / 15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`,
  '',
];
const sections = readdirSync(resultsDir)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(path.join(resultsDir, f), 'utf8').trim());
writeFileSync(path.join(here, 'RESULTS.md'), header.concat(sections.join('\n\n'), '').join('\n'));
console.log(`\nwrote ${path.join('bench', 'RESULTS.md')}${existsSync(resultsDir) ? '' : ''}`);
