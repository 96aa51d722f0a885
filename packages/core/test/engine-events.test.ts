import { describe, expect, it } from 'vitest';
import type { EidEvent, EidEventsOptions } from '../src/index.js';
import { browser, JSON_ACCEPT, recordingLogger, setup, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI } from './helpers/scripted-provider.js';

const AT = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

function recorder(options: Partial<EidEventsOptions> = {}) {
  const events: EidEvent[] = [];
  return { events, option: { listener: (event: EidEvent) => void events.push(event), ...options } };
}

async function redirectLogin(events: EidEventsOptions, extra: Parameters<typeof setup>[0] = {}) {
  const context = setup({ ...extra, engine: { events, ...extra.engine } });
  const alice = browser(context.eid);
  await alice.start('bankid', { returnTo: '/profile' });
  const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
  return { ...context, alice, tx };
}

const logout = (alice: ReturnType<typeof browser>) =>
  alice.call({ route: 'logout', httpMethod: 'POST', params: {}, headers: JSON_ACCEPT });

describe('audit events', () => {
  it('a login and its logout: started, succeeded, logout, each once, with no personal data by default', async () => {
    const { events, option } = recorder();
    const { alice, tx, state } = await redirectLogin(option);
    state.result = { status: 'complete', identity: { ...KARI, loa: 'high' } };
    await alice.callback({ tx });
    await alice.callback({ tx }); // a reload: no second event
    await logout(alice);
    await logout(alice); // nothing left to log out
    const base = { transactionId: tx, provider: 'acme', method: 'bankid' };
    expect(events).toEqual([
      { type: 'login.started', at: AT, ...base, flow: 'redirect' },
      { type: 'login.succeeded', at: AT, ...base, loa: 'high' },
      { type: 'logout', at: AT, ...base },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/01819012365|Kari|acme-42/);
  });

  it('carries the personal fields the app opts into, one by one', async () => {
    const { events, option } = recorder({
      include: { nin: true, name: true, subject: true, clientIp: true },
    });
    const context = setup({ engine: { events: option } });
    const jar = { session: undefined as never };
    const started = await context.eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'acme', method: 'bankid' },
      clientIp: '::ffff:203.0.113.9',
      session: jar.session,
    });
    const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
    context.state.result = { status: 'complete', identity: KARI };
    const binding = (started.session as { binding: string }).binding;
    await context.eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: { tx },
      clientIp: '203.0.113.9',
      session: { binding },
    });
    expect(events[0]).toMatchObject({ type: 'login.started', clientIp: '203.0.113.9' });
    expect(events[0]).not.toHaveProperty('nin');
    expect(events[1]).toEqual({
      type: 'login.succeeded',
      at: AT,
      transactionId: tx,
      provider: 'acme',
      method: 'bankid',
      subject: 'acme-42',
      nin: KARI.nin,
      name: 'Kari Nordmann',
      clientIp: '203.0.113.9',
    });
    expect(events[1]).not.toHaveProperty('dateOfBirth');
  });

  it('a login cancelled at the eID: login.failed with user_cancelled, once, also when the callback is reloaded', async () => {
    const { events, option } = recorder();
    const { alice, tx, state } = await redirectLogin(option);
    state.result = { status: 'cancelled' };
    await alice.callback({ tx });
    await alice.callback({ tx });
    expect(events.map((event) => [event.type, event.code])).toEqual([
      ['login.started', undefined],
      ['login.failed', 'user_cancelled'],
    ]);
  });

  it('a login onLogin refuses: login.failed with access_denied, never succeeded', async () => {
    const { events, option } = recorder();
    const { alice, tx, state } = await redirectLogin(option, { engine: { onLogin: () => false } });
    state.result = { status: 'complete', identity: KARI };
    await alice.callback({ tx });
    expect(events.map((event) => [event.type, event.code])).toEqual([
      ['login.started', undefined],
      ['login.failed', 'access_denied'],
    ]);
  });

  it('a login whose callback reaches another browser: login.failed with browser_mismatch', async () => {
    const { events, option } = recorder();
    const { eid, tx, state } = await redirectLogin(option);
    state.result = { status: 'complete', identity: KARI };
    await browser(eid).callback({ tx });
    expect(events.at(-1)).toMatchObject({
      type: 'login.failed',
      code: 'browser_mismatch',
      transactionId: tx,
    });
  });

  it('a login that took too long: login.failed with transaction_expired when it is next asked about', async () => {
    const { events, option } = recorder();
    const clock = { now: Date.now() };
    const { alice, tx } = await redirectLogin(option, { now: () => clock.now });
    clock.now += 61_000;
    await alice.callback({ tx });
    expect(events.at(-1)).toMatchObject({
      type: 'login.failed',
      code: 'transaction_expired',
      transactionId: tx,
    });
  });

  it('a start refused before it began: login.failed with its code and no transaction', async () => {
    const { events, option } = recorder();
    const context = setup({ engine: { events: option } });
    await browser(context.eid).headless({});
    expect(events).toEqual([
      { type: 'login.failed', at: AT, provider: 'acme', method: 'phone', code: 'invalid_nin' },
    ]);
  });

  it('an operator verification: verify.started and verify.succeeded once, however often it is polled', async () => {
    const { events, option } = recorder({ include: { name: true } });
    const context = setup({ engine: { events: option, authorizeVerify: () => true } });
    const operator = browser(context.eid);
    const started = await operator.verify('01819012365');
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    context.state.result = { status: 'complete', identity: KARI };
    await operator.status(tx);
    await operator.status(tx);
    expect(events.map((event) => event.type)).toEqual(['verify.started', 'verify.succeeded']);
    expect(events[1]).toMatchObject({ transactionId: tx, method: 'caller', name: 'Kari Nordmann' });
    expect(events[1]).not.toHaveProperty('nin');
  });

  it('a listener that throws or rejects never fails the login: a warning without personal data', async () => {
    const { logger, lines } = recordingLogger();
    let calls = 0;
    const listener = async () => {
      calls++;
      if (calls === 1) throw new Error('audit store down for 01819012365');
      return Promise.reject(new TypeError('again'));
    };
    const { alice, tx, state } = await redirectLogin({ listener }, { logger });
    state.result = { status: 'complete', identity: KARI };
    const outcome = await alice.callback({ tx });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/profile' });
    expect(alice.jar.session?.identity?.subject).toBe('acme-42');
    const warnings = lines.filter((line) => line.message === 'event listener failed');
    expect(warnings.map((line) => line.fields)).toEqual([
      { type: 'login.started', transactionId: tx, cause: 'Error' },
      { type: 'login.succeeded', transactionId: tx, cause: 'TypeError' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('01819012365');
  });

  it.each([
    [() => 'yes', '`events` must be an object'],
    [{}, '`events.listener` must be a function'],
    [{ listener: () => {}, include: { nin: 'yes' } }, '`events.include.nin` must be true or false'],
    [{ listener: () => {}, include: { email: true } }, '`events.include.email` is not a field events carry'],
  ])('refuses a bad events option, naming the field (%#)', (events, message) => {
    expect(() => setup({ engine: { events: events as never } })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(message) }),
    );
  });
});
