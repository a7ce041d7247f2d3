// Generates the test fixtures under test/.fixtures. Filled in by the codecs work; kept importable and idempotent.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', '.fixtures');

export async function ensureFixtures(): Promise<string> {
  await mkdir(FIXTURE_DIR, { recursive: true });
  return FIXTURE_DIR;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  ensureFixtures().then((dir) => console.log(`fixtures in ${dir}`));
}
