import { defineConfig } from 'tsup';

// ESM only: the suites declare vitest tests, and vitest loads test files as ESM.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['vitest', 'playwright-core', 'ioredis'],
});
