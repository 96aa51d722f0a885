import { createExampleApp } from './app.js';

// `pnpm --filter example-passport start`. Settings come from the environment: PORT (3000), HOST (127.0.0.1),
// APP_BASE_URL, SESSION_SECRET, SIMULATOR_PORT (3001) and the providers' own (SIGNICAT_CLIENT_ID, ...).
const env = { ...process.env };
const port = Number(env.PORT ?? 3000);
// Browsers reach a local app as localhost; the provider must send them back to that same origin,
// where their session cookie lives.
if (!env.APP_BASE_URL && port > 0 && (env.HOST ?? '127.0.0.1') === '127.0.0.1') {
  env.APP_BASE_URL = `http://localhost:${port}`;
}

try {
  const app = await createExampleApp({ env });
  if (app.simulator) console.log(`eID simulator: ${app.simulator.url}`);
  console.log(`Example app: ${app.url}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
