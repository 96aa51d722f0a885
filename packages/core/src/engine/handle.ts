import { EidError, isEidError } from '../errors.js';
import type { EngineContext, Route } from './context.js';
import { type EidOutcome, type EidRequest, type EidResponse, type RouteName, wantsJson } from './contract.js';
import { failurePageOf, logFailure } from './failures.js';
import { relativePathOption } from './options.js';
import { crossSiteRefusal } from './request-origin.js';
import { callback } from './routes/callback.js';
import { cancel } from './routes/cancel.js';
import { logout } from './routes/logout.js';
import { methods } from './routes/methods.js';
import { session } from './routes/session.js';
import { start } from './routes/start.js';
import { status } from './routes/status.js';
import { webhook, webhookProvider } from './routes/webhook.js';
import { signatureDocument } from './signing/routes.js';
import { sign } from './signing/start.js';

const ROUTE_HANDLERS: Readonly<Record<RouteName, Route>> = {
  methods,
  start,
  callback,
  status,
  cancel,
  webhook,
  session,
  logout,
  sign,
  signature: signatureDocument,
};

/** The contract's answer to an error: the JSON error body, or for a browser page a 303 to the failure page. */
export function errorResponse(
  ctx: EngineContext,
  error: EidError,
  options: { page: boolean; failureRedirect?: string },
): EidResponse {
  if (!options.page) {
    const retryAfter = error.retryAfterSeconds;
    return {
      type: 'json',
      status: error.status,
      body: error.toJSON(),
      ...(retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } }),
    };
  }
  const location = new URL(
    options.failureRedirect === undefined
      ? ctx.config.failureRedirect
      : relativePathOption('failureRedirect', options.failureRedirect),
    'http://localhost',
  );
  location.searchParams.set('error', error.code);
  return { type: 'redirect', status: 303, location: `${location.pathname}${location.search}` };
}

/** The outcome of a request that failed with `thrown`: logged once, answered as the contract says. */
function failed(ctx: EngineContext, request: EidRequest, thrown: unknown): EidOutcome {
  const json = wantsJson(request.headers);
  // Browser navigations (start, sign, callback) fail to a page; API calls fail with the JSON error body.
  const browserRoute =
    (request.route === 'start' || request.route === 'callback' || request.route === 'sign') && !json;
  const error = isEidError(thrown)
    ? thrown
    : new EidError('provider_error', 'The login failed unexpectedly. Try again.', { cause: thrown });
  logFailure(ctx.logger, request, thrown, error.code, {
    provider: ctx.providers.get(request.params?.provider)?.id,
  });
  const failurePage = failurePageOf(request);
  return {
    error,
    response: errorResponse(ctx, error, {
      page: browserRoute,
      ...(failurePage ? { failureRedirect: failurePage } : {}),
    }),
  };
}

/**
 * The webhook route's checks that need no body (`eid.webhookPreCheck`): undefined to go on and read it, or the
 * refusal (unknown provider, a token in the URL that is not genuine) to answer at once.
 */
export function webhookPreCheck(
  ctx: EngineContext,
  request: Omit<EidRequest, 'route' | 'body' | 'rawBody'>,
): EidOutcome | undefined {
  const full: EidRequest = { ...request, route: 'webhook' };
  try {
    if (!ctx.config.routes.isMounted('webhook')) {
      throw new EidError('invalid_request', 'Unknown route.', { status: 404 });
    }
    webhookProvider(ctx, full);
    return undefined;
  } catch (thrown) {
    return failed(ctx, full, thrown);
  }
}

/** Runs one route. Request problems become error outcomes, logged; nothing is thrown. */
export async function handle(ctx: EngineContext, request: EidRequest): Promise<EidOutcome> {
  try {
    ctx.urls.mountPath(request.mountPath);
    const route = Object.hasOwn(ROUTE_HANDLERS, request.route) ? ROUTE_HANDLERS[request.route] : undefined;
    // A disabled route is not part of this app's contract, even if an adapter still passes it on.
    if (!route || !ctx.config.routes.isMounted(request.route)) {
      throw new EidError('invalid_request', 'Unknown route.', { status: 404 });
    }
    const crossSite = crossSiteRefusal(ctx.config, request);
    if (crossSite) throw crossSite;
    return await route(ctx, request);
  } catch (thrown) {
    return failed(ctx, request, thrown);
  }
}
