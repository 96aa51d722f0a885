import {
  commitSessionChange,
  type Eid,
  EidError,
  type EidErrorCode,
  type EidRequest,
  type EidResponse,
  type Identity,
  isEidError,
  requestHeaders,
  sessionPortOf,
} from '@eid/core';
import { sendResponse } from '@eid/express';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Session } from 'express-session';
import type passport from 'passport';

/** `done` of a verify callback, as in every Passport strategy: `done(null, user)`, `done(null, false, info)`, `done(err)`. */
export type EidVerifyCallback = (error: unknown, user?: Express.User | false | null, info?: object) => void;
export type EidVerify = (identity: Identity, done: EidVerifyCallback) => void;
export type EidVerifyWithRequest = (req: Request, identity: Identity, done: EidVerifyCallback) => void;

interface EidStrategyOptionsBase {
  /** The engine from `createEid({ ... })`. */
  eid: Eid;
  /** The strategy's name in `passport.authenticate(name)`. Default `eid`. */
  name?: string;
}
export interface EidStrategyOptions extends EidStrategyOptionsBase {
  passReqToCallback?: false;
}
export interface EidStrategyOptionsWithRequest extends EidStrategyOptionsBase {
  /** Call verify as `(req, identity, done)`. */
  passReqToCallback: true;
}

export interface EidAuthenticateOptions extends passport.AuthenticateOptions {
  /** The provider to start with, instead of `req.params.provider`. */
  provider?: string;
  /** The login method to start, instead of `req.params.method`. */
  method?: string;
  /** Which contract route this is. Normally inferred from the request (see `EidStrategy.routeOf`). */
  route?: AuthenticatingRoute;
}

export type AuthenticatingRoute = 'start' | 'callback' | 'status';

/** The challenge `fail()` carries: a custom callback gets it as `info`, with the contract's answer in `response`. */
export interface EidFailure {
  code: EidErrorCode;
  message: string;
  response: EidResponse;
}

/** The `info` of `success()`, and so `req.authInfo`: where the browser goes now, and what the contract answers. */
export interface EidSuccessInfo {
  identity: Identity;
  returnTo: string;
  response: EidResponse;
}

/** Upstream trouble: Passport's `error()`, answered by `eidErrorHandler()`. */
const INFRASTRUCTURE: ReadonlySet<string> = new Set([
  'provider_error',
  'provider_unavailable',
  'rate_limited',
]);
/** The contract's answer for an error passed to `error()`, read back by `eidErrorHandler()`. */
const contractResponses = new WeakMap<Error, EidResponse>();

export const SESSION_MISSING =
  '@eid/passport needs a session that can regenerate its id: mount express-session (app.use(session({ ... }))) ' +
  'before passport and the eID routes (cookie-session cannot regenerate, so it cannot serve).';

type Created = passport.StrategyCreated<EidStrategy>;
const REFUSED = 'This app does not accept this eID login.';
type LooseSession = Session & Record<string, unknown>;

/**
 * Passport strategy over the engine: `passport.use(new EidStrategy({ eid }, verify))`, then
 * `passport.authenticate('eid', options)` on the start, callback (and status) routes.
 *
 * Outcomes map onto Passport's actions like this:
 * - start: the session keeps the browser binding, then `redirect()` to the provider (JSON starts are answered directly);
 * - login: the engine has already consumed the transaction, so `req.logIn`'s session regeneration cannot
 *   undo it; verify maps the identity to a user, `success(user, { identity, returnTo, response })`, and the
 *   regenerated session gets `eid = { identity }` (and `returnTo` for `successReturnToOrRedirect`);
 * - `user_cancelled` and a verify that refuses: `fail(EidFailure, status)`, so a custom callback sees the code
 *   and the contract's answer; with `failureRedirect` the strategy redirects there itself with `?error=<code>`,
 *   because Passport's own redirect would drop the code;
 * - bad input (unknown provider, invalid nin, replayed or foreign callback, ...): nobody was authenticated or
 *   refused, the request was wrong, so the contract's answer is sent directly (JSON error, or a 303 to the
 *   failure page; `failureRedirect` when given);
 * - provider trouble (`provider_error`, `provider_unavailable`, `rate_limited`): `error(eidError)`; mount
 *   `eidErrorHandler()` to answer it as the contract does.
 */
