import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid, type Eid } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { webhookToken } from '../src/webhook.js';
import { browser, setup, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI, scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

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

  it('a failure pushed before the browser returns is shown at its callback, the same on a reload', async () => {
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
    expect((await alice.callback({ tx })).response).toMatchObject({ location: '/?error=user_cancelled' });
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

describe('webhookPreCheck: what a push is refused for before its body is read', () => {
  function engine(options: { logger?: Logger } = {}) {
    const { provider } = scriptedProvider();
    const { provider: silent } = scriptedProvider('quiet');
    delete silent.webhook;
    return createEid({
      baseUrl: 'https://shop.example',
      providers: [provider, silent],
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  const tx = 'a'.repeat(43);
  const check = (eid: Eid, provider: string, query: Record<string, unknown>) =>
    eid.webhookPreCheck({ httpMethod: 'POST', params: { provider }, query, headers: {} });

  it('a genuine token goes on (undefined): the body is read next', () => {
    expect(check(engine(), 'acme', { tx, token: webhookToken(WEBHOOK_SECRET, tx) })).toBeUndefined();
  });

  it('a token that is not genuine answers 401 unauthenticated, logged at warn', () => {
    const warnings: object[] = [];
    const logger = { debug() {}, info() {}, warn: (obj: object) => warnings.push(obj), error() {} };
    const outcome = check(engine({ logger }), 'acme', { tx, token: webhookToken('wrong', tx) });
    expect(outcome?.response).toEqual({
      type: 'json',
      status: 401,
      body: { error: { code: 'unauthenticated', message: expect.any(String) } },
    });
    expect(outcome?.error?.code).toBe('unauthenticated');
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'unauthenticated', route: 'webhook', provider: 'acme' }),
    ]);
    expect(check(engine(), 'acme', {})?.response).toMatchObject({ status: 401 });
    expect(
      check(engine(), 'acme', { tx, token: [webhookToken(WEBHOOK_SECRET, tx)] })?.response,
    ).toMatchObject({
      status: 401,
    });
  });

  it('an unknown provider, one without webhooks, or a disabled route answers 404', () => {
    expect(check(engine(), 'nope', {})?.response).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_provider' } },
    });
    expect(check(engine(), 'quiet', {})?.response).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_provider' } },
    });
    const { provider: quiet } = scriptedProvider('quiet');
    delete quiet.webhook;
    const disabled = createEid({
      baseUrl: 'https://shop.example',
      providers: [quiet],
      routes: { webhook: false },
    });
    expect(check(disabled, 'quiet', {})?.response).toMatchObject({ status: 404 });
  });

  it('the webhook route refuses a bad token the same way, without handing the provider the body', async () => {
    const { provider, state } = scriptedProvider();
    let bodiesRead = 0;
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [
        {
          ...provider,
          webhook: async (request) => {
            bodiesRead++;
            return provider.webhook!(request);
          },
        },
      ],
    });
    await browser(eid).start();
    const started = txFromCallbackUrl(state.starts[0]!.callbackUrl);
    const outcome = await eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx: started, token: 'forged' },
      body: { reference: 'ref-1' },
    });
    expect(outcome.response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(bodiesRead).toBe(0);
  });
});
