import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  completeSimulatorSession,
  parseSimulatorForm,
  pollWhilePending,
  simulatorSessions,
} from '@eid/conformance';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/** A full login through the Express example for every Signicat method, on the simulator. */

const REDIRECT = [
  { method: 'nbid', user: 'no-kari', name: 'Kari Nordmann', country: 'NO', nin: '17829034034' },
  { method: 'idporten', user: 'no-jonas', name: 'Jonas Berg', country: 'NO', nin: '45097821368' },
  { method: 'sbid', user: 'se-anna', name: 'Anna Andersson', country: 'SE', nin: '198503149828' },
  { method: 'mitid', user: 'dk-mette', name: 'Mette Jensen', country: 'DK', nin: '1206882278' },
  { method: 'ftn', user: 'fi-matti', name: 'Matti Virtanen', country: 'FI', nin: '150480-9152' },
] as const;

const HEADLESS = [
  { method: 'sbid-qr', user: 'se-anna', name: 'Anna Andersson', country: 'SE', nin: '198503149828' },
  { method: 'sbid-app', user: 'se-lars', name: 'Lars Svensson', country: 'SE', nin: '197208699913' },
] as const;

/** Methods an operator verifies a caller with: nobody logs in. */
const VERIFY = [
  { method: 'nbid-phone', user: 'no-kari', name: 'Kari Nordmann', country: 'NO', nin: '17829034034' },
] as const;

let simulator: Simulator;
let app: ExampleApp;
beforeAll(async () => {
  simulator = await startSimulator();
  app = await createExampleApp({ port: 0, host: '127.0.0.1', env: {}, simulator, providerTimeoutMs: 5000 });
});
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

const route = (path: string) => `${app.url}/auth/eid${path}`;

async function identityOf(browser: Browserless): Promise<Record<string, unknown> | undefined> {
  const response = await browser.get(route('/session'), ACCEPT_JSON);
  return response.status === 200
    ? ((await response.json()) as { identity: Record<string, unknown> }).identity
    : undefined;
}

describe('example-express with Signicat: every method logs in', () => {
  it('lists every Signicat method', async () => {
    const methods = (await (await fetch(route('/methods'))).json()) as Array<{
      provider: string;
      method: string;
    }>;
    const signicat = methods.filter((entry) => entry.provider === 'signicat').map((entry) => entry.method);
    expect(signicat.sort()).toEqual(
      [...REDIRECT, ...HEADLESS, ...VERIFY].map((entry) => entry.method).sort(),
    );
  });

  /** A redirect login as `user`: in the example apps, a logged-in browser is an operator. */
  async function logIn(browser: Browserless, user: string): Promise<void> {
    const start = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, { form: { ...form.hidden, user, outcome: 'success' } });
    expect((await browser.get(browser.location(approved), ACCEPT_HTML)).status).toBe(303);
  }

  it.each(REDIRECT)('redirect: $method as $user', async ({ method, user, name, country, nin }) => {
    const browser = new Browserless();
    const start = await browser.get(`${route(`/start/signicat/${method}`)}?returnTo=%2Fprofile`, ACCEPT_HTML);
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    expect(form.users).toContain(user);
    const approved = await browser.post(form.action, { form: { ...form.hidden, user, outcome: 'success' } });
    const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(browser.location(callback)).toBe(`${app.url}/profile`);
    expect(await identityOf(browser)).toMatchObject({
      provider: 'signicat',
      method,
      name,
      nin: { country, value: nin },
    });
    for (const visited of browser.visited) expect(visited).not.toContain(nin);
  });

  it.each(HEADLESS)('headless: $method as $user', async ({ method, user, name, country, nin }) => {
    const browser = new Browserless();
    const started = await browser.post(route(`/start/signicat/${method}`), {
      headers: ACCEPT_JSON,
      json: { returnTo: '/profile' },
    });
    expect(started.status).toBe(200);
    const body = (await started.json()) as Record<string, string>;
    if (method === 'sbid-qr') expect(body.qrData).toMatch(/^bankid\./);
    if (method === 'sbid-app') expect(body.autoStartToken).toEqual(expect.any(String));
    const session = (await simulatorSessions(simulator.url)).find(
      (candidate) => (candidate as { externalReference?: string }).externalReference === body.transactionId,
    );
    expect(session).toBeDefined();
    expect((await completeSimulatorSession(simulator.url, session!.id, 'success', user)).status).toBe(200);
    const polled = await pollWhilePending(() =>
      browser.get(route(`/status/${body.transactionId}`), ACCEPT_JSON),
    );
    const status = (await polled.json()) as Record<string, unknown>;
    expect(status.status).toBe('complete');
    expect(await identityOf(browser)).toMatchObject({
      provider: 'signicat',
      method,
      name,
      nin: { country, value: nin },
    });
  });

  it.each(VERIFY)(
    'verify: an operator verifies $method as $user',
    async ({ method, user, name, country, nin }) => {
      const browser = new Browserless();
      await logIn(browser, 'no-ola');
      const operator = await identityOf(browser);
      expect(operator).toMatchObject({ name: 'Ola Nordmann' });
      const started = await browser.post(route(`/start/signicat/${method}`), {
        headers: ACCEPT_JSON,
        json: { nin },
      });
      expect(started.status).toBe(200);
      const body = (await started.json()) as Record<string, string>;
      expect(body.bindingMessage).toEqual(expect.any(String));
      const session = (await simulatorSessions(simulator.url)).find(
        (candidate) => (candidate as { externalReference?: string }).externalReference === body.transactionId,
      );
      expect((await completeSimulatorSession(simulator.url, session!.id, 'success', user)).status).toBe(200);
      const polled = await pollWhilePending(() =>
        browser.get(route(`/status/${body.transactionId}`), ACCEPT_JSON),
      );
      expect(await polled.json()).toMatchObject({
        status: 'complete',
        verified: { provider: 'signicat', method, name, nin: { country, value: nin } },
      });
      expect(await identityOf(browser)).toEqual(operator);
    },
  );
});
