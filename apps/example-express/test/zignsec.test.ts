import { ACCEPT_HTML, ACCEPT_JSON, Browserless, parseSimulatorForm } from '@eid/conformance';
import { webhookToken } from '@eid/core/provider-kit';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/**
 * Full ZignSec logins through the Express example, on the simulator, without a real browser. Nothing
 * personal is printed: identities are compared, never logged.
 */

interface Expected {
  method: string;
  label: string;
  user: string;
  name: string;
  subject: string;
  nin?: { value: string; country: string };
}

const KARI_PID = '9578-6000-4-2595757';
const ANNA = { user: 'se-anna', name: 'Anna Andersson', subject: '198503149828' };
const ANNA_NIN = { value: '198503149828', country: 'SE' };
const MATTI = { user: 'fi-matti', name: 'Matti Virtanen', subject: '150480-9152' };
const MATTI_NIN = { value: '150480-9152', country: 'FI' };
const KARI = { user: 'no-kari', name: 'Kari Nordmann', subject: KARI_PID };

const METHODS: readonly Expected[] = [
  { method: 'sbid', label: 'Swedish BankID on this device', ...ANNA, nin: ANNA_NIN },
  { method: 'sbid-another', label: 'Swedish BankID on another device', ...ANNA, nin: ANNA_NIN },
  { method: 'fbid', label: 'Finnish bank ID', ...MATTI, nin: MATTI_NIN },
  { method: 'nbid-oidc', label: 'Norwegian BankID (web or mobile)', ...KARI },
  { method: 'nbid', label: 'Norwegian BankID', ...KARI },
  { method: 'nbid-pep', label: 'Norwegian BankID with PEP check', ...KARI },
  { method: 'country-se', label: 'Any Swedish eID', ...ANNA, nin: ANNA_NIN },
  { method: 'country-no', label: 'Any Norwegian eID', ...KARI },
  // The Danish eID gives a person key, not the CPR, unless the start request carried the number (then matched).
  { method: 'country-dk', label: 'Any Danish eID', user: 'dk-mette', name: 'Mette Jensen', subject: '' },
  { method: 'country-fi', label: 'Any Finnish eID', ...MATTI, nin: MATTI_NIN },
  {
    method: 'swissid',
    label: 'SwissID',
    user: 'ch-lena',
    name: 'Lena Meier',
    subject: '4f5c0a2e-7b1d-4e8a-9c36-2d7e8b1f0a94',
  },
];

const WEBHOOK_SECRET = 'a-webhook-secret-of-the-app-0123456789';

let simulator: Simulator;
/** No ZIGNSEC_* variables: the simulator, with a random webhook secret. */
let onSimulator: ExampleApp;
/** ZIGNSEC_BASE_URL and ZIGNSEC_TOKEN set, no ZIGNSEC_WEBHOOK_SECRET: no webhook, the callback polls. */
let configured: ExampleApp;
/** All three variables set. */
let withSecret: ExampleApp;

beforeAll(async () => {
  simulator = await startSimulator();
  const start = (env: NodeJS.ProcessEnv) =>
    createExampleApp({ port: 0, host: '127.0.0.1', env, simulator, providerTimeoutMs: 5000 });
  onSimulator = await start({});
  const zignsecEnv = { ZIGNSEC_BASE_URL: simulator.zignsec.baseUrl, ZIGNSEC_TOKEN: simulator.zignsec.token };
  configured = await start(zignsecEnv);
  withSecret = await start({ ...zignsecEnv, ZIGNSEC_WEBHOOK_SECRET: WEBHOOK_SECRET });
});
afterAll(async () => {
  await Promise.all([onSimulator?.close(), configured?.close(), withSecret?.close()]);
  await simulator?.close();
});

const route = (app: ExampleApp, path: string) => `${app.url}/auth/eid${path}`;

/**
 * Starts a ZignSec login in `browser`, answers the simulator's page and returns where the simulator sends
 * the browser back: `{prefix}/callback/zignsec?relaystate=<transaction id>&service=eIDBasic`.
 */
async function throughSimulator(
  app: ExampleApp,
  browser: Browserless,
  method: string,
  outcome: 'success' | 'abort' | 'error',
  user?: string,
): Promise<{ callback: string; transactionId: string }> {
  const start = await browser.get(
    `${route(app, `/start/zignsec/${method}`)}?returnTo=%2Fprofile`,
    ACCEPT_HTML,
  );
  expect(start.status).toBe(302);
  const pageUrl = browser.location(start);
  expect(pageUrl).toMatch(new RegExp(`^${simulator.url}/v2/Hosted/[0-9a-f-]{36}$`));
  const html = await (await browser.get(pageUrl, ACCEPT_HTML)).text();
  const form = parseSimulatorForm(html, pageUrl);
  if (user) expect(form.users).toContain(user);
  const answer = await browser.post(form.action, {
    form: { ...form.hidden, user: user ?? form.users[0]!, outcome },
  });
  expect(answer.status).toBe(303);
  const callback = browser.location(answer);
  const url = new URL(callback);
  expect(`${url.origin}${url.pathname}`).toBe(route(app, '/callback/zignsec'));
  expect(url.searchParams.get('service')).toBe('eIDBasic');
  const transactionId = url.searchParams.get('relaystate');
  expect(transactionId).toMatch(/^[A-Za-z0-9_-]{22,64}$/);
  return { callback, transactionId: transactionId! };
}

