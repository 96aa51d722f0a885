import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid, type Eid, type EidOutcome, type EidRequest, type EidSessionData } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { MemoryStore } from '../src/store/memory.js';
import { webhookToken } from '../src/webhook.js';
import { KARI, scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

const JSON_ACCEPT = { accept: 'application/json' };
const HTML_ACCEPT = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** One browser: its own session, changed the way an adapter changes it. */
function browser(eid: Eid) {
  const jar = { session: undefined as EidSessionData | undefined, sessionId: 1 };
  async function call(request: Omit<EidRequest, 'session'>): Promise<EidOutcome> {
    const outcome = await eid.handle({ ...request, session: jar.session });
    const change = outcome.session;
    if (change?.kind === 'bind') jar.session = { ...jar.session, binding: change.binding };
    if (change?.kind === 'login') {
      jar.sessionId++;
      jar.session = { identity: change.identity };
    }
    if (change?.kind === 'logout') jar.session = undefined;
    return outcome;
  }
  return {
    jar,
    call,
    start: (
      method = 'bankid',
      query: Record<string, unknown> = {},
      headers = HTML_ACCEPT,
      httpMethod = 'GET',
    ) => call({ route: 'start', httpMethod, params: { provider: 'acme', method }, query, headers }),
    headless: (body: Record<string, unknown>) =>
      call({
        route: 'start',
        httpMethod: 'POST',
        params: { provider: 'acme', method: 'phone' },
        body,
        headers: JSON_ACCEPT,
      }),
    callback: (query: Record<string, unknown>, headers = HTML_ACCEPT) =>
      call({ route: 'callback', httpMethod: 'GET', params: { provider: 'acme' }, query, headers }),
    status: (transactionId: string) =>
      call({ route: 'status', httpMethod: 'GET', params: { transactionId }, headers: JSON_ACCEPT }),
    cancel: (transactionId: string) =>
      call({ route: 'cancel', httpMethod: 'POST', params: { transactionId }, headers: JSON_ACCEPT }),
  };
}

function setup(options: { now?: () => number; logger?: Logger; maxEntries?: number } = {}) {
  const { provider, state } = scriptedProvider();
  const store = new MemoryStore({ now: options.now, maxEntries: options.maxEntries });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [provider],
    store,
    now: options.now,
    logger: options.logger,
    transactionTtlSeconds: 60,
  });
  return { eid, state, store };
}

const txFromCallbackUrl = (url: string) => new URL(url).searchParams.get('tx')!;

describe('createEid configuration', () => {
  const { provider } = scriptedProvider();
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['baseUrl', { baseUrl: 'shop.example' }, /`baseUrl`/],
    ['baseUrl protocol', { baseUrl: 'ftp://shop.example' }, /`baseUrl`/],
    ['prefix', { prefix: 'auth' }, /`prefix`/],
    ['providers', { providers: [] }, /`providers`/],
    ['provider version', { providers: [{ ...provider, specificationVersion: 'v0' }] }, /`providers\[0\]`/],
    ['provider id', { providers: [{ ...provider, id: 'Bad Id' }] }, /`providers\[0\]\.id`/],
    ['duplicate provider', { providers: [provider, provider] }, /`providers\[1\]`/],
    ['ttl', { transactionTtlSeconds: -1 }, /`transactionTtlSeconds`/],
    ['failureRedirect', { failureRedirect: 'https://evil.example' }, /`failureRedirect`/],
  ])('names the bad field: %s', (_name, override, message) => {
    expect(() =>
      createEid({ baseUrl: 'https://shop.example', providers: [provider], ...override } as never),
    ).toThrow(message);
  });

  it('lists the enabled methods', async () => {
    const { eid } = setup();
    const outcome = await eid.handle({ route: 'methods', httpMethod: 'GET', params: {} });
    expect(outcome.response).toEqual({
      type: 'json',
      status: 200,
      body: [
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'bankid',
          flow: 'redirect',
          label: 'Acme BankID',
          country: 'NO',
        },
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'phone',
          flow: 'headless',
          label: 'Acme by phone',
          country: 'NO',
          requiresNin: true,
        },
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'swiss',
          flow: 'redirect',
          label: 'Acme Swiss',
          country: 'CH',
        },
      ],
    });
    expect(eid.prefix).toBe('/auth/eid');
    expect(eid.baseUrl).toBe('https://shop.example');
  });
});

