import type { Eid, RouteName } from '@eid/core';
import { applySessionChange, eidRouter, sendResponse } from '@eid/express';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
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
 * logins run the strategy's verify and `req.logIn`; logout also ends the Passport login; the other routes are
 * the engine's own (through @eid/express). Every answer, failures included, is the contract's.
 */
export function eidPassportRouter(eid: Eid, options: EidPassportRouterOptions = {}): Router {
  const passport = options.passport ?? defaultPassport;
  const strategy = options.strategy ?? 'eid';
  const path = (name: RouteName, fallback: string): string | undefined => {
    const rename = options.routes?.[name];
    return rename === false ? undefined : `${eid.prefix}${rename ?? fallback}`;
  };
  const parseBody = [express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' })];
  const authenticate = (route: AuthenticatingRoute): RequestHandler => {
    const authenticateOptions: EidAuthenticateOptions = { route };
    return (req, res, next) => {
      passport.authenticate(strategy, authenticateOptions, answerLogin(req, res, next))(req, res, next);
    };
  };

  const router = express.Router();
  const start = path('start', '/start/:provider/:method');
  if (start) router.get(start, authenticate('start')).post(start, ...parseBody, authenticate('start'));
  const callback = path('callback', '/callback/:provider');
  if (callback) router.get(callback, authenticate('callback'));
  const status = path('status', '/status/:transactionId');
  if (status) router.get(status, authenticate('status'));
  const logout = path('logout', '/logout');
  if (logout) router.post(logout, ...parseBody, logOut(eid));
  // methods, cancel, webhook and session change nothing Passport knows about: the engine answers them as is.
  router.use(
    eidRouter(eid, {
      routes: { ...options.routes, start: false, callback: false, status: false, logout: false },
    }),
  );
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
    if (!req.session) return next(new Error(SESSION_MISSING));
    if (typeof req.logout !== 'function') return next(new Error(PASSPORT_MISSING));
    eid
      .handle({
        route: 'logout',
        httpMethod: req.method,
        params: {},
        headers: { accept: req.get('accept'), contentType: req.get('content-type') },
        session: req.session.eid,
      })
      .then(async (outcome) => {
        if (outcome.session) await applySessionChange(req, outcome.session);
        // Passport saves the session without its user, then regenerates the session id.
        req.logout((error) => (error ? next(error) : sendResponse(res, outcome.response)));
      })
      .catch(next);
  };
}
