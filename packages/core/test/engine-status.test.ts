import { describe, expect, it } from 'vitest';
import { POLL_INTERVAL_MS } from '../src/engine/transactions/decide.js';
import { EidError } from '../src/errors.js';
import { createEid, type Eid } from '../src/index.js';
import { MemoryStore } from '../src/store/memory.js';
import { browser, setup } from './helpers/engine-browser.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

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

  it('a pending answer says when to poll next: within the interval, until the throttle lets the provider be asked', async () => {
    const { alice, tx, clock } = await headless();
    const first = (await alice.status(tx)).response as { body: { status: string; retryAfterMs: number } };
    expect(first.body).toMatchObject({ status: 'pending', retryAfterMs: 1000 });
    clock.now += 400;
    const second = (await alice.status(tx)).response as { body: { retryAfterMs: number } };
    expect(second.body.retryAfterMs).toBe(600);
  });

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
      body: { transactionId: tx, status: 'pending', bindingMessage: 'Blue whale', retryAfterMs: 1000 },
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

describe('status polls coalesced across processes', () => {
  /** Two engines (two processes) on one store, each with its own provider, both logged to one list of calls. */
  function twoProcesses(callMs: number, fail = false) {
    const store = new MemoryStore();
    const calls: Array<{ start: number; end: number }> = [];
    let inFlight = 0;
    let most = 0;
    const engine = () => {
      const { provider } = scriptedProvider();
      provider.complete = async () => {
        const call = { start: Date.now(), end: 0 };
        calls.push(call);
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, callMs));
        inFlight--;
        call.end = Date.now();
        if (fail) throw new EidError('provider_unavailable', 'Down.');
        return { status: 'pending' };
      };
      return createEid({ baseUrl: 'https://shop.example', providers: [provider], store, secret: SECRET });
    };
    return { a: engine(), b: engine(), calls, most: () => most };
  }
  const SECRET = 'a-secret-shared-by-both-processes-0123456789';

  async function pollHard(a: Eid, b: Eid, forMs: number) {
    const alice = browser(a);
    const started = await alice.headless({ nin: '01819012365', returnTo: '/profile' });
    const transactionId = (started.response as { body: { transactionId: string } }).body.transactionId;
    const until = Date.now() + forMs;
    const poller = async (eid: Eid) => {
      while (Date.now() < until) {
        const outcome = await eid.handle({
          route: 'status',
          httpMethod: 'GET',
          params: { transactionId },
          headers: { accept: 'application/json' },
          session: alice.jar.session,
        });
        expect([200, 503]).toContain((outcome.response as { status: number }).status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, index) => poller(index % 2 ? a : b)));
  }

  it('a provider slower than the poll interval: one call in flight at a time, starts an interval apart', async () => {
    const { a, b, calls, most } = twoProcesses(1_300);
    await pollHard(a, b, 3_200);
    expect(most()).toBe(1);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end);
      expect(calls[i]!.start - calls[i - 1]!.start).toBeGreaterThanOrEqual(POLL_INTERVAL_MS - 5);
    }
    await Promise.all([a.close(), b.close()]);
  }, 10_000);

  it('a fast provider is asked once per interval; a failing one too, not held up for the whole lease', async () => {
    for (const fail of [false, true]) {
      const { a, b, calls, most } = twoProcesses(50, fail);
      await pollHard(a, b, 2_300);
      expect(most()).toBe(1);
      // 2.3 s of polling: a call at 0, ~1 s and ~2 s; never more, and not one held up for 15 s.
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(calls.length).toBeLessThanOrEqual(3);
      for (let i = 1; i < calls.length; i++) {
        expect(calls[i]!.start - calls[i - 1]!.start).toBeGreaterThanOrEqual(POLL_INTERVAL_MS - 5);
      }
      await Promise.all([a.close(), b.close()]);
    }
  }, 10_000);
});
