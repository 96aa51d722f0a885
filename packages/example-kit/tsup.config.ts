import { defineConfig } from 'tsup';

// ESM and CJS: the NestJS example may compile to CommonJS.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
