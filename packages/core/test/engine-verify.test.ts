import { describe, expect, it, vi } from 'vitest';
import type { EidOptions, EidRequest, VerifyAuthorization } from '../src/engine/contract.js';
import { ninKey } from '../src/engine/push-limits.js';
import { EidError } from '../src/errors.js';
import type { Identity } from '../src/identity.js';
import { createEid } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { parseNationalId } from '../src/nin/index.js';
import { MemoryStore } from '../src/store/memory.js';
import type { TransactionStore } from '../src/store/types.js';
import { webhookToken } from '../src/webhook.js';
import { browser, JSON_ACCEPT } from './helpers/engine-browser.js';
import { KARI, scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

const CALLER_NIN = '01819012365';
const OTHER_NIN = '17829034034';

/** The operator, logged in with a login method of the app (as the example apps require). */
const OPERATOR: Identity = {
  provider: 'acme',
  method: 'bankid',
  subject: 'operator-7',
  name: 'Ola Operator',
  authenticatedAt: '2026-11-23T09:00:00.000Z',
  transactionId: 'operator-login-transaction-id-0000000000000',
};

const isOperator = (request: VerifyAuthorization) => request.identity?.subject === OPERATOR.subject;

function engine(options: Partial<EidOptions> & { clock?: { now: number } } = {}) {
  const { provider, state } = scriptedProvider();
  const clock = options.clock ?? { now: Date.now() };
  const now = () => clock.now;
  const store = options.store ?? new MemoryStore({ now });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [provider],
    transactionTtlSeconds: 60,
    ...options,
    store,
    now,
  });
  /** A browser whose session holds the operator's login (and, after a start, its binding). */
  const operator = () => {
    const one = browser(eid);
    one.jar.session = { identity: OPERATOR };
    return one;
  };
  /** Past the poll throttle (one provider poll per second per transaction). */
  const nextPoll = () => {
    clock.now += 1000;
  };
  return { eid, state, store, clock, operator, nextPoll };
}

type Browser = ReturnType<typeof browser>;

const verifyCaller = (who: Browser, nin = CALLER_NIN, extra: Partial<EidRequest> = {}) =>
  who.call({
    route: 'start',
    httpMethod: 'POST',
    params: { provider: 'acme', method: 'caller' },
    body: { nin },
    headers: JSON_ACCEPT,
    ...extra,
  });

const bodyOf = (outcome: { response: unknown }) =>
  (outcome.response as { body: Record<string, unknown> & { transactionId: string } }).body;

const listed = async (eid: ReturnType<typeof createEid>) =>
  bodyOf(await eid.handle({ route: 'methods', httpMethod: 'GET', params: {} })) as unknown as {
    method: string;
    purpose: string;
  }[];

describe('method purposes', () => {
  it('GET /methods lists each method with its purpose; verify methods only when authorizeVerify is set', async () => {
    const closed = engine();
    expect((await listed(closed.eid)).map(({ method, purpose }) => [method, purpose])).toEqual([
      ['bankid', 'login'],
      ['phone', 'login'],
      ['swiss', 'login'],
    ]);
    expect(closed.eid.methods().map((method) => method.method)).not.toContain('caller');

    const open = engine({ authorizeVerify: isOperator });
    expect(await listed(open.eid)).toContainEqual(
      expect.objectContaining({ method: 'caller', purpose: 'verify', flow: 'headless', requiresNin: true }),
    );
  });

  it('createEid refuses a method without a purpose, and a verify method that is not headless', () => {
    const { provider } = scriptedProvider();
    const withMethod = (method: object) => ({
      ...provider,
      methods: [...provider.methods, { id: 'odd', label: 'Odd', country: 'NO', ...method }],
    });
    expect(() =>
      createEid({ baseUrl: 'https://shop.example', providers: [withMethod({ flow: 'headless' }) as never] }),
    ).toThrow(/`providers\[0\]\.methods`.*"odd" without a purpose/);
    expect(() =>
      createEid({
        baseUrl: 'https://shop.example',
        providers: [withMethod({ flow: 'redirect', purpose: 'verify' }) as never],
      }),
    ).toThrow(/verify method "odd" that is not headless/);
  });

  it('createEid names a bad authorizeVerify, onVerified, secret or pushLimit', () => {
    const { provider } = scriptedProvider();
    const make = (options: Record<string, unknown>) => () =>
      createEid({ baseUrl: 'https://shop.example', providers: [provider], ...options } as never);
    expect(make({ authorizeVerify: true })).toThrow(/`authorizeVerify` must be a function/);
    expect(make({ onVerified: 'log' })).toThrow(/`onVerified` must be a function/);
    expect(make({ secret: 'short' })).toThrow(/`secret` must be a random string of at least 32/);
    expect(make({ pushLimit: { max: 0 } })).toThrow(/`pushLimit\.max`/);
    expect(make({ pushLimit: { windowSeconds: -1 } })).toThrow(/`pushLimit\.windowSeconds`/);
  });
});

