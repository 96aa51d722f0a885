import { fileURLToPath } from 'node:url';
import { runServerSuite } from '@eid/conformance';

runServerSuite({
  app: 'example-express',
  server: fileURLToPath(new URL('../dist/server.js', import.meta.url)),
});
