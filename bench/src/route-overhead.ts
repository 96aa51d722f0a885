/**
 * (1) Route overhead per adapter: `GET {prefix}/session` of a logged-in browser and `GET {prefix}/status/:id` of a
 * pending headless login, against a bare route of the same app that reads the same session, under autocannon.
 * The app runs in a child process (`route-server.ts`) whose own CPU time is read before and after each run, so the
 * load generator's work is not counted. Rounds alternate the order of the routes; ratios are taken within a round.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { RouteKind, RouteServerReady } from './kinds.js';
import { type Summary, summarize } from './stats.js';

export interface RouteOptions {
  rounds: number;
  seconds: number;
  connections: number;
}

export interface RouteComparison {
  kind: RouteKind;
  /**
   * `session`, `status` (against the bare route's 401), `status vs same answer` (against a bare route answering the
   * status route's own bytes), or `A/A` (the bare route against itself: the noise floor).
   */
  route: string;
  /** req/s of the route over req/s of the bare one. */
  throughput: Summary;
  /** CPU per request of the route over that of the bare one. */
  cpu: Summary;
  /** Bare route req/s, median. */
  bareRps: number;
  /** Any answer that was not the expected status (must be 0). */
  unexpected: number;
}

interface Child {
  ready: RouteServerReady;
  cpu(): Promise<number>;
  stop(): void;
}

async function startChild(kind: RouteKind): Promise<Child> {
  const script = fileURLToPath(new URL('./route-server.js', import.meta.url));
  const child = fork(script, [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<RouteServerReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`route-server ${kind} exited with ${code}`)));
    child.on('message', (message: { ready?: RouteServerReady }) => {
      if (message.ready) resolve(message.ready);
    });
  });
  child.removeAllListeners('exit');
  return {
    ready,
    cpu: () =>
      new Promise<number>((resolve) => {
        const listener = (message: { cpu?: number }) => {
          if (message.cpu === undefined) return;
          child.off('message', listener);
          resolve(message.cpu);
        };
        child.on('message', listener);
        child.send({ cpu: true });
      }),
    stop: () => child.kill(),
  };
}

interface Target {
  path: string;
  cookie: string;
  status: number;
}

/** One autocannon run: requests per second and the child's CPU µs per request. */
async function run(child: Child, target: Target, options: RouteOptions) {
  const before = await child.cpu();
  const result = await autocannon({
    url: `${child.ready.origin}${target.path}`,
    connections: options.connections,
    duration: options.seconds,
    headers: { cookie: target.cookie, accept: 'application/json' },
  });
  const after = await child.cpu();
  const total = result.requests.total;
  const expected = target.status === 200 ? result['2xx'] : result['4xx'];
  return {
    rps: total / options.seconds,
    cpuPerRequest: (after - before) / total,
    unexpected: total - expected,
  };
}

async function compare(child: Child, route: string, a: Target, b: Target, options: RouteOptions) {
  const throughput: number[] = [];
  const cpu: number[] = [];
  const bare: number[] = [];
  let unexpected = 0;
  // Warm-up: JIT and session store.
  await run(child, a, { ...options, seconds: 1 });
  await run(child, b, { ...options, seconds: 1 });
  for (let round = 0; round < options.rounds; round++) {
    // ABBA order: the route under test first in even rounds, second in odd ones.
    let route: Awaited<ReturnType<typeof run>>;
    let base: Awaited<ReturnType<typeof run>>;
    if (round % 2 === 0) {
      route = await run(child, a, options);
      base = await run(child, b, options);
    } else {
      base = await run(child, b, options);
      route = await run(child, a, options);
    }
    throughput.push(route.rps / base.rps);
    cpu.push(route.cpuPerRequest / base.cpuPerRequest);
    bare.push(base.rps);
    unexpected += route.unexpected + base.unexpected;
  }
  return {
    kind: child.ready.kind,
    route,
    throughput: summarize(throughput),
    cpu: summarize(cpu),
    bareRps: summarize(bare).median,
    unexpected,
  };
}

export async function measureRouteOverhead(
  kind: RouteKind,
  options: RouteOptions,
): Promise<RouteComparison[]> {
  const child = await startChild(kind);
  try {
    const { loggedIn, pending } = child.ready;
    const bareLoggedIn = { path: '/bare', cookie: loggedIn, status: 200 };
    const statusRoute = {
      path: `/auth/eid/status/${pending.transactionId}`,
      cookie: pending.cookie,
      status: 200,
    };
    return [
      await compare(child, 'A/A', bareLoggedIn, bareLoggedIn, options),
      await compare(
        child,
        'session',
        { path: '/auth/eid/session', cookie: loggedIn, status: 200 },
        bareLoggedIn,
        options,
      ),
      await compare(
        child,
        'status',
        statusRoute,
        { path: '/bare', cookie: pending.cookie, status: 401 },
        options,
      ),
      await compare(
        child,
        'status vs same answer',
        statusRoute,
        { path: '/bare-status', cookie: pending.cookie, status: 200 },
        options,
      ),
    ];
  } finally {
    child.stop();
  }
}
