// Prints line coverage per source folder from coverage/coverage-summary.json (written by `vitest run --coverage`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Totals {
  total: number;
  covered: number;
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const summary = JSON.parse(readFileSync(path.join(root, 'coverage', 'coverage-summary.json'), 'utf8')) as Record<string, { lines: Totals }>;
const folders = new Map<string, Totals>();
for (const [file, { lines }] of Object.entries(summary)) {
  if (file === 'total') continue;
  const folder = path.dirname(path.relative(root, file));
  const t = folders.get(folder) ?? { total: 0, covered: 0 };
  t.total += lines.total;
  t.covered += lines.covered;
  folders.set(folder, t);
}
const rows = [...folders.entries()].sort(([a], [b]) => a.localeCompare(b));
const width = Math.max(...rows.map(([f]) => f.length), 6);
console.log(`${'folder'.padEnd(width)}  lines   covered`);
for (const [folder, t] of rows) {
  console.log(`${folder.padEnd(width)}  ${String(t.total).padStart(5)}  ${(t.total ? (100 * t.covered) / t.total : 100).toFixed(1).padStart(6)} %`);
}
const total = summary['total']!.lines;
console.log(`${'all'.padEnd(width)}  ${String(total.total).padStart(5)}  ${((100 * total.covered) / Math.max(total.total, 1)).toFixed(1).padStart(6)} %`);
