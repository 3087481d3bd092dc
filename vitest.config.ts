import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // builds the example extensions and the test driver once, before any test reads them
    globalSetup: ['test/setup/build.ts'],
    reporters: ['default', './test/setup/summary.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
