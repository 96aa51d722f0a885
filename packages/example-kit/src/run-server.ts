import type { ExampleApp, ExampleAppOptions } from './example-server.js';
import { stderrLogger } from './stderr-logger.js';

/**
 * The body of every example's `server.ts` (`pnpm --filter example-… start`): settings from the environment,
 * the URLs printed, a clean stop on SIGINT/SIGTERM. `describe` adds to the app's line (e.g. the Nest platform).
 */
export async function runExampleServer<App extends ExampleApp>(
  create: (options: ExampleAppOptions) => Promise<App>,
  describe: (app: App) => string = () => '',
): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const env = { ...process.env };
  const port = Number(env.PORT ?? 3000);
  // Browsers reach a local app as localhost; the provider must send them back to that same origin,
  // where their session cookie lives.
  if (!env.APP_BASE_URL && port > 0 && (env.HOST ?? '127.0.0.1') === '127.0.0.1') {
    env.APP_BASE_URL = `http://localhost:${port}`;
  }
  let app: App;
  try {
    app = await create({ env, logger: stderrLogger(env.LOG_LEVEL) });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (app.simulator) say(`eID simulator: ${app.simulator.url}`);
  say(`Example app: ${app.url}${describe(app)}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
