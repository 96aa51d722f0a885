import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadInvariantsSuite } from '@eid/conformance';

// `pnpm loadtest` in small, on the built app (dist/server.js): no login lost or crossed under faults.
runLoadInvariantsSuite({
  name: 'example-express',
  server: join(dirname(fileURLToPath(import.meta.url)), '../dist/server.js'),
});
