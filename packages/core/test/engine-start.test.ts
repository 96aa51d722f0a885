import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT, setup } from './helpers/engine-browser.js';

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

  it('a JSON body without Accept is a JSON caller: the answer and every error are JSON, never a redirect', async () => {
    const { eid } = setup();
    const alice = browser(eid);
    const jsonBody = { 'content-type': 'application/json; charset=utf-8' };
    const post = (method: string, body: Record<string, unknown>) =>
      alice.call({
        route: 'start',
        httpMethod: 'POST',
        params: { provider: 'acme', method },
        body,
        headers: jsonBody,
      });
    expect((await post('bankid', { returnTo: '/profile' })).response).toMatchObject({
      type: 'json',
      status: 200,
      body: { status: 'pending', redirectUrl: 'https://idp.example/login?session=ref-1' },
    });
    // A headless start that fails (no number) answers the JSON error, not a redirect to the failure page.
    expect((await post('phone', {})).response).toMatchObject({
      type: 'json',
      status: 400,
      body: { error: { code: 'invalid_nin' } },
    });
    expect((await post('bankid', { returnTo: 'https://evil.example/' })).response).toMatchObject({
      type: 'json',
      status: 400,
      body: { error: { code: 'invalid_return_to' } },
    });
    // A form post from a page still fails to the page.
    const form = await alice.call({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'phone' },
      body: {},
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML_ACCEPT },
    });
    expect(form.response).toMatchObject({ type: 'redirect', status: 303 });
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
    const viaGet = await alice.start('phone', { returnTo: '/' }, JSON_ACCEPT, 'GET');
    expect(viaGet.response).toMatchObject({ status: 405, body: { error: { code: 'invalid_request' } } });
  });

  it.each<[string, Record<string, unknown>, string, number]>([
    ['absolute returnTo', { returnTo: 'https://evil.example/' }, 'invalid_return_to', 400],
    ['protocol-relative returnTo', { returnTo: '//evil.example' }, 'invalid_return_to', 400],
    ['backslash returnTo', { returnTo: '/\\evil.example' }, 'invalid_return_to', 400],
    ['repeated returnTo', { returnTo: ['/a', '/b'] }, 'invalid_request', 400],
    ['oversized returnTo', { returnTo: `/${'a'.repeat(5000)}` }, 'invalid_request', 400],
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
    const swiss = await browser(eid).call({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'swiss' },
      body: { nin: '01819012365' },
      headers: JSON_ACCEPT,
    });
    expect(swiss.response).toMatchObject({ status: 400, body: { error: { code: 'invalid_nin' } } });
  });

  it('refuses an invalid nin in the body and stores nothing, without echoing it', async () => {
    const { eid, state, store } = setup();
    const outcome = await browser(eid).headless({ nin: '01819012366' });
    expect(outcome.response).toMatchObject({
      type: 'json',
      status: 400,
      body: { error: { code: 'invalid_nin' } },
    });
    expect(state.starts).toHaveLength(0);
    expect(store.size).toBe(0);
    expect(JSON.stringify(outcome.response)).not.toContain('01819012366');
  });

  it.each<[string, string, Record<string, unknown> | undefined]>([
    ['GET of a redirect method', 'GET', undefined],
    ['POST with the number in the URL too', 'POST', { returnTo: '/' }],
    ['POST with the number in the URL and the body', 'POST', { nin: '01819012365' }],
  ])(
    'a nin in the query (%s) answers 400 invalid_request and starts nothing',
    async (_name, httpMethod, body) => {
      const { eid, state, store } = setup();
      for (const method of ['bankid', 'phone']) {
        const api = await browser(eid).call({
          route: 'start',
          httpMethod,
          params: { provider: 'acme', method },
          query: { nin: '01819012365', returnTo: '/' },
          ...(body ? { body } : {}),
          headers: JSON_ACCEPT,
        });
        expect(api.response).toMatchObject({
          type: 'json',
          status: 400,
          body: { error: { code: 'invalid_request' } },
        });
        expect(api.session).toBeUndefined();
        expect(JSON.stringify(api.response)).not.toContain('01819012365');
      }
      // A browser page is sent to the failure page with the code.
      const page = await browser(eid).start('bankid', { nin: '' });
      expect(page.response).toEqual({ type: 'redirect', status: 303, location: '/?error=invalid_request' });
      expect(state.starts).toHaveLength(0);
      expect(store.size).toBe(0);
    },
  );

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
