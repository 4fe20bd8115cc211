import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // lists, at the end of the run, the tests skipped for a missing system tool and the package
    globalSetup: ['tests/setup/skip-summary.ts'],
  },
});
