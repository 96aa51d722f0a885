#!/usr/bin/env node
// eid-simulator: runs the simulator on SIMULATOR_PORT (default 3001) and SIMULATOR_HOST (default 127.0.0.1)
// until SIGINT or SIGTERM. Its stdout is the app's settings as NAME=value lines (`eid-simulator > .env`), after
// a comment with the bound URL; everything meant for a person goes to stderr.
// A command-line program: it prints to stdout/stderr directly (the credentials are the simulator's own).
import { configLines } from './config.js';
import { startSimulator } from './index.js';
import type { SimulatorOptions } from './types.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

const env = process.env;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  complain(`Usage: eid-simulator > .env

Starts the eID simulator and prints, as NAME=value lines on stdout, the settings an app needs to use it
(the variable names the example apps read). GET /__sim/config serves the same; GET /__sim/stats counts
the provider API calls.

Environment:
  SIMULATOR_PORT (default 3001, 0 for any free port), SIMULATOR_HOST (default 127.0.0.1)
  SIMULATOR_FAULT_SEED                      seed for faults with a rate (deterministic draws)
  SIGNICAT_CLIENT_ID, SIGNICAT_CLIENT_SECRET, SIGNICAT_ACCOUNT_ID
  NEXT_USERNAME, NEXT_PASSWORD, NEXT_PARTNER_ID
  ZIGNSEC_TOKEN, ZIGNSEC_WEBHOOK_SECRET
  BANKID_NO_CLIENT_ID, BANKID_NO_CLIENT_SECRET, IDPORTEN_CLIENT_ID, IDPORTEN_CLIENT_SECRET
                                            the credentials the simulator accepts (defaults: its own)`);
  process.exit(0);
}

function fail(message: string): never {
  complain(message);
  process.exit(2);
}

function variable(name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function portFromEnv(value: string | undefined): number {
  if (value === undefined) return 3001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`SIMULATOR_PORT must be a port number, got "${value}".`);
  }
  return port;
}

function seedFromEnv(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seed = Number(value);
  if (!Number.isInteger(seed)) fail(`SIMULATOR_FAULT_SEED must be an integer, got "${value}".`);
  return seed;
}

/** The fields whose variable is set, others left to the simulator's defaults. */
function fields<K extends string>(names: Record<K, string>): Partial<Record<K, string>> | undefined {
  const entries = Object.entries<string>(names).flatMap(([key, name]) => {
    const value = variable(name);
    return value === undefined ? [] : [[key, value] as const];
  });
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Partial<Record<K, string>>);
}

function optionsFromEnv(): SimulatorOptions {
  const faultSeed = seedFromEnv(variable('SIMULATOR_FAULT_SEED'));
  const given = {
    signicat: fields({
      clientId: 'SIGNICAT_CLIENT_ID',
      clientSecret: 'SIGNICAT_CLIENT_SECRET',
      accountId: 'SIGNICAT_ACCOUNT_ID',
    }),
    next: fields({ username: 'NEXT_USERNAME', password: 'NEXT_PASSWORD', partnerId: 'NEXT_PARTNER_ID' }),
    zignsec: fields({ token: 'ZIGNSEC_TOKEN', webhookSecret: 'ZIGNSEC_WEBHOOK_SECRET' }),
    bankIdNo: fields({ clientId: 'BANKID_NO_CLIENT_ID', clientSecret: 'BANKID_NO_CLIENT_SECRET' }),
    idporten: fields({ clientId: 'IDPORTEN_CLIENT_ID', clientSecret: 'IDPORTEN_CLIENT_SECRET' }),
  };
  return {
    port: portFromEnv(variable('SIMULATOR_PORT')),
    host: variable('SIMULATOR_HOST') ?? '127.0.0.1',
    ...(faultSeed === undefined ? {} : { faultSeed }),
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  };
}

let options: SimulatorOptions;
try {
  options = optionsFromEnv();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

startSimulator(options).then(
  (simulator) => {
    // The signal handlers first: whoever reads the settings below may stop the simulator at once.
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      complain(`${signal}: stopping the simulator`);
      simulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    say(`# eID simulator listening on ${simulator.url}`);
    for (const line of configLines(simulator.config())) say(line);
    complain(`eID simulator listening on ${simulator.url}`);
    complain(`  settings      ${simulator.url}/__sim/config (the NAME=value lines on stdout)`);
    complain(`  control       ${simulator.url}/__sim/sessions, /__sim/users, /__sim/faults, /__sim/stats`);
  },
  (error: unknown) => {
    complain(`The simulator could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
