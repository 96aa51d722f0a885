/**
 * A guard that starts the login itself: `requireEid(eid, { login: { provider, method } })`. A page request without
 * a login is answered with the start route's own answer (a redirect to the provider, the browser bound to the new
 * transaction, `returnTo` the protected page), instead of a redirect to a page that links to the start route: one
 * browser hop fewer per login, as express-openid-connect's `requiresAuth()` does.
 */
import { type Eid, type EidResponse, prefersJson } from '../engine/contract.js';
import { EidError } from '../errors.js';
import { type HttpInput, runRoute } from './run.js';

export interface GuardLogin {
  /** A provider id and one of its redirect login methods, as `GET {prefix}/methods` lists them. */
  provider: string;
  method: string;
}

/**
 * Whether a guarded request is a page a browser navigates to (it asks for HTML ahead of JSON), the requests a
 * guard answers with a login or a redirect; API calls get the 401. For frameworks without content negotiation.
 */
export function acceptsPage(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return /text\/html/i.test(value) && !prefersJson(value);
}

/** Checked `login` options per engine: a guard that learns its engine per request checks its option once. */
const checkedLogins = new WeakMap<object, Map<string, GuardLogin>>();

/**
 * The guards' `login` option, checked against the engine's methods: a redirect login method it offers. Remembered
 * per engine, so an adapter may call it on every request its guard sees.
 */
export function guardLoginOption(
  eid: Pick<Eid, 'methods'>,
  value: unknown,
  where: string,
): GuardLogin | undefined {
  if (value === undefined) return undefined;
  const { provider, method } = (value ?? {}) as Partial<GuardLogin>;
  const key = `${String(provider)}/${String(method)}`;
  let known = checkedLogins.get(eid);
  const remembered = known?.get(key);
  if (remembered) return remembered;
  const offered = eid
    .methods()
    .find((candidate) => candidate.provider === provider && candidate.method === method);
  if (!offered || offered.flow !== 'redirect' || offered.purpose !== 'login') {
    throw new EidError(
      'invalid_config',
      `${where}: \`login\` must name a redirect login method the engine offers, { provider, method } as GET /methods lists them.`,
    );
  }
  const login = { provider: offered.provider, method: offered.method };
  if (!known) {
    known = new Map();
    checkedLogins.set(eid, known);
  }
  known.set(key, login);
  return login;
}

/**
 * The start route's answer for the protected page's own request: `returnTo` is the page (its path and query),
 * `mountPath` where the adapter's routes are mounted (the provider sends the browser back under it).
 */
export async function startGuardLogin(
  eid: Eid,
  login: GuardLogin,
  request: Omit<HttpInput, 'route' | 'method' | 'params' | 'query' | 'body' | 'rawBody'> & { url: string },
): Promise<EidResponse> {
  const { url, ...input } = request;
  const outcome = await runRoute(eid, {
    ...input,
    route: 'start',
    method: 'GET',
    params: { provider: login.provider, method: login.method },
    query: { returnTo: url },
  });
  return outcome.response;
}
