import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { completeSimulatorSession, parseSimulatorForm, simulatorSessions } from './simulator-page.js';
import { type AuditEvent, type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';
import { pollWhilePending } from './test-client.js';

/** The example apps refuse people younger than MIN_AGE: with 45, no-ola (1985) and se-anna (1985) are refused. */
const MIN_AGE = '45';

interface Identity {
  provider: string;
  method: string;
  name?: string;
  transactionId: string;
  extra?: { customerId?: string };
}

/**
 * The app's say between the eID and its session (`createEid({ onLogin })`, docs/http-contract.md §3): in the
 * example apps it adds a customer number to the identity and, with `MIN_AGE`, refuses younger people with
 * `access_denied`. A refusal changes nothing in the session and is answered again on a reload. Starts its own
 * simulator and app.
 */
export function runLoginHookSuite(target: ConformanceTarget): void {
  describe(`onLogin and audit events: the app accepts, enriches or refuses a login: ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    const events: AuditEvent[] = [];
    const eventsOf = (transactionId: string) =>
      events.filter((event) => event.transactionId === transactionId).map(({ at: _, ...event }) => event);

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator, env: { MIN_AGE }, onEvent: (event) => events.push(event) });
    });

    afterAll(async () => {
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string) => `${app.baseUrl}${PREFIX}${path}`;

    async function identityOf(browser: Browserless): Promise<Identity | undefined> {
      const response = await browser.get(route('/session'), ACCEPT_JSON);
      if (response.status === 401) return undefined;
      expect(response.status).toBe(200);
      return ((await response.json()) as { identity: Identity }).identity;
    }

    /** A redirect login with Norwegian BankID as `who`; returns the callback URL the simulator sent back to. */
    async function approveAs(browser: Browserless, who: string): Promise<string> {
      const start = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
      expect(start.status).toBe(302);
      const pageUrl = browser.location(start);
      const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
      const approved = await browser.post(form.action, {
        form: { ...form.hidden, user: who, outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      return browser.location(approved);
    }

    async function headless(browser: Browserless, who: string) {
      const started = await browser.post(route('/start/signicat/sbid-qr'), {
        json: { returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(started.status).toBe(200);
      const { transactionId } = (await started.json()) as { transactionId: string };
      const session = (await simulatorSessions(simulator.url)).find(
        (candidate) => candidate.externalReference === transactionId,
      );
      expect((await completeSimulatorSession(simulator.url, session!.id, 'success', who)).status).toBe(200);
      const status = () => browser.get(route(`/status/${transactionId}`), ACCEPT_JSON);
      return { transactionId, done: await pollWhilePending(status), status };
    }

    it('a login the app accepts carries what the app added (a customer number) into the session and the profile', async () => {
      const browser = new Browserless();
      const callback = await browser.get(await approveAs(browser, 'no-jonas'), ACCEPT_HTML);
      expect(callback.status).toBe(303);
      expect(browser.location(callback)).toBe(`${app.baseUrl}/profile`);
      const identity = await identityOf(browser);
      expect(identity).toMatchObject({ method: 'nbid', name: 'Jonas Berg' });
      expect(identity?.extra?.customerId).toMatch(/^C-\d{10}$/);
      const profile = await (await browser.get(`${app.baseUrl}/profile`, ACCEPT_HTML)).text();
      expect(profile).toContain(`data-testid="profile-customer">${identity?.extra?.customerId}<`);

      // The same person is the same customer at the next login, in another browser.
      const again = new Browserless();
      await again.get(await approveAs(again, 'no-jonas'), ACCEPT_HTML);
      expect((await identityOf(again))?.extra?.customerId).toBe(identity?.extra?.customerId);
    });

    it('a login the app refuses ends on the failure page with access_denied, logs nobody in, keeps the session cookie, and a reload says the same', async () => {
      const browser = new Browserless();
      const callbackUrl = await approveAs(browser, 'no-ola');
      const cookiesBefore = browser.cookies(app.baseUrl);
      const callback = await browser.get(callbackUrl, ACCEPT_HTML);
      expect(callback.status).toBe(303);
      expect(browser.location(callback)).toBe(`${app.baseUrl}/?error=access_denied`);
      expect(await identityOf(browser)).toBeUndefined();
      // Nothing was written into the session: no renewed cookie.
      expect(browser.cookies(app.baseUrl)).toEqual(cookiesBefore);
      const page = await (await browser.get(browser.location(callback), ACCEPT_HTML)).text();
      expect(page).toContain('This shop did not accept your login.');

      const reload = await browser.get(callbackUrl, ACCEPT_HTML);
      expect(browser.location(reload)).toBe(`${app.baseUrl}/?error=access_denied`);
      const json = await browser.get(callbackUrl, ACCEPT_JSON);
      expect(json.status).toBe(403);
      expect(await json.json()).toEqual({
        error: { code: 'access_denied', message: `You must be ${MIN_AGE} or older to use this shop.` },
      });
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('a headless login the app refuses answers its status as failed with access_denied, at every poll', async () => {
      const browser = new Browserless();
      const { transactionId, done, status } = await headless(browser, 'se-anna');
      const expected = {
        transactionId,
        status: 'failed',
        error: { code: 'access_denied', message: `You must be ${MIN_AGE} or older to use this shop.` },
      };
      expect(done.status).toBe(200);
      expect(await done.json()).toEqual(expected);
      expect(await (await status()).json()).toEqual(expected);
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('a headless login the app accepts carries the customer number', async () => {
      const browser = new Browserless();
      const { done } = await headless(browser, 'se-lars');
      expect(await done.json()).toMatchObject({ status: 'complete', returnTo: '/profile' });
      expect((await identityOf(browser))?.extra?.customerId).toMatch(/^C-\d{10}$/);
    });

    it('audit events: one per fact (started, succeeded, logout; failed with its code), none repeated by a reload, no personal data', async () => {
      const browser = new Browserless();
      const callbackUrl = await approveAs(browser, 'no-jonas');
      await browser.get(callbackUrl, ACCEPT_HTML);
      await browser.get(callbackUrl, ACCEPT_HTML);
      const { transactionId } = (await identityOf(browser))!;
      expect((await browser.post(route('/logout'), { headers: ACCEPT_JSON })).status).toBe(204);
      const base = { transactionId, provider: 'signicat', method: 'nbid' };
      expect(eventsOf(transactionId)).toEqual([
        { type: 'login.started', ...base, flow: 'redirect' },
        { type: 'login.succeeded', ...base, loa: expect.any(String) },
        { type: 'logout', ...base },
      ]);

      const refused = new Browserless();
      const refusedCallback = await approveAs(refused, 'no-ola');
      await refused.get(refusedCallback, ACCEPT_HTML);
      await refused.get(refusedCallback, ACCEPT_HTML);
      const refusedId = new URL(refusedCallback).searchParams.get('tx')!;
      expect(eventsOf(refusedId).map((event) => [event.type, event.code])).toEqual([
        ['login.started', undefined],
        ['login.failed', 'access_denied'],
      ]);

      const cancelled = new Browserless();
      const start = await cancelled.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
      const pageUrl = cancelled.location(start);
      const form = parseSimulatorForm(await (await cancelled.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
      const aborted = await cancelled.post(form.action, {
        form: { ...form.hidden, user: 'no-kari', outcome: 'abort' },
        headers: ACCEPT_HTML,
      });
      const abortedCallback = cancelled.location(aborted);
      await cancelled.get(abortedCallback, ACCEPT_HTML);
      const abortedId = new URL(abortedCallback).searchParams.get('tx')!;
      expect(eventsOf(abortedId).map((event) => [event.type, event.code])).toEqual([
        ['login.started', undefined],
        ['login.failed', 'user_cancelled'],
      ]);
      expect(JSON.stringify(events)).not.toMatch(/Nordmann|Berg|\d{11}/);
    });
  });
}
