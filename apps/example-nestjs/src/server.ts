// `pnpm --filter example-nestjs start`. Settings come from the environment: PORT (3000), HOST (127.0.0.1),
// NEST_PLATFORM (express or fastify), APP_BASE_URL, SESSION_SECRET, SIMULATOR_PORT (3001) and the providers'
// own (SIGNICAT_CLIENT_ID, ...).
import { runExampleServer } from '@eid/example-kit';
import { createExampleApp } from './app.js';

await runExampleServer(createExampleApp, (app) => ` (NestJS on ${app.platform})`);
