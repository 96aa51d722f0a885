import { describe, expect, it } from 'vitest';
import type { EidRequest } from '../src/engine/contract.js';
import { EidError } from '../src/errors.js';
import { createEid, type EidSessionData } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import type { EndSessionContext, EndSessionHint, Provider } from '../src/providers/types.js';
import { MemoryStore } from '../src/store/memory.js';
import { webhookToken } from '../src/webhook.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT, txFromCallbackUrl } from './helpers/engine-browser.js';
import { KARI, scriptedProvider, WEBHOOK_SECRET } from './helpers/scripted-provider.js';

// A JWT-shaped stand-in for the ID token the provider gave at login.
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrYXJpIn0.c2lnbmF0dXJl';
const END_SESSION = 'https://idp.example/logout';

/**
 * An engine over a scripted provider that, like `idporten({ logoutAtProvider: true })`, gives an end-session
 * hint with each login and builds its end-session URL (or none, or fails, as `state.endSession` says).
 */
function setup(
  options: {
    baseUrl?: string;
    logoutRedirect?: string;
    logger?: Logger;
    /** Leave `endSessionUrl` out: logout at the provider turned off. */
    noEndSession?: boolean;
  } = {},
) {
  const { provider, state } = scriptedProvider();
  const calls: Array<{ hint: EndSessionHint; context: EndSessionContext }> = [];
  const endSession = { answer: 'url' as 'url' | 'none' | 'fail' };
  const withLogout: Provider = options.noEndSession
    ? provider
    : {
        ...provider,
        async endSessionUrl(hint, context) {
          calls.push({ hint, context });
          if (endSession.answer === 'fail') {
            throw new EidError('provider_unavailable', 'Acme eID is unavailable. Try again in a moment.');
          }
          if (endSession.answer === 'none') return undefined;
          const url = new URL(END_SESSION);
          url.searchParams.set('id_token_hint', hint.idTokenHint);
          url.searchParams.set('post_logout_redirect_uri', context.postLogoutRedirectUri);
          url.searchParams.set('state', context.state);
          return url.toString();
        },
      };
  const other = scriptedProvider('other');
  const store = new MemoryStore();
  const eid = createEid({
    baseUrl: options.baseUrl ?? 'https://shop.example',
    providers: [withLogout, other.provider],
    store,
    ...(options.logoutRedirect ? { logoutRedirect: options.logoutRedirect } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  state.result = { status: 'complete', identity: KARI, endSession: { idTokenHint: ID_TOKEN } };
  return { eid, state, store, calls, endSession, other: other.state };
}

/** Logs `alice` in through the redirect flow of `provider` ('acme' gives an end-session hint). */
async function loggedIn(context: ReturnType<typeof setup>, provider = 'acme') {
  const alice = browser(context.eid);
  const started = await alice.call({
    route: 'start',
    httpMethod: 'GET',
    params: { provider, method: 'bankid' },
    headers: HTML_ACCEPT,
  });
  const location = (started.response as { location: string }).location;
  expect(location).toMatch(/^https:\/\/idp\.example\//);
  const starts = provider === 'acme' ? context.state.starts : context.other.starts;
  const tx = txFromCallbackUrl(starts.at(-1)!.callbackUrl);
  const callback = await alice.call({
    route: 'callback',
    httpMethod: 'GET',
    params: { provider },
    query: { tx },
    headers: HTML_ACCEPT,
  });
  expect(callback.session?.kind).toBe('login');
  return alice;
}

const FORM = { ...HTML_ACCEPT, contentType: 'application/x-www-form-urlencoded' };
const logoutRequest = (headers: EidRequest['headers']): Omit<EidRequest, 'session'> => ({
  route: 'logout',
  httpMethod: 'POST',
  params: {},
  headers,
});

function capturingLogger() {
  const lines: string[] = [];
  const capture = (obj: object, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
  return { lines, logger: { debug: capture, info: capture, warn: capture, error: capture } };
}

describe('logout at the provider: the login keeps the hint', () => {
  it('a login through a provider with logout at the provider keeps its hint beside the identity; /session does not show it', async () => {
    const context = setup();
    const alice = await loggedIn(context);
    expect(alice.jar.session).toEqual({
      identity: expect.objectContaining({ provider: 'acme', subject: KARI.subject }),
      binding: expect.any(String),
      providerLogout: { provider: 'acme', idTokenHint: ID_TOKEN },
    });
    const session = await alice.call({ route: 'session', httpMethod: 'GET', params: {} });
    expect(JSON.stringify(session.response)).not.toContain(ID_TOKEN);
  });

  it('a headless login finished by a push hands the hint over at the status poll and removes it from the store', async () => {
    const context = setup();
    const alice = browser(context.eid);
    const started = await alice.headless({ nin: '01819012365' });
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    await context.eid.handle({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken(WEBHOOK_SECRET, tx) },
      body: { reference: 'ref-1', result: context.state.result },
      headers: { contentType: 'application/json' },
    });
    expect((await context.store.get(tx))?.providerLogout).toEqual({
      provider: 'acme',
      idTokenHint: ID_TOKEN,
    });
    const status = await alice.status(tx);
    expect(status.session).toMatchObject({ kind: 'login', providerLogout: { idTokenHint: ID_TOKEN } });
    expect(alice.jar.session?.providerLogout).toEqual({ provider: 'acme', idTokenHint: ID_TOKEN });
    const stored = await context.store.get(tx);
    expect(stored?.identity).toBeUndefined();
    expect(stored?.providerLogout).toBeUndefined();
  });

  it('a new login replaces the hint: a login without one leaves none behind', async () => {
    const context = setup();
    const alice = await loggedIn(context);
    context.state.result = { status: 'complete', identity: KARI };
    await alice.start('bankid');
    const tx = txFromCallbackUrl(context.state.starts.at(-1)!.callbackUrl);
    await alice.callback({ tx });
    expect(alice.jar.session?.identity?.transactionId).toBe(tx);
    expect(alice.jar.session).not.toHaveProperty('providerLogout');
  });
});

describe('logout at the provider: the logout route', () => {
  it('a form post from a page: the session is cleared and the browser goes to the end-session URL (303)', async () => {
    const context = setup();
    const alice = await loggedIn(context);
    const outcome = await alice.call(logoutRequest(FORM));
    expect(outcome.session).toEqual({ kind: 'logout' });
    expect(alice.jar.session).toBeUndefined();
    expect(outcome.response).toMatchObject({ type: 'redirect', status: 303 });
    const location = new URL((outcome.response as { location: string }).location);
    expect(`${location.origin}${location.pathname}`).toBe(END_SESSION);
    expect(location.searchParams.get('id_token_hint')).toBe(ID_TOKEN);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe('https://shop.example/');
    expect(context.calls).toHaveLength(1);
    expect(context.calls[0]!.hint).toEqual({ idTokenHint: ID_TOKEN });
    expect(context.calls[0]!.context.state).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('an API call: 200 { loggedOut: true, logoutUrl }, the session cleared', async () => {
    const context = setup();
    const alice = await loggedIn(context);
    const outcome = await alice.call(logoutRequest(JSON_ACCEPT));
    expect(outcome.session).toEqual({ kind: 'logout' });
    expect(outcome.response).toEqual({
      type: 'json',
      status: 200,
      body: { loggedOut: true, logoutUrl: expect.stringMatching(/^https:\/\/idp\.example\/logout\?/) },
    });
    expect(alice.jar.session).toBeUndefined();
    // Logged out: a second logout has nothing to end at the provider.
    expect((await alice.call(logoutRequest(JSON_ACCEPT))).response).toEqual({ type: 'empty', status: 204 });
    expect(context.calls).toHaveLength(1);
  });

  it('post_logout_redirect_uri is logoutRedirect made absolute against baseUrl, with a fresh state each time', async () => {
    const context = setup({ baseUrl: 'https://shop.example/app', logoutRedirect: '/bye?from=eid' });
    for (let round = 0; round < 2; round++) {
      const alice = await loggedIn(context);
      const outcome = await alice.call(logoutRequest(FORM));
      expect((outcome.response as { location: string }).location).toMatch(/^https:\/\/idp\.example\/logout/);
    }
    expect(context.calls.map((call) => call.context.postLogoutRedirectUri)).toEqual([
      'https://shop.example/bye?from=eid',
      'https://shop.example/bye?from=eid',
    ]);
    expect(context.calls[0]!.context.state).not.toBe(context.calls[1]!.context.state);
  });

  it('never logs the ID token', async () => {
    const { lines, logger } = capturingLogger();
    const context = setup({ logger });
    const alice = await loggedIn(context);
    await alice.call(logoutRequest(FORM));
    const again = await loggedIn(context);
    context.endSession.answer = 'fail';
    await again.call(logoutRequest(FORM));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(ID_TOKEN.split('.')[1]);
  });
});

describe('logout at the provider: failure paths end the login here only', () => {
  const local = {
    form: { type: 'redirect', status: 303, location: '/' },
    api: { type: 'empty', status: 204 },
  };

  it('option off: no hint is kept, and logout answers as before (no logoutUrl)', async () => {
    const context = setup({ noEndSession: true });
    // A provider with logout at the provider off gives no hint.
    context.state.result = { status: 'complete', identity: KARI };
    const alice = await loggedIn(context);
    expect(alice.jar.session).not.toHaveProperty('providerLogout');
    expect((await alice.call(logoutRequest(JSON_ACCEPT))).response).toEqual(local.api);
    const bob = await loggedIn(context);
    const form = await bob.call(logoutRequest(FORM));
    expect(form).toEqual({ session: { kind: 'logout' }, response: local.form });
  });

  it('a hint left from when the option was on, its provider now without it: local logout and a warning', async () => {
    const { lines, logger } = capturingLogger();
    const context = setup({ noEndSession: true, logger });
    const alice = await loggedIn(context);
    expect(alice.jar.session?.providerLogout).toBeDefined();
    const outcome = await alice.call(logoutRequest(FORM));
    expect(outcome).toEqual({ session: { kind: 'logout' }, response: local.form });
    expect(lines.some((line) => line.includes('no longer offers logout at the provider'))).toBe(true);
  });

  it('no end_session_endpoint at the provider (no URL): local logout', async () => {
    const context = setup();
    context.endSession.answer = 'none';
    const alice = await loggedIn(context);
    expect(await alice.call(logoutRequest(FORM))).toEqual({
      session: { kind: 'logout' },
      response: local.form,
    });
    const bob = await loggedIn(context);
    expect((await bob.call(logoutRequest(JSON_ACCEPT))).response).toEqual(local.api);
    expect(context.calls).toHaveLength(2);
  });

  it('the provider failing (discovery down): local logout, session cleared, a warning with the code', async () => {
    const { lines, logger } = capturingLogger();
    const context = setup({ logger });
    context.endSession.answer = 'fail';
    const alice = await loggedIn(context);
    expect(await alice.call(logoutRequest(FORM))).toEqual({
      session: { kind: 'logout' },
      response: local.form,
    });
    expect(alice.jar.session).toBeUndefined();
    expect(
      lines.some((line) => line.includes('could not be built') && line.includes('provider_unavailable')),
    ).toBe(true);
  });

  it('a login from a provider without logout at the provider (another provider of the same app): local logout', async () => {
    const context = setup();
    context.other.result = { status: 'complete', identity: KARI };
    const alice = await loggedIn(context, 'other');
    expect(alice.jar.session?.identity?.provider).toBe('other');
    expect(alice.jar.session).not.toHaveProperty('providerLogout');
    expect(await alice.call(logoutRequest(FORM))).toEqual({
      session: { kind: 'logout' },
      response: local.form,
    });
    expect(context.calls).toHaveLength(0);
  });

  it('a session without a hint, a malformed one, or no session at all: local logout (no session made for none)', async () => {
    const context = setup();
    const identity = { ...KARI, provider: 'acme', method: 'bankid', transactionId: 'T'.repeat(43) };
    const sessions: Array<EidSessionData | undefined> = [
      { identity },
      { identity, providerLogout: { provider: 'acme', idTokenHint: '' } },
      { identity, providerLogout: { provider: 'acme' } as never },
      { identity, providerLogout: 'acme' as never },
      { binding: 'b' },
      undefined,
    ];
    for (const session of sessions) {
      const outcome = await context.eid.handle({ ...logoutRequest(JSON_ACCEPT), session });
      expect(outcome).toEqual({ ...(session ? { session: { kind: 'logout' } } : {}), response: local.api });
    }
    expect(context.calls).toHaveLength(0);
  });
});
