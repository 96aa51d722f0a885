import {
  bodyParseError,
  commitSessionChange,
  type Eid,
  type EidRequest,
  type EidResponse,
  type EidSessionData,
  type Identity,
  type RouteName,
  requestHeaders,
  type SessionChange,
  type SessionPort,
  sessionPortOf,
} from '@eid/core';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { Session } from 'express-session';

export * from '@eid/core';

declare module 'express-session' {
  interface SessionData {
    eid?: EidSessionData;
  }
}

export interface EidRouterOptions {
  /** Rename a route (relative to the prefix) or disable it with `false`. */
  routes?: Partial<Record<RouteName, string | false>>;
  /**
   * Answer some routes with handlers of your own; paths, body parsing and body errors stay the router's.
   * @eid/passport runs start, callback, status and logout through `passport.authenticate` this way.
   */
  handlers?: Partial<Record<RouteName, RequestHandler>>;
}

const SESSION_MISSING =
  '@eid/express needs a session that can regenerate its id: mount express-session ' +
  '(app.use(session({ ... }))) before the eID router (cookie-session cannot regenerate, so it cannot serve).';

/**
 * The contract's routes (DESIGN 4.1) under `eid.prefix`, as an Express router: `app.use(eidRouter(eid))`.
 * It only translates: the request goes to `eid.handle`, the outcome comes back as a session change and a response.
 */
export function eidRouter(eid: Eid, options: EidRouterOptions = {}): Router {
  const router = express.Router();
  const parseBody = (limit = 16 * 1024) => [
    express.urlencoded({ extended: false, limit }),
    express.json({ limit }),
  ];
  for (const route of eid.routes) {
    const rename = options.routes?.[route.name];
    if (rename === false) continue;
    const path = `${eid.prefix}${typeof rename === 'string' ? rename : route.path}`;
    const handler: RequestHandler =
      options.handlers?.[route.name] ??
      ((req, res, next) => {
        run(eid, route.name, req, res).catch(next);
      });
    if (route.method === 'GET') router.get(path, handler);
    else router.post(path, ...parseBody(route.bodyLimit), handler);
  }
  // Bodies that are too large or not parseable get the contract's error body, never the parser's
  // message (it quotes the body, which may hold a national identity number).
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const { status, type } = error as { status?: unknown; type?: unknown };
    if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500) {
      return next(error);
    }
    const refused = bodyParseError(status);
    sendResponse(res, { type: 'json', status: refused.status, body: refused.toJSON() });
  });
  return router;
}

/** The port to `req.session`; checked before the engine runs, so a missing capability consumes nothing. */
function sessionPort(req: Request): SessionPort {
  const port = sessionPortOf(req);
  if (!port) throw new Error(SESSION_MISSING);
  return port;
}

async function run(eid: Eid, name: RouteName, req: Request, res: Response): Promise<void> {
  const session = sessionPort(req);
  const request: EidRequest = {
    route: name,
    httpMethod: req.method,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, unknown>,
    body: req.body,
    headers: requestHeaders(req.headers),
    session: session.read(),
    clientIp: req.ip,
  };
  const outcome = await eid.handle(request);
  if (outcome.session) await commitSessionChange(outcome.session, session);
  sendResponse(res, outcome.response);
}

/** Writes the engine's session change; at login and logout the session id is regenerated first (no fixation). */
export function applySessionChange(req: Request, change: SessionChange): Promise<void> {
  return commitSessionChange(change, sessionPort(req));
}

/** Writes an engine response: a redirect, JSON, or an empty 204; never cached. */
export function sendResponse(res: Response, response: EidResponse): void {
  res.set('cache-control', 'no-store');
  if (response.type === 'redirect') res.redirect(response.status, response.location);
  else if (response.type === 'json') res.status(response.status).json(response.body);
  else res.status(response.status).end();
}

/** The identity of the logged-in user, or undefined. */
export function eidIdentity(req: Request): Identity | undefined {
  return (req.session as (Session & { eid?: EidSessionData }) | undefined)?.eid?.identity;
}

export interface RequireEidOptions {
  /** Where browsers without a login go. Default: answer 401 JSON. */
  redirectTo?: string;
}

/** Protects routes: lets requests with an eID login through, answers the rest 401 (or redirects). */
export function requireEid(options: RequireEidOptions = {}): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.session) return next(new Error(SESSION_MISSING));
    if (eidIdentity(req)) return next();
    if (options.redirectTo && req.accepts(['html', 'json']) === 'html')
      return res.redirect(303, options.redirectTo);
    res.status(401).json({ error: { code: 'unauthenticated', message: 'Log in with an eID first.' } });
  };
}