export class EidStrategy implements passport.Strategy {
  readonly name: string;
  readonly eid: Eid;
  /** @internal */
  readonly _verify: EidVerify | EidVerifyWithRequest;
  /** @internal */
  readonly _passReqToCallback: boolean;

  constructor(options: EidStrategyOptions, verify: EidVerify);
  constructor(options: EidStrategyOptionsWithRequest, verify: EidVerifyWithRequest);
  constructor(
    options: EidStrategyOptions | EidStrategyOptionsWithRequest,
    verify: EidVerify | EidVerifyWithRequest,
  ) {
    if (!options || typeof options !== 'object') {
      throw new TypeError('EidStrategy: `options` must be an object.');
    }
    const eid = options.eid as Partial<Eid> | undefined;
    if (!eid || typeof eid.handle !== 'function' || typeof eid.prefix !== 'string') {
      throw new TypeError('EidStrategy: `eid` is required, the engine from createEid({ ... }) of @eid/core.');
    }
    if (typeof verify !== 'function') {
      throw new TypeError(
        'EidStrategy: `verify` is required, a function (identity, done) that finds the app user.',
      );
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new TypeError('EidStrategy: `name` must be a non-empty string.');
    }
    this.eid = options.eid;
    this.name = options.name ?? 'eid';
    this._verify = verify;
    this._passReqToCallback = options.passReqToCallback === true;
  }

  /** [Passport] One request of the contract's start, callback or status route. */
  authenticate(this: Created, req: Request, options: EidAuthenticateOptions = {}): void {
    run(this, req, options).catch((error: unknown) => this.error(error));
  }

  /**
   * Which route a request is; override for unusual mounts. The engine sends the browser back to
   * `{prefix}/callback/{provider}?tx=…`; a request with a `transactionId` parameter is a status poll.
   */
  routeOf(req: Request, options: EidAuthenticateOptions): AuthenticatingRoute {
    if (options.route) return options.route;
    if (req.params?.transactionId) return 'status';
    if (callbackProviderInPath(req, this.eid.prefix) !== undefined) return 'callback';
    if (!(options.method ?? req.params?.method) && typeof req.query?.tx === 'string') return 'callback';
    return 'start';
  }
}

async function run(strategy: Created, req: Request, options: EidAuthenticateOptions): Promise<void> {
  // Checked before the engine runs: a session that cannot be renewed must not cost the user the transaction.
  const session = sessionPortOf(req);
  if (!session) throw new Error(SESSION_MISSING);
  const route = strategy.routeOf(req, options);
  const request: EidRequest = {
    route,
    httpMethod: req.method,
    params: paramsOf(route, req, options, strategy.eid.prefix),
    query: req.query as Record<string, unknown>,
    body: req.body,
    headers: requestHeaders(req.headers),
    session: session.read(),
    clientIp: req.ip,
  };
  const outcome = await strategy.eid.handle(request);
  const change = outcome.session;
  if (change?.kind === 'login') {
    return verifyAndLogIn(strategy, req, options, outcome.response, change.identity);
  }
  if (change) await commitSessionChange(change, session);
  if (outcome.error) return failed(strategy, req, options, outcome.error, outcome.response);
  answer(strategy, req, outcome.response);
}

/** The engine has consumed the transaction already: verify maps the identity to a user, Passport logs it in. */
function verifyAndLogIn(
  strategy: Created,
  req: Request,
  options: EidAuthenticateOptions,
  response: EidResponse,
  identity: Identity,
): void {
  const returnTo =
    response.type === 'redirect'
      ? response.location
      : ((response as { body?: { returnTo?: string } }).body?.returnTo ?? '/');
  const verified: EidVerifyCallback = (error, user, info) => {
    if (error) return strategy.error(error);
    if (!user) {
      const message = (info as { message?: unknown } | undefined)?.message;
      return refuse(strategy, req, options, {
        ...info,
        code: 'unauthenticated',
        message: typeof message === 'string' ? message : REFUSED,
        response: strategy.eid.errorResponse(new EidError('unauthenticated', REFUSED), {
          page: response.type === 'redirect',
          ...(options.failureRedirect ? { failureRedirect: options.failureRedirect } : {}),
        }),
      });
    }
    keepIdentityAtLogin(req, identity, options.successReturnToOrRedirect ? returnTo : undefined);
    const success: EidSuccessInfo = { identity, returnTo, response };
    strategy.success(user, success);
  };
  try {
    if (strategy._passReqToCallback) (strategy._verify as EidVerifyWithRequest)(req, identity, verified);
    else (strategy._verify as EidVerify)(identity, verified);
  } catch (error) {
    strategy.error(error);
  }
}

