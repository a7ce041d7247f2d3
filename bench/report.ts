// Helpers every benchmark uses to write its section of bench/RESULTS.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Load average when this bench process started: other processes on the machine slow every figure. */
const loadAtStart = os.loadavg();

/** "1/5/15-minute load average" as text, e.g. "0.52 / 0.61 / 0.70". */
export function loadText(load = os.loadavg()): string {
  return load.map((x) => x.toFixed(2)).join(' / ');
}

/** A Markdown table from a header row and data rows. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes bench/results/<name>.md with a title, the machine line and the body. */
export function writeSection(name: string, title: string, body: string): void {
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  const load = `load average (1 / 5 / 15 min, ${os.cpus().length} cores) ${loadText(loadAtStart)} at start, ${loadText()} at end`;
  writeFileSync(path.join(dir, `${name}.md`), `## ${title}\n\n_Run on ${machine}; ${load}._\n\n${body.trim()}\n`);
  console.log(body);
}
