import type { Identity } from '@eid/core';
import { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec } from '@eid/core';
import {
  bodyErrorResponse,
  type Eid,
  type EidResponse,
  type EidSessionData,
  engineOption,
  type GuardLogin,
  guardDecision,
  guardLoginOption,
  httpInput,
  keepRawBody,
  malformedTargetResponse,
  maxAgeOption,
  nodeResponseWriter,
  optionsObject,
  type RouteName,
  refuseRoutesOption,
  requireSession,
  runRoute,
  type SessionHelp,
  webhookPreCheckResponse,
  writeResponse,
} from '@eid/core/adapter';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
// Brings express-session's types into the program so its `SessionData` can be augmented below.
import type {} from 'express-session';

// What an app needs besides the router: the engine, its providers, its errors and the identity it gives.
export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/core';
export { createEid, EidError, isEidError, MemoryStore } from '@eid/core';
// The provider factories, through an import so that the list stays one line.
export { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec };

declare module 'express-session' {
  interface SessionData {
    eid?: EidSessionData;
  }
}

export interface EidRouterOptions {
  /**
   * Answer some routes with handlers of your own; paths, body parsing and body errors stay the router's.
   * @eid/passport runs start, callback, status and logout through `passport.authenticate` this way.
   */
  handlers?: Partial<Record<RouteName, RequestHandler>>;
}

const SESSION: SessionHelp = {
  adapter: '@eid/express',
  howTo: 'mount express-session (app.use(session({ ... }))) before the eID router',
};

/**
 * The contract's routes (docs/http-contract.md §2) as an Express router: exactly `eid.routes` under `eid.prefix`, renamed or
 * disabled through createEid({ routes }). It may be mounted under a sub-path (`app.use('/api', eidRouter(eid))`):
 * the engine learns it from `req.baseUrl`, so the provider sends the browser back under it.
 */
export function eidRouter(eid: Eid, options?: EidRouterOptions): Router {
  engineOption(eid, 'eidRouter(eid)');
  refuseRoutesOption(options, 'eidRouter(eid, options)');
  const { handlers } = optionsObject(options, 'eidRouter(eid, options)');
  const router = express.Router();
  // Before Express matches a route: a parameter it cannot decode would become its own error page (with a
  // stack trace outside production).
  router.use((req, res, next) => {
    const malformed = malformedTargetResponse(eid, req.originalUrl, req.baseUrl);
    if (malformed) sendResponse(res, malformed);
    else next();
  });
  for (const route of eid.routes) {
    const handler: RequestHandler =
      handlers?.[route.name] ?? ((req, res, next) => void run(eid, route.name, req, res).catch(next));
    const path = `${eid.prefix}${route.path}`;
    if (route.method === 'GET') router.get(path, handler);
    else if (route.name === 'webhook') {
      router.post(path, webhookPreCheck(eid), ...bodyParsers(route.bodyLimit), handler);
    } else router.post(path, ...bodyParsers(route.bodyLimit), handler);
  }
  // Unparseable or oversized bodies get the contract's answer, never the parser's message (it quotes the body).
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const refused = bodyErrorResponse(error);
    if (refused) sendResponse(res, refused);
    else next(error);
  });
  return router;
}

/** A push whose URL token is not genuine is refused before its body is read (`eid.webhookPreCheck`). */
function webhookPreCheck(eid: Eid): RequestHandler {
  return (req, res, next) => {
    const refused = webhookPreCheckResponse(eid, req, req.baseUrl);
    if (refused) sendResponse(res, refused);
    else next();
  };
}

/** Form and JSON bodies, their bytes kept as `req.rawBody` for signed webhooks. */
function bodyParsers(limit = 16 * 1024): RequestHandler[] {
  const verify = keepRawBody;
  return [express.urlencoded({ extended: false, limit, verify }), express.json({ limit, verify })];
}

/** The session port of an Express request, or `invalid_config` naming the session to mount. */
function sessionOf(req: Request) {
  return requireSession(req, SESSION);
}

async function run(eid: Eid, route: RouteName, req: Request, res: Response): Promise<void> {
  const outcome = await runRoute(eid, httpInput(route, req, sessionOf(req), req.baseUrl));
  sendResponse(res, outcome.response);
}

/** Writes an engine response (a redirect, JSON, a file download or an empty 204; never cached) straight to Node's. */
export function sendResponse(res: Response, response: EidResponse): void {
  writeResponse(response, nodeResponseWriter(res));
}

/**
 * The identity in the session, or undefined, as the session holds it: it does not ask whether the login was logged
 * out from a copy of the session. Behind `requireEid(eid)` that is checked; elsewhere use
 * `await eid.sessionIdentity(req.session.eid)`.
 */
export function eidIdentity(req: Request): Identity | undefined {
  return (req.session as { eid?: EidSessionData } | undefined)?.eid?.identity;
}

export interface RequireEidOptions {
  /** Where browsers without a login go. Default: answer 401 JSON. */
  redirectTo?: string;
  /**
   * Longest time since the eID login, in **seconds** (from the identity's `authenticatedAt`), e.g. `8 * 60 * 60`:
   * an older login is treated as none (401, or `redirectTo`). Default: no limit.
   */
  maxAge?: number;
  /**
   * Start this login for a page request without one, from the page's own request: the browser goes straight to
   * the provider and comes back to the page (`{ provider: 'signicat', method: 'nbid' }`, a redirect login method).
   * For routes mounted with `eidRouter(eid)` at the app's root; API requests still get the 401.
   */
  login?: GuardLogin;
}

/**
 * Protects routes: lets requests with an eID login through, answers the rest 401 (or redirects). A login that was
 * logged out (from a copy of this session cookie) does not count, and is logged out of this session too; nor does
 * one older than `maxAge`.
 */
export function requireEid(eid: Eid, options: RequireEidOptions = {}): RequestHandler {
  const where = 'requireEid(eid, options)';
  engineOption(eid, where);
  const { redirectTo } = optionsObject(options, where);
  const maxAge = maxAgeOption(options.maxAge, where);
  // Checked here, so a bad `login` fails at startup rather than at the first page.
  const login = guardLoginOption(eid, options.login, where);
  return (req, res, next) => {
    const page = req.accepts(['html', 'json']) === 'html';
    const { method, originalUrl: url, headers, ip } = req;
    const request = { session: sessionOf(req), page, method, url, headers, ip, raw: req };
    guardDecision(eid, request, { where, login, maxAge, redirectTo })
      .then((decision) => ('identity' in decision ? next() : sendResponse(res, decision.response)))
      .catch(next);
  };
}
