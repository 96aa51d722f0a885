import { defineConfig } from 'vitest/config';

// Slow suites, not part of `test`: .ci/run runs them after everything is built.
export default defineConfig({
  test: { include: ['test-slow/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 180_000 },
});
