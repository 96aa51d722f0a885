import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { parseSimulatorForm } from './simulator-page.js';
import { type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the simulated Signicat takes to answer while a start is held mid-flight. */
const HELD_MS = 1500;

/**
 * Logout sticks (docs/http-contract.md §3): a logout ends the login for every copy of the session cookie, and a
 * request still running at the logout cannot bring the old session back; a logout without a session creates none.
 * Declares vitest `describe`/`it` blocks against one app on a fresh simulator; call it at the top level of a test file.
 */
export function runLogoutSticksSuite(target: ConformanceTarget): void {
  describe(`eID logout sticks (docs/http-contract.md §3): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
    });

    afterEach(() => {
      simulator?.clearFaults();
    });

    afterAll(async () => {
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string) => `${app.baseUrl}${PREFIX}${path}`;

    /** A redirect login through the simulator's Signicat page, ending on the profile page. */
    async function login(browser: Browserless): Promise<void> {
      const start = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
      expect(start.status).toBe(302);
      const pageUrl = browser.location(start);
      const page = await browser.get(pageUrl, ACCEPT_HTML);
      const form = parseSimulatorForm(await page.text(), pageUrl);
      const approved = await browser.post(form.action, {
        form: { ...form.hidden, user: 'no-kari', outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      const done = await browser.get(browser.location(approved), ACCEPT_HTML);
      expect(done.status).toBe(303);
      expect(new URL(browser.location(done)).pathname).toBe('/profile');
    }

    /** The profile page as a browser sees it: 200 while logged in, else a 303 (to the home page). */
    async function profileStatus(browser: Browserless): Promise<number> {
      return (await browser.get(`${app.baseUrl}/profile`, ACCEPT_HTML)).status;
    }

    it('a start with a copy of the logged-in cookie, held at the provider while the owner logs out: the copy is not logged in and the old session is not brought back', async () => {
      const owner = new Browserless();
      await login(owner);
      expect((await owner.get(route('/session'), ACCEPT_JSON)).status).toBe(200);
      const thief = owner.clone();

      simulator.setFaults({ provider: 'signicat', latencyMs: HELD_MS });
      const held = thief.get(route('/start/signicat/nbid'), ACCEPT_JSON);
      // The start has read the session and waits for the provider.
      await sleep(HELD_MS / 4);
      const logout = await owner.post(route('/logout'), { headers: ACCEPT_JSON });
      expect(logout.status).toBe(204);
      const started = await held;
      simulator.clearFaults();
      expect(started.status).toBe(200);
      const { transactionId } = (await started.json()) as { transactionId: string };
      // Nothing was written into the logged-in session, so nothing was saved back under its old id.
      expect(started.headers.get('set-cookie')).toBeNull();

      expect((await thief.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
      expect(await profileStatus(thief)).toBe(303);
      // The old session is gone: the copy's cookie opens no session that holds the start's binding.
      expect((await thief.get(route(`/status/${transactionId}`), ACCEPT_JSON)).status).toBe(404);
      expect((await owner.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
      expect(await profileStatus(owner)).toBe(303);
    });

    it('a copy of the logged-in cookie is not logged in after the logout: GET /session, the profile page', async () => {
      const owner = new Browserless();
      await login(owner);
      expect(await profileStatus(owner)).toBe(200);
      const [forSession, forProfile] = [owner.clone(), owner.clone()];
      expect((await owner.post(route('/logout'), { form: {}, headers: ACCEPT_HTML })).status).toBe(303);
      expect((await forSession.get(route('/session'), ACCEPT_JSON)).status).toBe(401);
      expect(await profileStatus(forProfile)).toBe(303);
    });

    it('a logout without a session creates none: no cookie, for an API call and a form post', async () => {
      const browser = new Browserless();
      const api = await browser.post(route('/logout'), { headers: ACCEPT_JSON });
      expect(api.status).toBe(204);
      expect(api.headers.get('set-cookie')).toBeNull();
      const form = await browser.post(route('/logout'), { form: {}, headers: ACCEPT_HTML });
      expect(form.status).toBe(303);
      expect(form.headers.get('set-cookie')).toBeNull();
      expect(browser.cookies(app.baseUrl)).toEqual({});
    });
  });
}
