import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  endSessionAtSimulatedOp,
  loginAtSimulatedOp,
  pollWhilePending,
} from '@eid/conformance';
import { type Identity, idporten } from '@eid/core';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EidStrategy, type EidVerify, eidPassportRouter } from '../src/index.js';
import { type AppUser, approve, Browser, startAndApprove, startApp, type TestApp } from './helpers.js';

let sim: Simulator;
let current: TestApp | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  sim.clearFaults();
  await current?.close();
  current = undefined;
});

const verified: Identity[] = [];
const verify: EidVerify = (identity, done) => {
  verified.push(identity);
  done(null, { id: `eid:${identity.subject}`, name: identity.name ?? '?' } satisfies AppUser);
};

/** Whether each request `authorizeVerify` was asked about was Passport-authenticated, latest last. */
const operatorChecks: boolean[] = [];

async function start(mountPath = '') {
  verified.length = 0;
  current = await startApp(
    sim,
    (app, eid, passport) => {
      passport.use(new EidStrategy({ eid, name: 'bankid' }, verify));
      app.use(mountPath || '/', eidPassportRouter(eid, { passport, strategy: 'bankid' }));
    },
    {
      // An app's operators are its Passport-authenticated users: the hook asks Express's request itself.
      authorizeVerify: ({ raw }) => {
        const authenticated = (raw as Express.Request).isAuthenticated?.() === true;
        operatorChecks.push(authenticated);
        return authenticated;
      },
    },
  );
  return new Browser(current.origin);
}

const KARI_NIN = '17829034034';

