import { fileURLToPath } from 'node:url';
import { runServerSuite } from '@eid/conformance';

runServerSuite({
  app: 'example-passport',
  server: fileURLToPath(new URL('../dist/server.js', import.meta.url)),
});
