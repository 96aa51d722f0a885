import { fileURLToPath } from 'node:url';
import { runServerSuite } from '@eid/conformance';

const server = fileURLToPath(new URL('../dist/server.js', import.meta.url));
for (const platform of ['express', 'fastify']) {
  runServerSuite({
    app: 'example-nestjs',
    server,
    env: { NEST_PLATFORM: platform },
    expectOutput: [`(NestJS on ${platform})`],
  });
}