describe('start', () => {
  it('redirects to the provider, binds the browser and stores only a hash of the binding', async () => {
    const { eid, state, store } = setup();
    const alice = browser(eid);
    const outcome = await alice.start('bankid', { returnTo: '/profile?tab=1', lang: 'nb' });
    expect(outcome.response).toEqual({
      type: 'redirect',
      status: 302,
      location: 'https://idp.example/login?session=ref-1',
    });
    expect(outcome.session?.kind).toBe('bind');
    const binding = alice.jar.session!.binding!;
    expect(binding.length).toBeGreaterThanOrEqual(43);
    const callbackUrl = new URL(state.starts[0]!.callbackUrl);
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(
      'https://shop.example/auth/eid/callback/acme',
    );
    const id = callbackUrl.searchParams.get('tx')!;
    expect(Buffer.from(id, 'base64url').length).toBeGreaterThanOrEqual(16);
    const stored = await store.get(id);
    expect(stored).toMatchObject({
      status: 'pending',
      returnTo: '/profile?tab=1',
      reference: 'ref-1',
      flow: 'redirect',
    });
    expect(JSON.stringify(stored)).not.toContain(binding);
    expect(state.starts[0]!.lang).toBe('nb');

    const second = await alice.start();
    expect(second.session).toBeUndefined();
  });

  it('answers JSON when asked', async () => {
    const { eid } = setup();
    const outcome = await browser(eid).start('bankid', {}, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({
      type: 'json',
      status: 200,
      body: {
        status: 'pending',
        redirectUrl: 'https://idp.example/login?session=ref-1',
        transactionId: expect.any(String),
      },
    });
    const body = (outcome.response as { body: { expiresAt: string } }).body;
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('starts a headless login with the nin, by POST only', async () => {
    const { eid, state } = setup();
    const alice = browser(eid);
    const outcome = await alice.headless({ nin: '018190 12365' });
    expect(outcome.response).toMatchObject({
      status: 200,
      body: { status: 'pending', bindingMessage: 'Blue whale' },
    });
    expect(state.starts[0]!.nin).toEqual({ value: '01819012365', country: 'NO', type: 'TEST' });
    const viaGet = await alice.start('phone', { nin: '01819012365' }, JSON_ACCEPT, 'GET');
    expect(viaGet.response).toMatchObject({ status: 405, body: { error: { code: 'invalid_request' } } });
  });

  it.each<[string, Record<string, unknown>, string, number]>([
    ['absolute returnTo', { returnTo: 'https://evil.example/' }, 'invalid_return_to', 400],
    ['protocol-relative returnTo', { returnTo: '//evil.example' }, 'invalid_return_to', 400],
    ['backslash returnTo', { returnTo: '/\\evil.example' }, 'invalid_return_to', 400],
    ['repeated returnTo', { returnTo: ['/a', '/b'] }, 'invalid_request', 400],
    ['oversized returnTo', { returnTo: `/${'a'.repeat(5000)}` }, 'invalid_request', 400],
    ['invalid nin', { nin: '01819012366' }, 'invalid_nin', 400],
    ['unknown language', { lang: 'xx' }, 'invalid_request', 400],
  ])('refuses %s and stores nothing', async (_name, query, code, status) => {
    const { eid, state, store } = setup();
    const outcome = await browser(eid).start('bankid', query, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({ type: 'json', status, body: { error: { code } } });
    expect(outcome.session).toBeUndefined();
    expect(state.starts).toHaveLength(0);
    expect(store.size).toBe(0);
    expect(JSON.stringify(outcome.response)).not.toContain('01819012366');
  });

  it('headless without nin, and a nin for a method without national ids, are invalid_nin', async () => {
    const { eid } = setup();
    expect((await browser(eid).headless({})).response).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_nin' } },
    });
    const swiss = await browser(eid).start('swiss', { nin: '01819012365' }, JSON_ACCEPT);
    expect(swiss.response).toMatchObject({ status: 400, body: { error: { code: 'invalid_nin' } } });
  });

  it('unknown provider or method: JSON 404 for APIs, the failure page for browsers', async () => {
    const { eid } = setup();
    const unknownProvider = await eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'nope', method: 'bankid' },
      headers: JSON_ACCEPT,
    });
    expect(unknownProvider.response).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_provider' } },
    });
    const unknownMethod = await browser(eid).start('nope');
    expect(unknownMethod.response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=unknown_method',
    });
    expect(unknownMethod.error?.code).toBe('unknown_method');
  });

  it('a provider failure stores nothing and binds nothing', async () => {
    const { eid, state, store } = setup();
    state.startError = new EidError('provider_unavailable', 'Acme is down.');
    const outcome = await browser(eid).start('bankid', {}, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({
      status: 503,
      body: { error: { code: 'provider_unavailable', message: 'Acme is down.' } },
    });
    expect(outcome.session).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('an unexpected exception becomes provider_error without leaking its message', async () => {
    const { eid, state } = setup();
    state.startError = new TypeError('secret internals') as never;
    const outcome = await browser(eid).start('bankid', {}, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({ status: 502, body: { error: { code: 'provider_error' } } });
    expect(JSON.stringify(outcome.response)).not.toContain('secret internals');
  });
});

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
    });
    const session = await eid.handle({
      route: 'session',
      httpMethod: 'GET',
      params: {},
      session: alice.jar.session,
    });
    expect(session.response).toMatchObject({ status: 200, body: { identity: { name: 'Kari Nordmann' } } });
  });

  it('a callback from another browser finds nothing and writes nothing', async () => {
    const { eid, state, tx, store } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    const mallory = browser(eid);
    const outcome = await mallory.callback({ tx });
    expect(outcome.response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=transaction_not_found',
    });
    expect(outcome.session).toBeUndefined();
    expect(state.completes).toBe(0);
    expect((await store.get(tx))?.status).toBe('pending');
  });

  it('a replayed callback in the same (regenerated) session is already_used and changes nothing', async () => {
    const { state, alice, tx } = await startedLogin();
    state.result = { status: 'complete', identity: KARI };
    const login = await alice.callback({ tx });
    expect(login.session).toEqual({
      kind: 'login',
      identity: expect.objectContaining({ transactionId: tx }),
    });
    expect(alice.jar.session).not.toHaveProperty('binding');
    const sessionBefore = alice.jar.session;
    const replay = await alice.callback({ tx }, JSON_ACCEPT);
    expect(replay.response).toMatchObject({ status: 409, body: { error: { code: 'already_used' } } });
    expect(replay.session).toBeUndefined();
    expect(alice.jar.session).toBe(sessionBefore);
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
    expect((await alice.callback({ tx })).response).toMatchObject({ location: '/?error=already_used' });
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
    // Again: still the expiry, not `already_used` (DESIGN 4.3).
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

describe('status and cancel (headless)', () => {
  async function headless() {
    const clock = { now: Date.now() };
    const context = setup({ now: () => clock.now });
    const alice = browser(context.eid);
    const started = await alice.headless({ nin: '01819012365', returnTo: '/profile' });
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    /** Past the poll throttle (one provider poll per second per transaction). */
    const nextPoll = () => {
      clock.now += 1000;
    };
    return { ...context, alice, tx, clock, nextPoll };
  }

  it('polls the provider at most once a second per transaction, answering what it knows meanwhile', async () => {
    const { state, alice, tx, nextPoll } = await headless();
    await alice.status(tx);
    await alice.status(tx);
    await alice.status(tx);
    expect(state.completes).toBe(1);
    nextPoll();
    const polls = await Promise.all(Array.from({ length: 5 }, () => alice.status(tx)));
    expect(state.completes).toBe(2);
    for (const poll of polls)
      expect(poll.response).toMatchObject({ body: { status: 'pending', bindingMessage: 'Blue whale' } });
  });

  it('polls the provider and writes the identity into the session once', async () => {
    const { state, alice, tx, nextPoll } = await headless();
    const binding = alice.jar.session!.binding;
    expect((await alice.status(tx)).response).toEqual({
      type: 'json',
      status: 200,
      body: { transactionId: tx, status: 'pending', bindingMessage: 'Blue whale' },
    });
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    const done = await alice.status(tx);
    expect(done.response).toEqual({
      type: 'json',
      status: 200,
      body: { transactionId: tx, status: 'complete', returnTo: '/profile' },
    });
    expect(done.session?.kind).toBe('login');
    // The old binding (e.g. a second tab of the same old session) sees it complete, without a second login.
    alice.jar.session = { ...alice.jar.session, binding };
    const again = await alice.status(tx);
    expect(again.session).toBeUndefined();
    expect(again.response).toMatchObject({ body: { status: 'complete' } });
  });

  it('status of another browser, unknown or malformed ids is 404', async () => {
    const { eid, tx } = await headless();
    expect((await browser(eid).status(tx)).response).toMatchObject({ status: 404 });
    expect((await browser(eid).status('x'.repeat(43))).response).toMatchObject({ status: 404 });
    expect((await browser(eid).status('../../etc')).response).toMatchObject({ status: 404 });
  });

  it('a failed login reports its error code', async () => {
    const { state, alice, tx } = await headless();
    state.result = { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
    expect((await alice.status(tx)).response).toMatchObject({
      body: { status: 'failed', error: { code: 'user_cancelled' } },
    });
  });

  it('cancel cancels at the provider, then locally; twice is fine', async () => {
    const { state, alice, tx } = await headless();
    expect((await alice.cancel(tx)).response).toEqual({
      type: 'json',
      status: 200,
      body: { transactionId: tx, status: 'cancelled' },
    });
    expect(state.cancels).toEqual(['ref-1']);
    expect((await alice.cancel(tx)).response).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    expect(state.cancels).toHaveLength(1);
    expect((await alice.status(tx)).response).toMatchObject({ body: { status: 'cancelled' } });
  });

  it('a cancel the provider refuses changes nothing', async () => {
    const { state, alice, tx, store } = await headless();
    state.cancelError = new EidError('provider_unavailable', 'Acme is down.');
    expect((await alice.cancel(tx)).response).toMatchObject({ status: 503 });
    expect((await store.get(tx))?.status).toBe('pending');
  });

  it('cancelling a finished login is already_used', async () => {
    const { state, alice, tx } = await headless();
    const binding = alice.jar.session!.binding;
    state.result = { status: 'complete', identity: KARI };
    await alice.status(tx);
    alice.jar.session = { binding };
    expect((await alice.cancel(tx)).response).toMatchObject({
      status: 409,
      body: { error: { code: 'already_used' } },
    });
  });
});

describe('errorResponse', () => {
  it('answers JSON, or the failure page with the code, for errors adapters raise themselves', () => {
    const { eid } = setup();
    const refused = new EidError('unauthenticated', 'This app does not accept this eID login.');
    expect(eid.errorResponse(refused, { page: false })).toEqual({
      type: 'json',
      status: 401,
      body: refused.toJSON(),
    });
    expect(eid.errorResponse(refused, { page: true })).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=unauthenticated',
    });
    expect(eid.errorResponse(refused, { page: true, failureRedirect: '/login?next=/a' })).toEqual({
      type: 'redirect',
      status: 303,
      location: '/login?next=%2Fa&error=unauthenticated',
    });
    expect(() => eid.errorResponse(refused, { page: true, failureRedirect: 'https://evil.example' })).toThrow(
      /failureRedirect/,
    );
  });
});

describe('session and logout', () => {
  it('401 without a login; logout is 204 for APIs and 303 for form posts', async () => {
    const { eid } = setup();
    const anonymous = await eid.handle({ route: 'session', httpMethod: 'GET', params: {} });
    expect(anonymous.response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    const api = await eid.handle({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { accept: '*/*' },
    });
    expect(api).toEqual({ session: { kind: 'logout' }, response: { type: 'empty', status: 204 } });
    const form = await eid.handle({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { accept: 'text/html', contentType: 'application/x-www-form-urlencoded' },
    });
    expect(form.response).toEqual({ type: 'redirect', status: 303, location: '/' });
  });
});

describe('personal data', () => {
  it('never logs a national identity number', async () => {
    const lines: string[] = [];
    const capture = (obj: object, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    const { eid, state } = setup({ logger });
    const alice = browser(eid);
    const started = await alice.headless({ nin: '01819012365' });
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    state.result = { status: 'complete', identity: KARI };
    await alice.status(tx);
    await browser(eid).headless({ nin: '01819012366' });
    // An unexpected failure whose message carries the number is logged, redacted.
    state.startError = new TypeError('upstream rejected 01819012365') as never;
    await browser(eid).headless({ nin: '01819012365' });
    expect(lines.some((line) => line.includes('unexpected error') && line.includes('[redacted]'))).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/0181901236/);
  });
});

describe('webhook', () => {
  async function headlessWithPush() {
    const context = setup();
    const alice = browser(context.eid);
    const started = await alice.headless({ nin: '01819012365' });
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    const webhookUrl = new URL(context.state.starts[0]!.webhookUrl);
    const push = (body: unknown, token = webhookToken(WEBHOOK_SECRET, tx), txParam = tx) =>
      context.eid.handle({
        route: 'webhook',
        httpMethod: 'POST',
        params: { provider: 'acme' },
        query: { tx: txParam, token },
        body,
        headers: { contentType: 'application/json' },
      });
    return { ...context, alice, tx, push, webhookUrl };
  }
  const success = { reference: 'ref-1', result: { status: 'complete', identity: KARI } };

  it('the engine hands the provider a webhook URL naming the transaction', async () => {
    const { webhookUrl, tx } = await headlessWithPush();
    expect(`${webhookUrl.origin}${webhookUrl.pathname}`).toBe('https://shop.example/auth/eid/webhook/acme');
    expect(webhookUrl.searchParams.get('tx')).toBe(tx);
  });

  it('a valid push finishes the login; the browser takes the identity once at its next poll', async () => {
    const { push, alice, tx, state } = await headlessWithPush();
    expect((await push(success)).response).toEqual({
      type: 'json',
      status: 200,
      body: { status: 'complete' },
    });
    const binding = alice.jar.session!.binding;
    const poll = await alice.status(tx);
    expect(poll.session).toMatchObject({
      kind: 'login',
      identity: { name: 'Kari Nordmann', transactionId: tx },
    });
    expect(state.completes).toBe(0);
    alice.jar.session = { binding };
    expect((await alice.status(tx)).session).toBeUndefined();
  });

  it('a wrong secret is 401 and changes nothing', async () => {
    const { push, store, tx } = await headlessWithPush();
    const outcome = await push(success, webhookToken('wrong', tx));
    expect(outcome.response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect((await store.get(tx))?.status).toBe('pending');
    expect((await push(success, '')).response).toMatchObject({ status: 401 });
  });

  it('a replayed push is acknowledged as a duplicate and changes nothing', async () => {
    const { push, store, tx } = await headlessWithPush();
    await push(success);
    const before = await store.get(tx);
    expect((await push(success)).response).toMatchObject({
      status: 200,
      body: { status: 'complete', duplicate: true },
    });
    expect(await store.get(tx)).toEqual(before);
  });

  it('a push after polling finished is a duplicate; the login happened once', async () => {
    const { push, alice, tx, state } = await headlessWithPush();
    state.result = { status: 'complete', identity: KARI };
    expect((await alice.status(tx)).session?.kind).toBe('login');
    expect((await push(success)).response).toMatchObject({ body: { duplicate: true } });
  });

  it('a push for another provider session or an unknown transaction is 404', async () => {
    const { push, tx } = await headlessWithPush();
    expect((await push({ ...success, reference: 'ref-other' })).response).toMatchObject({ status: 404 });
    const other = 'B'.repeat(43);
    expect((await push(success, webhookToken(WEBHOOK_SECRET, other), other)).response).toMatchObject({
      status: 404,
    });
    expect(tx).toBeTruthy();
  });

  it('a failure push fails the login with its code', async () => {
    const { push, alice, tx } = await headlessWithPush();
    await push({
      reference: 'ref-1',
      result: { status: 'failed', error: new EidError('user_cancelled', 'Cancelled.') },
    });
    expect((await alice.status(tx)).response).toMatchObject({
      body: { status: 'failed', error: { code: 'user_cancelled' } },
    });
  });

  it('a push racing many polls still logs in exactly once', async () => {
    const { push, eid, alice, tx, state } = await headlessWithPush();
    const binding = alice.jar.session!.binding!;
    state.result = { status: 'complete', identity: KARI };
    state.completeDelayMs = 3;
    const polls = Array.from({ length: 10 }, () =>
      eid.handle({ route: 'status', httpMethod: 'GET', params: { transactionId: tx }, session: { binding } }),
    );
    const [pushOutcome, ...outcomes] = await Promise.all([push(success), ...polls]);
    expect(pushOutcome.response.status).toBe(200);
    expect(outcomes.filter((outcome) => outcome.session?.kind === 'login')).toHaveLength(1);
  });

  it('a failure pushed before the browser returns is shown at its callback once, then already_used', async () => {
    const context = setup();
    const alice = browser(context.eid);
    await alice.start('bankid');
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    const pushed = await context.eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
      body: {
        reference: 'ref-1',
        result: { status: 'failed', error: new EidError('user_cancelled', 'Cancelled.') },
      },
    });
    expect(pushed.response).toMatchObject({ status: 200, body: { status: 'failed' } });
    expect((await alice.callback({ tx, outcome: 'abort' })).response).toMatchObject({
      location: '/?error=user_cancelled',
    });
    expect((await alice.callback({ tx })).response).toMatchObject({ location: '/?error=already_used' });
    expect(context.state.completes).toBe(0);
  });

  it('a push after the transaction expired does not finish it', async () => {
    let clock = Date.now();
    const context = setup({ now: () => clock });
    const alice = browser(context.eid);
    await alice.start('bankid');
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    clock += 10 * 60_000;
    const pushed = await context.eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
      body: success,
    });
    expect(pushed.response).toMatchObject({ status: 200, body: { status: 'expired' } });
    const callback = await alice.callback({ tx });
    expect(callback.session).toBeUndefined();
    expect(callback.response).toMatchObject({ location: '/?error=transaction_expired' });
  });

  it('a push that is only a signal makes the engine ask the provider, once', async () => {
    const { push, alice, tx, state } = await headlessWithPush();
    state.result = { status: 'complete', identity: KARI };
    expect((await push({ reference: 'ref-1' })).response).toMatchObject({
      status: 200,
      body: { status: 'complete' },
    });
    expect(state.completes).toBe(1);
    const poll = await alice.status(tx);
    expect(poll.session).toMatchObject({ kind: 'login', identity: { name: 'Kari Nordmann' } });
    expect(state.completes).toBe(1);
  });

  it('a provider without webhooks is unknown_provider', async () => {
    const { provider } = scriptedProvider('plain');
    const { webhook: _unused, ...withoutWebhook } = provider;
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [withoutWebhook] });
    const outcome = await eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'plain' },
      body: {},
    });
    expect(outcome.response).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider' } } });
  });
});
