import { defineConfig } from 'tsup';

// Both ESM and CommonJS: many bot projects still require(), and Node 20 cannot require() ESM.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: false,
});
