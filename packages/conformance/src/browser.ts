import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Simulator, startSimulator, type TestUser } from '@eid/simulator';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeSimulatorSession,
  openSignicatStatus,
  sessionByBindingMessage,
  simulatorSessions,
  simulatorUsers,
} from './simulator-page.js';
import type { ConformanceApp, ConformanceTarget } from './target.js';

/** Debian's Chromium; playwright-core brings no browser of its own. `CHROMIUM_PATH` overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const TEST_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 15_000;

/**
 * What a person does in a real browser: the home page, the simulator's approval page, the profile, log-out,
 * the call-centre page and the Swedish BankID QR page. Skipped when `EID_SKIP_BROWSER=1`.
 */
export function runBrowserSuite(target: ConformanceTarget): void {
  describe.skipIf(process.env.EID_SKIP_BROWSER === '1')(`browser: ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;
    let browser: Browser;
    let kari: TestUser;

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({ simulator });
      kari = (await simulatorUsers(simulator.url)).find((user) => user.id === 'no-kari')!;
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: TEST_TIMEOUT_MS,
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await simulator?.close();
    });

    /** A fresh context (its own cookies) per test, always closed. */
    async function withPage(run: (page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
      const context = await browser.newContext();
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      try {
        await run(await context.newPage(), context);
      } finally {
        await context.close();
      }
    }

    const at = (path: string) => (url: URL) =>
      url.origin === new URL(app.baseUrl).origin && url.pathname === path;

    /** From the home page through Signicat's simulated Norwegian BankID as Kari, to the profile page. */
    async function logInAsKari(page: Page): Promise<void> {
      await page.goto(`${app.baseUrl}/`);
      await page.getByTestId('login-signicat-nbid').click();
      await page.waitForURL((url) => url.href.startsWith(`${simulator.url}/`));
      await page.locator('select[name="user"]').selectOption('no-kari');
      await page.locator('button[name="outcome"][value="success"]').click();
      await page.waitForURL(at('/profile'));
    }

    it(
      'logs in with Norwegian BankID on the simulator page, shows the profile and logs out',
      async () => {
        await withPage(async (page, context) => {
          await logInAsKari(page);
          expect((await page.getByTestId('profile-name').textContent())?.trim()).toBe('Kari Nordmann');
          const shownNin = (await page.getByTestId('profile-nin').textContent()) ?? '';
          expect(shownNin).toContain('*');
          expect(shownNin).toContain(kari.nin.slice(0, 6));
          expect(await page.content()).not.toContain(kari.nin);

          await page.getByTestId('logout').click();
          await page.waitForURL(at('/'));
          expect(await page.getByTestId('login-signicat-nbid').isVisible()).toBe(true);
          expect(await page.getByTestId('profile-link').count()).toBe(0);
          const session = await context.request.get(`${app.baseUrl}/auth/eid/session`);
          expect(session.status()).toBe(401);
          await page.goto(`${app.baseUrl}/profile`);
          await page.waitForURL(at('/'));
        });
      },
      TEST_TIMEOUT_MS,
    );

    // One method of every other provider the example apps enable, through its own simulated page.
    it.each([
      { provider: 'zignsec', method: 'sbid', user: 'se-anna', name: 'Anna Andersson' },
      { provider: 'next', method: 'nbid', user: 'no-ola', name: 'Ola Nordmann' },
      { provider: 'bankid-no', method: 'bankid', user: 'no-kari', name: 'Kari Nordmann' },
      // ID-porten gives no name, only the national id (`pid`): the profile shows it masked.
      { provider: 'idporten', method: 'idporten', user: 'no-jonas', name: undefined },
    ])(
      'logs in through $provider ($method) on its simulator page and shows the profile',
      async ({ provider, method, user, name }) => {
        await withPage(async (page) => {
          await page.goto(`${app.baseUrl}/`);
          await page.getByTestId(`login-${provider}-${method}`).click();
          await page.waitForURL((url) => url.href.startsWith(`${simulator.url}/`));
          await page.locator('select[name="user"]').selectOption(user);
          await page.locator('button[name="outcome"][value="success"]').click();
          await page.waitForURL(at('/profile'));
          if (name) expect((await page.getByTestId('profile-name').textContent())?.trim()).toBe(name);
          const nin = (await simulatorUsers(simulator.url)).find((candidate) => candidate.id === user)!.nin;
          const shownNin = (await page.getByTestId('profile-nin').textContent()) ?? '';
          expect(shownNin).toContain(nin.slice(0, 6));
          expect(await page.content()).not.toContain(nin);
          expect(await page.content()).toContain(provider);
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'signs the sample agreement: from the home page to the sign page, the simulated signing page, the result and the download',
      async () => {
        await withPage(async (page) => {
          await logInAsKari(page);
          await page.goto(`${app.baseUrl}/`);
          await page.getByTestId('sign-link').click();
          await page.waitForURL(at('/sign'));
          const agreement = (await page.getByTestId('sign-text-sample-text').textContent()) ?? '';
          await page.getByTestId('sign-sample-text-next-nbid-sign').click();
          // The simulated signing page shows the text being signed, and only the logged-in person may sign.
          await page.waitForURL((url) => url.href.startsWith(`${simulator.url}/`));
          expect((await page.getByTestId('sim-document').textContent())?.trim()).toBe(agreement.trim());
          expect(await page.locator('select[name="user"] option').allTextContents()).toEqual([
            'Kari Nordmann',
          ]);
          await page.locator('button[name="outcome"][value="success"]').click();
          await page.waitForURL((url) => at('/sign')(url) && url.searchParams.has('signed'));
          expect((await page.getByTestId('signed-by').textContent())?.trim()).toBe('Kari Nordmann');
          const sha256 = createHash('sha256').update(agreement, 'utf8').digest('hex');
          expect((await page.getByTestId('signed-sha256').textContent())?.trim()).toBe(sha256);
          expect(await page.content()).not.toContain(kari.nin);
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByTestId('sign-download').click(),
          ]);
          expect(download.suggestedFilename()).toBe('Membership-agreement-signed.xml');
          const xml = await readFile((await download.path())!, 'utf8');
          const visible = /<usrVisibleData[^>]*>([^<]*)</.exec(xml)?.[1] ?? '';
          expect(Buffer.from(visible, 'base64').toString('utf8')).toBe(agreement);
        });
      },
      TEST_TIMEOUT_MS,
    );

    it('every login button on the home page logs in through its simulated pages, shows the profile and logs out', async () => {
      await withPage(async (page) => {
        await page.goto(`${app.baseUrl}/`);
        const buttons = page.locator('[data-testid="login-methods"] a[data-testid^="login-"]');
        const testIds = await buttons.evaluateAll((links) =>
          links.map((link) => (link as unknown as { dataset: { testid: string } }).dataset.testid),
        );
        expect(testIds.length).toBeGreaterThan(10);
        const origin = new URL(app.baseUrl).origin;
        for (const testId of testIds) {
          await page.goto(`${app.baseUrl}/`);
          await page.getByTestId(testId).click();
          // Every simulated page on the way (a provider's own, an OpenID Provider's interaction) is answered
          // with its first test user, until the provider sends the browser back to the app.
          await page.waitForURL((url) => url.origin !== origin);
          for (let hop = 0; hop < 4 && new URL(page.url()).origin !== origin; hop++) {
            const answered = page.url();
            await page.locator('button[name="outcome"][value="success"]').click();
            await page.waitForURL((url) => url.href !== answered);
          }
          await page.waitForURL(at('/profile'));
          expect(await page.getByTestId('profile-nin').count(), testId).toBeLessThanOrEqual(1);
          expect(await page.content(), testId).toContain(testId.split('-')[1]!);
          await page.getByTestId('logout').click();
          await page.waitForURL(at('/'));
        }
      });
    }, 120_000);

    it(
      'a login cancelled on the simulator page comes back home with the reason',
      async () => {
        await withPage(async (page) => {
          await page.goto(`${app.baseUrl}/`);
          await page.getByTestId('login-signicat-nbid').click();
          await page.waitForURL((url) => url.href.startsWith(`${simulator.url}/`));
          await page.locator('button[name="outcome"][value="abort"]').click();
          await page.waitForURL(at('/'));
          expect(new URL(page.url()).searchParams.get('error')).toBe('user_cancelled');
          expect(await page.getByTestId('error').isVisible()).toBe(true);
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the call-centre page is for a logged-in operator: it shows the binding message, then the verified caller, and the operator stays logged in as themselves',
      async () => {
        await withPage(async (page, context) => {
          // Without a login the page says how to log in, and nothing can be started.
          const refused = await page.goto(`${app.baseUrl}/call-centre`);
          expect(refused?.status()).toBe(403);
          expect(await page.getByTestId('call-centre-login-first').isVisible()).toBe(true);
          expect(await page.getByTestId('call-centre-form').count()).toBe(0);

          // The operator (Ola) logs in with Norwegian BankID from the home page the page points to.
          await page.getByTestId('call-centre-home').click();
          await page.waitForURL(at('/'));
          await page.getByTestId('login-signicat-nbid').click();
          await page.waitForURL((url) => url.href.startsWith(`${simulator.url}/`));
          await page.locator('select[name="user"]').selectOption('no-ola');
          await page.locator('button[name="outcome"][value="success"]').click();
          await page.waitForURL(at('/profile'));
          const operator = await (await context.request.get(`${app.baseUrl}/auth/eid/session`)).json();
          expect(operator).toMatchObject({ identity: { name: 'Ola Nordmann', method: 'nbid' } });

          // The operator verifies the caller (Kari).
          await page.goto(`${app.baseUrl}/call-centre`);
          expect((await page.getByTestId('call-centre-operator').textContent()) ?? '').toContain(
            'Ola Nordmann',
          );
          await page.getByTestId('call-centre-nin').fill(kari.nin);
          await page.getByTestId('call-centre-start').click();
          const binding = page.getByTestId('binding-message');
          await binding.waitFor({ state: 'visible' });
          const bindingMessage = ((await binding.textContent()) ?? '').trim();
          expect(bindingMessage.length).toBeGreaterThan(0);

          const session = await sessionByBindingMessage(simulator.url, bindingMessage);
          expect((await completeSimulatorSession(simulator.url, session.id, 'success')).status).toBe(200);

          // The page shows who called, with the number masked, and stays where it is.
          const verified = page.getByTestId('call-centre-verified');
          await verified.waitFor({ state: 'visible' });
          expect(new URL(page.url()).pathname).toBe('/call-centre');
          expect((await page.getByTestId('verified-name').textContent())?.trim()).toBe('Kari Nordmann');
          const shownNin = (await page.getByTestId('verified-nin').textContent()) ?? '';
          expect(shownNin).toContain(kari.nin.slice(0, 6));
          expect(shownNin).toContain('*');
          expect(await page.content()).not.toContain(kari.nin);

          // The operator's own login is unchanged.
          const after = await (await context.request.get(`${app.baseUrl}/auth/eid/session`)).json();
          expect(after).toEqual(operator);
          await page.goto(`${app.baseUrl}/profile`);
          expect((await page.getByTestId('profile-name').textContent())?.trim()).toBe('Ola Nordmann');
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the BankID QR page shows the QR code, refreshes it, and opens the profile once the app confirms',
      async () => {
        await withPage(async (page) => {
          await page.goto(`${app.baseUrl}/bankid-qr`);
          const image = page.getByTestId('bankid-qr-image');
          // Polled from here: the page's CSP allows no eval, which page.waitForFunction needs.
          const loadedWidth = () =>
            image.evaluate((element) => {
              const img = element as unknown as { complete: boolean; naturalWidth: number; src: string };
              return img.src && img.complete ? img.naturalWidth : 0;
            });
          // The image the app drew (GET /qr.svg) has loaded: the page's CSP and the SVG response let it through.
          await expect.poll(loadedWidth, { timeout: STEP_TIMEOUT_MS }).toBeGreaterThan(0);
          const firstSrc = await image.getAttribute('src');
          expect(firstSrc).toMatch(/^\/qr\.svg\?data=bankid\./);
          const transactionId = await page.getByTestId('bankid-qr').getAttribute('data-transaction-id');
          expect(transactionId).toBeTruthy();

          // BankID's QR code changes every second; the page takes each one from its status poll.
          await expect.poll(() => image.getAttribute('src'), { timeout: STEP_TIMEOUT_MS }).not.toBe(firstSrc);
          await expect.poll(loadedWidth, { timeout: STEP_TIMEOUT_MS }).toBeGreaterThan(0);

          // The simulator session is the one Signicat was asked for with this transaction as externalReference.
          const session = (await simulatorSessions(simulator.url)).find(
            (candidate) =>
              candidate.externalReference === transactionId && openSignicatStatus(candidate.status),
          );
          expect(session).toMatchObject({ provider: 'signicat', method: 'sbid' });
          const completed = await completeSimulatorSession(simulator.url, session!.id, 'success', 'se-anna');
          expect(completed.status).toBe(200);

          await page.waitForURL(at('/profile'));
          expect((await page.getByTestId('profile-name').textContent())?.trim()).toBe('Anna Andersson');
          expect(await page.getByTestId('profile-method').textContent()).toContain('sbid-qr');
        });
      },
      TEST_TIMEOUT_MS,
    );
  });
}
