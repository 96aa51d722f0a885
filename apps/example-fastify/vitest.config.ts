import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The suites start servers and Chromium; one file at a time suits a small machine.
    fileParallelism: false,
  },
});
