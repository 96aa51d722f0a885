import { fileURLToPath } from 'node:url';
import { runServerSuite } from '@eid/conformance';

runServerSuite({
  app: 'example-fastify',
  server: fileURLToPath(new URL('../dist/server.js', import.meta.url)),
});
