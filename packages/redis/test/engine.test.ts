import type { AddressInfo } from 'node:net';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless, parseSimulatorForm } from '@eid/conformance';
import { createEid, eidIdentity, eidRouter, requireEid, signicat } from '@eid/express';
import { type Simulator, startSimulator } from '@eid/simulator';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';
import { deleteKeys, REDIS_URL, redisProxy, testPrefix } from './helpers.js';

const prefix = testPrefix('engine');
let simulator: Simulator;
const closers: Array<() => Promise<void>> = [];
/** The framework sessions of both "processes" (in Redis too in a real deployment: connect-redis). */
const sessions = new session.MemoryStore();

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await simulator.close();
  await deleteKeys(prefix);
});

/** One app process: its own engine and its own Redis connection, behind the public `baseUrl`. */
async function startProcess(publicUrl?: string, redisUrl = REDIS_URL) {
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const ownUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store: RedisStore = await createRedisStore({ url: redisUrl, prefix, commandTimeoutMs: 500 });
  const eid = createEid({
    baseUrl: publicUrl ?? ownUrl,
    store,
    providers: [
      signicat({
        baseUrl: simulator.signicat.baseUrl,
        clientId: simulator.signicat.clientId,
        clientSecret: simulator.signicat.clientSecret,
        accountId: simulator.signicat.accountId,
      }),
    ],
  });
  app.use(
    session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid', store: sessions }),
  );
  app.use(eidRouter(eid));
  app.get('/profile', requireEid(eid), (req, res) => {
    res.json({ name: eidIdentity(req)?.name });
  });
  closers.push(async () => {
    await eid.close();
    await store.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: ownUrl, store };
}

/** The same path and query on another process (a load balancer sending the request elsewhere). */
const on = (url: string, origin: string) => {
  const moved = new URL(url);
  const target = new URL(origin);
  moved.host = target.host;
  return moved.toString();
};

describe('createEid with a RedisStore', () => {
  it('logs in end to end through the simulator, the start on one process and the callback on another', async () => {
    const a = await startProcess();
    const b = await startProcess(a.url);
    const browser = new Browserless();

    const start = await browser.get(`${a.url}/auth/eid/start/signicat/nbid?returnTo=/profile`, ACCEPT_HTML);
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
    const callbackUrl = browser.location(approved);
    expect(callbackUrl.startsWith(`${a.url}/auth/eid/callback/signicat`)).toBe(true);

    // Process A is not asked again: B finds the transaction in Redis and finishes the login.
    const callback = await browser.get(on(callbackUrl, b.url), ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(new URL(browser.location(callback)).pathname).toBe('/profile');
    const profile = await browser.get(`${b.url}/profile`, ACCEPT_JSON);
    expect(profile.status).toBe(200);
    expect(await profile.json()).toEqual({ name: 'Kari Nordmann' });
    expect((await browser.get(`${a.url}/profile`, ACCEPT_JSON)).status).toBe(200);

    // The transaction is spent for both: replaying the callback on A does not log in again.
    const replay = await new Browserless().get(callbackUrl, ACCEPT_HTML);
    expect(replay.status).toBe(303);
    expect(browser.location(replay)).toContain('error=');
  });

  it('a status poll on one process sees a login started on the other', async () => {
    const a = await startProcess();
    const b = await startProcess(a.url);
    const browser = new Browserless();
    const start = await browser.post(`${a.url}/auth/eid/start/signicat/nbid`, {
      headers: ACCEPT_JSON,
      json: {},
    });
    expect(start.status).toBe(200);
    const { transactionId } = (await start.json()) as { transactionId: string };
    expect(await a.store.get(transactionId)).toMatchObject({ status: 'pending' });
    const status = await browser.get(`${b.url}/auth/eid/status/${transactionId}`, ACCEPT_JSON);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ status: 'pending' });
  });

  it('answers 503 provider_unavailable while Redis is gone, and logs in again when it is back', async () => {
    const proxy = await redisProxy();
    closers.push(() => proxy.stop());
    const app = await startProcess(undefined, proxy.url);
    const startJson = () =>
      new Browserless().post(`${app.url}/auth/eid/start/signicat/nbid`, { headers: ACCEPT_JSON, json: {} });
    expect((await startJson()).status).toBe(200);

    await proxy.stop();
    const began = Date.now();
    const down = await startJson();
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('provider_unavailable');
    const page = await new Browserless().get(`${app.url}/auth/eid/start/signicat/nbid`, ACCEPT_HTML);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toContain('error=provider_unavailable');
    expect(Date.now() - began).toBeLessThan(2000);

    await proxy.start();
    await expect.poll(async () => (await startJson()).status, { timeout: 8000, interval: 100 }).toBe(200);
  });
});
