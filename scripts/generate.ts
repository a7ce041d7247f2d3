/**
 * `npm run generate [-- name…]`: writes every generated source file (see scripts/generated-files.ts), or the
 * named ones (filter-tables, resampler-kernel, silero-kernel). Run after changing the filter design or
 * presets, or an AssemblyScript source under wasm/; test/scripts/generated-files.test.ts fails until then.
 */
import { writeFileSync } from 'node:fs';
import { GENERATED_FILES, repoPath } from './generated-files.js';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !GENERATED_FILES.some((f) => f.name === w));
if (unknown.length > 0) {
  console.error(`unknown: ${unknown.join(', ')}; known: ${GENERATED_FILES.map((f) => f.name).join(', ')}`);
  process.exit(2);
}
for (const file of GENERATED_FILES) {
  if (wanted.length > 0 && !wanted.includes(file.name)) continue;
  const started = performance.now();
  const text = file.make();
  writeFileSync(repoPath(file.target), text);
  console.log(`${file.target}: ${text.length} bytes (${Math.round(performance.now() - started)} ms)`);
}
