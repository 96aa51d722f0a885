import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  endSessionAtSimulatedOp,
  loginAtSimulatedOp,
  pollWhilePending,
} from '@eid/conformance';
import { ROUTES } from '@eid/core/adapter';
import { type Simulator, startSimulator } from '@eid/simulator';
import { Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSession } from '../src/eid.controller.js';
import { createEid, EidModule, idporten } from '../src/index.js';
import {
  appModule,
  approveOnSimulator,
  Browser,
  freePort,
  PLATFORMS,
  type RunningApp,
  simulatorEid,
  startApp,
  verifyRequests,
} from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim?.close());

describe.each(PLATFORMS)('EidModule on the %s platform', (platform) => {
  let running: RunningApp;
  beforeAll(async () => {
    const port = await freePort();
    const eid = simulatorEid(sim, `http://127.0.0.1:${port}`);
    running = await startApp(platform, appModule(EidModule.forRoot({ eid })), port);
  });
  afterAll(() => running?.close());

  /** What the engine answers each route for the placeholder input below (JSON asked, anonymous session). */
  const EXPECTED: Record<string, { status: number; code?: string }> = {
    'GET /methods': { status: 200 },
    'GET /start/:provider/:method': { status: 200 },
    'POST /start/:provider/:method': { status: 200 },
    'GET /callback/:provider': { status: 404, code: 'transaction_not_found' },
    'GET /status/:transactionId': { status: 404, code: 'transaction_not_found' },
    'POST /cancel/:transactionId': { status: 404, code: 'transaction_not_found' },
    'POST /webhook/:provider': { status: 404, code: 'unknown_provider' },
    'GET /session': { status: 401, code: 'unauthenticated' },
    'POST /logout': { status: 204 },
    'POST /sign/:provider/:method': { status: 404, code: 'unknown_method' },
    'GET /sign/:transactionId/document': { status: 404, code: 'transaction_not_found' },
  };

  it('registers every route of the contract under eid.prefix', async () => {
    const browser = new Browser(running.url);
    for (const route of ROUTES) {
      const path = route.path
        .replace(':provider', 'signicat')
        .replace(':method', 'nbid')
        .replace(':transactionId', 'x');
      const res = await browser.fetch(`/auth/eid${path}`, {
        method: route.method,
        headers: { accept: 'application/json' },
      });
      // Each route answers as the engine does for this input; Nest's own 404 would have no `error.code`.
      const expected = EXPECTED[`${route.method} ${route.path}`]!;
      expect(res.status, `${route.method} ${path}`).toBe(expected.status);
      if (expected.code) {
        expect(((await res.json()) as { error?: { code?: string } }).error?.code).toBe(expected.code);
      }
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('EidGuard.login: a page without a login goes straight to the provider and back to the page; JSON gets the 401', async () => {
    const browser = new Browserless();
    const page = await browser.get(`${running.url}/page?tab=2`, ACCEPT_HTML);
    expect(page.status).toBe(302);
    const pageUrl = browser.location(page);
    expect(pageUrl.startsWith(sim.url)).toBe(true);
    const callback = await approveOnSimulator(pageUrl, 'no-kari');
    const back = await browser.get(callback, ACCEPT_HTML);
    expect(back.status).toBe(303);
    expect(browser.location(back)).toBe(`${running.url}/page?tab=2`);
    const guarded = await browser.get(`${running.url}/page`, ACCEPT_JSON);
    expect(guarded.status).toBe(200);
    expect(await guarded.json()).toEqual({ page: 'guarded', name: 'Kari Nordmann' });
    const api = await new Browserless().get(`${running.url}/page`, ACCEPT_JSON);
    expect(api.status).toBe(401);
  });

  it('lists the methods', async () => {
    const res = await new Browser(running.url).fetch('/auth/eid/methods');
    expect(res.status).toBe(200);
    const methods = (await res.json()) as { provider: string; method: string }[];
    expect(methods).toContainEqual(
      expect.objectContaining({ provider: 'signicat', method: 'nbid', flow: 'redirect' }),
    );
  });

  it('logs in by redirect: new session id, identity in the session, guard and decorator', async () => {
    const browser = new Browser(running.url);
    const denied = await browser.fetch('/me');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { code: 'unauthenticated' } });

    const start = await browser.fetch('/auth/eid/start/signicat/nbid?returnTo=/after');
    expect(start.status).toBe(302);
    expect(start.headers.get('cache-control')).toBe('no-store');
    const before = browser.sessionId();
    expect(before).toBeDefined();

    const callbackUrl = await approveOnSimulator(start.headers.get('location')!, 'no-kari');
    expect(callbackUrl.startsWith(`${running.url}/auth/eid/callback/signicat`)).toBe(true);
    const callback = await browser.fetch(callbackUrl);
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/after');
    expect(browser.sessionId()).toBeDefined();
    expect(browser.sessionId()).not.toBe(before);

    const current = await browser.fetch('/auth/eid/session');
    expect(current.status).toBe(200);
    const { identity } = (await current.json()) as {
      identity: { name: string; provider: string; method: string };
    };
    expect(identity).toMatchObject({ provider: 'signicat', method: 'nbid', name: 'Kari Nordmann' });

    const me = await browser.fetch('/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ identity, name: 'Kari Nordmann' });

    // Reloading the callback gives the same answer and changes nothing: no second login.
    const replay = await browser.fetch(callbackUrl, { headers: { accept: 'application/json' } });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'complete' });
    expect((await browser.fetch('/me')).status).toBe(200);
  });

  it('verifies a caller for a logged-in operator: a form-posted start, a status poll with the verified person, the login unchanged', async () => {
    const browser = new Browser(running.url);
    const verify = () =>
      browser.fetch('/auth/eid/start/signicat/nbid-phone', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ nin: '03918542174', returnTo: '/account' }),
      });
    // Not logged in: not an operator.
    const refused = await verify();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });

    const login = await browser.fetch('/auth/eid/start/signicat/nbid?returnTo=/after');
    expect(
      (await browser.fetch(await approveOnSimulator(login.headers.get('location')!, 'no-kari'))).status,
    ).toBe(303);
    const operator = await (await browser.fetch('/me')).json();
    const start = await verify();
    expect(start.status).toBe(200);
    // The hook was handed the platform's own request, with the app's session on it.
    const raw = verifyRequests.at(-1) as { session?: { eid?: { identity?: { name?: string } } } };
    expect(raw.session?.eid?.identity?.name).toBe('Kari Nordmann');
    const started = (await start.json()) as { transactionId: string; status: string; bindingMessage: string };
    expect(started).toMatchObject({ status: 'pending', bindingMessage: expect.any(String) });
    const before = browser.sessionId();

    const pending = await browser.fetch(`/auth/eid/status/${started.transactionId}`);
    expect(await pending.json()).toMatchObject({ status: 'pending', bindingMessage: started.bindingMessage });

    const providerSession = sim.sessions().find(
      (candidate) =>
        candidate.bindingMessage === started.bindingMessage &&
        // Signicat's open states: created, then waiting for the user once the order is at the eID app.
        ['CREATED', 'WAITING_FOR_USER'].includes(candidate.status),
    );
    expect(providerSession).toBeDefined();
    sim.complete(providerSession!.id, 'success', 'no-ola');

    // The engine asks the provider at most once a second per transaction: poll as a client does.
    const done = await pollWhilePending(() => browser.fetch(`/auth/eid/status/${started.transactionId}`));
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({
      transactionId: started.transactionId,
      status: 'complete',
      verified: expect.objectContaining({ name: 'Ola Nordmann', method: 'nbid-phone' }),
    });
    // The operator is still the operator: same session, same login.
    expect(browser.sessionId()).toBe(before);
    expect(await (await browser.fetch('/me')).json()).toEqual(operator);

    const logout = await browser.fetch('/auth/eid/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect((await browser.fetch('/me')).status).toBe(401);
    expect((await browser.fetch('/auth/eid/session')).status).toBe(401);
  });

  it('redirects a form-posted logout', async () => {
    const res = await new Browser(running.url).fetch('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('answers bad input with the contract error', async () => {
    const browser = new Browser(running.url);
    const res = await browser.fetch('/auth/eid/start/signicat/nbid?returnTo=//evil.example', {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_return_to' } });
    const page = await browser.fetch('/auth/eid/start/nope/nbid');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/?error=unknown_provider');
  });

  it('answers unreadable and oversized bodies with the contract error, with each route its own limit', async () => {
    const browser = new Browser(running.url);
    const malformed = await browser.fetch('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: '{"nin":"17829034034"',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('cache-control')).toBe('no-store');
    const text = await malformed.text();
    expect(text).not.toContain('17829034034');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_request' } });

    const large = await browser.fetch('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ nin: '17829034034', returnTo: `/${'a'.repeat(40_000)}` }),
    });
    expect(large.status).toBe(413);
    expect(large.headers.get('cache-control')).toBe('no-store');
    expect(await large.json()).toEqual({
      error: { code: 'invalid_request', message: 'The request body is too large.' },
    });

    // Pushes may carry whole provider results: 500 kB reaches the engine (which knows no such provider).
    const push = await browser.fetch('/auth/eid/webhook/no-such-provider', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(500_000) }),
    });
    expect(push.status).toBe(404);
    expect(await push.json()).toMatchObject({ error: { code: 'unknown_provider' } });
  });

  it('logs out whatever the body: a multipart form is a form post, another type is ignored', async () => {
    const browser = new Browser(running.url);
    const multipart = await browser.fetch('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    });
    expect(multipart.status).toBe(303);
    expect(multipart.headers.get('location')).toBe('/');
    const xml = await browser.fetch('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<bye/>',
    });
    expect(xml.status).toBe(204);
    expect(xml.headers.get('cache-control')).toBe('no-store');
  });

  it('renews the session at logout: a copy of the logged-in cookie is no longer logged in', async () => {
    const browser = new Browser(running.url);
    const start = await browser.fetch('/auth/eid/start/signicat/nbid');
    await browser.fetch(await approveOnSimulator(start.headers.get('location')!, 'no-kari'));
    expect((await browser.fetch('/auth/eid/session')).status).toBe(200);
    const loggedIn = browser.copy();

    const logout = await browser.fetch('/auth/eid/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect(browser.sessionId()).not.toBe(loggedIn.sessionId());
    expect((await browser.fetch('/auth/eid/session')).status).toBe(401);
    expect((await loggedIn.fetch('/auth/eid/session')).status).toBe(401);
  });

  it('a logout without a session creates none: no cookie is set', async () => {
    const browser = new Browser(running.url);
    const api = await browser.fetch('/auth/eid/logout', { method: 'POST' });
    expect(api.status).toBe(204);
    expect(api.headers.get('set-cookie')).toBeNull();
    const form = await browser.fetch('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: '',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('set-cookie')).toBeNull();
  });
});

describe('EidModule on the fastify platform with @fastify/secure-session', () => {
  let running: RunningApp;
  beforeAll(async () => {
    const port = await freePort();
    const eid = simulatorEid(sim, `http://127.0.0.1:${port}`);
    running = await startApp('fastify', appModule(EidModule.forRoot({ eid })), port, { secureSession: true });
  });
  afterAll(() => running?.close());

  it('logs in (the sealed cookie renewed, nothing planted before kept) and logs out', async () => {
    const browser = new Browser(running.url);
    const start = await browser.fetch('/auth/eid/start/signicat/nbid?returnTo=/after');
    expect(start.status).toBe(302);
    const beforeLogin = browser.copy();
    expect(beforeLogin.sessionId()).toBeDefined();

    const callback = await browser.fetch(await approveOnSimulator(start.headers.get('location')!, 'no-kari'));
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/after');
    expect(browser.sessionId()).not.toBe(beforeLogin.sessionId());
    expect(await (await browser.fetch('/me')).json()).toMatchObject({ name: 'Kari Nordmann' });
    expect((await beforeLogin.fetch('/auth/eid/session')).status).toBe(401);

    const loggedIn = browser.sessionId();
    const logout = await browser.fetch('/auth/eid/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect(browser.sessionId()).not.toBe(loggedIn);
    expect((await browser.fetch('/auth/eid/session')).status).toBe(401);
    expect((await browser.fetch('/me')).status).toBe(401);
  });

  it('a copy of the logged-in sealed cookie is dead after logout: EidGuard and /session refuse it', async () => {
    const browser = new Browser(running.url);
    const start = await browser.fetch('/auth/eid/start/signicat/nbid');
    await browser.fetch(await approveOnSimulator(start.headers.get('location')!, 'no-kari'));
    expect((await browser.fetch('/me')).status).toBe(200);
    const [forGuard, forSession] = [browser.copy(), browser.copy()];
    const loggedIn = browser.sessionId();
    expect((await browser.fetch('/auth/eid/logout', { method: 'POST' })).status).toBe(204);
    // The sealed cookie still holds the identity, but the logout is recorded in the engine's store.
    const refused = await forGuard.fetch('/me');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await forSession.fetch('/auth/eid/session')).status).toBe(401);
    // The guard logged the copy out too: its cookie no longer holds the login.
    expect(forGuard.sessionId()).not.toBe(loggedIn);
    expect((await forGuard.fetch('/me')).status).toBe(401);
  });
});

