import { randomBytes } from 'node:crypto';
import { endpointOf } from '@eid/simulator';
import { Redis } from 'ioredis';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from '../browserless.js';
import {
  type AppProcess,
  ChildProcesses,
  residentBytes,
  startAppProcess,
  startSimulatorProcess,
} from '../processes.js';
import { parseSimulatorForm } from '../simulator-page.js';
import { freePort } from '../test-client.js';
import { startRoundRobinProxy } from './proxy.js';

/** What `runLoad` does. */
export interface LoadOptions {
  /** The example app's built server script (`apps/example-express/dist/server.js`). */
  server: string;
  /** What the report calls the app, e.g. `example-express`. */
  name: string;
  /** Simulated people, each in a browser of their own. Default 1,000. */
  users?: number;
  /** People logging in at the same moment. Default 250. */
  concurrency?: number;
  /** App processes: 1 (reached directly) or more (behind a round-robin proxy, each request to the next). */
  processes?: number;
  /** Transactions and sessions in this Redis (`redis://host:port/db`); without it each process keeps its own. */
  redisUrl?: string;
  /** Latency the simulator adds to every provider call and page, ms. Default 200. */
  latencyMs?: number;
  /** Share of provider calls and pages the simulator fails with 503. Default 0.02. */
  faultRate?: number;
  /** Seed of the simulator's fault draws. Default 1. */
  faultSeed?: number;
  /** The longest a login may take before it counts as lost, ms. Default 60,000. */
  loginDeadlineMs?: number;
  /** More environment for the app processes (`EID_HTTP_CONNECTIONS`, `NEST_PLATFORM`). */
  env?: Record<string, string>;
  /** Progress lines for a person watching. */
  progress?: (line: string) => void;
}

/** How one simulated person's login ended. */
export type LoginOutcome =
  /** Logged in, as the person they are, in their own browser. */
  | { kind: 'completed' }
  /** A clean error of the HTTP contract (docs/http-contract.md §6): the person is told what happened. */
  | { kind: 'failed'; code: string }
  /** The broker's own page failed three times in a row: the person gave up there; nothing of the app's. */
  | { kind: 'abandoned' }
  /** Neither a login nor a contract error: a 5xx without one, a hang, a login the app forgot. Must not happen. */
  | { kind: 'lost'; why: string }
  /** Logged in as someone else, or with another browser's login. Must never happen. */
  | { kind: 'crossed'; why: string };

