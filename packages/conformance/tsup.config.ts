import { defineConfig } from 'tsup';

// ESM only: the suites declare vitest tests, and vitest loads test files as ESM. `loadtest` is the
// `pnpm loadtest` script; `drivers` is what scripts use without vitest.
export default defineConfig({
  entry: ['src/index.ts', 'src/drivers.ts', 'src/loadtest.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/drivers.ts'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['vitest', 'playwright-core', 'ioredis'],
});
