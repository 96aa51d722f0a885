import { isEidError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EidRequest, RouteName } from './contract.js';

/** What a route knew about the login when it failed: logged with the failure, never personal data. */
export interface LoginFacts {
  provider?: string;
  transactionId?: string;
  /** Where a browser whose request failed goes with `?error=<code>`, instead of `failureRedirect` (a signing's `returnTo`). */
  failurePage?: string;
}

// Kept per request, not per error: one error object may fail several requests at once (a token fetch or an
// OIDC discovery that many logins wait for), and each must be logged with its own transaction.
const factsByRequest = new WeakMap<EidRequest, LoginFacts>();
const alreadyLogged = new WeakSet<object>();

/** The routes whose failures are failed logins, logged at warn so an app sees its provider failing. */
const LOGIN_ROUTES: ReadonlySet<RouteName> = new Set(['start', 'callback', 'status', 'webhook', 'sign']);

/** Runs `work` for `request`, remembering `facts` for the log if it throws (facts recorded first win, field by field). */
export async function concerning<T>(
  request: EidRequest,
  facts: LoginFacts,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    factsByRequest.set(request, { ...facts, ...factsByRequest.get(request) });
    throw error;
  }
}

/** Where the failed request's browser goes instead of `failureRedirect`, if a route said so. */
export function failurePageOf(request: EidRequest): string | undefined {
  return factsByRequest.get(request)?.failurePage;
}

/** The settle loop logged this failure when it recorded it: it is not logged again. */
export function markLogged(error: object): void {
  alreadyLogged.add(error);
}

/** The kind of a failure's cause, e.g. `EidError:provider_unavailable` or `TypeError`: never its message. */
export function causeKind(error: unknown): string {
  if (isEidError(error)) return `EidError:${error.code}`;
  if (error instanceof Error) return error.name;
  return typeof error;
}

/**
 * Logs a request that failed: unexpected errors (not EidError) at error with the error, a failed login at
 * warn with its code, provider, transaction id and the cause's kind.
 */
export function logFailure(
  logger: Logger,
  request: EidRequest,
  thrown: unknown,
  code: string,
  defaults: LoginFacts,
): void {
  const known = { ...defaults, ...factsByRequest.get(request) };
  const fields = {
    code,
    route: request.route,
    ...(known.provider ? { provider: known.provider } : {}),
    ...(known.transactionId ? { transactionId: known.transactionId } : {}),
    cause: causeKind(thrown),
  };
  if (!isEidError(thrown)) {
    logger.error({ ...fields, err: thrown }, 'unexpected error');
    return;
  }
  if (!LOGIN_ROUTES.has(request.route) || alreadyLogged.has(thrown)) return;
  logger.warn(fields, 'login failed');
}
