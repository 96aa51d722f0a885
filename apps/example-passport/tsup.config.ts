import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/app.ts', 'src/server.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