describe.each(PLATFORMS)('EidModule.forRootAsync on the %s platform', (platform) => {
  const PREFIX = '/login/eid';
  const CONFIG = Symbol('CONFIG');
  let running: RunningApp;
  beforeAll(async () => {
    const port = await freePort();
    @Module({
      providers: [{ provide: CONFIG, useValue: { baseUrl: `http://127.0.0.1:${port}` } }],
      exports: [CONFIG],
    })
    class ConfigModule {}
    const eidModule = EidModule.forRootAsync({
      imports: [ConfigModule],
      inject: [CONFIG],
      useFactory: async (config: { baseUrl: string }) => ({ eid: simulatorEid(sim, config.baseUrl, PREFIX) }),
    });
    running = await startApp(platform, appModule(eidModule), port);
  });
  afterAll(() => running?.close());

  it('mounts the routes at the prefix of the engine the factory made, and logs in', async () => {
    const browser = new Browser(running.url);
    expect((await browser.fetch('/auth/eid/methods')).status).toBe(404);
    const start = await browser.fetch(`${PREFIX}/start/signicat/sbid`);
    expect(start.status).toBe(302);
    const callbackUrl = await approveOnSimulator(start.headers.get('location')!, 'se-anna');
    expect(new URL(callbackUrl).pathname).toBe(`${PREFIX}/callback/signicat`);
    const callback = await browser.fetch(callbackUrl);
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/');
    const me = await browser.fetch('/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'Anna Andersson', identity: { nin: { country: 'SE' } } });
  });
});

describe.each(PLATFORMS)('EidModule under a global prefix on the %s platform', (platform) => {
  it('mounts the routes at the prefix below the global prefix, and the provider sends the browser back there', async () => {
    const port = await freePort();
    const eid = simulatorEid(sim, `http://127.0.0.1:${port}`);
    const module = appModule(EidModule.forRoot({ eid }));
    const running = await startApp(platform, module, port, { globalPrefix: 'api' });
    try {
      const browser = new Browser(running.url);
      expect((await browser.fetch('/auth/eid/methods')).status).toBe(404);
      const start = await browser.fetch('/api/auth/eid/start/signicat/nbid');
      expect(start.status).toBe(302);
      const callbackUrl = await approveOnSimulator(start.headers.get('location')!, 'no-kari');
      expect(new URL(callbackUrl).pathname).toBe('/api/auth/eid/callback/signicat');
      const callback = await browser.fetch(callbackUrl);
      expect(callback.status).toBe(303);
      expect((await browser.fetch('/api/auth/eid/session')).status).toBe(200);
      expect((await browser.fetch('/api/me')).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('EidModule set-up errors', () => {
  it('names the missing option at bootstrap', async () => {
    const port = await freePort();
    await expect(
      startApp('express', appModule(EidModule.forRoot({ eid: undefined as never })), port),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/`eid` is required/),
      }),
    );
  });

  it('refuses forRoot({}), the routes and path options, and renamed routes, naming the fix', async () => {
    const port = await freePort();
    const eid = simulatorEid(sim, `http://127.0.0.1:${port}`);
    const fails = (options: object) =>
      startApp('express', appModule(EidModule.forRoot(options as never)), port);
    await expect(fails({})).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/forRoot.*`eid` is required/),
      }),
    );
    await expect(fails({ eid, routes: { methods: '/x' } })).rejects.toThrow(/createEid\(\{ routes \}\)/);
    await expect(fails({ eid, path: '/auth' })).rejects.toThrow(
      /the `path` option is gone; use createEid\(\{ prefix \}\)/,
    );
    const renamed = eid.routes.map((route) =>
      route.name === 'methods' ? { ...route, path: '/ways-in' } : route,
    );
    await expect(fails({ eid: { ...eid, routes: renamed } })).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/EidModule serves the default route paths; `methods` is renamed/),
      }),
    );
  });

  it('answers 404 on a route the engine disables', async () => {
    const port = await freePort();
    const base = simulatorEid(sim, `http://127.0.0.1:${port}`);
    const eid = { ...base, routes: base.routes.filter((route) => route.name !== 'methods') };
    const running = await startApp('express', appModule(EidModule.forRoot({ eid })), port);
    try {
      expect((await fetch(`${running.url}/auth/eid/methods`)).status).toBe(404);
      expect((await fetch(`${running.url}/auth/eid/session`)).status).toBe(401);
    } finally {
      await running.close();
    }
  });

  it.each(PLATFORMS)('says how to fix a missing session on the %s platform', async (platform) => {
    const port = await freePort();
    const eid = simulatorEid(sim, `http://127.0.0.1:${port}`);
    const logged: string[] = [];
    const record = (message: unknown, ...rest: unknown[]) => {
      logged.push([message, ...rest].map(String).join(' '));
    };
    const running = await startApp(platform, appModule(EidModule.forRoot({ eid })), port, {
      withSession: false,
      logger: { log: () => {}, warn: record, error: record, debug: () => {}, verbose: () => {} },
    });
    try {
      const res = await fetch(`${running.url}/auth/eid/methods`);
      expect(res.status).toBe(500);
      // The 500 hides the reason from the browser; the app's log names the fix.
      expect(logged.join('\n')).toMatch(/register express-session .* @fastify\/session/);
      expect(() => requireSession({})).toThrow(/register express-session .* @fastify\/session/);
    } finally {
      await running.close();
    }
  });
});

