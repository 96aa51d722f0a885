import { ACCEPT_HTML, type Browserless } from './browserless.js';
import { parseSimulatorForm } from './simulator-page.js';

/**
 * Follows redirects in `browser` from `url` (GET) until a page is shown or the browser is sent to a URL
 * starting with `stopAt`, which is not requested. Gives up after ten hops.
 */
export async function followRedirects(
  browser: Browserless,
  url: string,
  stopAt: string,
): Promise<{ url: string; response?: Response }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    if (current.startsWith(stopAt)) return { url: current };
    const response = await browser.get(current, ACCEPT_HTML);
    if (response.status < 300 || response.status >= 400) return { url: current, response };
    current = browser.location(response);
  }
  throw new Error(`More than ten redirects from ${url}.`);
}

/**
 * A redirect login at one of the simulator's OpenID Providers (ID-porten, BankID Norway) from the app's start
 * URL: the approval page when the OP shows it (user picked, approved), or straight back when its SSO session
 * logs the browser in without asking. Resolves with the app's callback URL (not requested) and whether the page
 * was shown. The browser keeps the OP's cookies, as a real one does.
 */
export async function loginAtSimulatedOp(
  browser: Browserless,
  startUrl: string,
  callbackPrefix: string,
  user = 'no-kari',
): Promise<{ callbackUrl: string; pageShown: boolean }> {
  const started = await browser.get(startUrl, ACCEPT_HTML);
  if (started.status !== 302) throw new Error(`The start answered ${started.status}.`);
  const shown = await followRedirects(browser, browser.location(started), callbackPrefix);
  if (!shown.response) return { callbackUrl: shown.url, pageShown: false };
  if (shown.response.status !== 200) {
    throw new Error(
      `Expected the approval page or the callback, got ${shown.response.status} at ${shown.url}.`,
    );
  }
  const form = parseSimulatorForm(await shown.response.text(), shown.url);
  const posted = await browser.post(form.action, { form: { ...form.hidden, user, outcome: 'success' } });
  if (posted.status < 300 || posted.status >= 400) throw new Error(`The approval answered ${posted.status}.`);
  const back = await followRedirects(browser, browser.location(posted), callbackPrefix);
  if (back.response) throw new Error(`Expected the app's callback, ended at ${back.url}.`);
  return { callbackUrl: back.url, pageShown: true };
}

/**
 * RP-initiated logout at a simulated OP: opens the end-session URL, submits the page's self-posting form (a
 * browser runs its script) and follows the redirects back to the app. Resolves with the app URL the browser
 * lands on (not requested): the post_logout_redirect_uri, with the `state` sent.
 */
export async function endSessionAtSimulatedOp(
  browser: Browserless,
  endSessionUrl: string,
  appOrigin: string,
): Promise<string> {
  const page = await followRedirects(browser, endSessionUrl, appOrigin);
  if (!page.response) return page.url;
  const html = await page.response.text();
  const action = /<form\b[^>]*\baction="([^"]+)"/i.exec(html)?.[1];
  if (page.response.status !== 200 || !action) {
    throw new Error(`Expected the OP's logout page, got ${page.response.status} at ${page.url}.`);
  }
  const hidden = [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\s*\/?>/g)].map(
    ([, name, value]): [string, string] => [name!, value!],
  );
  const posted = await browser.post(new URL(action, page.url), { form: new URLSearchParams(hidden) });
  if (posted.status < 300 || posted.status >= 400)
    throw new Error(`The OP's logout answered ${posted.status}.`);
  const back = await followRedirects(browser, browser.location(posted), appOrigin);
  if (back.response) throw new Error(`Expected to land back at the app, ended at ${back.url}.`);
  return back.url;
}
