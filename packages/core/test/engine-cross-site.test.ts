import { describe, expect, it } from 'vitest';
import type { EidRequest } from '../src/engine/contract.js';
import { createEid } from '../src/index.js';
import { MemoryStore } from '../src/store/memory.js';
import { webhookToken } from '../src/webhook.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT, txFromCallbackUrl } from './helpers/engine-browser.js';
import { scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

const FORM = { ...HTML_ACCEPT, contentType: 'application/x-www-form-urlencoded' };

function setup(allowedOrigins?: string[]) {
  const { provider, state } = scriptedProvider();
  const store = new MemoryStore();
  const eid = createEid({
    baseUrl: 'https://shop.example/app',
    providers: [provider],
    store,
    ...(allowedOrigins ? { allowedOrigins } : {}),
  });
  return { eid, state, store };
}

type Headers = Record<string, string>;

describe('cross-site POSTs (docs/http-contract.md §2.2)', () => {
  const starts = (headers: Headers, accept: Headers = JSON_ACCEPT): Omit<EidRequest, 'session'> => ({
    route: 'start',
    httpMethod: 'POST',
    params: { provider: 'acme', method: 'phone' },
    body: { nin: '01819012365' },
    headers: { ...accept, ...headers },
  });

  it.each<[string, Headers]>([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    [
      'cross-site with the app origin named',
      { 'sec-fetch-site': 'cross-site', origin: 'https://shop.example' },
    ],
    ['an Origin of another site', { origin: 'https://evil.example' }],
    [
      'an Origin of a sibling subdomain, same-site',
      { origin: 'https://evil.shop.example', 'sec-fetch-site': 'same-site' },
    ],
    ['another scheme of the same host', { origin: 'http://shop.example' }],
    ['another port of the same host', { origin: 'https://shop.example:8443' }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
  ])('start with %s answers 403 invalid_request and starts nothing', async (_name, headers) => {
    const { eid, state, store } = setup();
    const alice = browser(eid);
    const outcome = await alice.call(starts(headers));
    expect(outcome.response).toMatchObject({
      type: 'json',
      status: 403,
      body: { error: { code: 'invalid_request' } },
    });
    expect(outcome.session).toBeUndefined();
    expect(state.starts).toHaveLength(0);
    expect(store.size).toBe(0);
  });

  it.each<[string, Headers]>([
    ['neither header (a server)', {}],
    ['the app origin, same-origin', { origin: 'https://shop.example', 'sec-fetch-site': 'same-origin' }],
    ['the app origin in upper case with its default port', { origin: 'HTTPS://SHOP.EXAMPLE:443' }],
    ['Sec-Fetch-Site: none (typed by the user)', { 'sec-fetch-site': 'none' }],
    ['same-site without an Origin', { 'sec-fetch-site': 'same-site' }],
  ])('start with %s is served', async (_name, headers) => {
    const { eid, state } = setup();
    const outcome = await browser(eid).call(starts(headers));
    expect(outcome.response).toMatchObject({ status: 200, body: { status: 'pending' } });
    expect(state.starts).toHaveLength(1);
  });

  it('an allowed origin (allowedOrigins) may POST; the others still may not', async () => {
    const { eid, state } = setup(['https://www.shop.example']);
    const allowed = await browser(eid).call(
      starts({ origin: 'https://www.shop.example', 'sec-fetch-site': 'same-site' }),
    );
    expect(allowed.response).toMatchObject({ status: 200 });
    // Another person: one number has one pending push at a time (push limits).
    const own = await browser(eid).call({
      ...starts({ origin: 'https://shop.example' }),
      body: { nin: '17829034034' },
    });
    expect(own.response).toMatchObject({ status: 200 });
    const other = await browser(eid).call(starts({ origin: 'https://evil.example' }));
    expect(other.response).toMatchObject({ status: 403 });
    expect(state.starts).toHaveLength(2);
  });

  it('a form post from another site to start goes to the failure page with invalid_request', async () => {
    const { eid, state } = setup();
    const outcome = await browser(eid).call({
      ...starts({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, FORM),
      params: { provider: 'acme', method: 'bankid' },
      body: {},
    });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/?error=invalid_request' });
    expect(outcome.error?.code).toBe('invalid_request');
    expect(state.starts).toHaveLength(0);
  });

  it('a GET start (a link from anywhere) is not refused for its origin', async () => {
    const { eid, state } = setup();
    const alice = browser(eid);
    const outcome = await alice.start('bankid', {}, {
      ...HTML_ACCEPT,
      'sec-fetch-site': 'cross-site',
    } as never);
    expect(outcome.response).toMatchObject({ type: 'redirect', status: 302 });
    expect(state.starts).toHaveLength(1);
  });

  it('cancel and logout from another site change nothing', async () => {
    const { eid, state, store } = setup();
    const alice = browser(eid);
    const started = await alice.call(starts({}));
    const { transactionId } = (started.response as { body: { transactionId: string } }).body;
    const cancel = await alice.call({
      route: 'cancel',
      httpMethod: 'POST',
      params: { transactionId },
      headers: { ...JSON_ACCEPT, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(cancel.response).toMatchObject({ status: 403, body: { error: { code: 'invalid_request' } } });
    expect(state.cancels).toHaveLength(0);
    expect((await store.get(transactionId))?.status).toBe('pending');

    const logout = await alice.call({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { ...FORM, origin: 'https://evil.example' },
    });
    expect(logout.response).toMatchObject({ status: 403, body: { error: { code: 'invalid_request' } } });
    expect(logout.session).toBeUndefined();

    const ownLogout = await alice.call({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { ...FORM, origin: 'https://shop.example', 'sec-fetch-site': 'same-origin' },
    });
    expect(ownLogout.response).toEqual({ type: 'redirect', status: 303, location: '/' });
  });

  it("a provider's webhook is not a browser's POST: it is never refused for its origin", async () => {
    const { provider, state } = scriptedProvider();
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider] });
    const alice = browser(eid);
    await alice.start();
    const tx = txFromCallbackUrl(state.starts[0]!.callbackUrl);
    const outcome = await eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
      body: { reference: 'ref-1' },
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://push.idp.example' },
    });
    expect(outcome.response).toMatchObject({ status: 200 });
  });

  it.each([
    ['not an array', 'https://www.shop.example'],
    ['a path', ['https://www.shop.example/app']],
    ['no scheme', ['www.shop.example']],
    ['another scheme', ['ftp://www.shop.example']],
    ['not a string', [42]],
  ])('allowedOrigins refuses %s at createEid', (_name, allowedOrigins) => {
    const { provider } = scriptedProvider();
    expect(() =>
      createEid({
        baseUrl: 'https://shop.example',
        providers: [provider],
        allowedOrigins: allowedOrigins as never,
      }),
    ).toThrowError(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('allowedOrigins') }),
    );
  });
});
