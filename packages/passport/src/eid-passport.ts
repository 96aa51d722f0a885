import { EidError, type Identity, isEidError } from '@eid/core';
import * as adapter from '@eid/core/adapter';
import { eidRouter, sendResponse } from '@eid/express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type passport from 'passport';
import defaultPassport from 'passport';

/** `done` of a verify callback, as in every Passport strategy: `done(null, user)`, `(null, false, info)`, `(err)`. */
export type EidVerifyCallback = (error: unknown, user?: Express.User | false | null, info?: object) => void;
export type EidVerify = (identity: Identity, done: EidVerifyCallback) => void;
export type EidVerifyWithRequest = (req: Request, identity: Identity, done: EidVerifyCallback) => void;
/** `eid` from createEid({ ... }); `name` in `passport.authenticate(name)`, default `eid`; with request: verify(req, …). */
export type EidStrategyOptions = { eid: adapter.Eid; name?: string; passReqToCallback?: false };
export type EidStrategyOptionsWithRequest = { eid: adapter.Eid; name?: string; passReqToCallback: true };
export type AuthenticatingRoute = 'start' | 'callback' | 'status';
/** `provider`, `method` and `route` win over what the request's path says. */
type Overrides = { provider?: string; method?: string; route?: AuthenticatingRoute };
export type EidAuthenticateOptions = passport.AuthenticateOptions & Overrides;
/** The `info` of `fail()` and of `success()` (so `req.authInfo`), with the contract's answer in `response`. */
export type EidFailure = adapter.Refusal;
export type EidSuccessInfo = { identity: Identity; returnTo: string; response: adapter.EidResponse };
/** `strategy`: the name it was registered under (default `eid`); `passport`: its instance (default the module's). */
export type EidPassportRouterOptions = { strategy?: string; passport?: Pick<Passport, 'authenticate'> };

const SESSION: adapter.SessionHelp = {
  adapter: '@eid/passport',
  howTo: 'mount express-session (app.use(session({ ... }))) before passport and the eID routes',
};
/** The contract's answer for an error passed to `error()`, read back by `eidErrorHandler()`. */
const contractResponses = new WeakMap<Error, adapter.EidResponse>();
type Created = passport.StrategyCreated<EidStrategy>;
type Passport = typeof defaultPassport;
type Options = EidAuthenticateOptions;
type AnyOptions = EidStrategyOptions | EidStrategyOptionsWithRequest;
const NEW = 'new EidStrategy(options, verify)';
const MOUNT_PASSPORT = '@eid/passport: mount passport.session() (after express-session) first.';
const configError = (message: string) => new EidError('invalid_config', `${NEW}: ${message}`);

/**
 * `passport.use(new EidStrategy({ eid }, verify))`. A login runs verify and `success()`; a cancel or a refused
 * user `fail()`; provider trouble `error()` (for `eidErrorHandler()`); bad input gets the contract's answer.
 */
export class EidStrategy implements passport.Strategy {
  readonly name: string;
  readonly eid: adapter.Eid;
  readonly _verify: EidVerifyWithRequest;

  constructor(options: EidStrategyOptions, verify: EidVerify);
  constructor(options: EidStrategyOptionsWithRequest, verify: EidVerifyWithRequest);
  constructor(options: AnyOptions, verify: EidVerify | EidVerifyWithRequest) {
    if (!options) throw configError('`options` must be an object.');
    const { eid, name, passReqToCallback } = adapter.optionsObject(options, NEW);
    this.eid = adapter.engineOption(eid, NEW);
    if (typeof verify !== 'function') throw configError('`verify` is required, a function (identity, done).');
    if (name === '' || typeof (name ?? '-') !== 'string') throw configError('`name` must be a string.');
    this.name = name ?? 'eid';
    const call: EidVerifyWithRequest = (_req, identity, done) => (verify as EidVerify)(identity, done);
    this._verify = passReqToCallback === true ? (verify as EidVerifyWithRequest) : call;
  }

  authenticate(this: Created, req: Request, options: Options = {}): void {
    run(this, req, options).catch((error: unknown) => this.error(error));
  }

  /** Which route a request is: `options.route`, else the one its path is below the mount path and prefix. */
  routeOf(req: Request, options: Options): AuthenticatingRoute {
    const matched = options.route ?? routeIn(this.eid, req)?.route;
    if (matched === 'start' || matched === 'callback' || matched === 'status') return matched;
    if (req.params?.transactionId) return 'status';
    const tx = !(options.method ?? req.params?.method) && typeof req.query?.tx === 'string';
    return tx ? 'callback' : 'start';
  }

