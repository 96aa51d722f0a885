import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  endSessionAtSimulatedOp,
  freePort,
  loginAtSimulatedOp,
  pollWhilePending,
} from '@eid/conformance';
import { createEid, idporten, signicat } from '@eid/core';
import { type Simulator, startSimulator } from '@eid/simulator';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eidPlugin, requireEid } from '../src/index.js';
import {
  approve,
  Browser,
  registerSession,
  type SessionKind,
  startApp,
  type TestApp,
  verifyRequests,
} from './helpers.js';

let sim: Simulator;
let current: TestApp | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(
  kind: SessionKind,
  options: Parameters<typeof startApp>[2] = {},
  routes?: Parameters<typeof startApp>[3],
) {
  current = await startApp(sim, kind, options, routes);
  return { app: current, browser: new Browser(current.origin) };
}

const COOKIE: Record<Exclude<SessionKind, 'none'>, string> = {
  session: 'sessionId',
  'secure-session': 'session',
};

describe.each(['session', 'secure-session'] as const)('with @fastify/%s', (kind) => {
  it('logs in through the redirect flow and renews the session cookie (no fixation)', async () => {
    const { browser } = await start(kind);
    expect((await browser.json('/auth/eid/session')).status).toBe(401);

    // Something planted in the session before login (an attacker's fixed session) must not survive it.
    expect((await browser.request('/plant', { method: 'POST' })).status).toBe(200);
    const planted = browser.cookies.get(COOKIE[kind]);
    expect(planted).toBeDefined();

    const started = await browser.request('/auth/eid/start/signicat/nbid?returnTo=%2Fprivate');
    expect(started.status).toBe(302);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const beforeLogin = browser.cookies.get(COOKIE[kind]);

    const callback = await approve(started.headers.get('location')!, 'success', 'no-kari');
    expect(callback.startsWith(`${browser.origin}/auth/eid/callback/signicat`)).toBe(true);
    const finished = await browser.request(callback);
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/private');

    const afterLogin = browser.cookies.get(COOKIE[kind]);
    expect(afterLogin).toBeDefined();
    expect(afterLogin).not.toBe(beforeLogin);
    expect(afterLogin).not.toBe(planted);

    const session = await browser.json('/auth/eid/session');
    expect(session.status).toBe(200);
    const { identity } = (await session.json()) as { identity: Record<string, unknown> };
    expect(identity).toMatchObject({ provider: 'signicat', method: 'nbid', name: 'Kari Nordmann' });
    expect(await (await browser.json('/private')).json()).toEqual({ name: 'Kari Nordmann' });
    expect(await (await browser.json('/planted')).json()).toEqual({ planted: null });

    // The cookie the attacker fixed before login is not logged in.
    const attacker = new Browser(browser.origin);
    attacker.cookies.set(COOKIE[kind], beforeLogin!);
    expect((await attacker.json('/auth/eid/session')).status).toBe(401);

    // The callback counts once: the logged-in browser reloading it gets the same answer, no second login.
    const replay = await browser.json(callback);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'complete' });
    expect((await browser.json('/auth/eid/session')).status).toBe(200);

    // Logout renews the session too: the cookie changes, and a copy of the logged-in cookie is no longer logged
    // in: with @fastify/session its server-side session is gone; a secure-session cookie holds the session
    // itself, but the logout is recorded in the engine's store and the copy's login counts as logged out.
    const loggedIn = new Browser(browser.origin);
    loggedIn.cookies.set(COOKIE[kind], afterLogin!);
    const logout = await browser.request('/auth/eid/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect(browser.cookies.get(COOKIE[kind])).not.toBe(afterLogin);
    expect((await browser.json('/auth/eid/session')).status).toBe(401);
    expect((await loggedIn.json('/auth/eid/session')).status).toBe(401);
  });

  it('a copy of the logged-in cookie is dead after logout: requireEid, request.eid and /session refuse it', async () => {
    const { browser } = await start(kind);
    const started = await browser.request('/auth/eid/start/signicat/nbid');
    await browser.request(await approve(started.headers.get('location')!, 'success', 'no-kari'));
    expect((await browser.json('/private')).status).toBe(200);
    const copies = [0, 1, 2].map(() => {
      const copy = new Browser(browser.origin);
      copy.cookies.set(COOKIE[kind], browser.cookies.get(COOKIE[kind])!);
      return copy;
    });
    expect((await browser.request('/auth/eid/logout', { method: 'POST' })).status).toBe(204);

    const [forPrivate, forHome, forSession] = copies as [Browser, Browser, Browser];
    const refused = await forPrivate.json('/private');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(await (await forHome.json('/')).json()).toEqual({ home: true, identity: null });
    expect((await forSession.json('/auth/eid/session')).status).toBe(401);
    // Each copy was logged out as well: what it holds now is no login either.
    for (const copy of copies) expect((await copy.json('/private')).status).toBe(401);
  });

  it('a start with a copy of the logged-in cookie, held at the provider while the owner logs out, brings nothing back', async () => {
    const { browser } = await start(kind);
    const login = await browser.request('/auth/eid/start/signicat/nbid');
    await browser.request(await approve(login.headers.get('location')!, 'success', 'no-kari'));
    const thief = new Browser(browser.origin);
    thief.cookies.set(COOKIE[kind], browser.cookies.get(COOKIE[kind])!);
    let transactionId: string;
    try {
      sim.setFaults({ provider: 'signicat', latencyMs: 1500 });
      const held = thief.json('/auth/eid/start/signicat/nbid');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await browser.request('/auth/eid/logout', { method: 'POST' })).status).toBe(204);
      const started = await held;
      expect(started.status).toBe(200);
      transactionId = ((await started.json()) as { transactionId: string }).transactionId;
    } finally {
      sim.clearFaults();
    }
    expect((await thief.json('/auth/eid/session')).status).toBe(401);
    expect((await thief.json('/private')).status).toBe(401);
    if (kind === 'session') {
      // The old server-side session was not saved back: the thief's cookie opens no session at all.
      expect((await thief.json(`/auth/eid/status/${transactionId}`)).status).toBe(404);
    }
  });

  it('a logout without a session creates none: no cookie is set', async () => {
    const { browser } = await start(kind);
    const api = await browser.request('/auth/eid/logout', { method: 'POST' });
    expect(api.status).toBe(204);
    expect(api.headers.get('set-cookie')).toBeNull();
    const form = await browser.request('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: '',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('verifies a caller (call centre) for a logged-in operator: the status poll answers the verified person, the login stays', async () => {
    const { browser } = await start(kind);
    const verify = () =>
      browser.json('/auth/eid/start/signicat/nbid-phone', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nin: '03918542174' }),
      });
    // Not logged in: not an operator, and nothing is sent to the provider.
    const refused = await verify();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });

    const login = await browser.request('/auth/eid/start/signicat/nbid');
    expect(
      (await browser.request(await approve(login.headers.get('location')!, 'success', 'no-kari'))).status,
    ).toBe(303);
    const operator = await (await browser.json('/auth/eid/session')).json();
    const started = await verify();
    expect(started.status).toBe(200);
    // The hook was handed Fastify's own request, with the app's session on it.
    const raw = verifyRequests.at(-1) as { session?: { get?(key: string): unknown; eid?: unknown } };
    const eid = (typeof raw.session?.get === 'function' ? raw.session.get('eid') : raw.session?.eid) as {
      identity?: { name?: string };
    };
    expect(eid.identity?.name).toBe('Kari Nordmann');
    const body = (await started.json()) as { transactionId: string; status: string; bindingMessage: string };
    expect(body).toMatchObject({ status: 'pending' });
    expect(body.bindingMessage).toEqual(expect.any(String));

    const pending = await browser.json(`/auth/eid/status/${body.transactionId}`);
    expect(await pending.json()).toMatchObject({ status: 'pending', bindingMessage: body.bindingMessage });
    const beforeCompletion = browser.cookies.get(COOKIE[kind]);

    const simSession = sim.sessions().find((candidate) => candidate.bindingMessage === body.bindingMessage);
    expect(simSession).toBeDefined();
    sim.complete(simSession!.id, 'success', 'no-ola');

    // The engine asks the provider at most once a second per transaction: poll as a client does.
    const complete = await pollWhilePending(() => browser.json(`/auth/eid/status/${body.transactionId}`));
    expect(complete.status).toBe(200);
    expect(await complete.json()).toEqual({
      transactionId: body.transactionId,
      status: 'complete',
      verified: expect.objectContaining({ method: 'nbid-phone', name: 'Ola Nordmann' }),
    });
    // Nobody logged in: the operator's session is the operator's.
    if (kind === 'session') expect(browser.cookies.get(COOKIE[kind])).toBe(beforeCompletion);
    const session = await browser.json('/auth/eid/session');
    expect(await session.json()).toEqual(operator);

    // Another browser cannot see this transaction.
    const stranger = new Browser(browser.origin);
    expect((await stranger.json(`/auth/eid/status/${body.transactionId}`)).status).toBe(404);
  });

  it('reads form posts and answers a form logout with 303', async () => {
    const { browser } = await start(kind);
    const started = await browser.json('/auth/eid/start/signicat/nbid', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'returnTo=%2Faccount&lang=nb',
    });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ status: 'pending', redirectUrl: expect.any(String) });

    const badReturn = await browser.json('/auth/eid/start/signicat/nbid', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'returnTo=https%3A%2F%2Fevil.example',
    });
    expect(badReturn.status).toBe(400);
    expect(await badReturn.json()).toMatchObject({ error: { code: 'invalid_return_to' } });

    const logout = await browser.request('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/');
  });
});

