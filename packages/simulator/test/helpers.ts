import type { Simulator } from '../src/index.js';

export const CALLBACKS = {
  success: 'https://app.example/callback/signicat?result=success',
  abort: 'https://app.example/callback/signicat?result=abort',
  error: 'https://app.example/callback/signicat?result=error',
};

export function redirectRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flow: 'redirect',
    allowedProviders: ['nbid'],
    requestedAttributes: ['name', 'firstName', 'lastName', 'nin', 'dateOfBirth'],
    requestedLoa: 'substantial',
    language: 'nb',
    callbackUrls: CALLBACKS,
    ...overrides,
  };
}

export function headlessRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flow: 'headless',
    allowedProviders: ['nbid'],
    additionalParameters: { nbid_auth_type: 'PHONE' },
    requestedAttributes: ['name', 'firstName', 'lastName', 'nin', 'dateOfBirth'],
    prefilledInput: { nin: '17829034034' },
    ...overrides,
  };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function token(sim: Simulator): Promise<string> {
  const res = await fetch(`${sim.signicat.baseUrl}/auth/open/connect/token`, {
    method: 'POST',
    headers: {
      authorization: basic(sim.signicat.clientId, sim.signicat.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=signicat-api',
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function createSession(
  sim: Simulator,
  accessToken: string,
  body: unknown,
  accountId: string | null = sim.signicat.accountId,
): Promise<Response> {
  const query = accountId === null ? '' : `?signicat-accountId=${encodeURIComponent(accountId)}`;
  return fetch(`${sim.signicat.baseUrl}/auth/rest/sessions${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: session JSON is checked field by field in the tests
export type Json = any;

export async function createOk(sim: Simulator, accessToken: string, body: unknown): Promise<Json> {
  const res = await createSession(sim, accessToken, body);
  if (res.status !== 200) throw new Error(`create: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function getSession(sim: Simulator, accessToken: string, id: string): Promise<Response> {
  return fetch(
    `${sim.signicat.baseUrl}/auth/rest/sessions/${id}?signicat-accountId=${sim.signicat.accountId}`,
    {
      headers: { authorization: `Bearer ${accessToken}` },
    },
  );
}

export async function getSessionOk(sim: Simulator, accessToken: string, id: string): Promise<Json> {
  const res = await getSession(sim, accessToken, id);
  if (res.status !== 200) throw new Error(`get: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The options of `<select name="user">`: [value, text]. */
export function userOptions(html: string): [string, string][] {
  const select = /<select[^>]*name="user"[^>]*>([\s\S]*?)<\/select>/.exec(html);
  if (!select) throw new Error('no <select name="user"> on the page');
  return [...select[1]!.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map(
    (m) => [m[1]!, m[2]!] as [string, string],
  );
}

/** The hidden inputs of the form. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[m[1]!] = m[2]!;
  return fields;
}

/** Opens the end-user page like a browser, picks a user and presses a button; returns the POST response. */
export async function submitPage(
  authenticationUrl: string,
  outcome: 'success' | 'abort' | 'error',
  pick?: (options: [string, string][]) => string,
): Promise<Response> {
  const page = await fetch(authenticationUrl);
  if (page.status !== 200) throw new Error(`page: ${page.status}`);
  const html = await page.text();
  const options = userOptions(html);
  const form = new URLSearchParams(hiddenFields(html));
  form.set('user', pick ? pick(options) : options[0]![0]);
  form.set('outcome', outcome);
  return fetch(authenticationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SimTestBrowser/1.0' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/** The JSON body of a response, loosely typed for field-by-field assertions. */
export async function json(res: Response): Promise<Json> {
  return res.json();
}

/**
 * A ZignSec result in the `envelope` shape, whichever shape the session answered in: the tests check what a body
 * says; zignsec.test.ts 'answers in every documented shape, in turn' checks the shapes themselves.
 */
export function canonical(body: Json): Json {
  const pascal = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    out[
      key === 'BankIDSE' || key === 'LookupPersonAddress' ? key : key.charAt(0).toLowerCase() + key.slice(1)
    ] = value;
  }
  if (Array.isArray(out.errors)) {
    out.errors = out.errors.map((error: Json) => ({
      code: error.code ?? error.Code,
      description: error.description ?? error.Description,
    }));
  }
  const nested = out.result?.identity ?? out.result?.Identity;
  const { state: nestedState, State, ...person } = nested ?? {};
  const state = String(out.state ?? nestedState ?? State).toUpperCase();
  delete out.state;
  out.result = { identity: { state } };
  if (Object.keys(person).length > 0) out.identity = person;
  if (out.identity) {
    out.identity = Object.fromEntries(
      Object.entries(out.identity).map(([key, value]) => [pascal(key), value]),
    );
  }
  return out;
}