export interface RouteTimes {
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadReport {
  name: string;
  processes: number;
  store: 'MemoryStore' | 'Redis';
  users: number;
  concurrency: number;
  latencyMs: number;
  faultRate: number;
  seconds: number;
  outcomes: { completed: number; failed: number; abandoned: number; lost: number; crossed: number };
  failedByCode: Record<string, number>;
  /** The first few lost or crossed logins, with why. */
  problems: string[];
  /** Per provider: logins tried, completed, and calls the app made to the broker per login tried. */
  providers: Record<string, { logins: number; completed: number; brokerCallsPerLogin: number }>;
  routes: Record<string, RouteTimes>;
  /** Resident memory of each app process at the start and the end, bytes. */
  memory: Array<{ process: string; before?: number; after?: number }>;
}

interface ListedMethod {
  provider: string;
  method: string;
  flow: 'redirect' | 'headless';
  country: string;
  purpose?: string;
  requiresNin?: boolean;
}

interface TestUser {
  id: string;
  name: string;
  country: string;
  nin?: string;
}

/**
 * Contract errors a person who starts one login and finishes it in the same browser never meets unless the app
 * lost track of it (forgot it, finished it twice, took the browser for another): lost logins here.
 */
const LOST_CODES = new Set(['transaction_not_found', 'internal_error', 'already_used', 'browser_mismatch']);
const PREFIX = '/auth/eid';

/**
 * N people log in through an example app at once (each with their own cookie jar, through every login method
 * the app lists, in turn), while the simulator adds latency and fails a share of calls. Each login ends as
 * completed, failed with a contract error, abandoned at the broker's page, lost or crossed; lost and crossed must
 * be zero. Starts and stops its own simulator and app processes.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const users = options.users ?? 1_000;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 250, users));
  const processCount = Math.max(1, options.processes ?? 1);
  const latencyMs = options.latencyMs ?? 200;
  const faultRate = options.faultRate ?? 0.02;
  const deadlineMs = options.loginDeadlineMs ?? 60_000;
  const say = options.progress ?? (() => {});
  const children = new ChildProcesses();
  const proxy = processCount > 1 ? await startRoundRobinProxy() : undefined;
  const redisPrefix = `eid-loadtest-${randomBytes(4).toString('hex')}:`;
  try {
    const simulator = await startSimulatorProcess(children, {
      SIMULATOR_FAULT_SEED: String(options.faultSeed ?? 1),
    });
    const env: Record<string, string> = {
      ...simulator.env,
      LOG_LEVEL: 'error',
      TRUST_PROXY: '1',
      ...(proxy ? { APP_BASE_URL: proxy.url } : {}),
      ...(options.redisUrl
        ? {
            REDIS_URL: options.redisUrl,
            REDIS_PREFIX: redisPrefix,
            SESSION_SECRET: randomBytes(32).toString('hex'),
          }
        : {}),
      ...options.env,
    };
    // Behind the proxy an app says the proxy's address (APP_BASE_URL): each listens on a port chosen here.
    const ports = proxy ? await Promise.all(Array.from({ length: processCount }, () => freePort())) : [0];
    const apps: AppProcess[] = await Promise.all(
      ports.map((port) => startAppProcess(children, options.server, { ...env, PORT: String(port) })),
    );
    proxy?.setBackends(ports.map((port) => `http://127.0.0.1:${port}`));
    const baseUrl = proxy?.url ?? apps[0]!.url;
    const memoryBefore = await Promise.all(apps.map((app) => residentBytes(app.child.pid)));

    const methods = (
      (await (await fetch(`${baseUrl}${PREFIX}/methods`, { headers: ACCEPT_JSON })).json()) as ListedMethod[]
    ).filter((listed) => (listed.purpose ?? 'login') === 'login');
    const testUsers = (await (await fetch(`${simulator.url}/__sim/users`)).json()) as TestUser[];
    const control = (path: string, init?: RequestInit) => fetch(`${simulator.url}/__sim${path}`, init);
    await control('/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ latencyMs, status: 503, rate: faultRate }, { latencyMs }]),
    });
    await control('/stats', { method: 'DELETE' });
    say(`${users} logins through ${methods.length} methods, ${concurrency} at a time, on ${baseUrl}`);

    const times = new Map<string, number[]>();
    const timed = async (route: string, request: Promise<Response>): Promise<Response> => {
      const started = performance.now();
      const response = await request;
      const list = times.get(route) ?? [];
      times.set(route, list);
      list.push(performance.now() - started);
      return response;
    };
    // What each provider's browsers asked of the simulator, by the endpoint its stats count under: the stats count
    // the OpenID Providers' pages too (their mounts are catch-alls), and the app's calls are the rest.
    const perProvider = new Map<
      string,
      { logins: number; completed: number; browserCalls: Map<string, number> }
    >();
    const outcomes: LoginOutcome[] = [];

    const login = async (index: number): Promise<LoginOutcome> => {
      const listed = methods[index % methods.length]!;
      const ofCountry = testUsers.filter((user) => user.country === listed.country && user.nin);
      const people = ofCountry.length > 0 ? ofCountry : testUsers;
      const person = people[Math.floor(index / methods.length) % people.length]!;
      const tally = perProvider.get(listed.provider) ?? { logins: 0, completed: 0, browserCalls: new Map() };
      perProvider.set(listed.provider, tally);
      tally.logins++;
      // Each person from an address of their own, as the load balancer in front saw it (the app trusts one proxy).
      const address = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
      const browser = new Browserless({ headers: { 'x-forwarded-for': address } });
      const route = (path: string) => `${baseUrl}${PREFIX}${path}`;
      /** A page of the broker: a person reloads it up to twice when it fails. */
      const brokerPage = async (
        method: 'GET' | 'POST',
        url: string,
        send: () => Promise<Response>,
      ): Promise<Response | undefined> => {
        const endpoint = endpointOf(method, '*', new URL(url).pathname);
        for (let attempt = 0; attempt < 3; attempt++) {
          tally.browserCalls.set(endpoint, (tally.browserCalls.get(endpoint) ?? 0) + 1);
          const response = await timed('broker page', send());
          if (response.status < 500) return response;
          await response.arrayBuffer();
        }
        return undefined;
      };

