import { defineConfig } from 'vitest/config';

// The default run (`npm test`) must stay under 15 minutes on a slow, busy 2-core machine.
// Long suites (full crash sets, long fuzz runs) have their own npm scripts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
