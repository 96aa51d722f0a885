import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { type AppProcess, ChildProcesses, startAppProcess, startSimulatorProcess } from './processes.js';
import { completeSimulatorSession, parseSimulatorForm, simulatorSessions } from './simulator-page.js';
import { pollWhilePending } from './test-client.js';

export interface TwoProcessesTarget {
  /** What the suite is called, e.g. `example-express`. */
  name: string;
  /** The app's built server script (`dist/server.js`): it takes its settings from the environment and prints `Example app: <url>`. */
  server: string;
  /** More environment for the app processes (e.g. `NEST_PLATFORM`). */
  env?: Record<string, string>;
}

/**
 * Two processes of an example app (its built server script) on one Redis (`REDIS_URL`, default
 * redis://127.0.0.1:6379, database 7) and one simulator process (`eid-simulator`): a login started on one
 * finishes on the other, also when the first is killed with SIGKILL between the start and the callback.
 */
export function runTwoProcessesSuite(target: TwoProcessesTarget): void {
  describe(`${target.name}: two processes on one Redis and one simulator`, () => {
    runProcesses(target);
  });
}

function runProcesses(target: TwoProcessesTarget): void {
  // Database 7 (the number in the URL is honoured) and a prefix of this run's own: only its keys are removed.
  const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/7`;
  const REDIS_PREFIX = `eid-two-processes-${randomBytes(4).toString('hex')}:`;
  const SESSION_SECRET = randomBytes(32).toString('hex');

  const children = new ChildProcesses();
  const kill = (child: ChildProcess | undefined) => children.kill(child);
  let simulatorUrl: string;
  let simulatorEnv: Record<string, string>;

  /** One app process on a free port of 127.0.0.1, on the shared Redis and simulator; its URL from its stdout. */
  const startApp = (redisUrl = REDIS_URL): Promise<AppProcess> =>
    startAppProcess(children, target.server, {
      ...simulatorEnv,
      REDIS_URL: redisUrl,
      REDIS_PREFIX,
      SESSION_SECRET,
      LOG_LEVEL: 'error',
      ...target.env,
    });

  let a: AppProcess;
  let b: AppProcess;
  let proxy: SlowLink | undefined;

  beforeAll(async () => {
    try {
      const simulator = await startSimulatorProcess(children);
      simulatorUrl = simulator.url;
      simulatorEnv = simulator.env;
      // A reaches Redis through a slow link: what A wrote but Redis had not yet received when A dies is lost.
      proxy = await slowRedisLink(new URL(REDIS_URL), 100);
      const viaProxy = new URL(REDIS_URL);
      viaProxy.port = String(proxy.port);
      [a, b] = await Promise.all([startApp(viaProxy.toString()), startApp()]);
    } catch (error) {
      children.killAll();
      throw error;
    }
  }, 60_000);

  afterAll(async () => {
    children.killAll();
    await proxy?.close();
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${REDIS_PREFIX}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  const on = (app: AppProcess, path: string) => `${app.url}/auth/eid${path}`;

  /** The same URL on another process: the callback the provider sends the browser to, reaching `app` instead. */
  const onProcess = (app: AppProcess, url: string) => {
    const moved = new URL(url);
    const target = new URL(app.url);
    moved.host = target.host;
    return moved.toString();
  };

  async function identityOn(
    app: AppProcess,
    browser: Browserless,
  ): Promise<Record<string, unknown> | undefined> {
    const response = await browser.get(on(app, '/session'), ACCEPT_JSON);
    return response.status === 200
      ? ((await response.json()) as { identity: Record<string, unknown> }).identity
      : undefined;
  }

  /** Starts a Signicat nbid login on `app`; returns the simulator page's URL. */
  async function startNbid(app: AppProcess, browser: Browserless): Promise<string> {
    const start = await browser.get(`${on(app, '/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    expect(pageUrl.startsWith(simulatorUrl)).toBe(true);
    return pageUrl;
  }

  /** Approves the login at the simulator's page as Kari; returns the callback URL the browser is sent to. */
  async function approve(browser: Browserless, pageUrl: string): Promise<string> {
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, {
      form: { ...form.hidden, user: 'no-kari', outcome: 'success' },
    });
    return browser.location(approved);
  }

  describe('a login', () => {
    it('a Signicat nbid login started on A finishes its callback and session on B', async () => {
      const browser = new Browserless();
      const pageUrl = await startNbid(a, browser);
      const callbackUrl = await approve(browser, pageUrl);
      expect(callbackUrl.startsWith(a.url)).toBe(true);
      const callback = await browser.get(onProcess(b, callbackUrl), ACCEPT_HTML);
      expect(callback.status).toBe(303);
      expect(new URL(browser.location(callback)).pathname).toBe('/profile');
      expect(await identityOn(b, browser)).toMatchObject({ provider: 'signicat', name: 'Kari Nordmann' });
      // And A, sharing the session store, sees the same login.
      expect(await identityOn(a, browser)).toMatchObject({ provider: 'signicat', name: 'Kari Nordmann' });
    });

    it('a headless sbid-qr login started on A is polled to completion on B', async () => {
      const browser = new Browserless();
      const response = await browser.post(on(a, '/start/signicat/sbid-qr'), {
        json: { returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(200);
      const started = (await response.json()) as { transactionId: string; status: string };
      expect(started.status).toBe('pending');
      const session = (await simulatorSessions(simulatorUrl)).find(
        (candidate) => candidate.externalReference === started.transactionId,
      );
      expect(session).toBeDefined();
      expect((await completeSimulatorSession(simulatorUrl, session!.id, 'success', 'se-anna')).status).toBe(
        200,
      );
      const done = await pollWhilePending(() =>
        browser.get(on(b, `/status/${started.transactionId}`), ACCEPT_JSON),
      );
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ transactionId: started.transactionId, status: 'complete' });
      expect(await identityOn(b, browser)).toMatchObject({
        provider: 'signicat',
        method: 'sbid-qr',
        name: 'Anna Andersson',
      });
    });

    it('a signing started on A finishes on B: the signature at its status and its download there', async () => {
      const browser = new Browserless();
      const login = await browser.get(
        onProcess(b, await approve(browser, await startNbid(a, browser))),
        ACCEPT_HTML,
      );
      expect(login.status).toBe(303);
      const started = await browser.post(on(a, '/sign/next/nbid-sign'), {
        json: { documentId: 'sample-text', returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(started.status).toBe(200);
      const { transactionId, redirectUrl } = (await started.json()) as {
        transactionId: string;
        redirectUrl: string;
      };
      const callbackUrl = await approve(browser, redirectUrl);
      const callback = await browser.get(onProcess(b, callbackUrl), ACCEPT_HTML);
      expect(callback.status).toBe(303);
      const back = new URL(browser.location(callback));
      expect(`${back.pathname}${back.search}`).toBe(`/profile?signed=${transactionId}`);
      const status = await browser.get(on(b, `/status/${transactionId}`), ACCEPT_JSON);
      expect(await status.json()).toMatchObject({
        status: 'complete',
        signature: { provider: 'next', method: 'nbid-sign', signer: { name: 'Kari Nordmann' } },
      });
      expect((await browser.get(on(a, `/sign/${transactionId}/document`), ACCEPT_HTML)).status).toBe(200);
      // The login is the one from before the signing, in both processes.
      expect(await identityOn(a, browser)).toMatchObject({ provider: 'signicat', method: 'nbid' });
    });

    it('A killed with SIGKILL between start and callback: the login finishes on B', async () => {
      const browser = new Browserless();
      const pageUrl = await startNbid(a, browser);
      // Right after the start answered: nothing A held in memory survives.
      const exited = new Promise((resolve) => a.child.once('exit', resolve));
      kill(a.child);
      await exited;
      await expect(fetch(on(a, '/methods'))).rejects.toThrow();
      const callbackUrl = await approve(browser, pageUrl);
      const callback = await browser.get(onProcess(b, callbackUrl), ACCEPT_HTML);
      expect(callback.status).toBe(303);
      expect(new URL(browser.location(callback)).pathname).toBe('/profile');
      expect(await identityOn(b, browser)).toMatchObject({ provider: 'signicat', name: 'Kari Nordmann' });
    });
  });
}

interface SlowLink {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP link to Redis on 127.0.0.1 that holds every chunk `delayMs` in each direction, in order, and drops what
 * it holds from a side that has closed: a process killed before its last writes reached Redis.
 */
async function slowRedisLink(redis: URL, delayMs: number): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(redis.port || 6379), redis.hostname);
    for (const socket of [client, upstream]) sockets.add(socket);
    const relay = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        setTimeout(() => {
          if (!from.destroyed && !to.destroyed) to.write(chunk);
        }, delayMs);
      });
    relay(client, upstream);
    relay(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
