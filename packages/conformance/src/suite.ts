import { type Simulator, startSimulator, type TestUser } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import {
  completeSimulatorSession,
  parseSimulatorForm,
  sessionByBindingMessage,
  simulatorSessions,
  simulatorUsers,
} from './simulator-page.js';
import {
  type ConformanceApp,
  type ConformanceStartOptions,
  type ConformanceTarget,
  PREFIX,
} from './target.js';
import { pollWhilePending } from './test-client.js';

type Outcome = 'success' | 'abort' | 'error';

interface Identity {
  provider: string;
  method: string;
  subject: string;
  name?: string;
  nin?: { value: string; country: string; type: string };
  transactionId: string;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The HTTP contract of docs/http-contract.md, route by route, against one app started on a fresh simulator.
 * Declares vitest `describe`/`it` blocks; call it at the top level of a test file.
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  describe(`eID HTTP contract (docs/http-contract.md): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    let kari: TestUser;
    const extraApps = new Set<ConformanceApp>();

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
      const users = await simulatorUsers(simulator.url);
      const found = users.find((user) => user.id === 'no-kari');
      if (!found) throw new Error('The simulator has no test user no-kari.');
      kari = found;
    });

    afterEach(() => {
      simulator?.clearFaults();
    });

    afterAll(async () => {
      await Promise.allSettled([...extraApps].map((extra) => extra.close()));
      await app?.close();
      await simulator?.close();
    });

    // ---- helpers ---------------------------------------------------------------------------------

    const route = (path: string, base = app.baseUrl) => `${base}${PREFIX}${path}`;
    const simulatorSessionCount = async () => (await simulatorSessions(simulator.url)).length;

    /** Another app on the same simulator, with other options; closed by the caller (and after all). */
    async function startApp(options: Omit<ConformanceStartOptions, 'simulator'>): Promise<ConformanceApp> {
      const extra = await target.start({ simulator, ...options });
      extraApps.add(extra);
      return {
        baseUrl: extra.baseUrl,
        close: async () => {
          extraApps.delete(extra);
          await extra.close();
        },
      };
    }

    /** `path` and query of an absolute URL on `base`, e.g. `/?error=user_cancelled`. */
    function onSite(url: string, base = app.baseUrl): string {
      const parsed = new URL(url);
      expect(parsed.origin).toBe(new URL(base).origin);
      return `${parsed.pathname}${parsed.search}`;
    }

    async function errorCode(response: Response): Promise<string | undefined> {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      expect(typeof body.error?.message).toBe('string');
      return body.error?.code;
    }

    /** GET start of the redirect method as a browser: 302 to the simulator's page, whose URL is returned. */
    async function startRedirect(
      browser: Browserless,
      base = app.baseUrl,
      returnTo = '/profile',
    ): Promise<string> {
      const response = await browser.get(
        `${route('/start/signicat/nbid', base)}?returnTo=${encodeURIComponent(returnTo)}`,
        ACCEPT_HTML,
      );
      expect(response.status).toBe(302);
      const location = browser.location(response);
      expect(location.startsWith(`${simulator.url}/`)).toBe(true);
      return location;
    }

    /** Loads the simulator page, picks `user` and posts `outcome`; returns where the simulator sends the browser. */
    async function answerSimulatorPage(
      browser: Browserless,
      pageUrl: string,
      outcome: Outcome,
      base = app.baseUrl,
      user = 'no-kari',
    ): Promise<string> {
      const page = await browser.get(pageUrl, ACCEPT_HTML);
      expect(page.status).toBe(200);
      const form = parseSimulatorForm(await page.text(), pageUrl);
      expect(form.users).toContain(user);
      const response = await browser.post(form.action, {
        form: { ...form.hidden, user, outcome },
        headers: ACCEPT_HTML,
      });
      expect(response.status).toBe(303);
      const callback = browser.location(response);
      expect(callback.startsWith(route('/callback/signicat', base))).toBe(true);
      return callback;
    }

    /** A complete redirect login; returns the callback URL the simulator sent the browser to. */
    async function login(browser: Browserless, base = app.baseUrl): Promise<string> {
      const pageUrl = await startRedirect(browser, base);
      const callback = await answerSimulatorPage(browser, pageUrl, 'success', base);
      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(onSite(browser.location(done), base)).toBe('/profile');
      return callback;
    }

    async function identityOf(browser: Browserless, base = app.baseUrl): Promise<Identity | undefined> {
      const response = await browser.get(route('/session', base), ACCEPT_JSON);
      if (response.status === 401) {
        expect(await errorCode(response)).toBe('unauthenticated');
        return undefined;
      }
      expect(response.status).toBe(200);
      return ((await response.json()) as { identity: Identity }).identity;
    }

    /** The session cookie was replaced at login: some cookie of the app changed its value. */
    function expectRotated(before: Record<string, string>, after: Record<string, string>): void {
      expect(Object.keys(before).length).toBeGreaterThan(0);
      expect(Object.entries(before).some(([name, value]) => after[name] !== value)).toBe(true);
    }

    /** No URL of the flow (request or Location) carries the person's number or name, in any encoding. */
    function expectNoPersonalData(urls: readonly string[], user: TestUser): void {
      const needles = [user.nin, user.name, user.firstName, user.lastName].map((text) => text.toLowerCase());
      for (const url of urls) {
        let decoded = url;
        try {
          decoded = decodeURIComponent(url.replaceAll('+', ' '));
        } catch {
          // Keep the raw URL.
        }
        for (const needle of needles) {
          expect(decoded.toLowerCase(), `URL ${url}`).not.toContain(needle);
        }
      }
    }

    /**
     * An operator (in the example apps: a browser logged in with an eID login method) starts verifying Kari by
     * phone (`nbid-phone`, a `verify` method): logs the browser in first when it is not.
     */
    async function startHeadless(browser: Browserless, base = app.baseUrl) {
      if (!(await identityOf(browser, base))) await login(browser, base);
      const response = await browser.post(route('/start/signicat/nbid-phone', base), {
        json: { nin: kari.nin, returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        transactionId: string;
        status: string;
        bindingMessage: string;
        expiresAt: string;
      };
    }

    /** A headless login anyone may start: Swedish BankID with a QR code (`sbid-qr`). */
    async function startQr(browser: Browserless, base = app.baseUrl) {
      const response = await browser.post(route('/start/signicat/sbid-qr', base), {
        json: { returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        transactionId: string;
        status: string;
        qrData: string;
        expiresAt: string;
      };
    }

    // ---- 4.1 routes ------------------------------------------------------------------------------

    it('GET /methods lists the redirect and the headless Signicat methods and the signing methods, each with its purpose', async () => {
      const response = await new Browserless().get(route('/methods'), ACCEPT_JSON);
      expect(response.status).toBe(200);
      const methods = (await response.json()) as Record<string, unknown>[];
      expect(Array.isArray(methods)).toBe(true);
      expect(methods).toContainEqual(
        expect.objectContaining({
          provider: 'signicat',
          method: 'nbid',
          flow: 'redirect',
          purpose: 'login',
          label: expect.any(String),
          country: 'NO',
        }),
      );
      expect(methods).toContainEqual(
        expect.objectContaining({
          provider: 'signicat',
          method: 'sbid-qr',
          flow: 'headless',
          purpose: 'login',
          country: 'SE',
        }),
      );
      // The example apps let their operators verify callers (createEid({ authorizeVerify })).
      expect(methods).toContainEqual(
        expect.objectContaining({
          provider: 'signicat',
          method: 'nbid-phone',
          flow: 'headless',
          purpose: 'verify',
          label: expect.any(String),
          country: 'NO',
        }),
      );
      // And the signing methods (createEid({ signing })), with the document types each signs.
      expect(methods).toContainEqual(
        expect.objectContaining({
          provider: 'next',
          method: 'nbid-sign',
          flow: 'redirect',
          purpose: 'sign',
          country: 'NO',
          signs: ['application/pdf', 'text/plain'],
        }),
      );
      for (const method of methods) expect(['login', 'verify', 'sign']).toContain(method.purpose);
    });

    it('GET /session answers 401 unauthenticated before login', async () => {
      const response = await new Browserless().get(route('/session'), ACCEPT_JSON);
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe('unauthenticated');
    });

    it('logs in through the redirect flow, writes the identity and rotates the session id', async () => {
      const browser = new Browserless();
      const pageUrl = await startRedirect(browser);
      const beforeLogin = browser.clone();
      const cookiesBefore = browser.cookies(app.baseUrl);
      const callback = await answerSimulatorPage(browser, pageUrl, 'success');
      const done = await browser.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(onSite(browser.location(done))).toBe('/profile');

      const identity = await identityOf(browser);
      expect(identity).toMatchObject({
        provider: 'signicat',
        method: 'nbid',
        name: 'Kari Nordmann',
        nin: { country: 'NO', value: kari.nin },
        transactionId: expect.any(String),
      });
      expectRotated(cookiesBefore, browser.cookies(app.baseUrl));
      // The pre-login session id grants nothing (no session fixation).
      expect(await identityOf(beforeLogin)).toBeUndefined();
      expectNoPersonalData(browser.visited, kari);
    });

    it('start with Accept: application/json answers 200 with the redirect URL', async () => {
      const browser = new Browserless();
      const before = await simulatorSessionCount();
      const response = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_JSON);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        transactionId: expect.any(String),
        status: 'pending',
        redirectUrl: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(String(body.redirectUrl).startsWith(`${simulator.url}/`)).toBe(true);
      expect(Number.isNaN(Date.parse(String(body.expiresAt)))).toBe(false);
      expect(await simulatorSessionCount()).toBe(before + 1);
    });

    it('logs in through the headless flow (Swedish BankID QR): QR data, status polling, identity at completion', async () => {
      const anna = (await simulatorUsers(simulator.url)).find((user) => user.id === 'se-anna')!;
      const browser = new Browserless();
      const started = await startQr(browser);
      expect(started).toMatchObject({
        transactionId: expect.any(String),
        status: 'pending',
        qrData: expect.stringMatching(/^bankid\./),
        expiresAt: expect.any(String),
      });
      const beforeLogin = browser.clone();
      const cookiesBefore = browser.cookies(app.baseUrl);

      const pending = await browser.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(pending.status).toBe(200);
      expect(await pending.json()).toMatchObject({
        transactionId: started.transactionId,
        status: 'pending',
        qrData: expect.stringMatching(/^bankid\./),
      });

      const session = (await simulatorSessions(simulator.url)).find(
        (candidate) => candidate.externalReference === started.transactionId,
      );
      expect(session).toBeDefined();
      const completed = await completeSimulatorSession(simulator.url, session!.id, 'success', anna.id);
      expect(completed.status).toBe(200);

      // Poll as a client does: the engine asks the provider at most once a second per transaction.
      const response = await pollWhilePending(() =>
        browser.get(route(`/status/${started.transactionId}`), ACCEPT_JSON),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        transactionId: started.transactionId,
        status: 'complete',
        returnTo: '/profile',
      });

      const identity = await identityOf(browser);
      expect(identity).toMatchObject({
        provider: 'signicat',
        method: 'sbid-qr',
        name: 'Anna Andersson',
        nin: { country: 'SE', value: anna.nin },
        transactionId: started.transactionId,
      });
      expectRotated(cookiesBefore, browser.cookies(app.baseUrl));
      expect(await identityOf(beforeLogin)).toBeUndefined();
      expectNoPersonalData(browser.visited, anna);
    });

    /** One method as `GET /methods` lists it. */
    interface ListedMethod {
      provider: string;
      method: string;
      flow: string;
      purpose: 'login' | 'verify' | 'sign';
      country: string;
      requiresNin?: boolean;
    }

    /**
     * A redirect login driven like a browser: every simulated page on the way (a provider's own page, an OpenID
     * Provider's authorize and interaction steps) is followed, and its form answered with its first test user.
     * Returns the callback URL the provider sends the browser back to.
     */
    async function redirectThroughSimulator(browser: Browserless, listed: ListedMethod) {
      const query = new URLSearchParams({ returnTo: '/profile' });
      const start = await browser.get(
        `${route(`/start/${listed.provider}/${listed.method}`)}?${query}`,
        ACCEPT_HTML,
      );
      expect(start.status, `${listed.provider}/${listed.method} start`).toBe(302);
      return followToApp(browser, listed, browser.location(start));
    }

    /** Through the simulator's pages (approving as the first user offered) until the browser is back at the app. */
    async function followToApp(browser: Browserless, listed: ListedMethod, from: string) {
      let location = from;
      for (let hop = 0; hop < 8 && !location.startsWith(`${app.baseUrl}/`); hop++) {
        const page = await browser.get(location, ACCEPT_HTML);
        if (page.status >= 300 && page.status < 400) {
          location = browser.location(page);
          continue;
        }
        expect(page.status, `${listed.provider}/${listed.method} page ${location}`).toBe(200);
        const form = parseSimulatorForm(await page.text(), location);
        const answer = await browser.post(form.action, {
          form: { ...form.hidden, user: form.users[0]!, outcome: 'success' },
          headers: ACCEPT_HTML,
        });
        location = browser.location(answer);
      }
      expect(location.startsWith(route(`/callback/${listed.provider}`))).toBe(true);
      return location;
    }

    /**
     * A `sign` method: a person of its country logs in (Signicat's redirect login of that country), signs the
     * example apps' sample agreement, and is sent back with `?signed=`; the signature is at the status route.
     */
    async function signThroughSimulator(listed: ListedMethod, methods: readonly ListedMethod[]) {
      const what = `${listed.provider}/${listed.method}`;
      const browser = new Browserless();
      const login = methods.find(
        (one) =>
          one.provider === 'signicat' &&
          one.purpose === 'login' &&
          one.flow === 'redirect' &&
          one.country === listed.country,
      );
      expect(login, `${what}: a Signicat login of ${listed.country}`).toBeDefined();
      await browser.get(await redirectThroughSimulator(browser, login!), ACCEPT_HTML);
      const started = await browser.post(route(`/sign/${listed.provider}/${listed.method}`), {
        json: { documentId: 'sample-text', returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(started.status, what).toBe(200);
      const { transactionId, redirectUrl } = (await started.json()) as {
        transactionId: string;
        redirectUrl: string;
      };
      const back = await browser.get(await followToApp(browser, listed, redirectUrl), ACCEPT_HTML);
      expect(onSite(browser.location(back)), what).toBe(`/profile?signed=${transactionId}`);
      const status = await (await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON)).json();
      expect(status, what).toMatchObject({
        status: 'complete',
        signature: { provider: listed.provider, method: listed.method, document: { id: 'sample-text' } },
      });
    }

    it('every method GET /methods lists works: login methods log in (redirect ones through their simulated pages, headless ones by polling), verify methods verify for a logged-in operator, sign methods sign for the logged-in person', async () => {
      const methods = (await (
        await new Browserless().get(route('/methods'), ACCEPT_JSON)
      ).json()) as ListedMethod[];
      const users = await simulatorUsers(simulator.url);
      expect(methods.length).toBeGreaterThan(10);
      for (const listed of methods) {
        const what = `${listed.provider}/${listed.method}`;
        const browser = new Browserless();
        const person = users.find((user) => user.country === listed.country && user.nin);
        if (listed.purpose === 'sign') {
          await signThroughSimulator(listed, methods);
          continue;
        }
        if (listed.flow === 'redirect') {
          const callback = await redirectThroughSimulator(browser, listed);
          const done = await browser.get(callback, ACCEPT_HTML);
          expect(done.status, what).toBe(303);
          expect(onSite(browser.location(done)), what).toBe('/profile');
        } else {
          // An operator verifies someone else: in the example apps, a browser logged in with an eID.
          if (listed.purpose === 'verify') await login(browser);
          const started = await browser.post(route(`/start/${listed.provider}/${listed.method}`), {
            json: { returnTo: '/profile', ...(listed.requiresNin ? { nin: person!.nin } : {}) },
            headers: ACCEPT_JSON,
          });
          expect(started.status, what).toBe(200);
          const { transactionId } = (await started.json()) as { transactionId: string };
          const session = (await simulatorSessions(simulator.url)).find(
            (candidate) => candidate.externalReference === transactionId,
          );
          expect(session, `${what}: the simulator session of ${transactionId}`).toBeDefined();
          const completed = await completeSimulatorSession(simulator.url, session!.id, 'success', person!.id);
          expect(completed.status, what).toBe(200);
          const status = await pollWhilePending(() =>
            browser.get(route(`/status/${transactionId}`), ACCEPT_JSON),
          );
          const body = await status.json();
          expect(body, what).toMatchObject({ transactionId, status: 'complete' });
          if (listed.purpose === 'verify') {
            expect(body, what).toMatchObject({
              verified: { provider: listed.provider, method: listed.method, nin: { value: person!.nin } },
            });
            // The operator's own login is unchanged.
            expect(await identityOf(browser), what).toMatchObject({ provider: 'signicat', method: 'nbid' });
            continue;
          }
        }
        expect(await identityOf(browser), what).toMatchObject({
          provider: listed.provider,
          method: listed.method,
        });
      }
    }, 60_000);

    it('headless start with GET answers 405 and starts nothing', async () => {
      const before = await simulatorSessionCount();
      const response = await new Browserless().get(
        `${route('/start/signicat/nbid-phone')}?returnTo=%2Fprofile`,
        ACCEPT_JSON,
      );
      expect(response.status).toBe(405);
      expect(await errorCode(response)).toBe('invalid_request');
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('headless start without nin answers 400 invalid_nin and starts nothing', async () => {
      const browser = new Browserless();
      // nbid-phone verifies a caller: only an operator gets as far as the number.
      await login(browser);
      const operator = await identityOf(browser);
      const before = await simulatorSessionCount();
      const response = await browser.post(route('/start/signicat/nbid-phone'), {
        json: { returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe('invalid_nin');
      expect(await simulatorSessionCount()).toBe(before);
      expect(await identityOf(browser)).toEqual(operator);
    });

    it('headless start with a checksum-invalid nin answers 400 invalid_nin without echoing it', async () => {
      const operator = new Browserless();
      await login(operator);
      const before = await simulatorSessionCount();
      const last = Number(kari.nin.at(-1));
      const invalid = `${kari.nin.slice(0, -1)}${(last + 1) % 10}`;
      const response = await operator.post(route('/start/signicat/nbid-phone'), {
        json: { nin: invalid, returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(400);
      const text = await response.text();
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_nin');
      expect(body.error.message).not.toContain(invalid);
      expect(text).not.toContain(invalid);
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('cancel ends the transaction here and at the provider', async () => {
      const browser = new Browserless();
      const started = await startHeadless(browser);
      const operator = await identityOf(browser);
      const session = await sessionByBindingMessage(simulator.url, started.bindingMessage);

      const response = await browser.post(route(`/cancel/${started.transactionId}`), {
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        transactionId: started.transactionId,
        status: 'cancelled',
      });

      const atProvider = (await simulatorSessions(simulator.url)).find(
        (candidate) => candidate.id === session.id,
      );
      expect(atProvider?.status).toBe('CANCELLED');
      const status = await browser.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        transactionId: started.transactionId,
        status: 'cancelled',
      });
      expect(await identityOf(browser)).toEqual(operator);
    });

    it('POST /logout with JSON or no body answers 204 and ends the login', async () => {
      const browser = new Browserless();
      await login(browser);
      expect(await identityOf(browser)).toBeDefined();
      const withJson = await browser.post(route('/logout'), { json: {}, headers: ACCEPT_JSON });
      expect(withJson.status).toBe(204);
      expect(await identityOf(browser)).toBeUndefined();

      await login(browser);
      expect(await identityOf(browser)).toBeDefined();
      const withoutBody = await browser.post(route('/logout'));
      expect(withoutBody.status).toBe(204);
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('POST /logout as a form answers 303 to /', async () => {
      const browser = new Browserless();
      await login(browser);
      const response = await browser.post(route('/logout'), { form: {}, headers: ACCEPT_HTML });
      expect(response.status).toBe(303);
      expect(onSite(browser.location(response))).toBe('/');
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('POST /logout renews the session: a copy of the logged-in cookie is no longer logged in', async () => {
      const browser = new Browserless();
      await login(browser);
      const loggedIn = browser.clone();
      const cookiesBefore = browser.cookies(app.baseUrl);
      const response = await browser.post(route('/logout'), { headers: ACCEPT_JSON });
      expect(response.status).toBe(204);
      expectRotated(cookiesBefore, browser.cookies(app.baseUrl));
      expect(await identityOf(browser)).toBeUndefined();
      expect(await identityOf(loggedIn)).toBeUndefined();
    });

    it('POST /logout answers a multipart form as a form post, and ignores a body of another type', async () => {
      const browser = new Browserless();
      await login(browser);
      const multipart = await browser.post(route('/logout'), {
        headers: { ...ACCEPT_HTML, 'content-type': 'multipart/form-data; boundary=eid' },
        body: '--eid\r\nContent-Disposition: form-data; name="reason"\r\n\r\nbye\r\n--eid--\r\n',
      });
      expect(multipart.status).toBe(303);
      expect(onSite(browser.location(multipart))).toBe('/');
      expect(await identityOf(browser)).toBeUndefined();

      await login(browser);
      const xml = await browser.post(route('/logout'), {
        headers: { ...ACCEPT_JSON, 'content-type': 'application/xml' },
        body: '<logout/>',
      });
      expect(xml.status).toBe(204);
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('every contract response carries cache-control: no-store', async () => {
      const browser = new Browserless();
      const { transactionId } = await startQr(browser);
      const responses: Array<[string, Response]> = [
        ['methods', await browser.get(route('/methods'), ACCEPT_JSON)],
        ['start redirect', await browser.get(route('/start/signicat/nbid'), ACCEPT_HTML)],
        ['start JSON', await browser.get(route('/start/signicat/nbid'), ACCEPT_JSON)],
        ['start error page', await browser.get(route('/start/no-such-provider/nbid'), ACCEPT_HTML)],
        ['callback error', await browser.get(route('/callback/signicat?tx=unknown'), ACCEPT_JSON)],
        ['status', await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON)],
        ['status 404', await browser.get(route(`/status/${'A'.repeat(43)}`), ACCEPT_JSON)],
        ['cancel', await browser.post(route(`/cancel/${transactionId}`), { headers: ACCEPT_JSON })],
        [
          'webhook',
          await browser.post(route('/webhook/no-such-provider'), { json: {}, headers: ACCEPT_JSON }),
        ],
        ['session 401', await browser.get(route('/session'), ACCEPT_JSON)],
        ['logout', await browser.post(route('/logout'), { headers: ACCEPT_JSON })],
        ['logout form', await browser.post(route('/logout'), { form: {}, headers: ACCEPT_HTML })],
        [
          'unreadable body',
          await browser.post(route('/start/signicat/nbid-phone'), {
            headers: { ...ACCEPT_JSON, 'content-type': 'application/json' },
            body: '{',
          }),
        ],
      ];
      await login(browser);
      responses.push(['session 200', await browser.get(route('/session'), ACCEPT_JSON)]);
      for (const [name, response] of responses) {
        expect(response.headers.get('cache-control'), name).toBe('no-store');
        await response.body?.cancel();
      }
    });

    it("status and cancel of another browser's transaction answer 404 and change nothing", async () => {
      const owner = new Browserless();
      const started = await startQr(owner);
      const other = new Browserless();
      const status = await other.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(status.status).toBe(404);
      expect(await errorCode(status)).toBe('transaction_not_found');
      const cancel = await other.post(route(`/cancel/${started.transactionId}`), { headers: ACCEPT_JSON });
      expect(cancel.status).toBe(404);
      expect(await errorCode(cancel)).toBe('transaction_not_found');

      const own = await owner.get(route(`/status/${started.transactionId}`), ACCEPT_JSON);
      expect(own.status).toBe(200);
      expect(await own.json()).toMatchObject({ transactionId: started.transactionId, status: 'pending' });
    });

    it('cancel after the login completed answers 409 already_used and keeps the login', async () => {
      const browser = new Browserless();
      await login(browser);
      const identity = await identityOf(browser);
      expect(identity?.transactionId).toEqual(expect.any(String));
      const response = await browser.post(route(`/cancel/${identity?.transactionId}`), {
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(409);
      expect(await errorCode(response)).toBe('already_used');
      expect(await identityOf(browser)).toEqual(identity);
    });

    it('a login the user aborts at the provider comes back as ?error=user_cancelled', async () => {
      const browser = new Browserless();
      const pageUrl = await startRedirect(browser);
      const callback = await answerSimulatorPage(browser, pageUrl, 'abort');
      const response = await browser.get(callback, ACCEPT_HTML);
      expect(response.status).toBe(303);
      expect(onSite(browser.location(response))).toBe('/?error=user_cancelled');
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('a login the provider fails comes back as ?error=provider_error', async () => {
      const browser = new Browserless();
      const pageUrl = await startRedirect(browser);
      const callback = await answerSimulatorPage(browser, pageUrl, 'error');
      const response = await browser.get(callback, ACCEPT_HTML);
      expect(response.status).toBe(303);
      expect(onSite(browser.location(response))).toBe('/?error=provider_error');
      expect(await identityOf(browser)).toBeUndefined();
    });

    it('a callback replayed in another browser logs nobody in and stops the login: its own browser then gets ?error=browser_mismatch', async () => {
      const owner = new Browserless();
      const pageUrl = await startRedirect(owner);
      const callback = await answerSimulatorPage(owner, pageUrl, 'success');

      const other = new Browserless();
      const asBrowser = await other.get(callback, ACCEPT_HTML);
      expect(asBrowser.status).toBe(303);
      expect(onSite(other.location(asBrowser))).toBe('/?error=transaction_not_found');
      const asApi = await other.get(callback, ACCEPT_JSON);
      expect(asApi.status).toBe(404);
      expect(await errorCode(asApi)).toBe('transaction_not_found');
      expect(await identityOf(other)).toBeUndefined();
      expect(await identityOf(owner)).toBeUndefined();

      // A login whose callback came to another browser is stopped (a relayed login): nobody finishes it.
      const done = await owner.get(callback, ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(onSite(owner.location(done))).toBe('/?error=browser_mismatch');
      expect(await identityOf(owner)).toBeUndefined();
      expect(await identityOf(other)).toBeUndefined();
    });

    it('a callback reloaded in the same browser gives the same answer and keeps the identity', async () => {
      const browser = new Browserless();
      const callback = await login(browser);
      const identity = await identityOf(browser);
      expect(identity).toBeDefined();

      const replay = await browser.get(callback, ACCEPT_HTML);
      expect(replay.status).toBe(303);
      expect(onSite(browser.location(replay))).toBe('/profile');
      expect(await identityOf(browser)).toEqual(identity);
    });

    it('an expired transaction cannot be finished: ?error=transaction_expired, then status 404', async () => {
      const shortLived = await startApp({ transactionTtlSeconds: 1 });
      try {
        const browser = new Browserless();
        const response = await browser.get(
          `${route('/start/signicat/nbid', shortLived.baseUrl)}?returnTo=%2Fprofile`,
          ACCEPT_JSON,
        );
        expect(response.status).toBe(200);
        const { transactionId, redirectUrl } = (await response.json()) as {
          transactionId: string;
          redirectUrl: string;
        };
        await sleep(1500);
        const callback = await answerSimulatorPage(browser, redirectUrl, 'success', shortLived.baseUrl);
        const done = await browser.get(callback, ACCEPT_HTML);
        expect(done.status).toBe(303);
        expect(onSite(browser.location(done), shortLived.baseUrl)).toBe('/?error=transaction_expired');
        expect(await identityOf(browser, shortLived.baseUrl)).toBeUndefined();
        const status = await browser.get(route(`/status/${transactionId}`, shortLived.baseUrl), ACCEPT_JSON);
        expect(status.status).toBe(404);
      } finally {
        await shortLived.close();
      }
    });

    // ---- 4.3 bad input ---------------------------------------------------------------------------

    for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
      it(`returnTo ${JSON.stringify(returnTo)} is refused with invalid_return_to and starts nothing`, async () => {
        const before = await simulatorSessionCount();
        const url = `${route('/start/signicat/nbid')}?returnTo=${encodeURIComponent(returnTo)}`;
        const browser = new Browserless();
        const asApi = await browser.get(url, ACCEPT_JSON);
        expect(asApi.status).toBe(400);
        expect(await errorCode(asApi)).toBe('invalid_return_to');
        const asBrowser = await browser.get(url, ACCEPT_HTML);
        expect(asBrowser.status).toBe(303);
        expect(onSite(browser.location(asBrowser))).toBe('/?error=invalid_return_to');
        const asPost = await browser.post(route('/start/signicat/sbid-qr'), {
          json: { returnTo },
          headers: ACCEPT_JSON,
        });
        expect(asPost.status).toBe(400);
        expect(await errorCode(asPost)).toBe('invalid_return_to');
        expect(await simulatorSessionCount()).toBe(before);
      });
    }

    it('an unknown provider answers unknown_provider, an unknown method unknown_method', async () => {
      const before = await simulatorSessionCount();
      const browser = new Browserless();
      const provider = await browser.get(route('/start/no-such-provider/nbid'), ACCEPT_JSON);
      expect(provider.status).toBe(404);
      expect(await errorCode(provider)).toBe('unknown_provider');
      const providerPage = await browser.get(route('/start/no-such-provider/nbid'), ACCEPT_HTML);
      expect(providerPage.status).toBe(303);
      expect(onSite(browser.location(providerPage))).toBe('/?error=unknown_provider');

      const method = await browser.get(route('/start/signicat/no-such-method'), ACCEPT_JSON);
      expect(method.status).toBe(404);
      expect(await errorCode(method)).toBe('unknown_method');
      const methodPage = await browser.get(route('/start/signicat/no-such-method'), ACCEPT_HTML);
      expect(methodPage.status).toBe(303);
      expect(onSite(browser.location(methodPage))).toBe('/?error=unknown_method');
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('status of an unknown or malformed transaction id answers 404', async () => {
      const browser = new Browserless();
      for (const id of ['A'.repeat(43), 'not-a-transaction', 'not%20an%20id', 'x'.repeat(300)]) {
        const response = await browser.get(route(`/status/${id}`), ACCEPT_JSON);
        expect(response.status, id).toBe(404);
        expect(await errorCode(response)).toBe('transaction_not_found');
      }
    });

    it('an oversized returnTo answers 400 and starts nothing', async () => {
      const before = await simulatorSessionCount();
      const returnTo = `/${'a'.repeat(4999)}`;
      const response = await new Browserless().get(
        `${route('/start/signicat/nbid')}?returnTo=${encodeURIComponent(returnTo)}`,
        ACCEPT_JSON,
      );
      expect(response.status).toBe(400);
      expect(['invalid_request', 'invalid_return_to']).toContain(await errorCode(response));
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('a malformed JSON body answers 400 invalid_request without echoing it, and starts nothing', async () => {
      const before = await simulatorSessionCount();
      const response = await new Browserless().post(route('/start/signicat/nbid-phone'), {
        headers: { ...ACCEPT_JSON, 'content-type': 'application/json' },
        body: `{"nin": "${kari.nin}", "returnTo": "/profile"`,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const text = await response.text();
      expect(text).not.toContain(kari.nin);
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('invalid_request');
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('a 40 kB body on POST start answers 413 invalid_request and starts nothing', async () => {
      const before = await simulatorSessionCount();
      const response = await new Browserless().post(route('/start/signicat/nbid-phone'), {
        json: { nin: kari.nin, returnTo: '/profile', padding: 'x'.repeat(40 * 1024) },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(413);
      expect(await errorCode(response)).toBe('invalid_request');
      expect(await simulatorSessionCount()).toBe(before);
    });

    it('a 500 kB webhook body is not refused for its size (it reaches the engine)', async () => {
      const response = await new Browserless().post(route('/webhook/no-such-provider'), {
        json: { padding: 'x'.repeat(500 * 1024) },
        headers: ACCEPT_JSON,
      });
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe('unknown_provider');
    });

    it('a signed ZignSec webhook reaches the engine with its bytes: it settles the login before the browser returns', async () => {
      const browser = new Browserless();
      const start = await browser.get(
        `${route('/start/zignsec/sbid-another')}?returnTo=%2Fprofile`,
        ACCEPT_HTML,
      );
      expect(start.status).toBe(302);
      const pageUrl = browser.location(start);
      const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
      // The simulator posts the result, signed over its bytes (X-ZignSec-Hmac-SHA256), before it answers.
      const answer = await browser.post(form.action, {
        form: { ...form.hidden, user: form.users[0]!, outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      expect(answer.status).toBe(303);
      const transactionId = new URL(browser.location(answer)).searchParams.get('relaystate')!;
      // ZignSec's API is down from here: only the webhook can have completed the login.
      simulator.setFaults({ provider: 'zignsec', status: 500 });
      const status = await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON);
      expect(await status.json()).toMatchObject({ transactionId, status: 'complete' });
    });

    // ---- provider faults -------------------------------------------------------------------------

    it('a provider that does not answer gives 503 provider_unavailable', async () => {
      const impatient = await startApp({ providerTimeoutMs: 500 });
      try {
        const before = await simulatorSessionCount();
        simulator.setFaults({ provider: 'signicat', mode: 'timeout' });
        const response = await new Browserless().get(
          `${route('/start/signicat/nbid', impatient.baseUrl)}?returnTo=%2Fprofile`,
          ACCEPT_JSON,
        );
        expect(response.status).toBe(503);
        expect(await errorCode(response)).toBe('provider_unavailable');
        simulator.clearFaults();
        expect(await simulatorSessionCount()).toBe(before);
      } finally {
        await impatient.close();
      }
    });

    const faults = [
      { fault: { status: 500 }, status: 502, code: 'provider_error' },
      { fault: { mode: 'garbage' as const }, status: 502, code: 'provider_error' },
      { fault: { mode: 'reset' as const }, status: 503, code: 'provider_unavailable' },
    ];
    for (const { fault, status, code } of faults) {
      it(`a provider fault ${JSON.stringify(fault)} gives ${status} ${code}`, async () => {
        const before = await simulatorSessionCount();
        simulator.setFaults({ provider: 'signicat', ...fault });
        const browser = new Browserless();
        const response = await browser.get(
          `${route('/start/signicat/nbid')}?returnTo=%2Fprofile`,
          ACCEPT_JSON,
        );
        expect(response.status).toBe(status);
        expect(await errorCode(response)).toBe(code);
        const page = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
        expect(page.status).toBe(303);
        expect(onSite(browser.location(page))).toBe(`/?error=${code}`);
        simulator.clearFaults();
        expect(await simulatorSessionCount()).toBe(before);
        expect(await identityOf(browser)).toBeUndefined();
      });
    }

    it('after provider faults are cleared, a login works again', async () => {
      simulator.setFaults({ provider: 'signicat', mode: 'reset' });
      const failed = await new Browserless().get(
        `${route('/start/signicat/nbid')}?returnTo=%2Fprofile`,
        ACCEPT_JSON,
      );
      expect(failed.status).toBe(503);
      simulator.clearFaults();
      const browser = new Browserless();
      await login(browser);
      expect(await identityOf(browser)).toMatchObject({
        name: 'Kari Nordmann',
        provider: 'signicat',
        method: 'nbid',
      });
    });
  });
}