  /** @internal The engine has consumed the transaction: verify maps the identity to a user, Passport logs it in. */
  verify(
    this: Created,
    req: Request,
    options: Options,
    { identity, binding, providerLogout, returnTo, response }: LoginStep,
  ): void {
    const { failureRedirect, successReturnToOrRedirect } = options;
    const verified: EidVerifyCallback = (error, user, info) => {
      if (error) return this.error(error);
      const message = (info as { message?: unknown } | undefined)?.message;
      const refusal = adapter.refusal(this.eid, response, failureRedirect, message);
      if (!user) return refuse(this, req, options, { ...info, ...refusal });
      // The logged-in session's own binding (a start there then writes nothing into it), and the provider's
      // end-session hint when the login gave one: logout then ends it at the provider too.
      const eid = adapter.loginSessionData({
        kind: 'login',
        identity,
        binding,
        ...(providerLogout ? { providerLogout } : {}),
      });
      adapter.writeAtRenewal(req, { eid, ...(successReturnToOrRedirect ? { returnTo } : {}) });
      this.success(user, { identity, returnTo, response } satisfies EidSuccessInfo);
    };
    try {
      this._verify(req, identity, verified);
    } catch (error) {
      this.error(error);
    }
  }
}

type LoginStep = Extract<adapter.AuthenticationStep, { step: 'login' }>;
const routeIn = (eid: adapter.Eid, req: Request) => {
  const path = adapter.requestPath(req.originalUrl);
  return path === undefined ? undefined : adapter.matchRoute(eid, req.method, path, req.baseUrl);
};

async function run(strategy: Created, req: Request, options: Options): Promise<void> {
  const session = adapter.requireSession(req, SESSION);
  const route = strategy.routeOf(req, options);
  // Express's own parameters when the route it matched has them (the router's routes); the path read against the
  // contract's routes only for a strategy mounted without them (`app.use`), a URL parse saved on every poll.
  const own = (req.params ?? {}) as Record<string, string | undefined>;
  const params: Record<string, string | undefined> = {
    ...(Object.keys(own).length > 0 ? undefined : routeIn(strategy.eid, req)?.params),
    ...own,
  };
  params.provider = options.provider ?? params.provider;
  params.method = options.method ?? params.method;
  const input = { ...adapter.httpInput(route, req, session, req.baseUrl), params };
  const outcome = await strategy.eid.handle(adapter.engineRequest(input));
  const change = outcome.session;
  if (change?.kind === 'bind') session.write({ ...session.read(), binding: change.binding });
  const step = adapter.authenticationStep(strategy.eid, outcome, options.failureRedirect);
  if (step.step === 'login') return strategy.verify(req, options, step);
  if (step.step === 'refuse') return refuse(strategy, req, options, step.refusal);
  if (step.step === 'answer') return answer(strategy, req, step.response);
  contractResponses.set(step.error, step.response);
  strategy.error(step.error);
}

/** `fail()`, except with `failureRedirect`: Passport would redirect there without the code, so it is done here. */
function refuse(strategy: Created, req: Request, options: Options, failure: EidFailure) {
  if (!options.failureRedirect || failure.response.type !== 'redirect') return strategy.fail(failure, 401);
  if (options.failureMessage) {
    const session = req.session as unknown as { messages?: string[] };
    const message = typeof options.failureMessage === 'string' ? options.failureMessage : failure.message;
    session.messages = [...(session.messages ?? []), message];
  }
  answer(strategy, req, failure.response);
}

function answer(strategy: Created, req: Request, response: adapter.EidResponse): void {
  if (response.type === 'redirect') {
    req.res?.set('cache-control', 'no-store');
    strategy.redirect(response.location, response.status);
  } else if (req.res) sendResponse(req.res, response);
  else throw new EidError('invalid_config', '@eid/passport runs on Express: the request has no `res`.');
}

/** Answers the errors the strategy passed to `error()` as the contract does; mount it after the routes. */
export function eidErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (!isEidError(error) || res.headersSent) return next(error);
    sendResponse(
      res,
      contractResponses.get(error) ?? { type: 'json', status: error.status, body: error.toJSON() },
    );
  };
}

/**
 * The whole contract: `app.use(eidPassportRouter(eid))` after express-session and `passport.session()`. Start,
 * callback and status go through `passport.authenticate`; logout ends the Passport login too.
 */
export function eidPassportRouter(eid: adapter.Eid, options?: EidPassportRouterOptions): Router {
  const where = 'eidPassportRouter(eid, options)';
  adapter.refuseRoutesOption(options, where);
  const { passport = defaultPassport, strategy = 'eid' } = adapter.optionsObject(options, where);
  adapter.engineOption(eid, 'eidPassportRouter(eid)');
  const authenticate =
    (route: AuthenticatingRoute): RequestHandler =>
    (req, res, next) =>
      passport.authenticate(strategy, { route } as Options, answerLogin(req, res, next))(req, res, next);
  const logout: RequestHandler = (req, res, next) => void logOut(eid, req, res, next).catch(next);
  const routes = ['start', 'callback', 'status'] as const;
  const handlers = { logout, ...Object.fromEntries(routes.map((route) => [route, authenticate(route)])) };
  return eidRouter(eid, { handlers }).use(eidErrorHandler());
}

