import { ACCEPT_HTML, ACCEPT_JSON, Browserless, parseSimulatorForm } from '@eid/conformance';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/**
 * Full BankID Norway and ID-porten (OpenID Connect) logins through the Express example, without a real
 * browser: the app redirects to the simulator's OpenID Provider (oidc-provider), the person approves on the
 * simulator's page, and the provider sends the browser back to the app's callback with code and state.
 */

const LOGINS = [
  {
    provider: 'bankid-no',
    method: 'bankid',
    label: 'BankID',
    user: 'no-kari',
    nin: '17829034034',
    name: 'Kari Nordmann',
    loa: 'high',
    // The simulator answers BankID's short and `;LOA=` acr forms in turn.
    acr: /^urn:bankid:bid(;LOA=4)?$/,
  },
  {
    provider: 'bankid-no',
    method: 'bankid-biometric',
    label: 'BankID with biometrics',
    user: 'no-ingrid',
    nin: '24870161219',
    name: 'Ingrid Hansen',
    loa: 'substantial',
    acr: /^urn:bankid:bis(;LOA=3)?$/,
  },
  {
    provider: 'idporten',
    method: 'idporten',
    label: 'ID-porten',
    user: 'no-jonas',
    nin: '45097821368',
    name: undefined,
    loa: 'substantial',
    acr: /^idporten-loa-substantial$/,
  },
] as const;

let simulator: Simulator;
let app: ExampleApp;
beforeAll(async () => {
  simulator = await startSimulator();
  // No BANKID_NO_* or IDPORTEN_* variables: the app talks to this simulator's OpenID Providers.
  app = await createExampleApp({ port: 0, host: '127.0.0.1', env: {}, simulator, providerTimeoutMs: 5000 });
});
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

const route = (path: string) => `${app.url}/auth/eid${path}`;

/**
 * Starts a login in `browser`, follows it to the simulator's approval page and presses `outcome` there
 * (optionally switching the BankID variant); returns the app callback URL the provider sends the browser to.
 */
async function throughSimulator(
  browser: Browserless,
  provider: string,
  method: string,
  outcome: 'success' | 'abort' | 'error',
  choice: { user?: string; idp?: string } = {},
): Promise<string> {
  const start = await browser.get(
    `${route(`/start/${provider}/${method}`)}?returnTo=%2Fprofile`,
    ACCEPT_HTML,
  );
  expect(start.status).toBe(302);
  const authorization = new URL(browser.location(start));
  expect(`${authorization.origin}${authorization.pathname}`).toBe(`${simulator.url}/oidc/${provider}/auth`);
  expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorization.searchParams.get('redirect_uri')).toBe(route(`/callback/${provider}`));

  const toPage = await browser.get(authorization.toString(), ACCEPT_HTML);
  expect(toPage.status).toBe(303);
  const pageUrl = browser.location(toPage);
  expect(pageUrl.startsWith(`${simulator.url}/oidc/${provider}/interaction/`)).toBe(true);
  const html = await (await browser.get(pageUrl, ACCEPT_HTML)).text();
  const form = parseSimulatorForm(html, pageUrl);
  if (choice.user) expect(form.users).toContain(choice.user);
  const answer = await browser.post(form.action, {
    form: {
      ...form.hidden,
      ...(choice.idp ? { idp: choice.idp } : {}),
      user: choice.user ?? form.users[0]!,
      outcome,
    },
  });
  expect(answer.status).toBe(303);
  // oidc-provider resumes the authorization, then redirects to the app with code (or error) and state.
  const resumed = await browser.get(browser.location(answer), ACCEPT_HTML);
  expect(resumed.status).toBe(303);
  const callback = browser.location(resumed);
  expect(callback.startsWith(route(`/callback/${provider}?`))).toBe(true);
  return callback;
}

describe('example-express with BankID Norway and ID-porten (OpenID Connect)', () => {
  it('the home page and /methods list every BankID Norway and ID-porten method', async () => {
    const html = await (await new Browserless().get(`${app.url}/`, ACCEPT_HTML)).text();
    const methods = (await (await new Browserless().get(route('/methods'), ACCEPT_JSON)).json()) as unknown[];
    for (const { provider, method, label } of LOGINS) {
      expect(html).toContain(`data-testid="login-${provider}-${method}"`);
      expect(html).toContain(`href="/auth/eid/start/${provider}/${method}?returnTo=%2Fprofile"`);
      expect(html).toContain(label);
      expect(methods).toContainEqual(
        expect.objectContaining({ provider, method, flow: 'redirect', label, country: 'NO' }),
      );
    }
  });

  for (const login of LOGINS) {
    it(`logs in with ${login.provider} ${login.method}: session identity, profile page`, async () => {
      const browser = new Browserless();
      const callback = await throughSimulator(browser, login.provider, login.method, 'success', {
        user: login.user,
      });
      const state = new URL(callback).searchParams;
      expect(state.get('code')).toBeTruthy();
      expect(state.get('iss')).toBe(`${simulator.url}/oidc/${login.provider}`);

      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/profile');

      const session = await browser.get(route('/session'), ACCEPT_JSON);
      expect(session.status).toBe(200);
      const { identity } = (await session.json()) as { identity: Record<string, unknown> };
      expect(identity).toMatchObject({
        provider: login.provider,
        method: login.method,
        nin: { value: login.nin, country: 'NO' },
        loa: login.loa,
        extra: { acr: expect.stringMatching(login.acr) },
      });
      if (login.name) expect(identity.name).toBe(login.name);
      expect(identity.subject).toEqual(expect.any(String));
      expect(identity.subject).not.toContain(login.nin);

      const profile = await browser.get(`${app.url}/profile`, ACCEPT_HTML);
      expect(profile.status).toBe(200);
      const page = await profile.text();
      if (login.name) expect(page).toContain(login.name);
      expect(page).not.toContain(login.nin);

      // The callback counts once: a reload gives the same answer from the store, and no second login.
      const replay = await browser.get(callback, ACCEPT_JSON);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toMatchObject({ status: 'complete' });
    });
  }

  for (const provider of ['bankid-no', 'idporten'] as const) {
    it(`${provider}: the person denying access ends on the failure page with user_cancelled`, async () => {
      const browser = new Browserless();
      const method = provider === 'bankid-no' ? 'bankid' : 'idporten';
      const callback = await throughSimulator(browser, provider, method, 'abort');
      expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/?error=user_cancelled');
      expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
    });
  }

  it('bankid-no: a login made below the method level (biometrics for BankID) fails with provider_error', async () => {
    const browser = new Browserless();
    const callback = await throughSimulator(browser, 'bankid-no', 'bankid', 'success', {
      user: 'no-kari',
      idp: 'BIS',
    });
    const done = await browser.get(callback, ACCEPT_HTML);
    expect(done.headers.get('location')).toBe('/?error=provider_error');
    expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
  });

  it('a callback brought by another browser finds no login, and stops it for the browser that started it', async () => {
    const browser = new Browserless();
    const callback = await throughSimulator(browser, 'idporten', 'idporten', 'success');
    const stranger = await new Browserless().get(callback, ACCEPT_JSON);
    expect(stranger.status).toBe(404);
    expect(((await stranger.json()) as { error: { code: string } }).error.code).toBe('transaction_not_found');
    // A relayed login: the person approved where the other browser is, so nobody finishes it.
    expect((await browser.get(callback, ACCEPT_HTML)).headers.get('location')).toBe(
      '/?error=browser_mismatch',
    );
    expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
  });
});