function failed(
  strategy: Created,
  req: Request,
  options: EidAuthenticateOptions,
  error: EidError,
  contractResponse: EidResponse,
) {
  // The app's failureRedirect replaces the engine's failure page; JSON answers stay as they are.
  const response =
    contractResponse.type === 'redirect' && options.failureRedirect
      ? strategy.eid.errorResponse(error, { page: true, failureRedirect: options.failureRedirect })
      : contractResponse;
  if (INFRASTRUCTURE.has(error.code)) {
    contractResponses.set(error, response);
    return strategy.error(error);
  }
  if (error.code === 'user_cancelled') {
    return refuse(strategy, req, options, { code: error.code, message: error.message, response });
  }
  answer(strategy, req, response);
}

/** `fail()`, except with `failureRedirect`: Passport would redirect there without the code, so it is done here. */
function refuse(strategy: Created, req: Request, options: EidAuthenticateOptions, failure: EidFailure) {
  if (!options.failureRedirect || failure.response.type !== 'redirect') return strategy.fail(failure, 401);
  if (options.failureMessage) {
    const session = req.session as LooseSession & { messages?: string[] };
    const message = typeof options.failureMessage === 'string' ? options.failureMessage : failure.message;
    session.messages = [...(session.messages ?? []), message];
  }
  answer(strategy, req, failure.response);
}

/**
 * An Express error handler that answers the errors the strategy passed to `error()` (provider trouble) the way
 * the contract does: a 303 to the failure page with `?error=<code>` for browsers, the JSON error otherwise.
 * Other errors go on to the next handler. Mount it after the routes: `app.use(eidErrorHandler())`.
 */
export function eidErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!isEidError(error) || res.headersSent) return next(error);
    sendResponse(
      res,
      contractResponses.get(error) ?? { type: 'json', status: error.status, body: error.toJSON() },
    );
  };
}

function answer(strategy: Created, req: Request, response: EidResponse): void {
  if (!req.res) throw new Error('@eid/passport runs on Express: req.res is missing.');
  if (response.type === 'redirect') {
    req.res.set('cache-control', 'no-store');
    strategy.redirect(response.location, response.status);
  } else {
    sendResponse(req.res, response);
  }
}

/** The route's parameters; `options.provider` and `options.method` win over the path's. */
function paramsOf(route: AuthenticatingRoute, req: Request, options: EidAuthenticateOptions, prefix: string) {
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  if (route === 'status') return { transactionId: params.transactionId };
  if (route === 'start')
    return { provider: options.provider ?? params.provider, method: options.method ?? params.method };
  return { provider: options.provider ?? params.provider ?? callbackProviderInPath(req, prefix) };
}

/** `{prefix}/callback/{provider}` → the provider, or undefined for any other path. */
function callbackProviderInPath(req: Request, prefix: string): string | undefined {
  const path = new URL(req.originalUrl ?? req.url, 'http://localhost').pathname;
  const match = path.startsWith(`${prefix}/callback/`) ? path.slice(prefix.length + '/callback/'.length) : '';
  return match && !match.includes('/') ? decodeURIComponent(match) : undefined;
}

/**
 * Passport 0.6+ regenerates the session in `req.logIn` and, unless `keepSessionInfo`, starts the new one empty.
 * The identity belongs in that new session, written before Passport saves it; so this request's `regenerate`
 * is wrapped once: the identity lands in the session that comes out of it, never in the pre-login one (which
 * also gets it, only so that `keepSessionInfo`'s merge of the old session cannot put the binding back instead).
 */
function keepIdentityAtLogin(req: Request, identity: Identity, returnTo: string | undefined) {
  const before = req.session as LooseSession;
  const write = (session: LooseSession) => {
    session.eid = { identity };
    if (returnTo !== undefined) session.returnTo = returnTo;
  };
  const regenerate = before.regenerate;
  if (typeof regenerate !== 'function') return write(before);
  before.regenerate = function regenerateWithIdentity(this: Session, callback: (error: unknown) => void) {
    return regenerate.call(this, (error: unknown) => {
      if (!error) {
        write(before);
        write(req.session as LooseSession);
      }
      callback(error);
    });
  };
}