/** Passport's custom callback: a login is completed with `req.logIn`, then the contract's answer is sent. */
function answerLogin(req: Request, res: Response, next: NextFunction) {
  return (error: unknown, user?: Express.User | false | null, info?: unknown) => {
    if (error) return next(error);
    if (!user) return sendResponse(res, (info as EidFailure).response);
    const loggedIn = () => sendResponse(res, (info as EidSuccessInfo).response);
    req.logIn(user, (failed) => (failed ? next(failed) : loggedIn()));
  };
}

/**
 * The engine's logout (a new session without `eid`), then Passport ends its own login. A browser logged in with
 * neither gets the same answer, and no session is made for it (Passport's logout would save and renew one).
 */
async function logOut(eid: adapter.Eid, req: Request, res: Response, next: NextFunction): Promise<void> {
  const session = adapter.requireSession(req, SESSION);
  if (typeof req.logout !== 'function') throw new EidError('invalid_config', MOUNT_PASSPORT);
  const outcome = await adapter.runRoute(eid, adapter.httpInput('logout', req, session, req.baseUrl));
  // Refused (a cross-site post): nothing is ended, Passport's login neither.
  if (outcome.error) return sendResponse(res, outcome.response);
  const passportLogin = (req.session as { passport?: { user?: unknown } }).passport?.user;
  if (passportLogin === undefined && !req.user) return sendResponse(res, outcome.response);
  req.logout((error) => (error ? next(error) : sendResponse(res, outcome.response)));
}

/** `done` of a `deserializeUser` function: the user, or false when the session's user is gone. */
export type EidDeserializeDone = (error: unknown, user?: Express.User | false | null) => void;
/** An app's own `deserializeUser` function, with or without the request. */
export type EidDeserialize<Serialized> =
  | ((serialized: Serialized, done: EidDeserializeDone) => void)
  | ((req: Request, serialized: Serialized, done: EidDeserializeDone) => void);

/** What `eidDeserializeUser` gives `passport.deserializeUser`: a deserialiser that is handed the request. */
export type EidDeserializer<Serialized> = (
  req: Request,
  serialized: Serialized,
  done: EidDeserializeDone,
) => void;

/**
 * `passport.deserializeUser(eidDeserializeUser(eid, (user, done) => ...))`: Passport's session login ends with the
 * eID login. When the session's eID login was logged out (from a copy of this session cookie, or a session saved
 * back by a request still running at logout), the eID data is removed from the session and Passport is told the
 * user is gone (`done(null, false)`): `req.user` stays unset and `req.isAuthenticated()` is false. Otherwise the
 * app's own function deserialises as usual.
 */
export function eidDeserializeUser<Serialized>(
  eid: adapter.Eid,
  deserialize: (serialized: Serialized, done: EidDeserializeDone) => void,
): EidDeserializer<Serialized>;
export function eidDeserializeUser<Serialized>(
  eid: adapter.Eid,
  deserialize: (req: Request, serialized: Serialized, done: EidDeserializeDone) => void,
): EidDeserializer<Serialized>;
export function eidDeserializeUser<Serialized>(
  eid: adapter.Eid,
  deserialize: EidDeserialize<Serialized>,
): EidDeserializer<Serialized> {
  const where = 'eidDeserializeUser(eid, deserialize)';
  adapter.engineOption(eid, where);
  if (typeof deserialize !== 'function') {
    throw new EidError(
      'invalid_config',
      `${where}: \`deserialize\` is required, the app's (user, done) function.`,
    );
  }
  const own = (req: Request, serialized: Serialized, done: EidDeserializeDone) =>
    deserialize.length >= 3
      ? (deserialize as (req: Request, s: Serialized, d: EidDeserializeDone) => void)(req, serialized, done)
      : (deserialize as (s: Serialized, d: EidDeserializeDone) => void)(serialized, done);
  // Three parameters: Passport hands the request to deserializers of arity 3.
  return (req, serialized, done) => {
    const session = adapter.sessionPortOf(req);
    if (!session?.read()?.identity) return own(req, serialized, done);
    adapter.liveIdentity(eid, session, { renew: false }).then((identity) => {
      if (!identity) return done(null, false);
      try {
        own(req, serialized, done);
      } catch (error) {
        done(error);
      }
    }, done);
  };
}
