import { createServer } from 'node:net';
import { parseSimulatorForm } from './simulator-page.js';

/** A port that was free a moment ago, for apps whose callback address must be known before they listen. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * `fetch` against one app origin with a cookie jar, never following redirects: the adapters' own tests use it
 * to drive an app step by step. The jar is a plain Map so a test can plant or copy cookies (fixation tests).
 */
export class CookieJarClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path, this.origin);
    const headers = new Headers(init.headers);
    if (url.origin === this.origin && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (url.origin === this.origin) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const index = pair.indexOf('=');
        if (index <= 0) continue;
        const name = pair.slice(0, index).trim();
        const value = pair.slice(index + 1).trim();
        const expired = attributes.some((attribute) => {
          const [key = '', raw = ''] = attribute.split('=').map((part) => part.trim());
          if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
          if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
          return false;
        });
        if (expired || value === '') this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }

  /** The same request, asking for JSON. */
  json(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  }
}

/**
 * What a person does on the simulator's approval page: picks a test user (the first offered when none is
 * named) and presses a button. Returns where the simulator sends the browser (the app's callback).
 */
export async function approveOnSimulatorPage(
  pageUrl: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
  user?: string,
): Promise<string> {
  const page = await fetch(pageUrl);
  if (page.status !== 200) throw new Error(`The simulator page answered ${page.status}.`);
  const form = parseSimulatorForm(await page.text(), pageUrl);
  const body = new URLSearchParams({ ...form.hidden, user: user ?? form.users[0] ?? '', outcome });
  const posted = await fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    redirect: 'manual',
  });
  if (posted.status !== 303)
    throw new Error(`The simulator form answered ${posted.status}: ${await posted.text()}`);
  return posted.headers.get('location')!;
}

/**
 * Repeats a status request while its JSON says `pending`, as a client polls (the engine asks the provider at
 * most once a second per transaction); gives up after about five seconds. Returns the last response.
 */
export async function pollWhilePending(request: () => Promise<Response>): Promise<Response> {
  let response = await request();
  for (let polls = 1; polls < 20; polls++) {
    const body = (await response.clone().json()) as { status?: string };
    if (body.status !== 'pending') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    response = await request();
  }
  return response;
}
