/**
 * Measures how long constructing a Resampler blocks the event loop, first and second time in a
 * fresh process, for every ordered pair of the common rates (default preset unless given):
 *
 *   npx tsx scripts/measure-resampler-startup.ts [srcDir] [quality]
 *
 * `srcDir` (default: this repo's src) lets an older checkout of src/ be measured side by side.
 * Each pair runs in its own process, so "first" includes everything a new process pays.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];

interface Child {
  firstMs: number;
  secondMs: number;
}

async function child(srcDir: string, quality: string, inputRate: number, outputRate: number): Promise<void> {
  const mod = (await import(pathToFileURL(`${srcDir}/core/resampler/resampler.ts`).href)) as typeof import('../src/core/resampler/resampler.js');
  // Compile the WebAssembly kernel first (once per process for every ratio; not a design cost).
  new mod.Resampler({ inputRate: 10000, outputRate: 20000, channels: 1, quality: 'low-latency' });
  const options = { inputRate, outputRate, channels: 2, quality: quality as 'default' };
  let t = performance.now();
  new mod.Resampler(options);
  const firstMs = performance.now() - t;
  t = performance.now();
  new mod.Resampler(options);
  const secondMs = performance.now() - t;
  process.stdout.write(JSON.stringify({ firstMs, secondMs } satisfies Child));
}

function main(): void {
  const srcDir = process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url));
  const quality = process.argv[3] ?? 'default';
  const self = fileURLToPath(import.meta.url);
  const rows: string[] = ['| pair | first (ms) | second (ms) |', '|---|---:|---:|'];
  let worstFirst = 0;
  let worstSecond = 0;
  for (const inputRate of RATES) {
    for (const outputRate of RATES) {
      if (inputRate === outputRate) continue;
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', srcDir, quality, String(inputRate), String(outputRate)], {
        encoding: 'utf8',
      });
      const r = JSON.parse(out) as Child;
      worstFirst = Math.max(worstFirst, r.firstMs);
      worstSecond = Math.max(worstSecond, r.secondMs);
      rows.push(`| ${inputRate} -> ${outputRate} | ${r.firstMs.toFixed(2)} | ${r.secondMs.toFixed(3)} |`);
    }
  }
  rows.push(`| **worst** | **${worstFirst.toFixed(2)}** | **${worstSecond.toFixed(3)}** |`);
  console.log(`${srcDir} (${quality})\n${rows.join('\n')}`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
} else {
  main();
}