describe('authorizeVerify', () => {
  it('without it, a verify start answers 403 forbidden and starts nothing at the provider', async () => {
    const { eid, state, operator } = engine();
    const started = await verifyCaller(operator());
    expect(started.response).toMatchObject({
      type: 'json',
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect(started.session).toBeUndefined();
    expect(state.starts).toEqual([]);
    // A login method of the same provider still starts.
    expect((await browser(eid).start('bankid')).response).toMatchObject({ status: 302 });
  });

  it('is asked with the request facts and the framework request; anything but true is 403 and starts nothing', async () => {
    const seen: VerifyAuthorization[] = [];
    let answer: unknown = false;
    const { state, operator } = engine({
      authorizeVerify: async (request) => {
        seen.push(request);
        return answer as boolean;
      },
    });
    const raw = { frameworkRequest: true };
    const extra = { clientIp: '192.0.2.7', raw, headers: { ...JSON_ACCEPT, 'x-staff': 'yes' } };
    for (const refused of [false, 'yes', 1, undefined]) {
      answer = refused;
      const outcome = await verifyCaller(operator(), CALLER_NIN, extra);
      expect(outcome.response, String(refused)).toMatchObject({
        status: 403,
        body: { error: { code: 'forbidden' } },
      });
    }
    expect(state.starts).toEqual([]);
    expect(seen[0]).toEqual({
      route: 'start',
      provider: 'acme',
      method: 'caller',
      identity: OPERATOR,
      headers: expect.objectContaining({ 'x-staff': 'yes' }),
      clientIp: '192.0.2.7',
      raw,
    });
    // The browser binding secret is not the hook's business.
    expect(JSON.stringify(seen[0])).not.toContain('binding');

    answer = true;
    const allowed = await verifyCaller(operator(), CALLER_NIN, extra);
    expect(allowed.response).toMatchObject({
      status: 200,
      body: { status: 'pending', bindingMessage: 'Blue whale' },
    });
    expect(state.starts).toHaveLength(1);
  });

  it('a login start never asks it', async () => {
    const authorizeVerify = vi.fn(() => false);
    const { eid } = engine({ authorizeVerify });
    expect((await browser(eid).start('bankid')).response).toMatchObject({ status: 302 });
    expect(authorizeVerify).not.toHaveBeenCalled();
  });
});

describe('a completed verify transaction', () => {
  async function started(options: Partial<EidOptions> = {}) {
    const verified: [Identity, unknown][] = [];
    const context = engine({
      authorizeVerify: isOperator,
      onVerified: (identity, event) => {
        verified.push([identity, event]);
      },
      ...options,
    });
    const desk = context.operator();
    const outcome = await verifyCaller(desk);
    const tx = bodyOf(outcome).transactionId;
    return { ...context, desk, tx, verified };
  }

  it('answers the operator { transactionId, status: complete, verified } and never touches session.eid.identity', async () => {
    const { state, desk, tx, nextPoll, verified, clock } = await started();
    const before = structuredClone(desk.jar.session);
    expect(before?.identity).toEqual(OPERATOR);
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    const done = await desk.status(tx);
    const person = { ...KARI, provider: 'acme', method: 'caller', transactionId: tx };
    expect(done.response).toEqual({
      type: 'json',
      status: 200,
      body: { transactionId: tx, status: 'complete', verified: person },
    });
    expect(done.session).toBeUndefined();
    expect(desk.jar.session).toEqual(before);
    expect(desk.jar.sessionId).toBe(1);

    // Every later poll of the operator sees it again, without asking the provider or firing the event again.
    nextPoll();
    const again = await desk.status(tx);
    expect(bodyOf(again)).toEqual({ transactionId: tx, status: 'complete', verified: person });
    expect(again.session).toBeUndefined();
    expect(state.completes).toBe(1);
    expect(verified).toEqual([
      [person, { transactionId: tx, provider: 'acme', method: 'caller', verifiedAt: clock.now - 1000 }],
    ]);
  });

  it('is shown until the transaction is forgotten (retainSeconds after it expires), then 404', async () => {
    const { state, desk, tx, nextPoll, clock } = await started({ retainSeconds: 30 });
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    await desk.status(tx);
    // Started at t0, expires at t0 + 60 s, forgotten at t0 + 90 s; the clock is at t0 + 1 s.
    clock.now += 60_000 + 28_000;
    expect(bodyOf(await desk.status(tx))).toMatchObject({
      status: 'complete',
      verified: { name: 'Kari Nordmann' },
    });
    clock.now += 2_000;
    expect((await desk.status(tx)).response).toMatchObject({ status: 404 });
  });

  it('another browser, even a logged-in one, cannot see it', async () => {
    const { state, eid, tx, nextPoll, desk } = await started();
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    await desk.status(tx);
    const colleague = browser(eid);
    colleague.jar.session = { identity: OPERATOR };
    expect((await colleague.status(tx)).response).toMatchObject({ status: 404 });
  });

  it('the status asks authorizeVerify again: an operator who lost the right gets 403 and no person', async () => {
    let allowed = true;
    const { state, desk, tx, nextPoll } = await started({ authorizeVerify: () => allowed });
    state.result = { status: 'complete', identity: KARI };
    allowed = false;
    nextPoll();
    const refused = await desk.status(tx);
    expect(refused.response).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(JSON.stringify(refused.response)).not.toContain('Kari');
    expect(state.completes).toBe(0);
  });

  it('completed by a push: onVerified fires once, the operator sees the person at the next poll', async () => {
    const { eid, desk, tx, verified } = await started();
    const push = () =>
      eid.handle({
        route: 'webhook',
        httpMethod: 'POST',
        params: { provider: 'acme' },
        query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
        body: { reference: 'ref-1', result: { status: 'complete', identity: KARI } },
        headers: { contentType: 'application/json' },
      });
    expect((await push()).response).toMatchObject({ status: 200, body: { status: 'complete' } });
    expect((await push()).response).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(verified).toHaveLength(1);
    const poll = await desk.status(tx);
    expect(poll.session).toBeUndefined();
    expect(bodyOf(poll)).toMatchObject({ status: 'complete', verified: { name: 'Kari Nordmann' } });
    expect(desk.jar.session?.identity).toEqual(OPERATOR);
  });

  it('an onVerified that throws is logged; the transaction stays complete and the operator sees the person', async () => {
    const errors: unknown[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (obj, msg) => errors.push({ obj, msg }),
    };
    const { state, desk, tx, nextPoll } = await started({
      logger,
      onVerified: () => {
        throw new Error(`database down for ${CALLER_NIN}`);
      },
    });
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    expect(bodyOf(await desk.status(tx))).toMatchObject({
      status: 'complete',
      verified: { name: 'Kari Nordmann' },
    });
    expect(errors).toEqual([expect.objectContaining({ msg: 'onVerified failed' })]);
    expect(JSON.stringify(errors)).not.toContain(CALLER_NIN);
  });

  it('a failed verification answers its error, and cannot be finished through the callback route', async () => {
    const { state, desk, tx, nextPoll } = await started();
    const callback = await desk.callback({ tx }, JSON_ACCEPT);
    expect(callback.response).toMatchObject({
      status: 404,
      body: { error: { code: 'transaction_not_found' } },
    });
    expect(callback.session).toBeUndefined();
    state.result = { status: 'failed', error: new EidError('user_cancelled', 'The caller said no.') };
    nextPoll();
    const failed = await desk.status(tx);
    expect(bodyOf(failed)).toMatchObject({ status: 'failed', error: { code: 'user_cancelled' } });
    expect(bodyOf(failed)).not.toHaveProperty('verified');
  });
});

describe('push limits', () => {
  const phone = (who: Browser, nin = CALLER_NIN) => who.headless({ nin });

  it('a headless start for a number with a pending push from another browser answers 429 with Retry-After, and starts nothing', async () => {
    const { eid, state, clock } = engine();
    const first = await phone(browser(eid));
    expect(first.response).toMatchObject({ status: 200 });
    clock.now += 15_000;
    const second = await phone(browser(eid));
    expect(second.response).toEqual({
      type: 'json',
      status: 429,
      body: { error: { code: 'rate_limited', message: expect.any(String) } },
      // Until the pending one expires (transactionTtlSeconds 60).
      headers: { 'retry-after': '45' },
    });
    expect(JSON.stringify(second.response)).not.toContain(CALLER_NIN);
    expect(state.starts).toHaveLength(1);
    // Another number is not held up.
    expect((await phone(browser(eid), OTHER_NIN)).response).toMatchObject({ status: 200 });
  });

  it('a verify start is held the same way: the operator cannot push a person another browser is pushing', async () => {
    const { eid, operator } = engine({ authorizeVerify: isOperator });
    expect((await phone(browser(eid))).response).toMatchObject({ status: 200 });
    expect((await verifyCaller(operator())).response).toMatchObject({ status: 429 });
  });

  it('from the same browser, the older push is cancelled at the provider first, then the new one starts', async () => {
    const { eid, state, store } = engine();
    const alice = browser(eid);
    const older = bodyOf(await phone(alice)).transactionId;
    const newer = await phone(alice);
    expect(newer.response).toMatchObject({ status: 200, body: { status: 'pending' } });
    expect(state.cancels).toEqual(['ref-1']);
    expect(state.starts).toHaveLength(2);
    expect(await store.get(older)).toMatchObject({ status: 'cancelled' });
    expect((await alice.status(older)).response).toMatchObject({ body: { status: 'cancelled' } });
    // And now the newer one holds the number.
    expect((await phone(browser(eid))).response).toMatchObject({ status: 429 });
  });

  it('if the provider refuses to cancel the older push, the new start fails and the older one stays', async () => {
    const { eid, state, store } = engine();
    const alice = browser(eid);
    const older = bodyOf(await phone(alice)).transactionId;
    state.cancelError = new EidError('provider_unavailable', 'Acme is down.');
    expect((await phone(alice)).response).toMatchObject({ status: 503 });
    expect(state.starts).toHaveLength(1);
    expect(await store.get(older)).toMatchObject({ status: 'pending' });
  });

  it('once the pending push has ended (answered, cancelled or expired), another browser may push the number', async () => {
    const { eid, state, clock, nextPoll } = engine();
    const alice = browser(eid);
    const first = bodyOf(await phone(alice)).transactionId;
    await alice.cancel(first);
    const bob = browser(eid);
    const second = bodyOf(await phone(bob)).transactionId;
    state.result = { status: 'complete', identity: KARI };
    nextPoll();
    await bob.status(second);
    const carol = browser(eid);
    expect((await phone(carol)).response).toMatchObject({ status: 200 });
    clock.now += 61_000;
    expect((await phone(browser(eid))).response).toMatchObject({ status: 200 });
  });

  it('a start the provider refuses leaves the number free', async () => {
    const { eid, state } = engine();
    state.startError = new EidError('provider_unavailable', 'Acme is down.');
    expect((await phone(browser(eid))).response).toMatchObject({ status: 503 });
    state.startError = undefined;
    expect((await phone(browser(eid))).response).toMatchObject({ status: 200 });
  });

  it('at most pushLimit.max pushes per number per window (default 10 per 10 minutes), then 429 until the window ends', async () => {
    const { eid, state, clock } = engine();
    const alice = browser(eid);
    for (let push = 1; push <= 10; push++) {
      expect((await phone(alice)).response, `push ${push}`).toMatchObject({ status: 200 });
      clock.now += 10_000;
    }
    const eleventh = await phone(alice);
    expect(eleventh.response).toMatchObject({
      status: 429,
      body: { error: { code: 'rate_limited' } },
      headers: { 'retry-after': '500' },
    });
    expect(state.starts).toHaveLength(10);
    // The refused start cancelled nothing: the tenth push is still waiting.
    expect(state.cancels).toHaveLength(9);
    expect((await phone(alice, OTHER_NIN)).response).toMatchObject({ status: 200 });
    clock.now += 500_000;
    expect((await phone(alice)).response).toMatchObject({ status: 200 });
  });

  it('pushLimit is configurable', async () => {
    const { eid, clock } = engine({ pushLimit: { max: 2, windowSeconds: 60 } });
    const alice = browser(eid);
    expect((await phone(alice)).response).toMatchObject({ status: 200 });
    expect((await phone(alice)).response).toMatchObject({ status: 200 });
    expect((await phone(alice)).response).toMatchObject({ status: 429, headers: { 'retry-after': '60' } });
    clock.now += 60_000;
    expect((await phone(alice)).response).toMatchObject({ status: 200 });
  });

  it('while another start for the number is still asking the provider, a second one answers 429 for a second', async () => {
    const { eid, state } = engine();
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const start = eid.provider('acme')!.start;
    eid.provider('acme')!.start = async (context) => {
      await gate;
      return start(context);
    };
    const first = phone(browser(eid));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await phone(browser(eid));
    expect(second.response).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    open();
    expect((await first).response).toMatchObject({ status: 200 });
    expect(state.starts).toHaveLength(1);
  });

  it('a start that never finished (its process died) holds the number for a minute only', async () => {
    const secret = 'a-server-secret-of-at-least-32-characters';
    const { eid, store, clock } = engine({ secret });
    const nin = parseNationalId(CALLER_NIN, 'NO');
    await store.swapKey(`push:${ninKey(secret, nin)}`, undefined, 'G'.repeat(43), 60_000);
    expect((await phone(browser(eid))).response).toMatchObject({ status: 429 });
    clock.now += 60_000;
    expect((await phone(browser(eid))).response).toMatchObject({ status: 200 });
  });

  it('a login start without a number (redirect or headless) is not limited', async () => {
    const { eid } = engine({ pushLimit: { max: 1, windowSeconds: 60 } });
    for (let start = 0; start < 3; start++) {
      expect((await browser(eid).start('bankid')).response).toMatchObject({ status: 302 });
    }
  });

  it('the store never sees the number: its keys are an HMAC under the secret', async () => {
    const keys: string[] = [];
    const recording = (): TransactionStore => {
      const inner = new MemoryStore();
      return {
        create: (transaction, limits) => inner.create(transaction, limits),
        get: (id) => inner.get(id),
        recordLogout: (id, until) => inner.recordLogout(id, until),
        isLoggedOut: (id) => inner.isLoggedOut(id),
        compareAndSet: (id, version, next) => inner.compareAndSet(id, version, next),
        delete: (id) => inner.delete(id),
        increment: async (key, windowMs) => {
          keys.push(key);
          return inner.increment(key, windowMs);
        },
        getKey: async (key) => {
          keys.push(key);
          return inner.getKey(key);
        },
        swapKey: async (key, expected, next, ttlMs) => {
          keys.push(key);
          return inner.swapKey(key, expected, next, ttlMs);
        },
      };
    };
    const secret = 'a-server-secret-of-at-least-32-characters';
    const stores = [recording(), recording(), recording()];
    const engines = [
      engine({ store: stores[0], secret }),
      engine({ store: stores[1], secret }),
      engine({ store: stores[2], secret: `${secret}-other` }),
    ];
    for (const { eid } of engines) await phone(browser(eid));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(CALLER_NIN);
      expect(key).toMatch(/^(push|pushes):[A-Za-z0-9_-]{43}$/);
    }
    const perEngine = keys.length / 3;
    const first = keys.slice(0, perEngine);
    // The same secret keys the same number alike (processes sharing a store agree); another secret does not.
    expect(keys.slice(perEngine, 2 * perEngine)).toEqual(first);
    expect(keys.slice(2 * perEngine).some((key) => first.includes(key))).toBe(false);
  });

  it('a store without the keyed records is refused at createEid, naming what it lacks', () => {
    const { provider } = scriptedProvider();
    const inner = new MemoryStore();
    const old = {
      create: inner.create.bind(inner),
      get: inner.get.bind(inner),
      compareAndSet: inner.compareAndSet.bind(inner),
      delete: inner.delete.bind(inner),
    };
    expect(() =>
      createEid({ baseUrl: 'https://shop.example', providers: [provider], store: old as never }),
    ).toThrow(/`store` lacks increment, getKey, swapKey/);
  });
});
