export interface BrowserlessRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string> | URLSearchParams;
  /** A raw body; set `content-type` yourself. */
  body?: string;
}

/** Accept header of an API client. */
export const ACCEPT_JSON = { accept: 'application/json' } as const;
/** Accept header of a browser navigation. */
export const ACCEPT_HTML = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
} as const;

/**
 * A browser without a browser: `fetch` with a cookie jar and `redirect: 'manual'`, so a test sees each
 * hop. Cookies are kept per host name, as browsers do (ports share cookies); attributes other than
 * expiry are ignored. Every request URL and every `Location` is recorded in `visited`.
 */
export class Browserless {
  /** Each request URL and each absolute `Location` answered, in order. */
  readonly visited: string[] = [];
  /** The `User-Agent` it sends on every request, when given (another browser, another user agent). */
  readonly userAgent: string | undefined;
  /** Headers it sends with every request (e.g. the `X-Forwarded-For` a load balancer in front would add). */
  readonly headers: Readonly<Record<string, string>>;
  readonly #jar = new Map<string, Map<string, string>>();
  readonly #requestUrl = new WeakMap<Response, URL>();

  constructor(options: { userAgent?: string; headers?: Record<string, string> } = {}) {
    this.userAgent = options.userAgent;
    this.headers = { ...options.headers };
  }

  /** Another browser that starts with a copy of this one's cookies (e.g. the cookies before a login). */
  clone(): Browserless {
    const copy = new Browserless({
      headers: { ...this.headers },
      ...(this.userAgent === undefined ? {} : { userAgent: this.userAgent }),
    });
    for (const [host, cookies] of this.#jar) copy.#jar.set(host, new Map(cookies));
    return copy;
  }

  /** The cookies this browser would send to `url`. */
  cookies(url: string | URL): Record<string, string> {
    return Object.fromEntries(this.#jar.get(new URL(url).hostname) ?? []);
  }

  async request(url: string | URL, request: BrowserlessRequest = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(this.headers))
      if (!headers.has(name)) headers.set(name, value);
    if (this.userAgent !== undefined && !headers.has('user-agent')) headers.set('user-agent', this.userAgent);
    let body: string | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    } else if (request.form !== undefined) {
      body = new URLSearchParams(request.form).toString();
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    }
    const cookie = [...(this.#jar.get(target.hostname) ?? [])]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    if (cookie) headers.set('cookie', cookie);
    this.visited.push(target.toString());
    const response = await fetch(target, {
      method: request.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
    });
    this.#requestUrl.set(response, target);
    this.#store(target.hostname, response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (location !== null) this.visited.push(new URL(location, target).toString());
    return response;
  }

  get(url: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { method: 'GET', headers });
  }

  post(url: string | URL, request: Omit<BrowserlessRequest, 'method'> = {}): Promise<Response> {
    return this.request(url, { ...request, method: 'POST' });
  }

  /** The absolute URL a redirect points to; throws when the response is not a redirect. */
  location(response: Response): string {
    const location = response.headers.get('location');
    if (location === null)
      throw new Error(`Expected a redirect, got HTTP ${response.status} without Location.`);
    return new URL(location, this.#requestUrl.get(response) ?? response.url).toString();
  }

  #store(host: string, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', raw = ''] = attribute.split('=').map((part) => part.trim());
        if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
        return false;
      });
      let cookies = this.#jar.get(host);
      if (!cookies) {
        cookies = new Map();
        this.#jar.set(host, cookies);
      }
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}
