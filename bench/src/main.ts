/**
 * `pnpm bench`: every figure measured side by side in one run and written to bench/RESULTS.md with the machine,
 * Node and package versions. BENCH_ROUNDS (default 5), BENCH_SECONDS per autocannon run (default 2) and
 * BENCH_CONNECTIONS (default 10) size the route benchmark; BENCH_LOGINS (default 100 one after another, twice that at
 * concurrency 10, per RP and round) the login one; BENCH_ONLY (routes,logins,upstream,memory) picks parts; BENCH_PENDING (default 10000,100000) the memory one.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { ROUTE_KINDS } from './kinds.js';
import { measureLoginCost } from './login-cost.js';
import { measurePendingMemory } from './memory.js';
import { measureRouteOverhead, type RouteComparison } from './route-overhead.js';
import { ratio, table } from './stats.js';
import { measurePollingTabs, measureUpstreamCalls, PROTOCOL_MINIMUM } from './upstream.js';

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number.`);
  return value;
};
const rounds = env('BENCH_ROUNDS', 5);
const seconds = env('BENCH_SECONDS', 2);
const connections = env('BENCH_CONNECTIONS', 10);
const pendingCounts = (process.env.BENCH_PENDING ?? '10000,100000').split(',').map(Number);
/** BENCH_ONLY=routes,logins,upstream,memory runs only those parts (default: all). */
const parts = new Set((process.env.BENCH_ONLY ?? 'routes,logins,upstream,memory').split(','));

const say = (line: string) => process.stderr.write(`${line}\n`);
const require = createRequire(import.meta.url);
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
/** The version of `name` that `parent` loads: Nest's platforms pin their own express and fastify. */
const versionIn = (parent: string, name: string) =>
  (createRequire(require.resolve(`${parent}/package.json`))(`${name}/package.json`) as { version: string })
    .version;

const sections: string[] = [];
const heading = [
  '# Benchmarks',
  '',
  `\`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version};`,
  `express ${version('express')}, express-session ${version('express-session')}, passport ${version('passport')}, fastify ${version('fastify')},`,
  `@fastify/session ${version('@fastify/session')}, @fastify/secure-session ${version('@fastify/secure-session')}, @nestjs/core ${version('@nestjs/core')},`,
  `@nestjs/platform-express ${version('@nestjs/platform-express')} (express ${versionIn('@nestjs/platform-express', 'express')}), @nestjs/platform-fastify ${version('@nestjs/platform-fastify')} (fastify ${versionIn('@nestjs/platform-fastify', 'fastify')}), autocannon ${version('autocannon')}.`,
  `Route runs: ${rounds} rounds in alternating order, ${seconds} s each, ${connections} connections; ratios taken within a round, median [min-max].`,
].join('\n');

if (parts.has('routes')) {
  say(`route overhead: ${ROUTE_KINDS.join(', ')}`);
  const routes: RouteComparison[] = [];
  for (const kind of ROUTE_KINDS) {
    say(`  ${kind}`);
    routes.push(...(await measureRouteOverhead(kind, { rounds, seconds, connections })));
  }
  sections.push(
    [
      '## 1. Route overhead per adapter',
      '',
      'Each route against a bare route of the same app that reads the same session (express-session or the Fastify',
      'session plugin, one logged-in browser; in the Nest apps a route of a Nest controller, beside `EidModule`); `A/A`',
      'is the bare route against itself, the noise floor. `status` polls a pending headless login (answered from the',
      'store within the poll interval; the broker is asked once a second) and is compared with the bare route under',
      "that browser's session (which holds no login): a 401 of 69 bytes against the status route's 200 of about 220.",
      '`status vs same answer` compares it with a bare route that reads the same session and answers those same bytes',
      "(200, `no-store`): what the route's own work costs, apart from the size of its answer. CPU is the app process's",
      'own.',
      '',
      table(
        ['adapter', 'route', 'req/s vs bare', 'CPU per request vs bare', 'bare req/s', 'unexpected answers'],
        routes.map((row) => [
          row.kind,
          row.route,
          ratio(row.throughput),
          ratio(row.cpu),
          row.bareRps.toFixed(0),
          String(row.unexpected),
        ]),
      ),
    ].join('\n'),
  );
}

if (parts.has('logins')) {
  say('login cost against express-openid-connect and openid-client');
  const logins = await measureLoginCost({
    rounds,
    sequential: env('BENCH_LOGINS', 100),
    concurrent: env('BENCH_LOGINS', 100) * 2,
  });
  sections.push(
    [
      '## 2. Login cost against the peers',
      '',
      'The same login (authorization code + PKCE, the ID token checked, the person in an express-session MemoryStore)',
      "against the simulator's ID-porten (oidc-provider): @eid/express with the ID-porten provider, express-openid-connect,",
      "and a hand-written openid-client v6 RP without and with the ID token signature checked. CPU is the RP process's",
      'own per login; ratios within a round. p50/p99 of the whole login as the browser saw it (the OP shares the machine).',
      '',
      table(
        [
          'mode',
          'RP',
          'CPU µs per login',
          'vs express-openid-connect',
          'vs openid-client (signature checked)',
          'p50 ms',
          'p99 ms',
          'OP requests per login',
          'RP requests per login',
        ],
        logins.map((row) => [
          row.mode,
          row.kind,
          row.cpuPerLogin.toFixed(0),
          ratio(row.vsEoc),
          ratio(row.vsOpenIdClientVerified),
          row.p50Ms.toFixed(1),
          row.p99Ms.toFixed(1),
          row.opRequestsPerLogin.toFixed(2),
          row.rpRequestsPerLogin.toFixed(2),
        ]),
      ),
    ].join('\n'),
  );
}

if (parts.has('upstream')) {
  say('upstream calls per login');
  const upstream = await measureUpstreamCalls(200);
  const tabs = await measurePollingTabs(50, 5);
  sections.push(
    [
      '## 3. Upstream calls per login',
      '',
      'Every login method of the Express example app in turn, 200 people, 4 at a time, on a quiet simulator; calls the',
      "app made to the broker (the simulator's counters less the browsers' own page requests).",
      '',
      table(
        ['provider', 'logins', 'completed', 'calls per login', 'protocol minimum', 'what the minimum is'],
        upstream.map((row) => [
          row.provider,
          String(row.logins),
          String(row.completed),
          row.callsPerLogin.toFixed(2),
          row.minimum.toFixed(2),
          PROTOCOL_MINIMUM[row.provider]?.what ?? '',
        ]),
      ),
      '',
      `${tabs.tabs} tabs polling one pending headless login every 100 ms for ${tabs.seconds} s: ${tabs.polls} polls, ${tabs.brokerReads} reads at the broker (at most one per second: ${tabs.seconds + 1}).`,
    ].join('\n'),
  );
}

if (parts.has('memory')) {
  say('memory per pending transaction');
  const memory = [];
  for (const pending of pendingCounts) memory.push(await measurePendingMemory(pending));
  sections.push(
    [
      '## 4. Memory per pending login (MemoryStore)',
      '',
      'Logins started through the start route (a Signicat-shaped answer, no network), heap after a full GC.',
      '',
      table(
        ['pending logins', 'bytes per login'],
        memory.map((row) => [row.pending.toLocaleString('en'), String(row.bytesPerTransaction)]),
      ),
    ].join('\n'),
  );
}

const text = `${heading}\n\n${sections.join('\n\n')}\n`;
process.stdout.write(text);
writeFileSync(new URL('../RESULTS.md', import.meta.url), text);
say('written to bench/RESULTS.md');
process.exit(0);