describe('@eid/fastify', () => {
  it('fails at registration without a session plugin, saying how to fix it', async () => {
    const eid = createEid({ baseUrl: 'http://127.0.0.1:3000', providers: [signicat(sim.signicat)] });
    const app = Fastify();
    await registerSession(app, 'none');
    app.register(eidPlugin, { eid });
    await expect(app.ready()).rejects.toThrow(
      /@eid\/fastify needs a session: register @fastify\/cookie and @fastify\/session, or @fastify\/secure-session, before @eid\/fastify/,
    );
    await app.close();
    await eid.close();
  });

  it('refuses a registration without the engine, or with the routes option, naming the fix', async () => {
    const app = Fastify();
    await registerSession(app, 'session');
    app.register(eidPlugin, {} as never);
    await expect(app.ready()).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/app\.register\(eidPlugin, \{ eid \}\): `eid` is required/),
      }),
    );
    await app.close();
    const eid = createEid({ baseUrl: 'http://127.0.0.1:3000', providers: [signicat(sim.signicat)] });
    const renaming = Fastify();
    await registerSession(renaming, 'session');
    renaming.register(eidPlugin, { eid, routes: { methods: '/x' } } as never);
    await expect(renaming.ready()).rejects.toThrow(/createEid\(\{ routes \}\)/);
    await renaming.close();
    await eid.close();
  });

  it('passes bad input to the engine: unknown provider is a 404 JSON error, or a failure redirect', async () => {
    const { browser } = await start('session');
    const json = await browser.json('/auth/eid/start/nope/nbid');
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({
      error: { code: 'unknown_provider', message: expect.any(String) },
    });

    const page = await browser.request('/auth/eid/start/nope/nbid', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/?error=unknown_provider');

    const method = await browser.json('/auth/eid/start/signicat/nope');
    expect(await method.json()).toMatchObject({ error: { code: 'unknown_method' } });
    // Verifying a caller needs an operator's login: an anonymous start is refused before anything else.
    const verify = await browser.json('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nin: '17829034035' }),
    });
    expect(verify.status).toBe(403);
    expect(await verify.json()).toMatchObject({ error: { code: 'forbidden' } });
    const unknownTransaction = await browser.json(`/auth/eid/status/${'a'.repeat(43)}`);
    expect(unknownTransaction.status).toBe(404);

    // Bodies Fastify cannot parse get the contract's error body, without the body echoed back.
    const malformed = await browser.json('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"nin":"17829034034"',
    });
    expect(malformed.status).toBe(400);
    const malformedText = await malformed.text();
    expect(JSON.parse(malformedText)).toMatchObject({ error: { code: 'invalid_request' } });
    expect(malformedText).not.toContain('17829034034');
    const oversized = await browser.json('/auth/eid/start/signicat/nbid', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `returnTo=/${'a'.repeat(17 * 1024)}`,
    });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const unsupported = await browser.json('/auth/eid/start/signicat/nbid', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<start/>',
    });
    expect(unsupported.status).toBe(415);
    expect(unsupported.headers.get('cache-control')).toBe('no-store');
    expect(await unsupported.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('logs out whatever the body: a multipart form is a form post, another type is ignored (as on Express)', async () => {
    const { browser } = await start('session');
    const multipart = await browser.request('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    });
    expect(multipart.status).toBe(303);
    expect(multipart.headers.get('location')).toBe('/');
    const xml = await browser.request('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<bye/>',
    });
    expect(xml.status).toBe(204);
    expect(xml.headers.get('cache-control')).toBe('no-store');
  });

  it('lists the methods and protects routes with requireEid', async () => {
    const { browser } = await start('session');
    const methods = await browser.json('/auth/eid/methods');
    expect(methods.status).toBe(200);
    expect(await methods.json()).toContainEqual(
      expect.objectContaining({ provider: 'signicat', method: 'nbid' }),
    );

    const api = await browser.json('/private');
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    const page = await browser.request('/private', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    expect(await (await browser.json('/')).json()).toEqual({ home: true, identity: null });
  });

  it('requireEid({ login }) sends a page without a login straight to the provider and back to the page; an API request gets 401', async () => {
    const { browser } = await start('session');
    expect((await browser.json('/orders')).status).toBe(401);
    const guarded = await browser.request('/orders?page=2', { headers: { accept: 'text/html' } });
    expect(guarded.status).toBe(302);
    const pageUrl = guarded.headers.get('location')!;
    expect(pageUrl.startsWith(sim.signicat.baseUrl)).toBe(true);
    const callback = await browser.request(await approve(pageUrl));
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/orders?page=2');
    expect(await (await browser.json('/orders?page=2')).json()).toEqual({
      name: 'Kari Nordmann',
      url: '/orders?page=2',
    });
  });

  it('requireEid({ login }) naming a method that is no redirect login: invalid_config at the first request it guards', async () => {
    const { browser } = await start('session');
    const response = await browser.request('/bad-guard', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(500);
    expect(() => requireEid({ login: 'signicat' as never })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });

  it('requireEid outside the plugin (which checks each request) refuses with invalid_config', async () => {
    const app = Fastify();
    await registerSession(app, 'session');
    app.get('/private', { preHandler: requireEid() }, async () => ({ ok: true }));
    const response = await app.inject({ url: '/private' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({
      message: expect.stringMatching(/needs app\.register\(eidPlugin/),
    });
    await app.close();
  });

  it('mounts exactly the routes of the engine, renamed or disabled there', async () => {
    const { browser } = await start('session', {}, { methods: '/ways-in', logout: false });
    expect((await browser.json('/auth/eid/ways-in')).status).toBe(200);
    expect((await browser.json('/auth/eid/methods')).status).toBe(404);
    expect((await browser.json('/auth/eid/logout', { method: 'POST' })).status).toBe(404);
  });

  it('honours the prefix option: routes below it, and the provider sends the browser back there', async () => {
    const { browser } = await start('session', { prefix: '/api' });
    expect((await browser.json('/auth/eid/methods')).status).toBe(404);
    expect((await browser.json('/api/auth/eid/methods')).status).toBe(200);
    const started = await browser.request('/api/auth/eid/start/signicat/nbid');
    expect(started.status).toBe(302);
    const callbackUrl = await approve(started.headers.get('location')!, 'success', 'no-kari');
    expect(new URL(callbackUrl).pathname).toBe('/api/auth/eid/callback/signicat');
    const callback = await browser.request(callbackUrl);
    expect(callback.status).toBe(303);
    expect((await browser.json('/api/auth/eid/session')).status).toBe(200);
  });

  it('adds the prefix of an enclosing plugin context to its own', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const eid = createEid({ baseUrl: origin, providers: [signicat(sim.signicat)] });
    const app = Fastify();
    await registerSession(app, 'session');
    await app.register(async (api) => api.register(eidPlugin, { eid, prefix: '/v1' }), { prefix: '/api' });
    await app.listen({ port, host: '127.0.0.1' });
    try {
      const browser = new Browser(origin);
      expect((await browser.json('/api/v1/auth/eid/methods')).status).toBe(200);
      const started = await browser.request('/api/v1/auth/eid/start/signicat/nbid');
      const callbackUrl = await approve(started.headers.get('location')!, 'success', 'no-kari');
      expect(new URL(callbackUrl).pathname).toBe('/api/v1/auth/eid/callback/signicat');
      expect((await browser.request(callbackUrl)).status).toBe(303);
    } finally {
      await app.close();
      await eid.close();
    }
  });

  it('leaves form parsing of the rest of the app alone', async () => {
    const { browser } = await start('session');
    const outside = await browser.request('/plant', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(outside.status).toBe(415);
  });
});

describe.each([
  ['session', 'a form post (303)'],
  ['secure-session', 'an API call (logoutUrl)'],
] as const)('logout at ID-porten (logoutAtProvider) with @fastify/%s, by %s', (kind, how) => {
  it('ends the SSO session at end_session_endpoint; back at post_logout_redirect_uri, the next login asks again', async () => {
    current = await startApp(sim, kind, {}, undefined, [
      idporten({ ...sim.idporten, logoutAtProvider: true }),
    ]);
    const { origin } = current;
    const browser = new Browserless();
    const start = `${origin}/auth/eid/start/idporten/idporten?returnTo=%2Fprivate`;
    const callbackPrefix = `${origin}/auth/eid/callback/idporten`;
    const first = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(first.pageShown).toBe(true);
    expect(browser.location(await browser.get(first.callbackUrl, ACCEPT_HTML))).toBe(`${origin}/private`);
    expect((await browser.get(`${origin}/auth/eid/session`, ACCEPT_JSON)).status).toBe(200);

    let endSessionUrl: string;
    if (how === 'a form post (303)') {
      const logout = await browser.post(`${origin}/auth/eid/logout`, { form: {}, headers: ACCEPT_HTML });
      expect(logout.status).toBe(303);
      endSessionUrl = browser.location(logout);
    } else {
      const logout = await browser.post(`${origin}/auth/eid/logout`, { headers: ACCEPT_JSON });
      expect(logout.status).toBe(200);
      const body = (await logout.json()) as { loggedOut: boolean; logoutUrl: string };
      expect(body.loggedOut).toBe(true);
      endSessionUrl = body.logoutUrl;
    }
    const endSession = new URL(endSessionUrl);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${sim.idporten.issuer}/session/end`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${origin}/`);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    expect((await browser.get(`${origin}/auth/eid/session`, ACCEPT_JSON)).status).toBe(401);

    const landed = await endSessionAtSimulatedOp(browser, endSessionUrl, origin);
    expect(landed).toBe(`${origin}/?state=${endSession.searchParams.get('state')}`);
    const again = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(again.pageShown).toBe(true);
  });
});
