import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Two builds: the library as ESM and CommonJS, the `eid-simulator` bin as ESM only (the package is ESM, and
// nothing reaches a CommonJS bin). tsup's `clean` would run in each build at once, so dist is emptied here.
rmSync('dist', { recursive: true, force: true });

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/bin.ts'],
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    target: 'node20',
  },
  {
    entry: ['src/index.ts'],
    format: ['cjs'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    target: 'node20',
  },
]);
