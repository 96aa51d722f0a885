#!/usr/bin/env node
// eid-simulator: runs the simulator on SIMULATOR_PORT (default 3001) until SIGINT or SIGTERM.
import { startSimulator } from './index.js';

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 3001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`SIMULATOR_PORT must be a port number, got "${value}".`);
    process.exit(2);
  }
  return port;
}

const port = portFromEnv(process.env.SIMULATOR_PORT);
const host = process.env.SIMULATOR_HOST || '127.0.0.1';

startSimulator({ port, host }).then(
  (simulator) => {
    const { clientId, clientSecret, accountId, baseUrl } = simulator.signicat;
    console.log(`eID simulator listening on ${simulator.url}`);
    console.log(`  Signicat base URL:   ${baseUrl}`);
    console.log(`  client id / secret:  ${clientId} / ${clientSecret}`);
    console.log(`  account id:          ${accountId}`);
    console.log(`  control surface:     ${simulator.url}/__sim/sessions, /__sim/users, /__sim/faults`);
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping the simulator`);
      simulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    console.error('The simulator could not start:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
