// Every example in examples/ runs offline against the emulator and exits 0. An example that needs something
// this machine cannot have (a Discord bot token, a sound card) says so in a `// needs: …` line at its top and is
// only type-checked (by `npm test`'s tsc over examples/).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.ts')).sort();

function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('examples', file)], {
      cwd: root,
      // No real key or base URL leaks in from the developer's shell: examples must run against the emulator.
      env: { ...process.env, TOKENLAB_API_KEY: '', TOKENLAB_BASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples', () => {
  it('there is at least one example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const file of examples) {
    const head = readFileSync(path.join(root, 'examples', file), 'utf8').split('\n').slice(0, 12).join('\n');
    const needs = /^\/\/ needs: (.+)$/m.exec(head)?.[1];
    it.skipIf(needs !== undefined)(`${file} runs offline and exits 0${needs ? ` (skipped: needs ${needs})` : ''}`, async () => {
      const { code, stdout, stderr } = await runExample(file);
      expect(stderr, stdout).not.toMatch(/Error|Unhandled/);
      expect(code, stderr).toBe(0);
      expect(stdout.trim().length).toBeGreaterThan(0);
    }, 60_000);
  }
});
