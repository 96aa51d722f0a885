import { describe, expect, it } from 'vitest';
import type { EidOutcome, EidRequest } from '../src/engine/contract.js';
import { createEid, type EidSessionData, MemoryStore, type TransactionStore } from '../src/index.js';
import { commitSessionChange, type SessionPort } from '../src/session.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT, setup, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

const logout = { route: 'logout', httpMethod: 'POST', params: {}, headers: JSON_ACCEPT } as const;
const sessionRoute = { route: 'session', httpMethod: 'GET', params: {}, headers: JSON_ACCEPT } as const;

/**
 * Server-side sessions as express-session and @fastify/session (with `rolling: false`) keep them: a request loads
 * a copy of the session its cookie names, and at the end saves it back under that id only if it changed;
 * renewing destroys the old id and starts a new one. Each browser holds a cookie; a copy of a cookie is a thief.
 */
function sessionServer(eid: ReturnType<typeof setup>['eid']) {
  const sessions = new Map<string, string>();
  let nextId = 1;
  /** One request of the browser holding `cookie.id`: the engine's route, then the session saved if changed. */
  async function request(cookie: { id?: string }, input: Omit<EidRequest, 'session'>): Promise<EidOutcome> {
    const loadedId = cookie.id !== undefined && sessions.has(cookie.id) ? cookie.id : undefined;
    const loaded = loadedId ? sessions.get(loadedId)! : '{}';
    let id = loadedId ?? `sid-${nextId++}`;
    let data = JSON.parse(loaded) as { eid?: EidSessionData };
    let renewed = false;
    const port: SessionPort = {
      read: () => data.eid,
      write: (eid) => {
        if (eid) data.eid = eid;
        else delete data.eid;
      },
      renew: async () => {
        sessions.delete(id);
        id = `sid-${nextId++}`;
        data = {};
        renewed = true;
      },
    };
    const outcome = await eid.handle({ ...input, session: port.read() });
    if (outcome.session) await commitSessionChange(outcome.session, port);
    if (renewed || JSON.stringify(data) !== loaded) {
      sessions.set(id, JSON.stringify(data));
      cookie.id = id;
    }
    return outcome;
  }
  return { sessions, request };
}

async function loggedIn(context: ReturnType<typeof setup>, server: ReturnType<typeof sessionServer>) {
  const cookie: { id?: string } = {};
  const start = {
    route: 'start',
    httpMethod: 'GET',
    params: { provider: 'acme', method: 'bankid' },
  } as const;
  await server.request(cookie, { ...start, headers: HTML_ACCEPT });
  const tx = txFromCallbackUrl(context.state.starts.at(-1)!.callbackUrl);
  context.state.result = { status: 'complete', identity: KARI };
  const callback = {
    route: 'callback',
    httpMethod: 'GET',
    params: { provider: 'acme' },
    query: { tx },
  } as const;
  const done = await server.request(cookie, { ...callback, headers: HTML_ACCEPT });
  expect(done.session?.kind).toBe('login');
  return { cookie, tx };
}

describe('logout sticks: a start cannot bring a logged-out session back', () => {
  it('a start in a logged-in session writes nothing: the login gave the session its own binding', async () => {
    const context = setup();
    const alice = browser(context.eid);
    await alice.start('bankid');
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    context.state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    const binding = alice.jar.session?.binding;
    expect(binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await alice.start('bankid');
    expect(again.session).toBeUndefined();
    const headless = await alice.headless({ nin: '01819012365' });
    expect(headless.session).toBeUndefined();
    expect(alice.jar.session?.binding).toBe(binding);
  });

  it('a start with a copy of the logged-in cookie, held while the owner logs out, saves nothing back: the copy is not logged in and the old session id stays gone', async () => {
    const context = setup();
    const server = sessionServer(context.eid);
    const { cookie: owner } = await loggedIn(context, server);
    const oldId = owner.id!;
    const thief = { ...owner };

    let release = () => {};
    context.state.startGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = server.request(thief, {
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'phone' },
      body: { nin: '01819012365' },
      headers: JSON_ACCEPT,
    });
    // The start has read the session and is waiting for the provider.
    await new Promise((resolve) => setImmediate(resolve));
    expect(context.state.starts).toHaveLength(2);

    expect((await server.request(owner, logout)).response).toEqual({ type: 'empty', status: 204 });
    expect(owner.id).not.toBe(oldId);
    expect(server.sessions.has(oldId)).toBe(false);

    release();
    context.state.startGate = undefined;
    const started = await held;
    expect(started.response).toMatchObject({ status: 200 });
    expect(started.session).toBeUndefined();
    expect(server.sessions.has(oldId)).toBe(false);
    expect((await server.request(thief, sessionRoute)).response).toMatchObject({ status: 401 });
    expect((await server.request(owner, sessionRoute)).response).toMatchObject({ status: 401 });
  });
});

