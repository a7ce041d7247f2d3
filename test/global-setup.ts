// Runs once before the suite: builds the small generated fixtures (idempotent, cached under test/.fixtures) and
// bundles the CLI of this tree for the tests that need it as a child process (see test/cli/run-cli-process.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLI_BUNDLE } from './cli/run-cli-process.js';

export default async function setup(): Promise<void> {
  const { ensureFixtures } = await import('../scripts/make-fixtures.js');
  await Promise.all([
    ensureFixtures(),
    build({ absWorkingDir: path.join(path.dirname(fileURLToPath(import.meta.url)), '..'), entryPoints: ['src/cli/main.ts'], outfile: CLI_BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' }),
  ]);
}
