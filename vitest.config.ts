import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default on 2 cores is one worker, which leaves a core idle whenever a file waits
    // on a broker, a device process or a real-time stream; two workers overlap those waits
    maxWorkers: 2,
    // concurrent tests here are mostly CLI processes (~0.6 s of CPU each to start): more than a
    // few at once beside the other worker only stretches each one towards its timeout
    maxConcurrency: 3,
    // lists, at the end of the run, the tests skipped for a missing system tool and the package
    globalSetup: ['tests/setup/skip-summary.ts'],
  },
});
