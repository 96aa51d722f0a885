import { createHash } from 'node:crypto';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless } from './browserless.js';
import { completeSimulatorSession, parseSimulatorForm, simulatorSessions } from './simulator-page.js';
import { type AuditEvent, type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';

/** The example apps' sample agreement (`SAMPLE_AGREEMENT` of @eid/example-kit), as the signer sees it. */
const AGREEMENT_FIRST_LINE = 'Membership agreement';

interface Signature {
  transactionId: string;
  provider: string;
  method: string;
  signer: { name?: string; nin?: { value: string; country: string } };
  signedAt: string;
  document: { id: string; title: string; contentType: string; sha256: string };
  evidence: { format: string; contentType: string; size: number; sha256: string; fileName: string };
}

/** Who logs in (and signs) for each signing method: a person of the method's country. */
const SIGNERS = {
  NO: { login: '/start/signicat/nbid', user: 'no-kari', other: 'no-ola' },
  SE: { login: '/start/signicat/sbid', user: 'se-anna', other: 'se-lars' },
} as const;

const CASES = [
  { provider: 'next', method: 'nbid-sign', country: 'NO', document: 'sample-text' },
  { provider: 'next', method: 'nbid-sign', country: 'NO', document: 'sample-pdf' },
  { provider: 'next', method: 'sbid-sign', country: 'SE', document: 'sample-text' },
  { provider: 'zignsec', method: 'sbid-sign', country: 'SE', document: 'sample-text' },
  { provider: 'zignsec', method: 'sbid-sign', country: 'SE', document: 'sample-pdf' },
] as const;

/**
 * Signing (docs/http-contract.md §2.7): the logged-in person signs the example apps' sample documents with every
 * signing method, and gets the signature at the status route and the signed document at the download route; the
 * session's login never changes. Failures go back to the page with `?error=`; another browser learns nothing.
 * Starts its own simulator and app.
 */
export function runSigningSuite(target: ConformanceTarget): void {
  describe(`signing: documents signed by the logged-in person: ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    const events: AuditEvent[] = [];

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator, onEvent: (event) => events.push(event) });
    });

    afterAll(async () => {
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string) => `${app.baseUrl}${PREFIX}${path}`;
    const onSite = (url: string) => {
      const parsed = new URL(url);
      return `${parsed.pathname}${parsed.search}`;
    };

    async function sessionIdentity(browser: Browserless) {
      const response = await browser.get(route('/session'), ACCEPT_JSON);
      return response.status === 200
        ? ((await response.json()) as { identity: { transactionId: string } }).identity
        : undefined;
    }

    /** A browser logged in as `user` through Signicat's redirect login of the country. */
    async function loggedIn(
      country: 'NO' | 'SE',
      user: string = SIGNERS[country].user,
    ): Promise<Browserless> {
      const browser = new Browserless();
      const start = await browser.get(`${route(SIGNERS[country].login)}?returnTo=%2Fprofile`, ACCEPT_HTML);
      expect(start.status).toBe(302);
      const pageUrl = browser.location(start);
      const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
      const approved = await browser.post(form.action, {
        form: { ...form.hidden, user, outcome: 'success' },
        headers: ACCEPT_HTML,
      });
      const done = await browser.get(browser.location(approved), ACCEPT_HTML);
      expect(onSite(browser.location(done))).toBe('/profile');
      return browser;
    }

    /** The sign page's form post: the browser goes to the provider's signing page. */
    async function startSigning(browser: Browserless, provider: string, method: string, documentId: string) {
      const started = await browser.post(route(`/sign/${provider}/${method}`), {
        form: { documentId, returnTo: '/sign' },
        headers: { ...ACCEPT_HTML, origin: app.baseUrl },
      });
      expect(started.status, `${provider}/${method} ${documentId}`).toBe(302);
      const pageUrl = browser.location(started);
      const page = await browser.get(pageUrl, ACCEPT_HTML);
      expect(page.status).toBe(200);
      const html = await page.text();
      return { pageUrl, html, form: parseSimulatorForm(html, pageUrl) };
    }

    /** Approves (or not) at the simulator's page as `user`, and follows the browser back through the callback. */
    async function finish(
      browser: Browserless,
      form: ReturnType<typeof parseSimulatorForm>,
      user: string,
      outcome = 'success',
    ) {
      const answered = await browser.post(form.action, {
        form: { ...form.hidden, user, outcome },
        headers: ACCEPT_HTML,
      });
      const callback = browser.location(answered);
      const back = await browser.get(callback, ACCEPT_HTML);
      expect(back.status).toBe(303);
      return { callback, location: onSite(browser.location(back)) };
    }

    const signedId = (location: string) => new URL(location, 'http://x').searchParams.get('signed') ?? '';

    it.each(CASES)(
      '$provider/$method signs $document: the signature at status, the signed document for download, the login unchanged',
      async ({ provider, method, country, document }) => {
        const browser = await loggedIn(country);
        const login = await sessionIdentity(browser);
        const { html, form } = await startSigning(browser, provider, method, document);
        if (document === 'sample-text') expect(html).toContain(AGREEMENT_FIRST_LINE);
        const { callback, location } = await finish(browser, form, SIGNERS[country].user);
        const transactionId = signedId(location);
        expect(location).toBe(`/sign?signed=${transactionId}`);

        const status = await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON);
        const { signature } = (await status.json()) as { signature: Signature };
        expect(signature).toMatchObject({
          transactionId,
          provider,
          method,
          document: {
            id: document,
            contentType: document === 'sample-pdf' ? 'application/pdf' : 'text/plain',
          },
          signer: { nin: { country } },
        });
        const download = await browser.get(route(`/sign/${transactionId}/document`), ACCEPT_HTML);
        expect(download.status).toBe(200);
        expect(download.headers.get('content-type')).toContain(signature.evidence.contentType);
        expect(download.headers.get('content-disposition')).toContain(signature.evidence.fileName);
        const bytes = Buffer.from(await download.arrayBuffer());
        expect(bytes.length).toBe(signature.evidence.size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(signature.evidence.sha256);
        if (signature.evidence.format === 'pades') {
          // The signed PDF keeps the original's bytes, with the signature appended.
          expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
        } else {
          // BankID's XML signature holds what was signed: the text itself, or the document's SHA-256.
          const xml = bytes.toString('utf8');
          const visible = Buffer.from(
            /<usrVisibleData[^>]*>([^<]*)</.exec(xml)?.[1] ?? '',
            'base64',
          ).toString('utf8');
          const hidden = /<usrNonVisibleData>([^<]*)</.exec(xml)?.[1];
          if (document === 'sample-text') expect(visible).toContain(AGREEMENT_FIRST_LINE);
          else expect(Buffer.from(hidden ?? '', 'base64').toString('hex')).toBe(signature.document.sha256);
        }
        // The app's page shows it; the login is the same one; a reload of the callback answers the same.
        const page = await (await browser.get(`${app.baseUrl}${location}`, ACCEPT_HTML)).text();
        expect(page).toContain('data-testid="sign-result"');
        expect(page).toContain(signature.document.sha256);
        expect((await sessionIdentity(browser))?.transactionId).toBe(login?.transactionId);
        const again = await browser.get(callback, ACCEPT_HTML);
        expect(onSite(browser.location(again))).toBe(location);
        const mine = events
          .filter((event) => event.transactionId === transactionId)
          .map((event) => event.type);
        expect(mine).toEqual(['sign.started', 'sign.succeeded']);
      },
    );

    it.each([
      ['next', 'nbid-sign', 'NO'],
      ['zignsec', 'sbid-sign', 'SE'],
    ] as const)(
      '%s/%s: a cancelled signing goes back to the page with ?error=user_cancelled',
      async (provider, method, country) => {
        const browser = await loggedIn(country);
        const { form } = await startSigning(browser, provider, method, 'sample-text');
        const { location } = await finish(browser, form, SIGNERS[country].user, 'abort');
        expect(location).toBe('/sign?error=user_cancelled');
      },
    );

    it.each([
      ['next', 'nbid-sign', 'NO'],
      ['zignsec', 'sbid-sign', 'SE'],
    ] as const)(
      '%s/%s: someone other than the logged-in person cannot sign: the page offers only them, and another signer fails',
      async (provider, method, country) => {
        const browser = await loggedIn(country);
        const { form } = await startSigning(browser, provider, method, 'sample-text');
        expect(form.users).toEqual([SIGNERS[country].user]);
        // Another person signs at the provider (the simulator's control surface, as if they held the device), and
        // the browser comes back as the provider would send it.
        const session = (await simulatorSessions(simulator.url))
          .filter((one) => one.provider === provider)
          .at(-1)!;
        expect(
          (await completeSimulatorSession(simulator.url, session.id, 'success', SIGNERS[country].other))
            .status,
        ).toBe(200);
        const transactionId = session.appTransactionId!;
        const query =
          provider === 'next' ? `tx=${transactionId}&id=${session.id}` : `relaystate=${transactionId}`;
        const back = await browser.get(`${route(`/callback/${provider}`)}?${query}`, ACCEPT_HTML);
        expect(onSite(browser.location(back))).toBe('/sign?error=signer_mismatch');
        const status = await browser.get(route(`/status/${transactionId}`), ACCEPT_JSON);
        expect(await status.json()).toMatchObject({ status: 'failed', error: { code: 'signer_mismatch' } });
        expect((await browser.get(route(`/sign/${transactionId}/document`), ACCEPT_HTML)).status).toBe(409);
      },
    );

    it('a document the app does not offer: ?error=document_not_found for the form, 404 for JSON, nothing started', async () => {
      const browser = await loggedIn('NO');
      const before = (await simulatorSessions(simulator.url)).length;
      const form = await browser.post(route('/sign/next/nbid-sign'), {
        form: { documentId: 'someone-elses', returnTo: '/sign' },
        headers: { ...ACCEPT_HTML, origin: app.baseUrl },
      });
      expect(form.status).toBe(303);
      expect(onSite(browser.location(form))).toBe('/sign?error=document_not_found');
      const json = await browser.post(route('/sign/next/nbid-sign'), {
        json: { documentId: 'someone-elses' },
        headers: ACCEPT_JSON,
      });
      expect(json.status).toBe(404);
      expect(((await json.json()) as { error: { code: string } }).error.code).toBe('document_not_found');
      expect((await simulatorSessions(simulator.url)).length).toBe(before);
    });

    it('nobody logged in cannot sign: 401, and the sign page says to log in', async () => {
      const browser = new Browserless();
      const refused = await browser.post(route('/sign/next/nbid-sign'), {
        json: { documentId: 'sample-text' },
        headers: ACCEPT_JSON,
      });
      expect(refused.status).toBe(401);
      const page = await browser.get(`${app.baseUrl}/sign`, ACCEPT_HTML);
      expect(page.status).toBe(403);
      expect(await page.text()).toContain('sign-login-first');
    });

    it('another browser learns nothing of a signing: its status, download and callback are not found', async () => {
      const browser = await loggedIn('NO');
      const { form } = await startSigning(browser, 'next', 'nbid-sign', 'sample-text');
      const { callback, location } = await finish(browser, form, SIGNERS.NO.user);
      const transactionId = signedId(location);
      // Another person, logged in in another browser.
      const stranger = await loggedIn('NO', SIGNERS.NO.other);
      expect((await stranger.get(route(`/status/${transactionId}`), ACCEPT_JSON)).status).toBe(404);
      expect((await stranger.get(route(`/sign/${transactionId}/document`), ACCEPT_HTML)).status).toBe(404);
      const replayed = await stranger.get(callback, ACCEPT_JSON);
      expect(replayed.status).toBe(404);
      // Nor does the app's page show it to another person.
      const page = await (
        await stranger.get(`${app.baseUrl}/sign?signed=${transactionId}`, ACCEPT_HTML)
      ).text();
      expect(page).not.toContain('data-testid="sign-result"');
      // The signer still gets it.
      expect((await browser.get(route(`/sign/${transactionId}/document`), ACCEPT_HTML)).status).toBe(200);
    });
  });
}
