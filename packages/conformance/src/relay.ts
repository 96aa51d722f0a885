import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { followRedirects } from './simulated-op.js';
import { parseSimulatorForm, simulatorSessions } from './simulator-page.js';
import { type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';

type Outcome = 'success' | 'abort';

/**
 * Relayed logins (docs/http-contract.md §4.1) and forged OpenID Connect callbacks: someone starts a login,
 * sends the provider's link to another person, and tries to finish it in their own browser once that person has
 * approved. Starts its own simulator and app. Declares vitest blocks; call it at the top level of a test file.
 */
export function runRelaySuite(target: ConformanceTarget): void {
  describe(`relayed logins and forged callbacks (docs/http-contract.md §4.1): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    /** The same app with SIGNICAT_CHECK_CLIENT_ENVIRONMENT=ip+userAgent. */
    let checking: ConformanceApp;

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
      checking = await target.start({
        simulator,
        env: { SIGNICAT_CHECK_CLIENT_ENVIRONMENT: 'ip+userAgent' },
      });
    });

    afterAll(async () => {
      await checking?.close();
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string, base = app.baseUrl) => `${base}${PREFIX}${path}`;

    /** `path` and query of an absolute URL on `base`, e.g. `/?error=browser_mismatch`. */
    function onSite(url: string, base = app.baseUrl): string {
      const parsed = new URL(url);
      expect(parsed.origin).toBe(new URL(base).origin);
      return `${parsed.pathname}${parsed.search}`;
    }

    /** Where a callback request sent the browser (path and query on the app). */
    async function back(browser: Browserless, callback: string, base = app.baseUrl): Promise<string> {
      const response = await browser.get(callback, ACCEPT_HTML);
      expect(response.status).toBe(303);
      return onSite(browser.location(response), base);
    }

    async function loggedIn(browser: Browserless, base = app.baseUrl): Promise<boolean> {
      const response = await browser.get(route('/session', base), ACCEPT_JSON);
      expect([200, 401]).toContain(response.status);
      return response.status === 200;
    }

    /** A redirect login started as an API client: the transaction id and the provider's URL. */
    async function startLogin(browser: Browserless, provider: string, method: string, base = app.baseUrl) {
      const response = await browser.get(
        `${route(`/start/${provider}/${method}`, base)}?returnTo=%2Fprofile`,
        ACCEPT_JSON,
      );
      expect(response.status).toBe(200);
      return (await response.json()) as { transactionId: string; redirectUrl: string };
    }

    /**
     * Opens the provider's URL in `browser` (the simulator's Signicat page, or a simulated OP through its
     * redirects), answers its page with Kari and `outcome`, and returns the app's callback URL (not requested).
     */
    async function approve(
      browser: Browserless,
      providerUrl: string,
      callbackPrefix: string,
      outcome: Outcome = 'success',
    ): Promise<string> {
      const shown = await followRedirects(browser, providerUrl, callbackPrefix);
      expect(shown.response?.status).toBe(200);
      const form = parseSimulatorForm(await shown.response!.text(), shown.url);
      const posted = await browser.post(form.action, {
        form: { ...form.hidden, user: 'no-kari', outcome },
        headers: ACCEPT_HTML,
      });
      expect(posted.status).toBeGreaterThanOrEqual(300);
      const returned = await followRedirects(browser, browser.location(posted), callbackPrefix);
      expect(returned.response).toBeUndefined();
      return returned.url;
    }

    it('a relayed Signicat login dies: the approving browser gets transaction_not_found, the relaying one browser_mismatch, the same on a reload', async () => {
      const attacker = new Browserless({ userAgent: 'Attacker browser' });
      const victim = new Browserless({ userAgent: 'Victim browser' });
      const { redirectUrl } = await startLogin(attacker, 'signicat', 'nbid');
      // The link is sent to the victim, who approves in their own browser and is sent back to the app.
      const callback = await approve(victim, redirectUrl, route('/callback/signicat'));
      expect(await back(victim, callback)).toBe('/?error=transaction_not_found');
      expect(await loggedIn(victim)).toBe(false);
      // The attacker's browser, which holds the login, gets an error and no identity.
      expect(await back(attacker, callback)).toBe('/?error=browser_mismatch');
      expect(await loggedIn(attacker)).toBe(false);
      expect(await back(attacker, callback)).toBe('/?error=browser_mismatch');
      expect(await loggedIn(attacker)).toBe(false);
      const asApi = await attacker.get(callback, ACCEPT_JSON);
      expect(asApi.status).toBe(403);
      expect(await loggedIn(attacker)).toBe(false);
    });

    it('a callback in another browser before the person has approved cancels the session at Signicat', async () => {
      const starter = new Browserless();
      const { transactionId, redirectUrl } = await startLogin(starter, 'signicat', 'nbid');
      const stranger = new Browserless();
      const callback = `${route('/callback/signicat')}?tx=${encodeURIComponent(transactionId)}`;
      expect(await back(stranger, callback)).toBe('/?error=transaction_not_found');
      const session = (await simulatorSessions(simulator.url)).find(
        (candidate) => candidate.externalReference === transactionId,
      );
      expect(session?.status).toBe('CANCELLED');
      // The provider's page no longer takes the login; the starting browser learns it was stopped.
      expect((await new Browserless().get(redirectUrl, ACCEPT_HTML)).status).not.toBe(200);
      expect(await back(starter, callback)).toBe('/?error=browser_mismatch');
    });

    it('a relayed ID-porten login dies the same way: its code cannot be used in the starting browser', async () => {
      const attacker = new Browserless();
      const victim = new Browserless();
      const { redirectUrl } = await startLogin(attacker, 'idporten', 'idporten');
      const callback = await approve(victim, redirectUrl, route('/callback/idporten'));
      expect(await back(victim, callback)).toBe('/?error=transaction_not_found');
      // Even with the victim's code in hand, the attacker's browser gets an error.
      expect(await back(attacker, callback)).toBe('/?error=browser_mismatch');
      expect(await loggedIn(attacker)).toBe(false);
      expect(await loggedIn(victim)).toBe(false);
    });

    it('with SIGNICAT_CHECK_CLIENT_ENVIRONMENT=ip+userAgent, a relayed login the relaying browser finishes first is browser_mismatch', async () => {
      const base = checking.baseUrl;
      const attacker = new Browserless({ userAgent: 'Attacker browser' });
      const victim = new Browserless({ userAgent: 'Victim browser' });
      const { redirectUrl } = await startLogin(attacker, 'signicat', 'nbid', base);
      const callback = await approve(victim, redirectUrl, route('/callback/signicat', base));
      // The attacker is back first (the victim's browser never follows the redirect).
      expect(await back(attacker, callback, base)).toBe('/?error=browser_mismatch');
      expect(await loggedIn(attacker, base)).toBe(false);
      expect(await back(victim, callback, base)).toBe('/?error=transaction_not_found');
      expect(await loggedIn(victim, base)).toBe(false);
    });

    it('with SIGNICAT_CHECK_CLIENT_ENVIRONMENT=ip+userAgent, one browser from start to finish logs in', async () => {
      const base = checking.baseUrl;
      const browser = new Browserless({ userAgent: 'One browser' });
      const { redirectUrl } = await startLogin(browser, 'signicat', 'nbid', base);
      const callback = await approve(browser, redirectUrl, route('/callback/signicat', base));
      expect(await back(browser, callback, base)).toBe('/profile');
      expect(await loggedIn(browser, base)).toBe(true);
    });

    it('a forged ID-porten callback (code=bogus, or error=access_denied without iss) in the starting browser ends nothing: the genuine answer still logs in', async () => {
      const browser = new Browserless();
      const { transactionId, redirectUrl } = await startLogin(browser, 'idporten', 'idporten');
      const state = encodeURIComponent(transactionId);
      const iss = encodeURIComponent(simulator.idporten.issuer);
      for (const forged of [`state=${state}&code=bogus&iss=${iss}`, `state=${state}&error=access_denied`]) {
        expect(await back(browser, `${route('/callback/idporten')}?${forged}`)).toBe(
          '/?error=invalid_request',
        );
        expect(await loggedIn(browser)).toBe(false);
      }
      const callback = await approve(browser, redirectUrl, route('/callback/idporten'));
      expect(await back(browser, callback)).toBe('/profile');
      expect(await loggedIn(browser)).toBe(true);
    });

    it('the person cancelling at ID-porten (error=access_denied with its state and iss) ends the login: user_cancelled, the same on a reload', async () => {
      const browser = new Browserless();
      const { redirectUrl } = await startLogin(browser, 'idporten', 'idporten');
      const callback = await approve(browser, redirectUrl, route('/callback/idporten'), 'abort');
      const query = new URL(callback).searchParams;
      expect(query.get('error')).toBe('access_denied');
      expect(query.get('iss')).toBe(simulator.idporten.issuer);
      expect(await back(browser, callback)).toBe('/?error=user_cancelled');
      expect(await back(browser, callback)).toBe('/?error=user_cancelled');
      expect(await loggedIn(browser)).toBe(false);
    });
  });
}
