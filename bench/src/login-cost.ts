/**
 * (2) Login cost against the peers: the same OpenID Connect login (authorization code + PKCE, the ID token
 * checked, the person kept in an express-session) through @eid/express with the ID-porten provider,
 * express-openid-connect, and a hand-written openid-client RP (with and without the ID token's signature checked),
 * all against the simulator's ID-porten (oidc-provider) in this process. Each RP runs in a child process whose own CPU
 * time per login is measured; rounds rotate the order; ratios are taken within a round.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ACCEPT_HTML, Browserless, loginAtSimulatedOp } from '@eid/conformance/drivers';
import { type Simulator, startSimulator } from '@eid/simulator';
import { LOGIN_KINDS, type LoginKind, type LoginServerReady } from './kinds.js';
import { type Summary, summarize } from './stats.js';

export interface LoginCostOptions {
  rounds: number;
  /** Logins per kind per round, one after another. */
  sequential: number;
  /** Logins per kind per round at concurrency 10. */
  concurrent: number;
}

export interface LoginCostFigure {
  kind: LoginKind;
  mode: 'sequential' | 'concurrency 10';
  /** CPU µs per login in the RP's process, median over rounds. */
  cpuPerLogin: number;
  /** CPU per login over express-openid-connect's, and over the signature-checking openid-client RP's. */
  vsEoc: Summary;
  vsOpenIdClientVerified: Summary;
  p50Ms: number;
  p99Ms: number;
  /** Requests the RP made to the OP per login (discovery and keys count once per process). */
  opRequestsPerLogin: number;
  /** Requests the browser made to the RP per login (start and callback; the check after it not counted). */
  rpRequestsPerLogin: number;
}

interface Child {
  ready: LoginServerReady;
  cpu(): Promise<{ cpu: number; requests: number }>;
  stop(): void;
}

async function startChild(kind: LoginKind, simulator: Simulator): Promise<Child> {
  const script = fileURLToPath(new URL('./login-server.js', import.meta.url));
  const child = fork(script, [kind], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_OP: JSON.stringify(simulator.idporten) },
  });
  const ready = await new Promise<LoginServerReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`login-server ${kind} exited with ${code}`)));
    child.on('message', (message: { ready?: LoginServerReady }) => {
      if (message.ready) resolve(message.ready);
    });
  });
  child.removeAllListeners('exit');
  return {
    ready,
    cpu: () =>
      new Promise<{ cpu: number; requests: number }>((resolve) => {
        const listener = (message: { cpu?: number; requests?: number }) => {
          if (message.cpu === undefined) return;
          child.off('message', listener);
          resolve({ cpu: message.cpu, requests: message.requests ?? 0 });
        };
        child.on('message', listener);
        child.send({ cpu: true });
      }),
    stop: () => child.kill(),
  };
}

/** One login as a browser makes it, then one request that shows the login stands; its time. */
async function logIn(ready: LoginServerReady): Promise<{ ms: number }> {
  const browser = new Browserless();
  const started = performance.now();
  const { callbackUrl } = await loginAtSimulatedOp(
    browser,
    `${ready.origin}${ready.loginPath}`,
    ready.callbackPrefix,
  );
  const back = await browser.get(callbackUrl, ACCEPT_HTML);
  if (back.status !== 302 && back.status !== 303)
    throw new Error(`${ready.kind}: the callback answered ${back.status}`);
  await back.arrayBuffer();
  const check = await browser.get(`${ready.origin}${ready.checkPath}`, { accept: 'application/json' });
  if (check.status !== 200)
    throw new Error(`${ready.kind}: not logged in after the callback (${check.status})`);
  await check.arrayBuffer();
  return { ms: performance.now() - started };
}

async function logins(ready: LoginServerReady, count: number, concurrency: number) {
  const results: { ms: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        results.push(await logIn(ready));
      }
    }),
  );
  return results;
}

/** The OP's endpoints the RP calls (everything but the browser's pages). */
function rpCallsAtOp(simulator: Simulator): number {
  const stats = simulator.stats().idporten ?? {};
  return Object.entries(stats)
    .filter(([endpoint]) => !/\/(auth|interaction)(\/|$)/.test(endpoint))
    .reduce((sum, [, count]) => sum + count, 0);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function measureLoginCost(options: LoginCostOptions): Promise<LoginCostFigure[]> {
  const simulator = await startSimulator();
  const children = new Map<LoginKind, Child>();
  try {
    for (const kind of LOGIN_KINDS) children.set(kind, await startChild(kind, simulator));
    const figures: LoginCostFigure[] = [];
    for (const [mode, count, concurrency] of [
      ['sequential', options.sequential, 1],
      ['concurrency 10', options.concurrent, 10],
    ] as const) {
      const cpu = new Map<LoginKind, number[]>(LOGIN_KINDS.map((kind) => [kind, []]));
      const times = new Map<LoginKind, number[]>(LOGIN_KINDS.map((kind) => [kind, []]));
      const opCalls = new Map<LoginKind, number>(LOGIN_KINDS.map((kind) => [kind, 0]));
      const rpRequests = new Map<LoginKind, number>(LOGIN_KINDS.map((kind) => [kind, 0]));
      // Warm-up: discovery, keys, JIT.
      for (const child of children.values()) await logins(child.ready, 5, 1);
      for (let round = 0; round < options.rounds; round++) {
        const order = LOGIN_KINDS.map((_, i) => LOGIN_KINDS[(i + round) % LOGIN_KINDS.length]!);
        for (const kind of order) {
          const child = children.get(kind)!;
          const calls = rpCallsAtOp(simulator);
          const before = await child.cpu();
          const results = await logins(child.ready, count, concurrency);
          const after = await child.cpu();
          cpu.get(kind)!.push((after.cpu - before.cpu) / count);
          times.get(kind)!.push(...results.map((result) => result.ms));
          opCalls.set(kind, opCalls.get(kind)! + rpCallsAtOp(simulator) - calls);
          // Less the one request per login that checks it stands.
          rpRequests.set(kind, rpRequests.get(kind)! + after.requests - before.requests - count);
        }
      }
      const ratios = (kind: LoginKind, peer: LoginKind) =>
        summarize(cpu.get(kind)!.map((value, round) => value / cpu.get(peer)![round]!));
      const total = options.rounds * count;
      for (const kind of LOGIN_KINDS) {
        figures.push({
          kind,
          mode,
          cpuPerLogin: summarize(cpu.get(kind)!).median,
          vsEoc: ratios(kind, 'express-openid-connect'),
          vsOpenIdClientVerified: ratios(kind, 'openid-client-verified'),
          p50Ms: percentile(times.get(kind)!, 50),
          p99Ms: percentile(times.get(kind)!, 99),
          opRequestsPerLogin: opCalls.get(kind)! / total,
          rpRequestsPerLogin: rpRequests.get(kind)! / total,
        });
      }
    }
    return figures;
  } finally {
    for (const child of children.values()) child.stop();
    await simulator.close();
  }
}
