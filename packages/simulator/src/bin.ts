#!/usr/bin/env node
// eid-simulator: runs the simulator on SIMULATOR_PORT (default 3001) until SIGINT or SIGTERM.
// A command-line program: it prints to stdout/stderr directly (test users' numbers are synthetic).
import { startSimulator } from './index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 3001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    complain(`SIMULATOR_PORT must be a port number, got "${value}".`);
    process.exit(2);
  }
  return port;
}

const port = portFromEnv(process.env.SIMULATOR_PORT);
const host = process.env.SIMULATOR_HOST || '127.0.0.1';

startSimulator({ port, host }).then(
  (simulator) => {
    const { signicat, zignsec, next, bankIdNo, idporten } = simulator;
    say(`eID simulator listening on ${simulator.url}`);
    say(`  Signicat      base URL ${signicat.baseUrl}`);
    say(
      `                client ${signicat.clientId} / ${signicat.clientSecret}, account ${signicat.accountId}`,
    );
    say(`  ZignSec       base URL ${zignsec.baseUrl}, token ${zignsec.token}`);
    say(`  NEXT          base URL ${next.baseUrl}`);
    say(`                user ${next.username} / ${next.password}, partner ${next.partnerId}`);
    say(`  BankID Norway issuer ${bankIdNo.issuer}, client ${bankIdNo.clientId} / ${bankIdNo.clientSecret}`);
    say(`  ID-porten     issuer ${idporten.issuer}, client ${idporten.clientId} / ${idporten.clientSecret}`);
    say(`  control       ${simulator.url}/__sim/sessions, /__sim/users, /__sim/faults`);
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      say(`${signal}: stopping the simulator`);
      simulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    complain(`The simulator could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
