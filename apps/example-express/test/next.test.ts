import { ACCEPT_HTML, ACCEPT_JSON, Browserless, parseSimulatorForm } from '@eid/conformance';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/** A full LinkMobility NEXT login through the Express example, on the simulator, without a real browser. */

const METHODS = [
  { method: 'nbid', label: 'Norwegian BankID', user: 'no-kari', nin: '17829034034', name: 'Kari Nordmann' },
  { method: 'sbid', label: 'Swedish BankID', user: 'se-anna', nin: '198503149828', name: 'Anna Andersson' },
  {
    method: 'sbid-mobil',
    label: 'Swedish Mobile BankID',
    user: 'se-lars',
    nin: '197208699913',
    name: 'Lars Svensson',
  },
] as const;

let simulator: Simulator;
let app: ExampleApp;
beforeAll(async () => {
  simulator = await startSimulator();
  // No NEXT_* variables: the app talks to this simulator.
  app = await createExampleApp({ port: 0, host: '127.0.0.1', env: {}, simulator, providerTimeoutMs: 5000 });
});
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

/**
 * NEXT appends the id to the callback URL, which has `?tx=` already, as `&id=` or as the text `?id=`
 * (the simulator takes turns): the same callback with the id as a separate parameter, to read or alter it.
 */
function separateId(callback: string | URL): URL {
  const text = callback.toString();
  const at = text.lastIndexOf('?id=');
  if (at <= text.indexOf('?')) return new URL(text);
  const url = new URL(text.slice(0, at));
  url.searchParams.set('id', decodeURIComponent(text.slice(at + 4)));
  return url;
}

const route = (path: string) => `${app.url}/auth/eid${path}`;

/** Starts a NEXT login in `browser` and answers the simulator's page; returns the callback URL it leads to. */
async function throughSimulator(
  browser: Browserless,
  method: string,
  outcome: 'success' | 'abort' | 'error',
  user?: string,
): Promise<string> {
  const start = await browser.get(`${route(`/start/next/${method}`)}?returnTo=%2Fprofile`, ACCEPT_HTML);
  expect(start.status).toBe(302);
  const pageUrl = browser.location(start);
  const page = new URL(pageUrl);
  expect(page.origin).toBe(simulator.url);
  expect(page.pathname).toMatch(
    new RegExp(`^/bankid/${simulator.next.partnerId}/[0-9a-f-]{36}/authenticate$`),
  );
  const html = await (await browser.get(pageUrl, ACCEPT_HTML)).text();
  const form = parseSimulatorForm(html, pageUrl);
  if (user) expect(form.users).toContain(user);
  const answer = await browser.post(form.action, {
    form: { ...form.hidden, user: user ?? form.users[0]!, outcome },
  });
  expect(answer.status).toBe(303);
  const callback = browser.location(answer);
  expect(callback.startsWith(route('/callback/next?'))).toBe(true);
  return callback;
}

