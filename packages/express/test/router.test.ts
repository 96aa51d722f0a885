import type { AddressInfo } from 'node:net';
import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  endSessionAtSimulatedOp,
  loginAtSimulatedOp,
  parseSimulatorForm,
} from '@eid/conformance';
import { type Simulator, startSimulator } from '@eid/simulator';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEid, type Eid, eidIdentity, eidRouter, idporten, requireEid, signicat } from '../src/index.js';

let simulator: Simulator;
const servers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(async () => {
  await Promise.all(servers.map((close) => close()));
  await simulator.close();
});

/**
 * A real Express app on an ephemeral port; `withSession: false` leaves express-session out on purpose,
 * `cookieSession` mounts a session like cookie-session's instead: a plain object that cannot regenerate.
 */
async function startApp(
  options: {
    withSession?: boolean;
    cookieSession?: boolean;
    /** Where the router is mounted: `app.use(mountPath, eidRouter(eid))`. */
    mountPath?: string;
    /** Renamed or disabled routes: createEid({ routes }). */
    routes?: Parameters<typeof createEid>[0]['routes'];
    /** The simulator's ID-porten, with logout at the provider, instead of Signicat. */
    idportenLogout?: boolean;
    authorizeVerify?: Parameters<typeof createEid>[0]['authorizeVerify'];
  } = {},
) {
  const app = express();
  const store = new session.MemoryStore();
  let eid: Eid | undefined;
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  eid = createEid({
    baseUrl,
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.authorizeVerify ? { authorizeVerify: options.authorizeVerify } : {}),
    providers: options.idportenLogout
      ? [idporten({ ...simulator.idporten, logoutAtProvider: true })]
      : [
          signicat({
            baseUrl: simulator.signicat.baseUrl,
            clientId: simulator.signicat.clientId,
            clientSecret: simulator.signicat.clientSecret,
            accountId: simulator.signicat.accountId,
          }),
        ],
  });
  if (options.cookieSession) {
    app.use((req, _res, next) => {
      (req as unknown as { session: object }).session = {};
      next();
    });
  } else if (options.withSession !== false) {
    app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid', store }));
  }
  const router = eidRouter(eid);
  if (options.mountPath) app.use(options.mountPath, router);
  else app.use(router);
  app.get('/profile', requireEid(eid, { redirectTo: '/' }), (req, res) => {
    res.json({ name: eidIdentity(req)?.name });
  });
  // The guard that starts the login itself: no hop through a page that links to the start route.
  if (!options.idportenLogout) {
    app.get('/orders', requireEid(eid, { login: { provider: 'signicat', method: 'nbid' } }), (req, res) => {
      res.json({ name: eidIdentity(req)?.name, url: req.originalUrl });
    });
  }
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ message: error.message });
  });
  servers.push(async () => {
    await eid?.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { baseUrl, store };
}

/** The session id in an express-session cookie (`s:<id>.<signature>`, URL-encoded). */
const sessionId = (cookie: string | undefined) =>
  decodeURIComponent(cookie ?? '').replace(/^s:([^.]+)\..*$/, '$1');

/** Logs `browser` in through the simulator's Signicat page. */
async function logIn(browser: Browserless, baseUrl: string): Promise<void> {
  const start = await browser.get(`${baseUrl}/auth/eid/start/signicat/nbid`, ACCEPT_HTML);
  const pageUrl = browser.location(start);
  const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
  const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
  expect((await browser.get(browser.location(approved), ACCEPT_HTML)).status).toBe(303);
}

describe('requireEid(eid, { login })', () => {
  it('sends a page request without a login straight to the provider and back to the page: one hop fewer', async () => {
    const { baseUrl } = await startApp();
    const browser = new Browserless();
    const guarded = await browser.get(`${baseUrl}/orders?page=2`, ACCEPT_HTML);
    expect(guarded.status).toBe(302);
    const pageUrl = browser.location(guarded);
    expect(pageUrl.startsWith(simulator.signicat.baseUrl)).toBe(true);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, {
      form: { ...form.hidden, user: 'no-kari', outcome: 'success' },
    });
    const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(browser.location(callback)).toBe(`${baseUrl}/orders?page=2`);
    const orders = await browser.get(`${baseUrl}/orders?page=2`, ACCEPT_JSON);
    expect(await orders.json()).toEqual({ name: 'Kari Nordmann', url: '/orders?page=2' });
  });

  it('answers an API request without a login 401, starting nothing', async () => {
    const { baseUrl } = await startApp();
    const before = simulator.sessions().length;
    const response = await new Browserless().get(`${baseUrl}/orders`, ACCEPT_JSON);
    expect(response.status).toBe(401);
    expect(simulator.sessions().length).toBe(before);
  });

  it.each([
    [{ provider: 'signicat', method: 'nbid-phone' }],
    [{ provider: 'signicat', method: 'sbid-qr' }],
    [{ provider: 'nobody', method: 'nbid' }],
    ['signicat'],
  ])('refuses a login that is not a redirect login method it offers: %j', async (login) => {
    const eid = createEid({ baseUrl: 'http://127.0.0.1:3000', providers: [signicat(simulator.signicat)] });
    expect(() => requireEid(eid, { login: login as never })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('`login` must name a redirect login method'),
      }),
    );
    await eid.close();
  });
});