describe('eidPassportRouter', () => {
  it('serves the whole redirect flow: start, callback, session, logout', async () => {
    const browser = await start();
    const anonymous = await browser.json('/auth/eid/session');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthenticated' } });

    const started = await browser.request('/auth/eid/start/signicat/nbid?returnTo=%2Fprivate');
    expect(started.status).toBe(302);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const beforeLogin = browser.sessionCookie;
    const finished = await browser.request(await approve(started.headers.get('location')!));
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/private');
    expect(browser.sessionCookie).not.toBe(beforeLogin);

    const session = await browser.json('/auth/eid/session');
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ identity: verified[0] });
    expect((await browser.whoami()).user).toEqual({
      id: `eid:${verified[0]!.subject}`,
      name: 'Kari Nordmann',
    });

    const logout = await browser.request('/auth/eid/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    expect((await browser.json('/auth/eid/session')).status).toBe(401);
    expect((await browser.whoami()).user).toBeNull();
  });

  it('a start with a copy of the logged-in cookie, still running when the owner logs out, does not save the old session back', async () => {
    const owner = await start();
    await owner.request(await startAndApprove(owner));
    expect((await owner.whoami()).user).toMatchObject({ name: 'Kari Nordmann' });
    const thief = owner.copy();
    const oldId = owner.sessionId;
    sim.setFaults({ provider: 'signicat', latencyMs: 1500 });
    const held = thief.json('/auth/eid/start/signicat/nbid');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await owner.request('/auth/eid/logout', { method: 'POST' })).status).toBe(204);
    const started = await held;
    sim.clearFaults();
    expect(started.status).toBe(200);
    expect(started.headers.get('set-cookie')).toBeNull();
    const saved = await new Promise((resolve) => current!.store.get(oldId, (_error, data) => resolve(data)));
    expect(saved).toBeFalsy();
    expect(await thief.whoami()).toMatchObject({ user: null, eid: null });
    expect((await thief.json('/auth/eid/session')).status).toBe(401);
  });

  it('a logged-out session put back in the store is no login: the deserialiser drops the user and the eID login', async () => {
    const owner = await start();
    await owner.request(await startAndApprove(owner));
    const [thief, secondThief] = [owner.copy(), owner.copy()];
    const oldId = owner.sessionId;
    const { store } = current!;
    const copy = await new Promise<Express.Request['session']>((resolve) =>
      store.get(oldId, (_error, data) => resolve(data as never)),
    );
    expect((await owner.request('/auth/eid/logout', { method: 'POST' })).status).toBe(204);
    await new Promise((resolve) => store.set(oldId, copy, resolve));

    const me = await thief.whoami();
    expect(me.user).toBeNull();
    expect(me.eid).toBeNull();
    await new Promise((resolve) => store.set(oldId, copy, resolve));
    expect((await secondThief.json('/auth/eid/session')).status).toBe(401);
    expect((await secondThief.whoami()).user).toBeNull();
  });

  it('a logout without a session creates none: no cookie is set', async () => {
    const browser = await start();
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

  it('logs in under a sub-path mount: the provider sends the browser back under it', async () => {
    const browser = await start('/api');
    expect((await browser.json('/auth/eid/methods')).status).toBe(404);
    const started = await browser.request('/api/auth/eid/start/signicat/nbid?returnTo=%2Fprivate');
    expect(started.status).toBe(302);
    const callbackUrl = await approve(started.headers.get('location')!);
    expect(new URL(callbackUrl).pathname).toBe('/api/auth/eid/callback/signicat');
    const finished = await browser.request(callbackUrl);
    expect(finished.headers.get('location')).toBe('/private');
    expect((await browser.whoami()).user).toMatchObject({ name: 'Kari Nordmann' });
  });

  it('refuses a call without the engine, or with the routes option, naming the fix', () => {
    expect(() => eidPassportRouter(undefined as never)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/eidPassportRouter\(eid\): `eid` is required/),
      }),
    );
    const eid = { handle: async () => ({}), prefix: '/auth/eid', routes: [] } as never;
    expect(() => eidPassportRouter(eid, { routes: { methods: '/x' } } as never)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/createEid\(\{ routes \}\)/),
      }),
    );
  });

  it('answers a form-posted logout with 303 to /', async () => {
    const browser = await start();
    await browser.request(await startAndApprove(browser));
    const logout = await browser.request('/auth/eid/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/');
    expect((await browser.whoami()).user).toBeNull();
  });

  it('logout at ID-porten (logoutAtProvider): the login keeps the hint, a form post ends Passport and the SSO session', async () => {
    verified.length = 0;
    current = await startApp(
      sim,
      (app, eid, passport) => {
        passport.use(new EidStrategy({ eid, name: 'bankid' }, verify));
        app.use(eidPassportRouter(eid, { passport, strategy: 'bankid' }));
      },
      { providers: [idporten({ ...sim.idporten, logoutAtProvider: true })] },
    );
    const { origin } = current;
    const browser = new Browserless();
    const start = `${origin}/auth/eid/start/idporten/idporten?returnTo=%2Fprivate`;
    const callbackPrefix = `${origin}/auth/eid/callback/idporten`;
    const first = await loginAtSimulatedOp(browser, start, callbackPrefix);
    expect(first.pageShown).toBe(true);
    expect(browser.location(await browser.get(first.callbackUrl, ACCEPT_HTML))).toBe(`${origin}/private`);
    const whoami = (await (await browser.get(`${origin}/whoami`, ACCEPT_JSON)).json()) as {
      user: AppUser | null;
      eid: { providerLogout?: { provider: string; idTokenHint: string } };
    };
    expect(whoami.user).toMatchObject({ id: `eid:${verified[0]!.subject}` });
    expect(whoami.eid.providerLogout).toEqual({ provider: 'idporten', idTokenHint: expect.any(String) });

    const logout = await browser.post(`${origin}/auth/eid/logout`, { form: {}, headers: ACCEPT_HTML });
    expect(logout.status).toBe(303);
    const endSession = new URL(browser.location(logout));
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${sim.idporten.issuer}/session/end`);
    expect(endSession.searchParams.get('id_token_hint')).toBe(whoami.eid.providerLogout!.idTokenHint);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${origin}/`);
    expect(await (await browser.get(`${origin}/whoami`, ACCEPT_JSON)).json()).toMatchObject({
      user: null,
      eid: null,
    });
    const landed = await endSessionAtSimulatedOp(browser, endSession.toString(), origin);
    expect(landed).toBe(`${origin}/?state=${endSession.searchParams.get('state')}`);
    expect((await loginAtSimulatedOp(browser, start, callbackPrefix)).pageShown).toBe(true);
  });

  it('answers failures as the contract does: cancel, replay, bad input, provider trouble', async () => {
    const browser = await start();
    const cancelled = await browser.request(await startAndApprove(browser, 'abort'));
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe('/?error=user_cancelled');

    const callback = await startAndApprove(browser);
    await browser.request(callback);
    // A reload of the callback gives the same answer, from the store; a second login it never is.
    const replay = await browser.json(callback);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'complete' });

    const unknown = await browser.json('/auth/eid/start/signicat/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_method' } });

    sim.setFaults({ status: 500 });
    const broken = await browser.request('/auth/eid/start/signicat/nbid');
    expect(broken.status).toBe(303);
    expect(broken.headers.get('location')).toMatch(/^\/\?error=provider_(error|unavailable)$/);
    const brokenJson = await browser.json('/auth/eid/start/signicat/nbid');
    expect(brokenJson.status).toBeGreaterThanOrEqual(502);
    expect(await brokenJson.json()).toMatchObject({ error: { code: expect.stringMatching(/^provider_/) } });
  });

  it('answers a JSON callback with JSON, login and cancel alike', async () => {
    const browser = await start();
    const finished = await browser.json(await startAndApprove(browser));
    expect(finished.status).toBe(200);
    expect(await finished.json()).toMatchObject({ status: 'complete', returnTo: '/private' });
    expect((await browser.whoami()).user).toMatchObject({ name: 'Kari Nordmann' });

    const cancelled = await browser.json(await startAndApprove(browser, 'abort'));
    expect(cancelled.status).toBe(401);
    expect(await cancelled.json()).toMatchObject({ error: { code: 'user_cancelled' } });
  });

  it('logs a headless login (Swedish BankID QR) in at the status poll, through verify and req.logIn', async () => {
    const browser = await start();
    const started = await browser.json('/auth/eid/start/signicat/sbid-qr', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(started.status).toBe(200);
    const { transactionId, qrData } = (await started.json()) as { transactionId: string; qrData: string };
    expect(qrData).toBeTruthy();

    const pending = await browser.json(`/auth/eid/status/${transactionId}`);
    expect(await pending.json()).toMatchObject({ transactionId, status: 'pending' });

    const simSession = sim.sessions().find((s) => s.externalReference === transactionId);
    sim.complete(simSession!.id, 'success', 'se-anna');
    const beforeLogin = browser.sessionCookie;
    // The engine asks the provider at most once a second per transaction: poll as a client does.
    const complete = await pollWhilePending(() => browser.json(`/auth/eid/status/${transactionId}`));
    expect(complete.status).toBe(200);
    expect(await complete.json()).toMatchObject({ transactionId, status: 'complete' });
    expect(browser.sessionCookie).not.toBe(beforeLogin);
    expect(verified).toHaveLength(1);
    expect((await browser.whoami()).user).toMatchObject({ name: 'Anna Andersson' });
    expect(await (await browser.json('/auth/eid/session')).json()).toEqual({ identity: verified[0] });

    // The identity is handed over once: a later poll (a reload) sees the same, and logs in nobody again.
    const again = await browser.json(`/auth/eid/status/${transactionId}`);
    expect(await again.json()).toEqual({ transactionId, status: 'complete', returnTo: '/' });
    expect(verified).toHaveLength(1);
  });

  it('verifies a caller (nbid-phone) for a Passport-authenticated operator: the status answers the person, nobody else logs in', async () => {
    const browser = await start();
    const verifyCaller = () =>
      browser.json('/auth/eid/start/signicat/nbid-phone', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nin: KARI_NIN }),
      });
    const refused = await verifyCaller();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(operatorChecks.at(-1)).toBe(false);

    // The operator logs in (Ola), then verifies a caller (Kari).
    const login = await browser.request('/auth/eid/start/signicat/nbid');
    expect(
      (await browser.request(await approve(login.headers.get('location')!, 'success', 'no-ola'))).status,
    ).toBe(303);
    const operator = await browser.whoami();
    expect(operator.user).toMatchObject({ name: 'Ola Nordmann' });
    const started = await verifyCaller();
    expect(started.status).toBe(200);
    expect(operatorChecks.at(-1)).toBe(true);
    const { transactionId, bindingMessage } = (await started.json()) as {
      transactionId: string;
      bindingMessage: string;
    };
    const simSession = sim
      .sessions()
      .find((s) => s.bindingMessage === bindingMessage && ['CREATED', 'WAITING_FOR_USER'].includes(s.status));
    sim.complete(simSession!.id, 'success', 'no-kari');
    const complete = await pollWhilePending(() => browser.json(`/auth/eid/status/${transactionId}`));
    expect(complete.status).toBe(200);
    expect(await complete.json()).toEqual({
      transactionId,
      status: 'complete',
      verified: expect.objectContaining({ name: 'Kari Nordmann', method: 'nbid-phone' }),
    });
    // Passport's verify ran for the operator's login only; the operator is still Ola.
    expect(verified.map((identity) => identity.name)).toEqual(['Ola Nordmann']);
    const after = await browser.whoami();
    expect(after.user).toEqual(operator.user);
    expect(after.eid?.identity).toEqual(operator.eid?.identity);
  });

  it('answers unreadable and oversized bodies with the contract error, with each route its own limit', async () => {
    const browser = await start();
    const malformed = await browser.json('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"nin":"${KARI_NIN}"`,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('cache-control')).toBe('no-store');
    const text = await malformed.text();
    expect(text).not.toContain(KARI_NIN);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_request' } });

    const large = await browser.json('/auth/eid/start/signicat/nbid-phone', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nin: KARI_NIN, returnTo: `/${'a'.repeat(40_000)}` }),
    });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 'invalid_request' } });

    const push = await browser.json('/auth/eid/webhook/no-such-provider', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(500_000) }),
    });
    expect(push.status).toBe(404);
    expect(await push.json()).toMatchObject({ error: { code: 'unknown_provider' } });
  });

  it('cancels, lists methods and refuses webhooks through the engine', async () => {
    const browser = await start();
    const methods = await browser.json('/auth/eid/methods');
    expect(methods.status).toBe(200);
    expect(await methods.json()).toContainEqual(
      expect.objectContaining({ provider: 'signicat', method: 'nbid' }),
    );

    const started = await browser.json('/auth/eid/start/signicat/nbid');
    const { transactionId } = (await started.json()) as { transactionId: string };
    const cancelled = await browser.json(`/auth/eid/cancel/${transactionId}`, { method: 'POST' });
    expect(await cancelled.json()).toEqual({ transactionId, status: 'cancelled' });

    const webhook = await browser.json('/auth/eid/webhook/signicat', { method: 'POST' });
    expect(webhook.status).toBe(404);
  });
});
