import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { parseSimulatorForm, simulatorSessions, simulatorUsers } from './simulator-page.js';
import {
  type ConformanceApp,
  type ConformanceStartOptions,
  type ConformanceTarget,
  PREFIX,
} from './target.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const EVIL = 'https://evil.example';
const CROSS_SITE = { origin: EVIL, 'sec-fetch-site': 'cross-site' } as const;

/**
 * The smaller safety rules (docs/http-contract.md §2.2–2.4, §4, §5): cross-site POSTs, caps on pending logins,
 * `nin` only in a POST body, malformed percent-encoding, webhook tokens before bodies, and the example apps'
 * session and login lifetimes. Declares vitest blocks; call it at the top level of a test file.
 */
export function runSmallerRulesSuite(target: ConformanceTarget): void {
  describe(`cross-site requests, caps, URLs and lifetimes (docs/http-contract.md §2.2–2.4, §4): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    let kariNin: string;
    const extraApps = new Set<ConformanceApp>();

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
      const users = await simulatorUsers(simulator.url);
      kariNin = users.find((user) => user.id === 'no-kari')!.nin;
    });

    afterAll(async () => {
      await Promise.allSettled([...extraApps].map((extra) => extra.close()));
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string, base = app.baseUrl) => `${base}${PREFIX}${path}`;
    const sessionCount = async () => (await simulatorSessions(simulator.url)).length;

    async function startApp(options: Omit<ConformanceStartOptions, 'simulator'>): Promise<ConformanceApp> {
      const extra = await target.start({ simulator, ...options });
      extraApps.add(extra);
      return extra;
    }

    async function errorOf(response: Response): Promise<{ code?: string; message?: string } | undefined> {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      return body.error;
    }

    /** A redirect start asked for as JSON (a POST from the app's own page): the transaction id. */
    async function startJson(browser: Browserless, base = app.baseUrl): Promise<Response> {
      return browser.post(route('/start/signicat/nbid', base), {
        json: { returnTo: '/profile' },
        headers: { ...ACCEPT_JSON, origin: new URL(base).origin, 'sec-fetch-site': 'same-origin' },
      });
    }

    /** A whole redirect login at the simulator; returns the callback's answer. */
    async function login(browser: Browserless, base = app.baseUrl): Promise<Response> {
      const started = await browser.get(
        `${route('/start/signicat/nbid', base)}?returnTo=%2Fprofile`,
        ACCEPT_HTML,
      );
      expect(started.status).toBe(302);
      const pageUrl = browser.location(started);
      const page = await browser.get(pageUrl, ACCEPT_HTML);
      const form = parseSimulatorForm(await page.text(), pageUrl);
      const approved = await browser.post(form.action, {
        form: { ...form.hidden, user: 'no-kari', outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      expect(approved.status).toBe(303);
      const done = await browser.get(browser.location(approved), ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(new URL(browser.location(done)).pathname).toBe('/profile');
      return done;
    }

    const loggedIn = async (browser: Browserless, base = app.baseUrl) =>
      (await browser.get(route('/session', base), ACCEPT_JSON)).status === 200;

    // ---- cross-site POSTs ------------------------------------------------------------------------

    it('a cross-site form post to start goes to the failure page with invalid_request and starts nothing', async () => {
      const before = await sessionCount();
      const browser = new Browserless();
      const page = await browser.post(route('/start/signicat/nbid'), {
        form: { returnTo: '/profile' },
        headers: { ...ACCEPT_HTML, ...CROSS_SITE },
      });
      expect(page.status).toBe(303);
      expect(new URL(browser.location(page)).search).toBe('?error=invalid_request');
      const api = await browser.post(route('/start/signicat/nbid-phone'), {
        json: { nin: kariNin },
        headers: { ...ACCEPT_JSON, origin: EVIL },
      });
      expect(api.status).toBe(403);
      expect((await errorOf(api))?.code).toBe('invalid_request');
      expect(await sessionCount()).toBe(before);
    });

    it('start from the app origin, or from a server without Origin, is served', async () => {
      const own = await startJson(new Browserless());
      expect(own.status).toBe(200);
      const server = await new Browserless().post(route('/start/signicat/nbid'), {
        json: {},
        headers: ACCEPT_JSON,
      });
      expect(server.status).toBe(200);
    });

    it('cancel and logout from another site answer 403 invalid_request and change nothing', async () => {
      const browser = new Browserless();
      await login(browser);
      const started = await startJson(browser);
      const { transactionId } = (await started.json()) as { transactionId: string };
      const cancel = await browser.post(route(`/cancel/${transactionId}`), {
        headers: { ...ACCEPT_JSON, ...CROSS_SITE },
      });
      expect(cancel.status).toBe(403);
      expect((await errorOf(cancel))?.code).toBe('invalid_request');
      const status = await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON);
      expect(((await status.json()) as { status: string }).status).toBe('pending');

      const logout = await browser.post(route('/logout'), {
        form: {},
        headers: { ...ACCEPT_HTML, ...CROSS_SITE },
      });
      expect(logout.status).toBe(403);
      expect(await loggedIn(browser)).toBe(true);
      const own = await browser.post(route('/logout'), {
        headers: { ...ACCEPT_JSON, origin: new URL(app.baseUrl).origin, 'sec-fetch-site': 'same-origin' },
      });
      expect(own.status).toBe(204);
      expect(await loggedIn(browser)).toBe(false);
    });

    // ---- caps on pending logins -----------------------------------------------------------------

    it("a sixth pending login in one browser cancels that browser's oldest", async () => {
      const browser = new Browserless();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const started = await startJson(browser);
        expect(started.status).toBe(200);
        ids.push(((await started.json()) as { transactionId: string }).transactionId);
      }
      const statusOf = async (id: string) =>
        ((await (await browser.get(route(`/status/${id}`), ACCEPT_JSON)).json()) as { status: string })
          .status;
      expect(await statusOf(ids[0]!)).toBe('cancelled');
      for (const id of ids.slice(1)) expect(await statusOf(id)).toBe('pending');
    });

    it('past 50 pending logins from one address, starts answer 429 rate_limited with Retry-After and reach no provider', async () => {
      const fresh = await startApp({});
      for (let i = 0; i < 50; i++) {
        const started = await startJson(new Browserless(), fresh.baseUrl);
        expect(started.status, `start ${i + 1}`).toBe(200);
        await started.body?.cancel();
      }
      const before = await sessionCount();
      const refused = await startJson(new Browserless(), fresh.baseUrl);
      expect(refused.status).toBe(429);
      expect((await errorOf(refused))?.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await sessionCount()).toBe(before);
    });

    // ---- nin only from a POST body --------------------------------------------------------------

    it('a nin in the query string answers 400 invalid_request (a page: the failure page) and starts nothing', async () => {
      const before = await sessionCount();
      const browser = new Browserless();
      const query = `?returnTo=%2Fprofile&nin=${kariNin}`;
      const get = await browser.get(`${route('/start/signicat/nbid')}${query}`, ACCEPT_JSON);
      expect(get.status).toBe(400);
      const error = await errorOf(get);
      expect(error?.code).toBe('invalid_request');
      expect(JSON.stringify(error)).not.toContain(kariNin);
      const page = await browser.get(`${route('/start/signicat/nbid')}${query}`, ACCEPT_HTML);
      expect(page.status).toBe(303);
      expect(new URL(browser.location(page)).search).toBe('?error=invalid_request');
      const post = await browser.post(`${route('/start/signicat/nbid-phone')}${query}`, {
        json: { nin: kariNin },
        headers: ACCEPT_JSON,
      });
      expect(post.status).toBe(400);
      expect((await errorOf(post))?.code).toBe('invalid_request');
      expect(await sessionCount()).toBe(before);
    });

    // ---- malformed percent-encoding -------------------------------------------------------------

    it.each([
      ['GET', '/status/%E0%A4%A'],
      ['GET', '/callback/%ZZ?tx=abc'],
      ['GET', '/start/%ZZ/nbid'],
      ['POST', '/cancel/%ZZ'],
    ] as const)(
      '%s %s answers 400 invalid_request in the contract body, no stack trace',
      async (method, path) => {
        const response = await new Browserless().request(route(path), { method, headers: ACCEPT_JSON });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
        expect(text).not.toMatch(/URIError|\bat \S+ \(|FST_ERR|statusCode/);
      },
    );

    // ---- webhook tokens before bodies -----------------------------------------------------------

    it('a webhook with a bad token is refused 401 before its body is read: a malformed or oversized body does not matter', async () => {
      const started = await startJson(new Browserless());
      const { transactionId } = (await started.json()) as { transactionId: string };
      const url = `${route('/webhook/zignsec')}?tx=${transactionId}&token=forged`;
      const malformed = await new Browserless().post(url, {
        body: '{"this is": not json',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(401);
      expect((await errorOf(malformed))?.code).toBe('unauthenticated');
      const oversized = await new Browserless().post(url, {
        body: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(oversized.status).toBe(401);
      expect((await errorOf(oversized))?.code).toBe('unauthenticated');
    });

    // ---- sessions and logins that end -----------------------------------------------------------

    it('the session cookie has a max age, and the server forgets an idle session: an old copy of the cookie is dead', async () => {
      const short = await startApp({ sessionMaxAgeSeconds: 1 });
      const browser = new Browserless();
      const done = await login(browser, short.baseUrl);
      const cookies = done.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) expect(cookie).toMatch(/;\s*(max-age|expires)=/i);
      const copy = browser.clone();
      expect(await loggedIn(copy, short.baseUrl)).toBe(true);
      await sleep(2100);
      // The copy still sends the cookie (as a thief would, ignoring its expiry): the server no longer knows it.
      expect(await loggedIn(copy, short.baseUrl)).toBe(false);
    });

    it("a login older than the app's login max age opens no guarded page", async () => {
      const short = await startApp({ loginMaxAgeSeconds: 1 });
      const browser = new Browserless();
      await login(browser, short.baseUrl);
      const fresh = await browser.get(`${short.baseUrl}/profile`, ACCEPT_HTML);
      expect(fresh.status).toBe(200);
      await fresh.body?.cancel();
      await sleep(1600);
      const stale = await browser.get(`${short.baseUrl}/profile`, ACCEPT_HTML);
      expect(stale.status).toBe(303);
      expect(new URL(browser.location(stale)).pathname).toBe('/');
    });
  });
}