async function sessionIdentity(app: ExampleApp, browser: Browserless): Promise<Record<string, unknown>> {
  const session = await browser.get(route(app, '/session'), ACCEPT_JSON);
  expect(session.status).toBe(200);
  return ((await session.json()) as { identity: Record<string, unknown> }).identity;
}

describe('example-express with ZignSec', () => {
  it('the home page and /methods list every ZignSec method', async () => {
    const html = await (await new Browserless().get(`${onSimulator.url}/`, ACCEPT_HTML)).text();
    const methods = (await (
      await new Browserless().get(route(onSimulator, '/methods'), ACCEPT_JSON)
    ).json()) as unknown[];
    for (const { method, label } of METHODS) {
      expect(html).toContain(`data-testid="login-zignsec-${method}"`);
      expect(html).toContain(`href="/auth/eid/start/zignsec/${method}?returnTo=%2Fprofile"`);
      expect(html).toContain(`Log in with ${label}`);
      expect(methods).toContainEqual(
        expect.objectContaining({ provider: 'zignsec', method, flow: 'redirect' }),
      );
    }
    const logins = methods.filter((m) => {
      const { provider, purpose } = m as { provider: string; purpose: string };
      return provider === 'zignsec' && purpose === 'login';
    });
    expect(logins).toHaveLength(METHODS.length);
    // Swedish BankID signing is listed too, for the sign page, never as a login button.
    expect(methods).toContainEqual(
      expect.objectContaining({ provider: 'zignsec', method: 'sbid-sign', purpose: 'sign' }),
    );
    expect(html).not.toContain('data-testid="login-zignsec-sbid-sign"');
  });

  describe.each([
    ['on the simulator (webhook, then callback)', () => onSimulator],
    ['with ZIGNSEC_BASE_URL and ZIGNSEC_TOKEN (callback polls)', () => configured],
  ])('%s', (_name, appOf) => {
    it.each(METHODS)('logs in with $method', async ({ method, user, name, subject, nin }) => {
      const app = appOf();
      const browser = new Browserless();
      const { callback } = await throughSimulator(app, browser, method, 'success', user);
      const before = browser.cookies(app.url)['example.sid'];

      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(browser.location(done)).toBe(`${app.url}/profile`);
      expect(browser.cookies(app.url)['example.sid']).not.toBe(before);

      const identity = await sessionIdentity(app, browser);
      expect(identity).toMatchObject({ provider: 'zignsec', method, name });
      if (subject) expect(identity.subject).toBe(subject);
      else expect(identity.subject).toMatch(/^9208-2002-2-\d{12}$/); // the Danish person key
      if (nin) expect(identity.nin).toMatchObject(nin);
      else expect(identity.nin).toBeUndefined();
      expect(identity.dateOfBirth).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      const profile = await (await browser.get(`${app.url}/profile`, ACCEPT_HTML)).text();
      expect(profile).toContain(name);
      if (nin) expect(profile).not.toContain(nin.value);

      // The callback counts once: a reload gives the same answer, and no second login.
      const replay = await browser.get(callback, ACCEPT_HTML);
      expect(browser.location(replay)).toBe(`${app.url}/profile`);
      expect((await sessionIdentity(app, browser)).method).toBe(method);
    });
  });

  it('a prefilled nin travels as PersonalNumber; the Danish eID then returns the matched CPR', async () => {
    const browser = new Browserless();
    // The number goes in the body of a POST (a form post from the app's page), never in the URL.
    const start = await browser.post(route(configured, '/start/zignsec/country-dk'), {
      form: { returnTo: '/profile', nin: '2901034209' },
      headers: ACCEPT_HTML,
    });
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    expect(form.users).toEqual(['dk-soren']);
    const answer = await browser.post(form.action, { form: { user: 'dk-soren', outcome: 'success' } });
    await browser.get(browser.location(answer), ACCEPT_HTML);
    expect((await sessionIdentity(configured, browser)).nin).toEqual({
      value: '2901034209',
      country: 'DK',
      type: 'CPR',
    });
  });

  it('a login completed by the webhook before the browser returns', async () => {
    const browser = new Browserless();
    const { callback, transactionId } = await throughSimulator(
      withSecret,
      browser,
      'sbid-another',
      'success',
      'se-anna',
    );
    // The simulator delivered the webhook before it sent the browser back: the login is complete already.
    const status = await browser.get(route(withSecret, `/status/${transactionId}`), ACCEPT_JSON);
    expect(await status.json()).toMatchObject({ transactionId, status: 'complete' });
    // From now on ZignSec's API fails: the browser's return must not need it.
    simulator.setFaults({ provider: 'zignsec', status: 500 });
    try {
      const done = await browser.get(callback, ACCEPT_HTML);
      expect(browser.location(done)).toBe(`${withSecret.url}/profile`);
      expect(await sessionIdentity(withSecret, browser)).toMatchObject({
        provider: 'zignsec',
        method: 'sbid-another',
        name: 'Anna Andersson',
      });
    } finally {
      simulator.clearFaults();
    }
  });

  it('without a webhook the same failure of ZignSec is provider_error at the callback', async () => {
    const browser = new Browserless();
    const { callback } = await throughSimulator(configured, browser, 'sbid', 'success');
    simulator.setFaults({ provider: 'zignsec', status: 500 });
    try {
      const failed = await browser.get(callback, ACCEPT_HTML);
      expect(browser.location(failed)).toBe(`${configured.url}/?error=provider_error`);
    } finally {
      simulator.clearFaults();
    }
    expect((await browser.get(route(configured, '/session'), ACCEPT_JSON)).status).toBe(401);
  });

  it('a webhook with a wrong token is refused and logs nobody in', async () => {
    const browser = new Browserless();
    const start = await browser.get(`${route(withSecret, '/start/zignsec/sbid')}`, ACCEPT_JSON);
    const { transactionId } = (await start.json()) as { transactionId: string };
    const forged = await fetch(`${route(withSecret, '/webhook/zignsec')}?tx=${transactionId}&token=forged`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', identity: { CountryCode: 'SE', PersonalNumber: '198503149828' } }),
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    const status = await browser.get(route(withSecret, `/status/${transactionId}`), ACCEPT_JSON);
    expect(await status.json()).toMatchObject({ status: 'pending' });
  });

  it('a webhook with the right URL token but without or with a wrong ZignSec signature is refused', async () => {
    const browser = new Browserless();
    const start = await browser.get(`${route(withSecret, '/start/zignsec/sbid')}`, ACCEPT_JSON);
    const { transactionId } = (await start.json()) as { transactionId: string };
    // The URL the app gave ZignSec for this login: its per-transaction token is valid.
    const token = webhookToken(WEBHOOK_SECRET, transactionId);
    const url = `${route(withSecret, '/webhook/zignsec')}?tx=${transactionId}&token=${token}`;
    const body = JSON.stringify({ id: 'x' });
    for (const signature of [undefined, 'a'.repeat(64)]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-zignsec-hmac-sha256': signature } : {}),
        },
        body,
      });
      expect(res.status).toBe(401);
    }
    const status = await browser.get(route(withSecret, `/status/${transactionId}`), ACCEPT_JSON);
    expect(await status.json()).toMatchObject({ status: 'pending' });
  });

  it.each([
    ['abort', 'user_cancelled'],
    ['error', 'provider_error'],
  ] as const)(
    '%s on the simulator page (no webhook) ends on the home page with %s',
    async (outcome, code) => {
      const browser = new Browserless();
      const { callback } = await throughSimulator(configured, browser, 'nbid-pep', outcome);
      const failed = await browser.get(callback, ACCEPT_HTML);
      expect(browser.location(failed)).toBe(`${configured.url}/?error=${code}`);
      expect((await browser.get(route(configured, '/session'), ACCEPT_JSON)).status).toBe(401);
    },
  );

  it('abort with the webhook first: no login, the browser lands on the home page with an error', async () => {
    const browser = new Browserless();
    const { callback, transactionId } = await throughSimulator(onSimulator, browser, 'nbid', 'abort');
    const status = await browser.get(route(onSimulator, `/status/${transactionId}`), ACCEPT_JSON);
    expect(await status.json()).toMatchObject({ status: 'failed', error: { code: 'user_cancelled' } });
    const failed = await browser.get(callback, ACCEPT_HTML);
    // A push failed the login first: the callback shows how it ended.
    expect(browser.location(failed)).toMatch(new RegExp(`^${onSimulator.url}/\\?error=`));
    expect((await browser.get(route(onSimulator, '/session'), ACCEPT_JSON)).status).toBe(401);
  });

  it('ZignSec unavailable at start sends the browser to the home page with provider_unavailable', async () => {
    simulator.setFaults({ provider: 'zignsec', status: 503 });
    try {
      const browser = new Browserless();
      const start = await browser.get(
        `${route(onSimulator, '/start/zignsec/sbid')}?returnTo=%2Fprofile`,
        ACCEPT_HTML,
      );
      expect(browser.location(start)).toBe(`${onSimulator.url}/?error=provider_unavailable`);
    } finally {
      simulator.clearFaults();
    }
  });
});
