import { type Simulator, startSimulator, type TestUser } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import {
  completeSimulatorSession,
  parseSimulatorForm,
  simulatorSessions,
  simulatorUsers,
} from './simulator-page.js';
import { type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';
import { pollWhilePending } from './test-client.js';

interface Identity {
  provider: string;
  method: string;
  name?: string;
  nin?: { value: string; country: string };
  transactionId: string;
}

interface Started {
  transactionId: string;
  status: string;
  bindingMessage: string;
}

/**
 * Operator verification is not a login (docs/http-contract.md §2.5): a `verify` method (Signicat's `nbid-phone`,
 * Safe Conversation) is only for the app's operators (in the example apps: a browser logged in with an eID login
 * method), its result is shown to the operator and written into nobody's session, and pushes to one person's
 * eID app are limited. Starts its own simulator and app.
 */
export function runVerifySuite(target: ConformanceTarget): void {
  describe(`operator verification (docs/http-contract.md §2.5): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    let users: TestUser[];
    const extraApps = new Set<ConformanceApp>();

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
      users = await simulatorUsers(simulator.url);
    });

    afterAll(async () => {
      await Promise.allSettled([...extraApps].map((extra) => extra.close()));
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string, base = app.baseUrl) => `${base}${PREFIX}${path}`;
    const user = (id: string) => {
      const found = users.find((candidate) => candidate.id === id);
      if (!found) throw new Error(`The simulator has no test user ${id}.`);
      return found;
    };
    const simulatorSessionCount = async () => (await simulatorSessions(simulator.url)).length;

    async function errorCode(response: Response): Promise<string | undefined> {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      expect(typeof body.error?.message).toBe('string');
      return body.error?.code;
    }

    async function identityOf(browser: Browserless, base = app.baseUrl): Promise<Identity | undefined> {
      const response = await browser.get(route('/session', base), ACCEPT_JSON);
      if (response.status === 401) return undefined;
      expect(response.status).toBe(200);
      return ((await response.json()) as { identity: Identity }).identity;
    }

    /** A redirect login with Norwegian BankID as `who`: in the example apps, this makes the browser an operator. */
    async function logIn(browser: Browserless, who = 'no-ola', base = app.baseUrl): Promise<Identity> {
      const start = await browser.get(
        `${route('/start/signicat/nbid', base)}?returnTo=%2Fprofile`,
        ACCEPT_HTML,
      );
      expect(start.status).toBe(302);
      const pageUrl = browser.location(start);
      const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
      const approved = await browser.post(form.action, {
        form: { ...form.hidden, user: who, outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      expect((await browser.get(browser.location(approved), ACCEPT_HTML)).status).toBe(303);
      const identity = await identityOf(browser, base);
      expect(identity).toMatchObject({ method: 'nbid' });
      return identity!;
    }

    const verifyStart = (browser: Browserless, nin: string, base = app.baseUrl) =>
      browser.post(route('/start/signicat/nbid-phone', base), { json: { nin }, headers: ACCEPT_JSON });

    async function verifyStarted(browser: Browserless, nin: string, base = app.baseUrl): Promise<Started> {
      const response = await verifyStart(browser, nin, base);
      expect(response.status).toBe(200);
      return (await response.json()) as Started;
    }

    const sessionOf = async (transactionId: string) =>
      (await simulatorSessions(simulator.url)).find(
        (candidate) => candidate.externalReference === transactionId,
      );

    const cancel = (browser: Browserless, transactionId: string) =>
      browser.post(route(`/cancel/${transactionId}`), { headers: ACCEPT_JSON });

    it('a verify start without an operator login answers 403 forbidden: no binding message, nothing at the provider, nobody logged in', async () => {
      const attacker = new Browserless();
      const before = await simulatorSessionCount();
      const response = await verifyStart(attacker, user('no-kari').nin);
      expect(response.status).toBe(403);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'forbidden', message: expect.any(String) } });
      expect(text).not.toContain('bindingMessage');
      expect(text).not.toContain(user('no-kari').nin);
      expect(await simulatorSessionCount()).toBe(before);
      expect(await identityOf(attacker)).toBeUndefined();
    });

    it('the call-centre page needs an operator login: 403 saying how to log in, then 200 with the form', async () => {
      const browser = new Browserless();
      const refused = await browser.get(`${app.baseUrl}/call-centre`, ACCEPT_HTML);
      expect(refused.status).toBe(403);
      const page = await refused.text();
      expect(page).toContain('data-testid="call-centre-login-first"');
      expect(page).toContain('log in first');
      expect(page).not.toContain('call-centre-form');

      await logIn(browser);
      const allowed = await browser.get(`${app.baseUrl}/call-centre`, ACCEPT_HTML);
      expect(allowed.status).toBe(200);
      const form = await allowed.text();
      expect(form).toContain('data-testid="call-centre-form"');
      expect(form).toContain('Ola Nordmann');
    });

    it("a completed verification answers the operator { transactionId, status: complete, verified } at every poll and never touches the operator's login", async () => {
      const kari = user('no-kari');
      const operator = new Browserless();
      const own = await logIn(operator);
      const started = await verifyStarted(operator, kari.nin);
      expect(started).toMatchObject({ status: 'pending', bindingMessage: expect.any(String) });
      const cookies = operator.cookies(app.baseUrl);

      const session = await sessionOf(started.transactionId);
      expect(session).toBeDefined();
      expect((await completeSimulatorSession(simulator.url, session!.id, 'success')).status).toBe(200);
      const done = await pollWhilePending(() =>
        operator.get(route(`/status/${started.transactionId}`), ACCEPT_JSON),
      );
      expect(done.status).toBe(200);
      const body = (await done.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['status', 'transactionId', 'verified']);
      expect(body).toMatchObject({
        transactionId: started.transactionId,
        status: 'complete',
        verified: {
          provider: 'signicat',
          method: 'nbid-phone',
          name: 'Kari Nordmann',
          nin: { country: 'NO', value: kari.nin },
          transactionId: started.transactionId,
        },
      });
      // The operator is still the operator: the same login, the same session cookie.
      expect(await identityOf(operator)).toEqual(own);
      expect(operator.cookies(app.baseUrl)).toEqual(cookies);

      // Seen again at the next poll (until the transaction is forgotten); cancel finds it ended.
      const again = await operator.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(await again.json()).toEqual(body);
      const cancelled = await cancel(operator, started.transactionId);
      expect(cancelled.status).toBe(409);
      expect(await errorCode(cancelled)).toBe('already_used');

      // Nobody else sees the verified person, even another logged-in operator.
      const colleague = new Browserless();
      await logIn(colleague, 'no-ingrid');
      const foreign = await colleague.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(foreign.status).toBe(404);
      expect(await errorCode(foreign)).toBe('transaction_not_found');
      expect(await identityOf(colleague)).toMatchObject({ name: 'Ingrid Hansen' });
    });

    it('a start for a number with a pending push from another browser answers 429 rate_limited with Retry-After and starts nothing; once that push ends, it starts', async () => {
      const ingrid = user('no-ingrid');
      const first = new Browserless();
      await logIn(first);
      const pending = await verifyStarted(first, ingrid.nin);

      const second = new Browserless();
      await logIn(second, 'no-jonas');
      const before = await simulatorSessionCount();
      const refused = await verifyStart(second, ingrid.nin);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      const text = await refused.text();
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('rate_limited');
      expect(text).not.toContain(ingrid.nin);
      expect(await simulatorSessionCount()).toBe(before);
      // The first operator's push is untouched.
      const still = await first.get(route(`/status/${pending.transactionId}`), ACCEPT_JSON);
      expect(await still.json()).toMatchObject({ status: 'pending' });

      expect((await cancel(first, pending.transactionId)).status).toBe(200);
      const now = await verifyStarted(second, ingrid.nin);
      expect((await cancel(second, now.transactionId)).status).toBe(200);
    });

    it('from the same browser, the older push is cancelled at the provider first, then the new one starts', async () => {
      const jonas = user('no-jonas');
      const operator = new Browserless();
      await logIn(operator);
      const older = await verifyStarted(operator, jonas.nin);
      const newer = await verifyStarted(operator, jonas.nin);
      expect(newer.transactionId).not.toBe(older.transactionId);
      expect((await sessionOf(older.transactionId))?.status).toBe('CANCELLED');
      const olderStatus = await operator.get(route(`/status/${older.transactionId}`), ACCEPT_JSON);
      expect(await olderStatus.json()).toMatchObject({ status: 'cancelled' });
      const newerStatus = await operator.get(route(`/status/${newer.transactionId}`), ACCEPT_JSON);
      expect(await newerStatus.json()).toMatchObject({ status: 'pending' });
      expect((await cancel(operator, newer.transactionId)).status).toBe(200);
    });

    it('at most 10 pushes per number in 10 minutes: the 11th answers 429 rate_limited with Retry-After', async () => {
      // An app of its own: its counters start at zero.
      const fresh = await target.start({ simulator });
      extraApps.add(fresh);
      try {
        const kari = user('no-kari');
        const operator = new Browserless();
        await logIn(operator, 'no-ola', fresh.baseUrl);
        for (let push = 1; push <= 10; push++) {
          expect((await verifyStart(operator, kari.nin, fresh.baseUrl)).status, `push ${push}`).toBe(200);
        }
        const before = await simulatorSessionCount();
        const refused = await verifyStart(operator, kari.nin, fresh.baseUrl);
        expect(refused.status).toBe(429);
        expect(await errorCode(refused)).toBe('rate_limited');
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(500);
        expect(retryAfter).toBeLessThanOrEqual(600);
        expect(await simulatorSessionCount()).toBe(before);
        // Another person is not held up.
        expect((await verifyStart(operator, user('no-ingrid').nin, fresh.baseUrl)).status).toBe(200);
      } finally {
        extraApps.delete(fresh);
        await fresh.close();
      }
    }, 30_000);
  });
}