      const started = await timed(
        'start',
        browser.post(route(`/start/${listed.provider}/${listed.method}`), {
          json: { returnTo: '/profile', ...(listed.requiresNin ? { nin: person.nin } : {}) },
          headers: ACCEPT_JSON,
        }),
      );
      const start = await contractAnswer(started);
      if ('outcome' in start) return start.outcome;
      const transactionId = start.body.transactionId as string;
      // Who the person approved as; unknown when the broker's page offers only users of its own (SwissID).
      let approvedAs: TestUser | undefined = person;

      if (listed.flow === 'redirect') {
        let location = start.body.redirectUrl as string;
        for (let hop = 0; hop < 8 && !location.startsWith(`${baseUrl}/`); hop++) {
          const page = await brokerPage('GET', location, () => browser.get(location, ACCEPT_HTML));
          if (!page) return { kind: 'abandoned' };
          if (page.status >= 300 && page.status < 400) {
            location = browser.location(page);
            continue;
          }
          if (page.status !== 200) return { kind: 'lost', why: `the broker's page answered ${page.status}` };
          const form = parseSimulatorForm(await page.text(), location);
          const chosen = form.users.includes(person.id) ? person.id : form.users[0]!;
          approvedAs = testUsers.find((user) => user.id === chosen);
          const answer = await brokerPage('POST', form.action, () =>
            browser.post(form.action, {
              form: { ...form.hidden, user: chosen, outcome: 'success' },
              headers: ACCEPT_HTML,
            }),
          );
          if (!answer) return { kind: 'abandoned' };
          location = browser.location(answer);
        }
        const callback = await timed('callback', browser.get(location, ACCEPT_HTML));
        if (callback.status !== 303) return { kind: 'lost', why: `the callback answered ${callback.status}` };
        const landed = new URL(browser.location(callback));
        const code = landed.searchParams.get('error');
        if (code)
          return LOST_CODES.has(code) ? { kind: 'lost', why: `callback: ${code}` } : { kind: 'failed', code };
        if (landed.pathname !== '/profile')
          return { kind: 'lost', why: `the callback went to ${landed.pathname}` };
      } else {
        const found = (await (
          await control(`/sessions?externalReference=${encodeURIComponent(transactionId)}`)
        ).json()) as Array<{ id: string }>;
        if (found.length !== 1) return { kind: 'lost', why: `${found.length} broker sessions for one login` };
        const completed = await control(`/sessions/${found[0]!.id}/complete`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'success', user: person.id }),
        });
        if (completed.status !== 200)
          return { kind: 'lost', why: `completing at the broker: ${completed.status}` };
        for (;;) {
          const polled = await contractAnswer(
            await timed('status', browser.get(route(`/status/${transactionId}`), ACCEPT_JSON)),
          );
          if ('outcome' in polled) return polled.outcome;
          if (polled.body.status === 'complete') break;
          if (polled.body.status !== 'pending') {
            const code = (polled.body.error as { code?: string } | undefined)?.code;
            return code
              ? { kind: 'failed', code }
              : { kind: 'lost', why: `status ${String(polled.body.status)}` };
          }
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }

      const session = await timed('session', browser.get(route('/session'), ACCEPT_JSON));
      if (session.status !== 200)
        return { kind: 'lost', why: `logged in, but /session answered ${session.status}` };
      const identity = ((await session.json()) as { identity?: Record<string, unknown> }).identity ?? {};
      if (identity.transactionId !== transactionId)
        return { kind: 'crossed', why: "another browser's login" };
      if (approvedAs && !samePerson(identity, approvedAs)) return { kind: 'crossed', why: 'another person' };
      tally.completed++;
      return { kind: 'completed' };
    };

    const began = performance.now();
    let nextUser = 0;
    const worker = async () => {
      while (nextUser < users) {
        const index = nextUser++;
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          login(index).catch((error: unknown): LoginOutcome => ({ kind: 'lost', why: describe(error) })),
          new Promise<LoginOutcome>((resolve) => {
            timer = setTimeout(
              () => resolve({ kind: 'lost', why: `no answer in ${deadlineMs} ms` }),
              deadlineMs,
            );
          }),
        ]);
        clearTimeout(timer);
        const listed = methods[index % methods.length]!;
        outcomes.push(
          outcome.kind === 'lost' || outcome.kind === 'crossed'
            ? { ...outcome, why: `${listed.provider}/${listed.method}: ${outcome.why}` }
            : outcome,
        );
        if (outcomes.length % 100 === 0) say(`${outcomes.length} of ${users} logins done`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - began) / 1000;

    const stats = (await (await control('/stats')).json()) as Record<string, Record<string, number>>;
    const memoryAfter = await Promise.all(apps.map((app) => residentBytes(app.child.pid)));
    const count = (kind: LoginOutcome['kind']) => outcomes.filter((outcome) => outcome.kind === kind).length;
    const failedByCode: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome.kind === 'failed') failedByCode[outcome.code] = (failedByCode[outcome.code] ?? 0) + 1;
    }
    return {
      name: options.name,
      processes: processCount,
      store: options.redisUrl ? 'Redis' : 'MemoryStore',
      users,
      concurrency,
      latencyMs,
      faultRate,
      seconds,
      outcomes: {
        completed: count('completed'),
        failed: count('failed'),
        abandoned: count('abandoned'),
        lost: count('lost'),
        crossed: count('crossed'),
      },
      failedByCode,
      problems: outcomes
        .flatMap((outcome) =>
          outcome.kind === 'lost' || outcome.kind === 'crossed' ? [`${outcome.kind}: ${outcome.why}`] : [],
        )
        .slice(0, 10),
      providers: Object.fromEntries(
        [...perProvider].map(([provider, tally]) => {
          const appCalls = Object.entries(stats[provider] ?? {}).reduce(
            (sum, [endpoint, n]) => sum + n - (tally.browserCalls.get(endpoint) ?? 0),
            0,
          );
          return [
            provider,
            {
              logins: tally.logins,
              completed: tally.completed,
              brokerCallsPerLogin: appCalls / tally.logins,
            },
          ];
        }),
      ),
      routes: Object.fromEntries([...times].map(([route, list]) => [route, percentiles(list)])),
      memory: apps.map((_app, index) => ({
        process: `${options.name} #${index + 1}`,
        ...(memoryBefore[index] === undefined ? {} : { before: memoryBefore[index] }),
        ...(memoryAfter[index] === undefined ? {} : { after: memoryAfter[index] }),
      })),
    };
  } finally {
    children.killAll();
    await proxy?.close();
    if (options.redisUrl) await removeKeys(options.redisUrl, redisPrefix);
  }
}

/** The JSON body of an app's answer, or how the login ended when it is an error. */
async function contractAnswer(
  response: Response,
): Promise<{ body: Record<string, unknown> } | { outcome: LoginOutcome }> {
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const code = (body?.error as { code?: unknown } | undefined)?.code;
  if (response.status === 200 && body && code === undefined) return { body };
  if (typeof code === 'string') {
    return { outcome: LOST_CODES.has(code) ? { kind: 'lost', why: code } : { kind: 'failed', code } };
  }
  return { outcome: { kind: 'lost', why: `HTTP ${response.status} without a contract error` } };
}

/** The identity is this test user's: the same national number where it carries one, else the same name. */
function samePerson(identity: Record<string, unknown>, user: TestUser): boolean {
  const nin = (identity.nin as { value?: unknown } | undefined)?.value;
  if (typeof nin === 'string') return nin === user.nin;
  if (typeof identity.name === 'string') return identity.name === user.name;
  return true;
}

function percentiles(list: number[]): RouteTimes {
  const sorted = [...list].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
  return { requests: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error.cause as { code?: string } | undefined)?.code;
  return cause ? `${error.message} (${cause})` : error.message;
}

async function removeKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
