/**
 * A browser for the simulator's OpenID Providers: follows redirects with a cookie jar (per host name, as
 * browsers share cookies across ports), shows the approval page and presses a button on it, and stops at the
 * app's callback, returning its query as the engine would hand it to the provider.
 */
export class OidcBrowser {
  readonly #jar = new Map<string, Map<string, string>>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookies = this.#jar.get(target.hostname);
    if (cookies && cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const jar = this.#jar.get(target.hostname) ?? new Map<string, string>();
      this.#jar.set(target.hostname, jar);
      const value = pair.slice(at + 1);
      if (value === '' || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(pair.slice(0, at));
      else jar.set(pair.slice(0, at), value);
    }
    return response;
  }

  /** Follows redirects from `url` until a page is shown or the browser is sent to `stopAt`. */
  async follow(
    url: string,
    stopAt: string,
    init: RequestInit = {},
  ): Promise<{ url: string; response: Response }> {
    let current = url;
    let response = await this.fetch(current, init);
    for (let hop = 0; hop < 10 && response.status >= 300 && response.status < 400; hop++) {
      current = new URL(response.headers.get('location')!, current).toString();
      if (current.startsWith(stopAt)) return { url: current, response };
      response = await this.fetch(current);
    }
    return { url: current, response };
  }

  /**
   * Opens the authorization URL, picks `user` (and, for BankID, the `idp` variant) on the approval page and
   * presses `outcome`. Resolves with the callback query; `page` is the approval page's HTML.
   */
  async login(
    redirectUrl: string,
    callbackBase: string,
    choice: { outcome?: 'success' | 'abort' | 'error'; user?: string; idp?: string } = {},
  ): Promise<{ query: Record<string, string>; page: string }> {
    const shown = await this.follow(redirectUrl, callbackBase);
    if (shown.response.status !== 200) {
      throw new Error(`expected the approval page, got HTTP ${shown.response.status} at ${shown.url}`);
    }
    const page = await shown.response.text();
    const form = new URLSearchParams();
    for (const match of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      form.set(match[1]!, match[2]!);
    }
    const firstUser = /<option value="([^"]*)"/.exec(page)?.[1] ?? '';
    form.set('user', choice.user ?? firstUser);
    form.set('outcome', choice.outcome ?? 'success');
    if (choice.idp) form.set('idp', choice.idp);
    const back = await this.follow(shown.url, callbackBase, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    if (!back.url.startsWith(callbackBase)) throw new Error(`expected the callback, ended at ${back.url}`);
    return { query: Object.fromEntries(new URL(back.url).searchParams), page };
  }
}
