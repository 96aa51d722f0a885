import { describe, expect, it, vi } from 'vitest';
import type { LoginDecision } from '../src/engine/contract.js';
import { EidError } from '../src/errors.js';
import type { Identity } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { browser, JSON_ACCEPT, recordingLogger, setup, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI } from './helpers/scripted-provider.js';

type Hook = (identity: Identity, context: unknown) => LoginDecision | Promise<LoginDecision>;

async function redirectLogin(onLogin: Hook, options: { logger?: Logger } = {}) {
  const context = setup({ engine: { onLogin }, ...options });
  const alice = browser(context.eid);
  await alice.start('bankid', { returnTo: '/profile' });
  const tx = txFromCallbackUrl(context.state.starts[0]!.callbackUrl);
  context.state.result = { status: 'complete', identity: KARI };
  return { ...context, alice, tx };
}

async function headlessLogin(onLogin: Hook) {
  const context = setup({ engine: { onLogin } });
  const alice = browser(context.eid);
  const started = await alice.headless({ nin: '01819012365', returnTo: '/profile' });
  const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
  context.state.result = { status: 'complete', identity: KARI };
  return { ...context, alice, tx };
}

describe('onLogin', () => {
  it('is told the identity and the login, and an undefined answer logs the identity in as it is', async () => {
    const onLogin = vi.fn(async () => undefined);
    const { alice, tx } = await redirectLogin(onLogin);
    const outcome = await alice.callback({ tx });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/profile' });
    expect(onLogin).toHaveBeenCalledTimes(1);
    expect(onLogin).toHaveBeenCalledWith(
      { ...KARI, provider: 'acme', method: 'bankid', transactionId: tx },
      { request: undefined, session: undefined, provider: 'acme', method: 'bankid', transactionId: tx },
    );
    expect(alice.jar.session?.identity).toEqual({
      ...KARI,
      provider: 'acme',
      method: 'bankid',
      transactionId: tx,
    });
  });

  it('hands the hook the host request and its session as they stand before the login', async () => {
    const onLogin = vi.fn((_identity: Identity, _context: unknown) => true);
    const { eid, alice, tx } = await redirectLogin(onLogin);
    const raw = { session: { cart: ['book'] } };
    await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: { tx },
      session: alice.jar.session,
      raw,
    });
    expect(onLogin.mock.calls[0]![1]).toMatchObject({ request: raw, session: { cart: ['book'] } });
  });

  it('an identity with extra added is the one kept in the session', async () => {
    const { alice, tx } = await redirectLogin((identity) => ({
      ...identity,
      extra: { userId: 'u-7', roles: ['buyer'] },
    }));
    await alice.callback({ tx });
    expect(alice.jar.session?.identity).toMatchObject({
      subject: 'acme-42',
      extra: { userId: 'u-7', roles: ['buyer'] },
    });
  });

  it.each([
    ['false', false, 'This app does not accept this login.'],
    ['a refusal', { refuse: 'Only customers may log in.' }, 'Only customers may log in.'],
  ])(
    '%s refuses the login: access_denied to the browser, nothing in the session, the same on a reload without asking again',
    async (_name, answer, message) => {
      const onLogin = vi.fn(async () => answer as LoginDecision);
      const { alice, tx, store, state } = await redirectLogin(onLogin);
      const outcome = await alice.callback({ tx });
      expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/?error=access_denied' });
      expect(outcome.session).toBeUndefined();
      expect(alice.jar.session?.identity).toBeUndefined();
      expect(await store.get(tx)).toMatchObject({
        status: 'failed',
        error: { code: 'access_denied', message },
      });
      const json = await alice.callback({ tx }, JSON_ACCEPT);
      expect(json.response).toMatchObject({
        status: 403,
        body: { error: { code: 'access_denied', message } },
      });
      expect(json.session).toBeUndefined();
      expect(onLogin).toHaveBeenCalledTimes(1);
      expect(state.completes).toBe(1);
    },
  );

  it('refuses a headless login at its status: a failed status with access_denied, again on every poll', async () => {
    const onLogin = vi.fn(() => ({ refuse: 'Under 18.' }));
    const { alice, tx } = await headlessLogin(onLogin);
    const first = await alice.status(tx);
    expect(first.response).toMatchObject({
      status: 200,
      body: { transactionId: tx, status: 'failed', error: { code: 'access_denied', message: 'Under 18.' } },
    });
    expect(first.session).toBeUndefined();
    const again = await alice.status(tx);
    expect(again.response).toMatchObject({ body: { status: 'failed', error: { code: 'access_denied' } } });
    expect(onLogin).toHaveBeenCalledTimes(1);
    expect(alice.jar.session?.identity).toBeUndefined();
  });

  it('enriches a headless login taken at its status', async () => {
    const { alice, tx } = await headlessLogin((identity) => ({ ...identity, extra: { userId: 'u-9' } }));
    const outcome = await alice.status(tx);
    expect(outcome.response).toMatchObject({ body: { status: 'complete', returnTo: '/profile' } });
    expect(alice.jar.session?.identity?.extra).toEqual({ userId: 'u-9' });
  });

  it.each([
    [
      'another person',
      (identity: Identity) => ({ ...identity, subject: 'someone-else' }),
      'another `subject`',
    ],
    [
      'another number',
      (identity: Identity) => ({ ...identity, nin: { ...identity.nin!, value: '17054512345' } }),
      'another `nin`',
    ],
    [
      'another transaction',
      (identity: Identity) => ({ ...identity, transactionId: 'x' }),
      'another `transactionId`',
    ],
    ['a field removed', ({ name: _name, ...identity }: Identity) => identity, 'another `name`'],
    [
      'extra that is not a plain object',
      (identity: Identity) => ({ ...identity, extra: new Map() }),
      '`extra` is not a plain object',
    ],
    ['a refusal without a message', () => ({ refuse: ' ' }), 'a refusal without a message'],
    ['a number', () => 42 as unknown as LoginDecision, 'an unknown value'],
  ])(
    'cannot log in %s: the login fails with invalid_config naming what is wrong, never the value',
    async (_name, hook, named) => {
      const { alice, tx, store } = await redirectLogin(hook as Hook);
      const outcome = await alice.callback({ tx }, JSON_ACCEPT);
      const body = (outcome.response as { body: { error: { code: string; message: string } } }).body;
      expect(body.error.code).toBe('invalid_config');
      expect(body.error.message).toContain(named);
      expect(body.error.message).not.toContain('17054512345');
      expect(body.error.message).not.toContain('someone-else');
      expect(outcome.session).toBeUndefined();
      expect(await store.get(tx)).toMatchObject({ status: 'failed', error: { code: 'invalid_config' } });
    },
  );

  it('a hook that throws fails the login, logged as the app error it is and answered again on a reload', async () => {
    const { logger, lines } = recordingLogger();
    const onLogin = vi.fn(async () => {
      throw new TypeError('database down');
    });
    const { alice, tx } = await redirectLogin(onLogin, { logger });
    const outcome = await alice.callback({ tx });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/?error=provider_error' });
    expect(lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([
      'onLogin threw: the login is refused',
    ]);
    expect(lines.find((line) => line.level === 'error')?.fields).toMatchObject({
      cause: 'TypeError',
      transactionId: tx,
    });
    const reload = await alice.callback({ tx });
    expect(reload.response).toMatchObject({ location: '/?error=provider_error' });
    expect(onLogin).toHaveBeenCalledTimes(1);
    expect(alice.jar.session?.identity).toBeUndefined();
  });

  it('an EidError the hook throws is answered as it is', async () => {
    const { alice, tx } = await redirectLogin(() => {
      throw new EidError('access_denied', 'Your account is locked.');
    });
    const outcome = await alice.callback({ tx }, JSON_ACCEPT);
    expect(outcome.response).toMatchObject({
      status: 403,
      body: { error: { code: 'access_denied', message: 'Your account is locked.' } },
    });
  });

  it('a reload of an accepted login answers it again without asking the hook', async () => {
    const onLogin = vi.fn((identity: Identity) => ({ ...identity, extra: { userId: 'u-1' } }));
    const { alice, tx } = await redirectLogin(onLogin);
    await alice.callback({ tx });
    const reload = await alice.callback({ tx });
    expect(reload.response).toEqual({ type: 'redirect', status: 303, location: '/profile' });
    expect(reload.session).toBeUndefined();
    expect(onLogin).toHaveBeenCalledTimes(1);
    expect(alice.jar.session?.identity?.extra).toEqual({ userId: 'u-1' });
  });

  it('is not asked about an operator verification, which is never a login', async () => {
    const onLogin = vi.fn(() => false);
    const context = setup({ engine: { onLogin, authorizeVerify: () => true } });
    const operator = browser(context.eid);
    const started = await operator.verify('01819012365');
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    context.state.result = { status: 'complete', identity: KARI };
    const polled = await operator.status(tx);
    expect(polled.response).toMatchObject({ body: { status: 'complete', verified: { subject: 'acme-42' } } });
    expect(onLogin).not.toHaveBeenCalled();
  });

  it('must be a function', () => {
    expect(() => setup({ engine: { onLogin: 'yes' as never } })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('`onLogin` must be a function'),
      }),
    );
  });
});
