// Runs once before the suite: builds the small generated fixtures (idempotent, cached under test/.fixtures) and
// bundles the CLI of this tree for the tests that need it as a child process (see test/cli/run-cli-process.ts).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLI_BUNDLE } from './cli/run-cli-process.js';

async function bundleCli(): Promise<void> {
  // Never a stale bundle: without a fresh one the child-process tests run the source through tsx.
  await rm(CLI_BUNDLE, { force: true });
  try {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
    await build({ absWorkingDir: root, entryPoints: ['src/cli/main.ts'], outfile: CLI_BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
  } catch (error) {
    // A source that does not build fails the tests that run it (with the error), not the whole suite here.
    await rm(CLI_BUNDLE, { force: true });
    process.stderr.write(`global setup: the CLI bundle did not build, child-process tests use tsx: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  }
}

export default async function setup(): Promise<void> {
  const { ensureFixtures } = await import('../scripts/make-fixtures.js');
  await Promise.all([ensureFixtures(), bundleCli()]);
}
