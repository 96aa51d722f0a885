/**
 * ZignSec's API routes, behind `Authorization: <access token>`: `POST /v2/eid/{bankid_selector}`,
 * `POST /v3/eid/swissid`, and the result at `GET /v2/eid/{id}` (also `/v3/eid/{id}`). Errors are
 * `{ errors: [{ code, description }] }`.
 */
import { HttpError, safeEqual, sendJson } from '../../http.js';
import { unknownEndpoints } from '../../provider.js';
import type { RouteHandler, Router } from '../../router.js';
import { presentSession } from './present.js';
import type { ZignSecSessions } from './sessions.js';
import { parseSignRequest, SIGN_SELECTOR } from './sign.js';
import {
  type Country,
  type Parameters,
  parseSetup,
  readParameters,
  sendErrors,
  v2Country,
  v3Country,
  ZIGNSEC,
  ZignSecError,
} from './wire.js';

const api = { provider: ZIGNSEC };

export function registerApi(router: Router, sessions: ZignSecSessions, token: string): void {
  const rest = restRoute(token);
  const start = (selector: string, version: 'v2' | 'v3', country: Country, parameters: Parameters) => {
    const setup = parseSetup(selector, version, country, parameters);
    if (selector === SIGN_SELECTOR) setup.sign = parseSignRequest(parameters, setup.personalNumber);
    const session = sessions.create(selector, version, country, setup);
    return { id: session.id, errors: [], redirect_url: sessions.redirectUrl(session) };
  };

  router.post(
    '/v2/eid/:selector',
    rest(async ({ req, res, params }) => {
      const selector = params.selector!;
      const country = v2Country(selector);
      sendJson(res, 200, start(selector, 'v2', country, await readParameters(req)));
    }),
    api,
  );

  router.post(
    '/v3/eid/swissid',
    rest(async ({ req, res }) => {
      const parameters = await readParameters(req);
      sendJson(res, 200, start('swissid', 'v3', v3Country('swissid'), parameters));
    }),
    api,
  );

  // Smart-ID is a product of its own at ZignSec (a push to the app); this simulated account does not have it.
  router.post(
    '/v3/eid/smartid/:action',
    rest(() => {
      throw new ZignSecError(
        400,
        'MISSING_CONFIG',
        'Your account has a missing config for smartid, contact ZignSec for help.',
      );
    }),
    api,
  );

  // Both result paths answer for every session: the documentation polls /v2/eid/{id} and says "for others
  // use v3".
  for (const pattern of ['/v2/eid/:id', '/v3/eid/:id']) {
    router.get(
      pattern,
      rest(({ res, params }) => {
        const session = sessions.find(params.id!);
        if (!session) throw new ZignSecError(404, 'SESSION_NOT_FOUND', 'Session not found');
        sessions.refresh(session);
        sendJson(res, 200, presentSession(session));
      }),
      api,
    );
  }

  for (const prefix of ['/v2/eid/*', '/v3/eid/*']) {
    unknownEndpoints(
      router,
      prefix,
      rest,
      api,
      (message) => new ZignSecError(404, 'INVALID_REQUEST', message),
    );
  }
}

/** Wraps an API route: the access token required, refusals in ZignSec's error format. */
function restRoute(token: string): (handler: RouteHandler) => RouteHandler {
  return (handler) => async (ctx) => {
    try {
      if (!safeEqual(ctx.req.headers.authorization ?? '', token)) {
        throw new ZignSecError(401, 'INVALID_APPID', 'Invalid AppID');
      }
      await handler(ctx);
    } catch (error) {
      if (error instanceof ZignSecError) sendErrors(ctx.res, error.status, error.code, error.message);
      else if (error instanceof HttpError)
        sendErrors(ctx.res, error.status, 'INVALID_REQUEST', error.message);
      else throw error;
    }
  };
}

/** The error code a `status` fault answers with. */
export function faultCode(status: number): string {
  if (status === 401) return 'INVALID_APPID';
  if (status === 404) return 'SESSION_NOT_FOUND';
  return status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST';
}
