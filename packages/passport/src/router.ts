import { commitSessionChange, type Eid, type RouteName, sessionPortOf } from '@eid/core';
import { eidRouter, sendResponse } from '@eid/express';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import defaultPassport from 'passport';
import {
  type AuthenticatingRoute,
  type EidAuthenticateOptions,
  type EidFailure,
  type EidSuccessInfo,
  eidErrorHandler,
  SESSION_MISSING,
} from './strategy.js';

export interface EidPassportRouterOptions {
  /** The name the strategy was registered under. Default `eid`. */
  strategy?: string;
  /** The Passport instance the strategy was registered with. Default: the `passport` module's singleton. */
  passport?: Pick<typeof defaultPassport, 'authenticate'>;
  /** Rename a route (relative to the prefix) or disable it with `false`. */
  routes?: Partial<Record<RouteName, string | false>>;
}

const PASSPORT_MISSING =
  '@eid/passport: req.logout is missing; mount passport.session() (after express-session) before the eID router.';

/**
 * The whole contract (DESIGN 4.1) under `eid.prefix` for a Passport app: `app.use(eidPassportRouter(eid))`, after
 * express-session and `passport.session()`. Start, callback and status go through `passport.authenticate`, so
 * logins run the strategy's verify and `req.logIn`; logout also ends the Passport login; methods, cancel, webhook
 * and session change nothing Passport knows about, so the engine answers them as is. The routes, their body
 * limits and the answers to unreadable bodies are @eid/express's; every answer, failures included, is the contract's.
 */
export function eidPassportRouter(eid: Eid, options: EidPassportRouterOptions = {}): Router {
  const passport = options.passport ?? defaultPassport;
  const strategy = options.strategy ?? 'eid';
  const authenticate = (route: AuthenticatingRoute): RequestHandler => {
    const authenticateOptions: EidAuthenticateOptions = { route };
    return (req, res, next) => {
      passport.authenticate(strategy, authenticateOptions, answerLogin(req, res, next))(req, res, next);
    };
  };
  const handlers: Partial<Record<RouteName, RequestHandler>> = {
    start: authenticate('start'),
    callback: authenticate('callback'),
    status: authenticate('status'),
    logout: logOut(eid),
  };
  const router = eidRouter(eid, { ...(options.routes ? { routes: options.routes } : {}), handlers });
  router.use(eidErrorHandler());
  return router;
}

/** Passport's custom callback: a login is completed with `req.logIn`, then the contract's answer is sent. */
function answerLogin(req: Request, res: Response, next: NextFunction) {
  return (error: unknown, user?: Express.User | false | null, info?: unknown) => {
    if (error) return next(error);
    if (!user) return sendResponse(res, (info as EidFailure).response);
    req.logIn(user, (loginError) =>
      loginError ? next(loginError) : sendResponse(res, (info as EidSuccessInfo).response),
    );
  };
}

function logOut(eid: Eid): RequestHandler {
  return (req, res, next) => {
    const session = sessionPortOf(req);
    if (!session) return next(new Error(SESSION_MISSING));
    if (typeof req.logout !== 'function') return next(new Error(PASSPORT_MISSING));
    eid
      .handle({
        route: 'logout',
        httpMethod: req.method,
        params: {},
        headers: { accept: req.get('accept'), contentType: req.get('content-type') },
        session: session.read(),
      })
      .then(async (outcome) => {
        // A new session without `eid`; Passport then ends its own login (and regenerates once more).
        if (outcome.session) await commitSessionChange(outcome.session, session);
        req.logout((error) => (error ? next(error) : sendResponse(res, outcome.response)));
      })
      .catch(next);
  };
}
