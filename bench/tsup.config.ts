import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/route-server.ts', 'src/login-server.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