describe('example-express with LinkMobility NEXT', () => {
  it('the home page lists every NEXT method', async () => {
    const html = await (await new Browserless().get(`${app.url}/`, ACCEPT_HTML)).text();
    for (const { method, label } of METHODS) {
      expect(html).toContain(`data-testid="login-next-${method}"`);
      expect(html).toContain(`href="/auth/eid/start/next/${method}?returnTo=%2Fprofile"`);
      expect(html).toContain(`Log in with ${label}`);
    }
    const methods = (await (await new Browserless().get(route('/methods'), ACCEPT_JSON)).json()) as unknown[];
    for (const { method } of METHODS) {
      expect(methods).toContainEqual(expect.objectContaining({ provider: 'next', method, flow: 'redirect' }));
    }
  });

  it.each(METHODS)(
    'logs in with $method: simulator page, callback with id, identity in a new session, profile',
    async ({ method, user, nin, name }) => {
      const browser = new Browserless();
      const callback = await throughSimulator(browser, method, 'success', user);
      const callbackUrl = separateId(callback);
      expect(callbackUrl.searchParams.get('tx')).toEqual(expect.any(String));
      expect(callbackUrl.searchParams.get('id')).toMatch(/^[0-9a-f-]{36}$/);
      const before = browser.cookies(app.url)['example.sid'];

      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(browser.location(done)).toBe(`${app.url}/profile`);
      expect(browser.cookies(app.url)['example.sid']).not.toBe(before);

      const session = await browser.get(route('/session'), ACCEPT_JSON);
      expect(session.status).toBe(200);
      const { identity } = (await session.json()) as { identity: Record<string, unknown> };
      expect(identity).toMatchObject({
        provider: 'next',
        method,
        subject: nin,
        nin: { value: nin, country: method.startsWith('nbid') ? 'NO' : 'SE' },
        name,
      });
      expect(identity.dateOfBirth).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      const profile = await browser.get(`${app.url}/profile`, ACCEPT_HTML);
      expect(profile.status).toBe(200);
      const html = await profile.text();
      expect(html).toContain(name);
      expect(html).not.toContain(nin);

      // The callback counts once: a reload gives the same answer, and no second login.
      const replay = await browser.get(callback, ACCEPT_HTML);
      expect(browser.location(replay)).toBe(`${app.url}/profile`);
    },
  );

  it('a callback whose id is another (completed) authentication writes no identity', async () => {
    // Someone else completes a login of their own, as Ola.
    const other = new Browserless();
    const otherCallback = new URL(await throughSimulator(other, 'nbid', 'success', 'no-ola'));
    const otherId = separateId(otherCallback).searchParams.get('id')!;

    // This browser's own login, approved as Kari; its callback gets the other authentication's id.
    const browser = new Browserless();
    const genuine = new URL(await throughSimulator(browser, 'nbid', 'success', 'no-kari'));
    const forged = separateId(genuine);
    forged.searchParams.set('id', otherId);

    const refused = await browser.get(forged, ACCEPT_HTML);
    expect(refused.status).toBe(303);
    expect(browser.location(refused)).toBe(`${app.url}/?error=transaction_not_found`);
    expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);

    // The same with JSON: the error body, and still nobody logged in.
    const asJson = await browser.get(forged, ACCEPT_JSON);
    expect(asJson.status).toBe(404);
    expect(await asJson.json()).toMatchObject({ error: { code: 'transaction_not_found' } });
    expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);

    // The forgery did not spend the login: the genuine callback still logs in as Kari, not Ola.
    const done = await browser.get(genuine, ACCEPT_HTML);
    expect(browser.location(done)).toBe(`${app.url}/profile`);
    const { identity } = (await (await browser.get(route('/session'), ACCEPT_JSON)).json()) as {
      identity: Record<string, unknown>;
    };
    expect(identity).toMatchObject({ provider: 'next', subject: '17829034034', name: 'Kari Nordmann' });
  });

  it('a callback without id, or from another browser, writes no identity', async () => {
    const browser = new Browserless();
    const callback = new URL(await throughSimulator(browser, 'sbid', 'success', 'se-anna'));
    const withoutId = separateId(callback);
    withoutId.searchParams.delete('id');
    const refused = await browser.get(withoutId, ACCEPT_HTML);
    expect(browser.location(refused)).toBe(`${app.url}/?error=transaction_not_found`);

    const stranger = new Browserless();
    const stolen = await stranger.get(callback, ACCEPT_HTML);
    expect(stranger.location(stolen)).toBe(`${app.url}/?error=transaction_not_found`);
    expect((await stranger.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
  });

  it.each([
    ['abort', 'user_cancelled'],
    ['error', 'provider_error'],
  ] as const)('%s on the simulator page ends on the home page with %s', async (outcome, code) => {
    const browser = new Browserless();
    const callback = await throughSimulator(browser, 'nbid', outcome);
    const failed = await browser.get(callback, ACCEPT_HTML);
    expect(browser.location(failed)).toBe(`${app.url}/?error=${code}`);
    expect((await browser.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
  });

  it('NEXT unavailable at start sends the browser to the home page with provider_unavailable', async () => {
    simulator.setFaults({ provider: 'next', status: 503 });
    try {
      const browser = new Browserless();
      const start = await browser.get(`${route('/start/next/sbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
      expect(browser.location(start)).toBe(`${app.url}/?error=provider_unavailable`);
    } finally {
      simulator.clearFaults();
    }
  });
});
