import { defineConfig } from 'vitest/config';

/**
 * Two projects: the fast suites run two files at a time (two cores here); the heavy ones (end to end, browser,
 * reliability: each drives a whole Herald with child processes or thousands of deliveries) run after them, one
 * file at a time, so they never starve each other into timeouts on a 2-core machine.
 */
const heavy = ['test/e2e/**/*.test.ts', 'test/reliability/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    // The AWS SDK warns on Node 20 that its versions published after January 2027 will need Node 22;
    // the versions pinned here support Node 20, which README promises (local/node-support.ts).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: heavy, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'heavy', include: heavy, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
