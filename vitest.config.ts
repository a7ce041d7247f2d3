import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many suites wait on real time (sockets, ffmpeg children, paced audio) rather than CPU: three workers keep
    // both cores busy on this 2-core machine (vitest's default here is one fewer than the cores, i.e. one).
    maxWorkers: 3,
    coverage: {
      // `npm run coverage`: line coverage of src/, summarised per folder by scripts/coverage-by-folder.ts.
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Generated data (filter tables, embedded WebAssembly) is not code to cover.
      exclude: ['src/**/*-wasm-binary.ts', 'src/core/filter-tables.ts', 'src/core/wasm/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // A failing or timed-out case (e.g. the filter-table generator, slow under instrumentation on a loaded
      // machine) still fails the run, but the per-folder table is written, so the failure does not hide it.
      reportOnFailure: true,
    },
  },
});
