import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real worker pools and wasm cores; on a 2-core machine running
    // files in parallel makes timing-sensitive checks (heartbeats) flaky.
    fileParallelism: false,
    // In CI (.ci/run sets CI=1) a test that skipped itself fails the run.
    reporters: ['default', './test/helpers/no-skips-in-ci.ts'],
  },
});
