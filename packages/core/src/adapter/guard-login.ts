/**
 * A guard that starts the login itself: `requireEid(eid, { login: { provider, method } })`. A page request without
 * a login is answered with the start route's own answer (a redirect to the provider, the browser bound to the new
 * transaction, `returnTo` the protected page), instead of a redirect to a page that links to the start route: one
 * browser hop fewer per login, as express-openid-connect's `requiresAuth()` does. `guardDecision` is what every
 * adapter's guard decides, so the adapters only translate.
 */
import { type Eid, type EidResponse, prefersJson } from '../engine/contract.js';
import { EidError } from '../errors.js';
import type { Identity } from '../identity.js';
import { liveIdentity, type SessionPort } from '../session.js';
import { freshIdentity, unauthenticatedResponse } from './responses.js';
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

/** A guarded request, as the adapter's framework describes it. */
export interface GuardRequest {
  session: SessionPort;
  /** True when the client wants a page: the adapter's own content negotiation decides. */
  page: boolean;
  method?: string | undefined;
  /** The page's path and query: where a started login comes back to. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string | undefined;
  /** Where the adapter's routes are mounted ('' or undefined at the root). */
  mountPath?: string | undefined;
  /** The framework's own request, for the engine's hooks. */
  raw?: unknown;
  /** True when the session's login was checked live for this request already (Fastify's plugin hook does). */
  checkedLive?: boolean | undefined;
}

export interface GuardOptions {
  /** Names the guard in the `login` option's error. */
  where: string;
  /** Checked against the engine's methods when a page first needs it (remembered per engine). */
  login?: GuardLogin | undefined;
  /** Seconds since the login, checked by `maxAgeOption` first. */
  maxAge?: number | undefined;
  redirectTo?: string | undefined;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

/** Let the request through with its identity, or send `response` (`loginStarted`: the start of `login`). */
export type GuardDecision = { identity: Identity } | { response: EidResponse; loginStarted: boolean };

/**
 * What a guard does with a request: a live login, no older than `maxAge`, goes through; a page `GET` without one
 * starts `login` when set; the rest get the unauthenticated answer (401, or a 303 to `redirectTo` for pages).
 * Adapters only translate the request in and the answer out.
 */
export async function guardDecision(
  eid: Eid,
  request: GuardRequest,
  options: GuardOptions,
): Promise<GuardDecision> {
  const { session, page } = request;
  const current = request.checkedLive ? session.read()?.identity : await liveIdentity(eid, session);
  const identity = freshIdentity(current, options.maxAge, (options.now ?? Date.now)());
  if (identity) return { identity };
  if (options.login && page && request.method === 'GET') {
    const login = guardLoginOption(eid, options.login, options.where)!;
    const { url, headers, ip, mountPath, raw } = request;
    const response = await startGuardLogin(eid, login, { url, headers, ip, session, mountPath, raw });
    return { response, loginStarted: true };
  }
  return { response: unauthenticatedResponse({ page, redirectTo: options.redirectTo }), loginStarted: false };
}
