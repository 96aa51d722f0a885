import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid } from '../src/index.js';
import { MemoryStore } from '../src/store/memory.js';
import { webhookToken } from '../src/webhook.js';
import { browser, JSON_ACCEPT, setup, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI, scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

describe('callback', () => {
  async function startedLogin() {
    const context = setup();
    const alice = browser(context.eid);
    await alice.start('bankid', { returnTo: '/profile' });
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    return { ...context, alice, tx };
  }

  it('logs in: identity into a regenerated session, 303 to returnTo', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    const outcome = await alice.callback({ tx, outcome: 'success' });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/profile' });
    expect(outcome.session).toEqual({
      kind: 'login',
      identity: { ...KARI, provider: 'acme', method: 'bankid', transactionId: tx },
      binding: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const session = await eid.handle({
      route: 'session',
      httpMethod: 'GET',
      params: {},
      session: alice.jar.session,
    });
    expect(session.response).toMatchObject({ status: 200, body: { identity: { name: 'Kari Nordmann' } } });
  });

  it('a callback in another browser stops the login: transaction_not_found there, browser_mismatch then already_used in the browser that started it, cancelled at the provider', async () => {
    const { eid, state, alice, tx, store } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    // The person approved at the eID in their own browser, which comes back here without the binding.
    const victim = browser(eid);
    const outcome = await victim.callback({ tx });
    expect(outcome.response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=transaction_not_found',
    });
    expect(outcome.session).toBeUndefined();
    expect(state.completes).toBe(0);
    expect(state.cancels).toEqual(['ref-1']);
    expect(await store.get(tx)).toMatchObject({ status: 'failed', error: { code: 'browser_mismatch' } });

    // The browser that started it (the relaying one) gets an error, not a login, and the same on a reload.
    const starter = await alice.callback({ tx }, JSON_ACCEPT);
    expect(starter.response).toMatchObject({ status: 403, body: { error: { code: 'browser_mismatch' } } });
    expect(starter.session).toBeUndefined();
    expect(state.completes).toBe(0);
    const reload = await alice.callback({ tx });
    expect(reload.response).toMatchObject({ location: '/?error=browser_mismatch' });
    expect(reload.session).toBeUndefined();
    expect(await victim.call({ route: 'session', httpMethod: 'GET', params: {} })).toMatchObject({
      response: { status: 401 },
    });
  });

  it('a callback in another browser stops a login even while the starting browser is asking the provider', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    state.completeDelayMs = 40;
    const racing = alice.callback({ tx }, JSON_ACCEPT);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await browser(eid).callback({ tx });
    const outcome = await racing;
    expect(outcome.response).toMatchObject({ status: 403, body: { error: { code: 'browser_mismatch' } } });
    expect(outcome.session).toBeUndefined();
  });

  it('a callback in another browser drops the identity a push left for the starting browser', async () => {
    const { eid, state, alice, tx, store } = await startedLogin();
    const pushed = await eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
      body: { reference: 'ref-1', result: { status: 'complete', identity: KARI } },
      headers: { contentType: 'application/json' },
    });
    expect(pushed.response).toMatchObject({ status: 200 });
    expect((await store.get(tx))?.identity).toBeDefined();
    await browser(eid).callback({ tx });
    const stopped = await store.get(tx);
    expect(stopped).toMatchObject({ status: 'failed', error: { code: 'browser_mismatch' } });
    expect(stopped?.identity).toBeUndefined();
    expect((await alice.callback({ tx }, JSON_ACCEPT)).response).toMatchObject({
      status: 403,
      body: { error: { code: 'browser_mismatch' } },
    });
    expect(state.completes).toBe(0);
  });

  it('a callback in another browser leaves a finished login alone, and a provider refusing the cancel changes nothing', async () => {
    const { eid, state, alice, tx, store } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    const done = await store.get(tx);
    await browser(eid).callback({ tx });
    expect(await store.get(tx)).toEqual(done);
    expect(state.cancels).toEqual([]);

    const other = await startedLogin();
    other.state.cancelError = new EidError('provider_error', 'The session is SUCCESS.');
    const outcome = await browser(other.eid).callback({ tx: other.tx }, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({
      status: 404,
      body: { error: { code: 'transaction_not_found' } },
    });
    expect((await other.store.get(other.tx))?.status).toBe('failed');
  });

  it("a callback in another browser on another provider's route stops nothing", async () => {
    const acme = scriptedProvider('acme');
    const other = scriptedProvider('other');
    const store = new MemoryStore();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [acme.provider, other.provider],
      store,
    });
    await browser(eid).start('bankid');
    const tx = txFromCallbackUrl(acme.state.starts[0]!.callbackUrl);
    const outcome = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'other' },
      query: { tx },
      headers: JSON_ACCEPT,
    });
    expect(outcome.error?.code).toBe('transaction_not_found');
    expect((await store.get(tx))?.status).toBe('pending');
    expect(acme.state.cancels).toEqual([]);
  });

  it('a reloaded callback in the same (regenerated) session gives the same answer and changes nothing', async () => {
    const { state, alice, tx } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    const oldBinding = alice.jar.session?.binding;
    const login = await alice.callback({ tx });
    expect(login.session).toEqual({
      kind: 'login',
      identity: expect.objectContaining({ transactionId: tx }),
      binding: expect.any(String),
    });
    // The logged-in session has a binding of its own, not the one from before the login.
    expect(alice.jar.session?.binding).toEqual(expect.any(String));
    expect(alice.jar.session?.binding).not.toBe(oldBinding);
    const sessionBefore = alice.jar.session;
    const replay = await alice.callback({ tx }, JSON_ACCEPT);
    expect(replay.response).toEqual({
      type: 'json',
      status: 200,
      body: { transactionId: tx, status: 'complete', returnTo: '/profile' },
    });
    expect(replay.session).toBeUndefined();
    expect(alice.jar.session).toBe(sessionBefore);
    expect((await alice.callback({ tx })).response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/profile',
    });
    // The status page reloaded shows the same.
    expect((await alice.status(tx)).response).toMatchObject({
      status: 200,
      body: { transactionId: tx, status: 'complete', returnTo: '/profile' },
    });
    expect(alice.jar.session).toBe(sessionBefore);
    expect(state.completes).toBe(1);
    // Logged out: the spent login never logs anyone in again.
    await alice.call({ route: 'logout', httpMethod: 'POST', params: {}, headers: JSON_ACCEPT });
    const afterLogout = await alice.callback({ tx }, JSON_ACCEPT);
    expect(afterLogout.response).toMatchObject({ status: 404 });
    expect(afterLogout.session).toBeUndefined();
    expect(state.completes).toBe(1);
  });

  it('the old binding is dropped at login: another transaction of the old session is not found', async () => {
    const { eid, state, alice } = await startedLogin();
    const oldBinding = alice.jar.session!.binding!;
    await alice.start('bankid');
    const second = txFromCallbackUrl(state.starts[1]!.callbackUrl);
    state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx: txFromCallbackUrl(state.starts[0]!.callbackUrl) });
    expect((await alice.status(second)).response).toMatchObject({ status: 404 });
    const withOld = await eid.handle({
      route: 'status',
      httpMethod: 'GET',
      params: { transactionId: second },
      session: { binding: oldBinding },
    });
    expect(withOld.response).toMatchObject({ status: 200, body: { status: 'pending' } });
  });

  it('a replay with the original binding is already_used', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    const binding = alice.jar.session!.binding!;
    state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    const replay = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: { tx },
      headers: JSON_ACCEPT,
      session: { binding },
    });
    expect(replay.response).toMatchObject({ status: 409, body: { error: { code: 'already_used' } } });
    expect(replay.session).toBeUndefined();
    expect(state.completes).toBe(1);
  });

  it('many concurrent callbacks log in exactly once', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    const binding = alice.jar.session!.binding!;
    state.result = { status: 'complete', identity: KARI };
    state.completeDelayMs = 5;
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () =>
        eid.handle({
          route: 'callback',
          httpMethod: 'GET',
          params: { provider: 'acme' },
          query: { tx },
          headers: JSON_ACCEPT,
          session: { binding },
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.session?.kind === 'login')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.error?.code === 'already_used')).toHaveLength(24);
  });

  it('concurrent callbacks ask the provider one at a time: a one-time code is exchanged once', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    const binding = alice.jar.session!.binding!;
    // Like OIDC: the first exchange of the code succeeds, any later one fails (invalid_grant).
    const { provider } = scriptedProvider();
    let exchanges = 0;
    provider.complete = async () => {
      exchanges++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return exchanges === 1
        ? { status: 'complete', identity: KARI }
        : { status: 'failed', error: new EidError('provider_error', 'invalid_grant') };
    };
    eid.provider('acme')!.complete = provider.complete;
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () =>
        eid.handle({
          route: 'callback',
          httpMethod: 'GET',
          params: { provider: 'acme' },
          query: { tx },
          headers: JSON_ACCEPT,
          session: { binding },
        }),
      ),
    );
    expect(exchanges).toBe(1);
    expect(outcomes.filter((outcome) => outcome.session?.kind === 'login')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.error?.code === 'already_used')).toHaveLength(3);
    expect(state.completes).toBe(0);
  });

  it('a callback the provider refuses (a forged one) does not hold up the genuine one', async () => {
    const { eid, state, alice, tx } = await startedLogin();
    const original = eid.provider('acme')!.complete;
    eid.provider('acme')!.complete = async () => {
      throw new EidError('transaction_not_found', 'Forged.');
    };
    expect((await alice.callback({ tx }, JSON_ACCEPT)).response).toMatchObject({ status: 404 });
    eid.provider('acme')!.complete = original;
    state.result = { status: 'complete', identity: KARI };
    const started = Date.now();
    expect((await alice.callback({ tx })).session?.kind).toBe('login');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('user abort goes to the failure page with user_cancelled, and the transaction is spent', async () => {
    const { state, alice, tx, store } = await startedLogin();
    state.result = { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
    const outcome = await alice.callback({ tx, outcome: 'abort' });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/?error=user_cancelled' });
    expect(outcome.session).toBeUndefined();
    expect((await store.get(tx))?.status).toBe('failed');
    // Reloaded: the same answer, without asking the provider again.
    expect((await alice.callback({ tx })).response).toMatchObject({ location: '/?error=user_cancelled' });
    expect(state.completes).toBe(1);
  });

  it('an expired transaction is transaction_expired, without asking the provider', async () => {
    let clock = Date.now();
    const context = setup({ now: () => clock });
    const alice = browser(context.eid);
    await alice.start();
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    context.state.result = { status: 'complete', identity: KARI };
    clock += 61_000;
    const outcome = await alice.callback({ tx });
    expect(outcome.response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=transaction_expired',
    });
    expect(context.state.completes).toBe(0);
    // Again: still the expiry, not `already_used` (docs/http-contract.md §5).
    expect((await alice.callback({ tx })).response).toMatchObject({
      location: '/?error=transaction_expired',
    });
    expect((await alice.status(tx)).response).toMatchObject({
      status: 404,
      body: { error: { code: 'transaction_expired' } },
    });
  });

  it('a provider still pending at the callback leaves the transaction pending', async () => {
    const { state, alice, tx, store } = await startedLogin();
    state.result = { status: 'pending' };
    const outcome = await alice.callback({ tx }, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({ status: 502, body: { error: { code: 'provider_error' } } });
    expect((await store.get(tx))?.status).toBe('pending');
  });

  it('an unknown, missing or malformed tx is transaction_not_found', async () => {
    const { alice } = await startedLogin();
    for (const query of [{}, { tx: 'short' }, { tx: 'A'.repeat(43) }, { tx: ['a', 'b'] }]) {
      expect((await alice.callback(query, JSON_ACCEPT)).response).toMatchObject({
        status: 404,
        body: { error: { code: 'transaction_not_found' } },
      });
    }
  });
});