describe.each([
  ['express', 'a form post (303)'],
  ['fastify', 'an API call (logoutUrl)'],
] as const)(
  'EidModule on the %s platform: logout at ID-porten (logoutAtProvider), by %s',
  (platform, how) => {
    let running: RunningApp;
    beforeAll(async () => {
      const port = await freePort();
      const eid = createEid({
        baseUrl: `http://127.0.0.1:${port}`,
        providers: [idporten({ ...sim.idporten, logoutAtProvider: true })],
      });
      running = await startApp(platform, appModule(EidModule.forRoot({ eid })), port);
    });
    afterAll(() => running?.close());

    it('ends the SSO session at end_session_endpoint; back at post_logout_redirect_uri, the next login asks again', async () => {
      const origin = running.url;
      const browser = new Browserless();
      const start = `${origin}/auth/eid/start/idporten/idporten?returnTo=/after`;
      const callbackPrefix = `${origin}/auth/eid/callback/idporten`;
      const first = await loginAtSimulatedOp(browser, start, callbackPrefix);
      expect(first.pageShown).toBe(true);
      expect(browser.location(await browser.get(first.callbackUrl, ACCEPT_HTML))).toBe(`${origin}/after`);

      const logout =
        how === 'a form post (303)'
          ? await browser.post(`${origin}/auth/eid/logout`, { form: {}, headers: ACCEPT_HTML })
          : await browser.post(`${origin}/auth/eid/logout`, { headers: ACCEPT_JSON });
      expect(logout.status).toBe(how === 'a form post (303)' ? 303 : 200);
      const endSessionUrl =
        how === 'a form post (303)'
          ? browser.location(logout)
          : ((await logout.json()) as { loggedOut: true; logoutUrl: string }).logoutUrl;
      const endSession = new URL(endSessionUrl);
      expect(`${endSession.origin}${endSession.pathname}`).toBe(`${sim.idporten.issuer}/session/end`);
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${origin}/`);
      expect((await browser.get(`${origin}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);

      const landed = await endSessionAtSimulatedOp(browser, endSessionUrl, origin);
      expect(landed).toBe(`${origin}/?state=${endSession.searchParams.get('state')}`);
      expect((await loginAtSimulatedOp(browser, start, callbackPrefix)).pageShown).toBe(true);
    });
  },
);
