import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README is the package's front page on npm: every file it links to must be in the tarball.
describe('the packed package', () => {
  it('contains every file the README links to', () => {
    // --ignore-scripts: list what `files` selects without building; dist/ and docs/api/ are made by prepack.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[]; scripts: Record<string, string> };
    const generatedByPrepack = (link: string) => link.startsWith('docs/api/') && pkg.files.includes('docs/api') && /docs:api/.test(pkg.scripts['prepack'] ?? '');
    const links = [...readFileSync('README.md', 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(packed.has(link) || generatedByPrepack(link), link).toBe(true);
  });

  it('npm prints no warning about the project configuration', () => {
    const run = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/^https?:/);
    expect(run.stderr).not.toMatch(/Unknown project config|npm warn/i);
  });
});
