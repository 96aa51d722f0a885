import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTwoProcessesSuite } from '@eid/conformance';

// Two processes of the built app (dist/server.js) on one Redis and one simulator process, one killed mid-login,
// on each Nest platform.
const server = join(dirname(fileURLToPath(import.meta.url)), '../dist/server.js');
for (const platform of ['express', 'fastify']) {
  runTwoProcessesSuite({ name: `example-nestjs (${platform})`, server, env: { NEST_PLATFORM: platform } });
}
