import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      // `npm run coverage`: line coverage of src/, summarised per folder by scripts/coverage-by-folder.ts.
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Generated data (filter tables, embedded WebAssembly) is not code to cover.
      exclude: ['src/**/*-wasm-binary.ts', 'src/core/filter-tables.ts', 'src/core/wasm/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
