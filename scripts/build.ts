// Builds dist/: ESM and CommonJS bundles of the library and the CLI (esbuild), and type declarations (tsc)
// copied into both halves so each resolves its own module kind. We do not use tsup: it pulls in rollup,
// whose platform packages are not all on every registry mirror, and `npm ci` then refuses the lockfile.
import { build, type BuildOptions } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

// CommonJS has no import.meta; give it the same file URL the ESM build would see.
const cjsShim: BuildOptions = {
  format: 'cjs',
  define: { 'import.meta.url': '__tla_import_meta_url' },
  banner: { js: "const __tla_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

// The package's entry points: the main entry and one per subpath export (package.json "exports" names
// each as ./dist/{esm,cjs}/<key>.js). Optional integrations live in subpaths so the main entry never loads them.
const ENTRY_POINTS: Record<string, string> = {
  index: 'src/index.ts',
  emulator: 'src/emulator/index.ts',
  discord: 'src/streams/discord/index.ts',
  queue: 'src/queue/index.ts',
};

await Promise.all([
  // ESM shares code between entries through chunks; CommonJS cannot split, so each entry bundles what it uses
  // (module state such as caches is then per entry; errors still match across copies through their brands).
  build({ ...common, format: 'esm', splitting: true, entryPoints: ENTRY_POINTS, outdir: 'dist/esm', absWorkingDir: root }),
  build({ ...common, ...cjsShim, entryPoints: { ...ENTRY_POINTS, cli: 'src/cli/main.ts' }, outdir: 'dist/cjs', absWorkingDir: root }),
]);
writeFileSync(path.join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
// Same declarations under dist/cjs: there the nearest package.json says commonjs, so TypeScript reads them as CJS.
const types = path.join(dist, 'types');
copyDeclarations(types, path.join(dist, 'cjs'));
copyDeclarations(types, path.join(dist, 'esm'));
rmSync(types, { recursive: true, force: true });
// A subpath's bundle is dist/<half>/<key>.js; its declarations sit where its source sits, so point at them.
for (const [key, source] of Object.entries(ENTRY_POINTS)) {
  if (key === 'index') continue;
  const target = `./${path.relative('src', source).replace(/\.ts$/, '.js').split(path.sep).join('/')}`;
  for (const half of ['esm', 'cjs']) writeFileSync(path.join(dist, half, `${key}.d.ts`), `export * from '${target}';\n`);
}

function copyDeclarations(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (statSync(src).isDirectory()) {
      mkdirSync(dst, { recursive: true });
      copyDeclarations(src, dst);
    } else if (name.endsWith('.d.ts')) {
      cpSync(src, dst);
    }
  }
}
console.log('built dist/esm, dist/cjs');