describe('@eid/express', () => {
  it('logs in through the simulator, regenerating the session id, and protects routes', async () => {
    const { baseUrl } = await startApp();
    const browser = new Browserless();
    expect((await browser.get(`${baseUrl}/profile`, ACCEPT_JSON)).status).toBe(401);
    expect(browser.location(await browser.get(`${baseUrl}/profile`, ACCEPT_HTML))).toBe(`${baseUrl}/`);

    const start = await browser.get(`${baseUrl}/auth/eid/start/signicat/nbid?returnTo=/profile`, ACCEPT_HTML);
    expect(start.status).toBe(302);
    const sessionBefore = browser.cookies(baseUrl).sid;
    expect(sessionBefore).toBeDefined();
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
    const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(browser.location(callback)).toBe(`${baseUrl}/profile`);
    expect(callback.headers.get('cache-control')).toBe('no-store');
    expect(browser.cookies(baseUrl).sid).not.toBe(sessionBefore);
    expect(await (await browser.get(`${baseUrl}/profile`, ACCEPT_JSON)).json()).toEqual({
      name: 'Kari Nordmann',
    });
  });

  it('fails with a fix-it message when express-session is not mounted', async () => {
    const { baseUrl } = await startApp({ withSession: false });
    const response = await new Browserless().get(`${baseUrl}/auth/eid/methods`, ACCEPT_JSON);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(/mount express-session/);
  });

  it('refuses a session that cannot regenerate its id before the engine consumes or starts anything', async () => {
    const { baseUrl } = await startApp({ cookieSession: true });
    const before = simulator.sessions().length;
    const response = await new Browserless().get(`${baseUrl}/auth/eid/start/signicat/nbid`, ACCEPT_JSON);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(/mount express-session/);
    expect(simulator.sessions()).toHaveLength(before);
  });

  it('renews the session at logout: a copy of the logged-in cookie is no longer logged in', async () => {
    const { baseUrl } = await startApp();
    const browser = new Browserless();
    const start = await browser.get(`${baseUrl}/auth/eid/start/signicat/nbid`, ACCEPT_HTML);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
    await browser.get(browser.location(approved), ACCEPT_HTML);
    const loggedIn = browser.clone();
    expect((await loggedIn.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON)).status).toBe(200);

    const logout = await browser.post(`${baseUrl}/auth/eid/logout`, { headers: ACCEPT_JSON });
    expect(logout.status).toBe(204);
    expect(browser.cookies(baseUrl).sid).not.toBe(loggedIn.cookies(baseUrl).sid);
    expect((await browser.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);
    expect((await loggedIn.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);
  });

  it('a start with a copy of the logged-in cookie, still running when the owner logs out, does not save the old session back', async () => {
    const { baseUrl, store } = await startApp();
    const owner = new Browserless();
    await logIn(owner, baseUrl);
    const thief = owner.clone();
    const oldId = sessionId(owner.cookies(baseUrl).sid);
    try {
      simulator.setFaults({ provider: 'signicat', latencyMs: 1500 });
      const held = thief.get(`${baseUrl}/auth/eid/start/signicat/nbid`, ACCEPT_JSON);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await owner.post(`${baseUrl}/auth/eid/logout`, { headers: ACCEPT_JSON })).status).toBe(204);
      const started = await held;
      expect(started.status).toBe(200);
      expect(started.headers.get('set-cookie')).toBeNull();
    } finally {
      simulator.clearFaults();
    }
    const saved = await new Promise((resolve) => store.get(oldId, (_error, data) => resolve(data)));
    expect(saved).toBeFalsy();
    expect((await thief.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);
    expect((await thief.get(`${baseUrl}/profile`, ACCEPT_JSON)).status).toBe(401);
  });

  it('a logged-out session put back in the store (saved back by a request of the app, a replica) is not logged in: requireEid and /session refuse it', async () => {
    const { baseUrl, store } = await startApp();
    const owner = new Browserless();
    await logIn(owner, baseUrl);
    const thief = owner.clone();
    const secondThief = owner.clone();
    const oldId = sessionId(owner.cookies(baseUrl).sid);
    const copy = await new Promise<session.SessionData>((resolve) =>
      store.get(oldId, (_error, data) => resolve(data!)),
    );
    expect((await owner.post(`${baseUrl}/auth/eid/logout`, { headers: ACCEPT_JSON })).status).toBe(204);
    await new Promise((resolve) => store.set(oldId, copy, resolve));

    const profile = await thief.get(`${baseUrl}/profile`, ACCEPT_JSON);
    expect(profile.status).toBe(401);
    expect(await profile.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    // requireEid logged the copy out: its session was renewed without the login.
    expect(sessionId(thief.cookies(baseUrl).sid)).not.toBe(oldId);
    await new Promise((resolve) => store.set(oldId, copy, resolve));
    const answer = await secondThief.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON);
    expect(answer.status).toBe(401);
    expect(sessionId(secondThief.cookies(baseUrl).sid)).not.toBe(oldId);
  });

  it('a logout without a session creates none: no cookie is set', async () => {
    const { baseUrl } = await startApp();
    const browser = new Browserless();
    const api = await browser.post(`${baseUrl}/auth/eid/logout`, { headers: ACCEPT_JSON });
    expect(api.status).toBe(204);
    expect(api.headers.get('set-cookie')).toBeNull();
    const form = await browser.post(`${baseUrl}/auth/eid/logout`, { form: {}, headers: ACCEPT_HTML });
    expect(form.status).toBe(303);
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('requireEid needs the engine', () => {
    expect(() => requireEid(undefined as never)).toThrow(/requireEid\(eid, options\): `eid` is required/);
  });

  it('mounts exactly the routes of the engine, renamed or disabled there', async () => {
    const { baseUrl } = await startApp({ routes: { methods: '/available', logout: false } });
    const browser = new Browserless();
    expect((await browser.get(`${baseUrl}/auth/eid/available`, ACCEPT_JSON)).status).toBe(200);
    expect((await browser.get(`${baseUrl}/auth/eid/methods`, ACCEPT_JSON)).status).toBe(404);
    expect((await browser.post(`${baseUrl}/auth/eid/logout`, { headers: ACCEPT_JSON })).status).toBe(404);
  });

  it('logs in with the callback renamed in createEid({ routes }): the provider sends the browser there', async () => {
    const { baseUrl } = await startApp({ mountPath: '/api', routes: { callback: '/return/:provider' } });
    const browser = new Browserless();
    const start = await browser.get(
      `${baseUrl}/api/auth/eid/start/signicat/nbid?returnTo=/profile`,
      ACCEPT_HTML,
    );
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
    expect(new URL(browser.location(approved)).pathname).toBe('/api/auth/eid/return/signicat');
    const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
    expect(browser.location(callback)).toBe(`${baseUrl}/profile`);
  });

  it('logs in under a sub-path mount: the provider sends the browser back under it', async () => {
    const { baseUrl } = await startApp({ mountPath: '/api' });
    const browser = new Browserless();
    expect((await browser.get(`${baseUrl}/auth/eid/methods`, ACCEPT_JSON)).status).toBe(404);
    const start = await browser.get(
      `${baseUrl}/api/auth/eid/start/signicat/nbid?returnTo=/profile`,
      ACCEPT_HTML,
    );
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { user: 'no-kari', outcome: 'success' } });
    const callbackUrl = browser.location(approved);
    expect(new URL(callbackUrl).pathname).toBe('/api/auth/eid/callback/signicat');
    const callback = await browser.get(callbackUrl, ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(browser.location(callback)).toBe(`${baseUrl}/profile`);
    expect(await (await browser.get(`${baseUrl}/api/auth/eid/session`, ACCEPT_JSON)).json()).toMatchObject({
      identity: { name: 'Kari Nordmann' },
    });
  });

  it('refuses a call without the engine, or with the routes option, naming the fix', () => {
    expect(() => eidRouter(undefined as never)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/eidRouter\(eid\): `eid` is required/),
      }),
    );
    const eid = { handle: async () => ({}), prefix: '/auth/eid', routes: [] } as unknown as Eid;
    expect(() => eidRouter(eid, { routes: { methods: '/x' } } as never)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/createEid\(\{ routes \}\)/),
      }),
    );
  });

  it("hands authorizeVerify Express's own request: an app decides who its operators are from its own session", async () => {
    const seen: unknown[] = [];
    const { baseUrl } = await startApp({
      authorizeVerify: ({ raw }) => {
        seen.push(raw);
        return false;
      },
    });
    const refused = await new Browserless().post(`${baseUrl}/auth/eid/start/signicat/nbid-phone`, {
      headers: ACCEPT_JSON,
      json: { nin: '01819012365' },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    const raw = seen[0] as express.Request;
    expect(typeof raw.get).toBe('function');
    expect(raw.get('accept')).toBe('application/json');
    expect(raw.session).toBeDefined();
    expect(raw.baseUrl).toBe('');
  });

  it('answers bad input with the contract error body and oversized bodies with 413', async () => {
    const { baseUrl } = await startApp();
    const browser = new Browserless();
    const unknown = await browser.get(`${baseUrl}/auth/eid/start/nope/nbid`, ACCEPT_JSON);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_provider' } });
    const big = await browser.post(`${baseUrl}/auth/eid/start/signicat/nbid-phone`, {
      headers: ACCEPT_JSON,
      json: { nin: 'x'.repeat(40_000) },
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      error: { code: 'invalid_request', message: 'The request body is too large.' },
    });
    const malformed = await browser.post(`${baseUrl}/auth/eid/start/signicat/nbid-phone`, {
      headers: { ...ACCEPT_JSON, 'content-type': 'application/json' },
      body: '{"nin": "01819012365"',
    });
    expect(malformed.status).toBe(400);
    const body = await malformed.text();
    expect(body).toContain('invalid_request');
    expect(body).not.toContain('01819012365');
  });

  it('logout at ID-porten (logoutAtProvider): a form post ends the SSO session at end_session_endpoint, and the next login asks again', async () => {
    const { baseUrl } = await startApp({ idportenLogout: true });
    const browser = new Browserless();
    const start = `${baseUrl}/auth/eid/start/idporten/idporten?returnTo=/profile`;
    const callbackPrefix = `${baseUrl}/auth/eid/callback/idporten`;
    const first = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(first.pageShown).toBe(true);
    expect(browser.location(await browser.get(first.callbackUrl, ACCEPT_HTML))).toBe(`${baseUrl}/profile`);
    // ID-porten's SSO: a second login in this browser is not asked again.
    const sso = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(sso.pageShown).toBe(false);
    expect((await browser.get(sso.callbackUrl, ACCEPT_HTML)).status).toBe(303);
    const sid = browser.cookies(baseUrl).sid;

    const logout = await browser.post(`${baseUrl}/auth/eid/logout`, { form: {}, headers: ACCEPT_HTML });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('cache-control')).toBe('no-store');
    const endSession = new URL(browser.location(logout));
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${simulator.idporten.issuer}/session/end`);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${baseUrl}/`);
    const state = endSession.searchParams.get('state');
    expect(state).toBeTruthy();
    // Logged out here before the browser leaves: a new session without the login.
    expect(browser.cookies(baseUrl).sid).not.toBe(sid);
    expect((await browser.get(`${baseUrl}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);

    const landed = await endSessionAtSimulatedOp(browser, endSession.toString(), baseUrl);
    expect(landed).toBe(`${baseUrl}/?state=${state}`);
    const again = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(again.pageShown).toBe(true);
  });
});