describe('logout sticks: the logout is recorded in the store', () => {
  it('a copy of the logged-in session (a sealed cookie) is not logged in after the logout, and is logged out itself', async () => {
    const context = setup();
    const alice = browser(context.eid);
    await alice.start('bankid');
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    context.state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    const copy = structuredClone(alice.jar.session);
    expect(await context.eid.sessionIdentity(copy)).toMatchObject({ transactionId: tx });

    expect((await alice.call(logout)).session).toEqual({ kind: 'logout' });
    expect(await context.store.isLoggedOut(tx)).toBe(true);
    expect(await context.eid.sessionIdentity(copy)).toBeUndefined();
    const answer = await context.eid.handle({ ...sessionRoute, session: copy });
    expect(answer.response).toEqual({
      type: 'json',
      status: 401,
      body: { error: { code: 'unauthenticated', message: expect.any(String) } },
    });
    // The copy's session is logged out as a logout would (renewed, eid removed).
    expect(answer.session).toEqual({ kind: 'logout' });

    // A later login of the same person is another transaction: it stands.
    await alice.start('bankid');
    const second = txFromCallbackUrl(context.state.starts[1]!.callbackUrl);
    await alice.callback({ tx: second });
    expect((await alice.call(sessionRoute)).response).toMatchObject({ status: 200 });
  });

  it('is remembered for sessionMaxAgeSeconds after the logout, then forgotten', async () => {
    let clock = Date.parse('2026-12-01T12:00:00Z');
    const now = () => clock;
    const { provider, state } = scriptedProvider();
    const store = new MemoryStore({ now });
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [provider],
      store,
      now,
      sessionMaxAgeSeconds: 3600,
    });
    const alice = browser(eid);
    await alice.start('bankid');
    const tx = txFromCallbackUrl(state.starts[0]!.callbackUrl);
    state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    const copy = structuredClone(alice.jar.session);
    await alice.call(logout);
    clock += 3600 * 1000 - 1;
    expect(await eid.sessionIdentity(copy)).toBeUndefined();
    clock += 1;
    expect(await store.isLoggedOut(tx)).toBe(false);
  });

  it('defaults to a day, and refuses a bad sessionMaxAgeSeconds', async () => {
    let clock = Date.now();
    const store = new MemoryStore({ now: () => clock });
    const context = setup();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [context.eid.provider('acme')!],
      store,
      now: () => clock,
    });
    const tx = 'T'.repeat(43);
    await eid.handle({
      ...logout,
      session: { identity: { ...KARI, provider: 'acme', method: 'bankid', transactionId: tx } },
    });
    clock += 86_400_000 - 1;
    expect(await store.isLoggedOut(tx)).toBe(true);
    clock += 1;
    expect(await store.isLoggedOut(tx)).toBe(false);
    for (const sessionMaxAgeSeconds of [0, -1, Number.NaN]) {
      expect(() =>
        createEid({
          baseUrl: 'https://shop.example',
          providers: [context.eid.provider('acme')!],
          sessionMaxAgeSeconds,
        }),
      ).toThrow(/sessionMaxAgeSeconds/);
    }
  });

  it('an identity the engine did not write (no transaction id of its kind) does not count', async () => {
    const { eid } = setup();
    const forged = { identity: { ...KARI, provider: 'acme', method: 'bankid', transactionId: 'tx-1' } };
    expect(await eid.sessionIdentity(forged)).toBeUndefined();
    expect((await eid.handle({ ...sessionRoute, session: forged })).response).toMatchObject({ status: 401 });
    expect(await eid.sessionIdentity(undefined)).toBeUndefined();
  });

  it('refuses a store that cannot remember logouts, naming the method', () => {
    const context = setup();
    const {
      recordLogout: _r,
      isLoggedOut: _i,
      ...rest
    } = {
      create: async () => undefined,
      get: async () => undefined,
      compareAndSet: async () => false,
      delete: async () => {},
      increment: async () => ({ count: 1, resetAt: 0 }),
      getKey: async () => undefined,
      swapKey: async () => true,
      recordLogout: async () => {},
      isLoggedOut: async () => false,
    } satisfies TransactionStore;
    expect(() =>
      createEid({
        baseUrl: 'https://shop.example',
        providers: [context.eid.provider('acme')!],
        store: rest as unknown as TransactionStore,
      }),
    ).toThrow(/`store` lacks recordLogout, isLoggedOut/);
  });
});

describe('logout without a session', () => {
  it('changes no session (an adapter then creates none); with only a binding the session is still renewed', async () => {
    const { eid, store } = setup();
    const none = await eid.handle({ ...logout });
    expect(none).toEqual({ response: { type: 'empty', status: 204 } });
    const bound = await eid.handle({ ...logout, session: { binding: 'b' } });
    expect(bound.session).toEqual({ kind: 'logout' });
    expect(await store.isLoggedOut('T'.repeat(43))).toBe(false);
  });
});
