import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { browser, setup } from './helpers/engine-browser.js';
import { KARI } from './helpers/scripted-provider.js';

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
