#!/usr/bin/env node
// pnpm loadtest: N people log in through an example app while the simulator adds latency and faults; prints a
// table per run. Without --processes/--redis it runs both set-ups the docs report: one process on MemoryStore and
// two processes on Redis. Exits 1 when a login was lost or crossed.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport } from './load/report.js';
import { type LoadOptions, runLoad } from './load/run.js';

const USAGE = `Usage: pnpm loadtest [options]

  --app express|fastify|nestjs|passport   the example app (default express)
  --users N                               people logging in (default 1000)
  --concurrency N                         logging in at the same moment (default 250)
  --processes N                           app processes behind a round-robin proxy
  --redis [URL]                           transactions and sessions in Redis (default redis://127.0.0.1:6379/9)
  --latency MS                            latency of every broker call and page (default 200)
  --fault-rate R                          share of broker calls failing with 503 (default 0.02)
  --seed N                                seed of the fault draws (default 1)
  --connections N                         EID_HTTP_CONNECTIONS of the app (default: the engine's)

Without --processes and --redis: one process on MemoryStore, then two processes on Redis.`;

const { values } = parseArgs({
  options: {
    app: { type: 'string', default: 'express' },
    users: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '250' },
    processes: { type: 'string' },
    redis: { type: 'string' },
    latency: { type: 'string', default: '200' },
    'fault-rate': { type: 'string', default: '0.02' },
    seed: { type: 'string', default: '1' },
    connections: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  // `--redis` alone means the default URL: parseArgs needs a value, so it is filled in below.
  args: process.argv
    .slice(2)
    .flatMap((arg, index, all) =>
      arg === '--redis' && (all[index + 1] === undefined || all[index + 1]!.startsWith('--'))
        ? [arg, 'default']
        : [arg],
    ),
});

if (values.help) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(0);
}

function number(name: string, raw: string | undefined, whole = true): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
    process.stderr.write(`--${name} must be a ${whole ? 'whole ' : ''}number, got "${raw}".\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const app = values.app!;
const server = join(root, 'apps', `example-${app}`, 'dist', 'server.js');
if (!existsSync(server)) {
  process.stderr.write(`No built example app at ${server}: run pnpm build first, or pick --app.\n`);
  process.exit(2);
}
const redisUrl = values.redis === 'default' ? 'redis://127.0.0.1:6379/9' : values.redis;
const connections = number('connections', values.connections);
const base: Omit<LoadOptions, 'processes'> = {
  server,
  name: `example-${app}`,
  users: number('users', values.users)!,
  concurrency: number('concurrency', values.concurrency)!,
  latencyMs: number('latency', values.latency)!,
  faultRate: number('fault-rate', values['fault-rate'], false)!,
  faultSeed: number('seed', values.seed)!,
  env: {
    ...(connections === undefined ? {} : { EID_HTTP_CONNECTIONS: String(connections) }),
    ...(app === 'nestjs' ? { NEST_PLATFORM: process.env.NEST_PLATFORM ?? 'express' } : {}),
  },
  progress: (line) => process.stderr.write(`  ${line}\n`),
};
const processes = number('processes', values.processes);
const runs: LoadOptions[] =
  processes === undefined && redisUrl === undefined
    ? [
        { ...base, processes: 1 },
        { ...base, processes: 2, redisUrl: 'redis://127.0.0.1:6379/9' },
      ]
    : [{ ...base, processes: processes ?? 1, ...(redisUrl ? { redisUrl } : {}) }];

let broken = false;
process.stdout.write(
  `# eID load test (Node ${process.version}, ${(await import('node:os')).cpus().length} cores)\n\n`,
);
for (const run of runs) {
  process.stderr.write(
    `${run.name}: ${run.processes} process(es) on ${run.redisUrl ? 'Redis' : 'MemoryStore'}\n`,
  );
  const report = await runLoad(run);
  process.stdout.write(`${formatReport(report)}\n\n`);
  if (report.outcomes.lost > 0 || report.outcomes.crossed > 0) broken = true;
}
process.exit(broken ? 1 : 0);
