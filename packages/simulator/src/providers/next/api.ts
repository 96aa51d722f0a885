/**
 * NEXT's API routes, behind HTTP Basic with the NEXT Portal credentials: `POST /api/authentications` (201, the
 * id in `Location`) and `GET /api/authentications/{partnerId}/{id}`. Errors are ASP.NET Core problem JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJsonBody, safeEqual, sendBody, sendProblem } from '../../http.js';
import { unknownEndpoints } from '../../provider.js';
import type { RouteHandler, Router } from '../../router.js';
import type { Authentications } from './authentications.js';
import {
  NEXT,
  parseCreateRequest,
  presentAuthentication,
  sendValidationProblem,
  ValidationError,
} from './wire.js';

export interface NextCredentials {
  username: string;
  password: string;
  partnerId: string;
}

const api = { provider: NEXT };

export function registerApi(
  router: Router,
  authentications: Authentications,
  credentials: NextCredentials,
): void {
  const rest = restRoute(credentials);
  const checkPartner = partnerCheck(credentials);

  router.post(
    '/api/authentications',
    rest(async ({ req, res }) => {
      const body = await readJsonBody(
        req,
        () => new ValidationError('$', 'The JSON value could not be parsed.'),
      );
      const authentication = authentications.create(parseCreateRequest(body, checkPartner));
      // "returns authenticationId as a GUID in the location header"; the value is the bare GUID.
      res.writeHead(201, { location: authentication.id, 'content-length': '0', 'cache-control': 'no-store' });
      res.end();
    }),
    api,
  );

  router.get(
    '/api/authentications/:partnerId/:id',
    rest(({ res, params }) => {
      checkPartner(params.partnerId);
      const authentication = authentications.find(params.id!);
      if (!authentication || authentication.partnerId !== params.partnerId) {
        throw new HttpError(404, 'No authentication with that id.');
      }
      authentications.refresh(authentication);
      const body = JSON.stringify(presentAuthentication(authentication));
      sendBody(res, 200, 'application/json; charset=utf-8', body);
    }),
    api,
  );

  // Only under this API's own collection, so other simulated providers keep the rest of /api.
  unknownEndpoints(router, '/api/authentications/*', rest, api);
}

/**
 * The credentials are a NEXT Portal user, who belongs to one partner. Another partner id is refused with 403
 * (authenticated, not allowed) rather than 404, so that a wrong `partnerId` setting is told apart from an unknown
 * id.
 */
export function partnerCheck(credentials: NextCredentials): (partnerId: unknown) => void {
  return (partnerId) => {
    if (typeof partnerId !== 'string' || !safeEqual(partnerId, credentials.partnerId)) {
      throw new HttpError(403, 'The credentials give no access to this partnerId.');
    }
  };
}

/** Wraps an API route: Basic credentials first, then `HttpError` answered as problem JSON. */
export function restRoute(credentials: NextCredentials): (handler: RouteHandler) => RouteHandler {
  return (handler) => async (ctx) => {
    if (!authenticated(ctx.req, credentials)) {
      // ASP.NET's authentication handlers answer a challenge with an empty body.
      unauthorized(ctx.res);
      return;
    }
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof ValidationError) {
        sendValidationProblem(ctx.res, error.field, error.message);
      } else if (error instanceof HttpError) {
        sendProblem(ctx.res, error.status, error.message);
      } else {
        throw error;
      }
    }
  };
}

function authenticated(req: IncomingMessage, credentials: NextCredentials): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, so the answer takes as long whichever is wrong.
  const userOk = safeEqual(decoded.slice(0, colon), credentials.username);
  const passwordOk = safeEqual(decoded.slice(colon + 1), credentials.password);
  return userOk && passwordOk;
}

export function unauthorized(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(401, {
    'www-authenticate': 'Basic realm="Identity API", charset="UTF-8"',
    'content-length': '0',
    'cache-control': 'no-store',
  });
  res.end();
}
