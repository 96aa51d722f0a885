/**
 * Signicat's API routes: `POST /auth/open/connect/token` (OAuth2 client credentials, scope `signicat-api`) and
 * the bearer-authenticated `/auth/rest/sessions` calls, answering RFC 7807 problem JSON on errors.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  HttpError,
  mediaType,
  readBody,
  readJsonBody,
  safeEqual,
  sendJson,
  sendProblem,
} from '../../http.js';
import { makeRoom, unknownEndpoints } from '../../provider.js';
import type { RouteHandler, Router } from '../../router.js';
import type { SignicatSessions } from './sessions.js';
import { parseCreateRequest, SIGNICAT } from './wire.js';

export interface SignicatClient {
  clientId: string;
  clientSecret: string;
  accountId: string;
  tokenLifetimeSeconds: number;
}

const SCOPE = 'signicat-api';
const MAX_TOKENS = 10_000;
const api = { provider: SIGNICAT };

/** The access tokens the token endpoint has issued, until they expire. */
class AccessTokens {
  private readonly expiries = new Map<string, number>();

  issue(lifetimeSeconds: number): string {
    const now = Date.now();
    for (const [token, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(token);
    makeRoom(this.expiries, MAX_TOKENS);
    const token = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
    this.expiries.set(token, now + lifetimeSeconds * 1000);
    return token;
  }

  /** Whether the request carries a live bearer token. */
  accepts(req: IncomingMessage): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return false;
    const expiresAt = this.expiries.get(match[1]!);
    if (expiresAt === undefined) return false;
    if (expiresAt <= Date.now()) {
      this.expiries.delete(match[1]!);
      return false;
    }
    return true;
  }
}

export function registerApi(router: Router, sessions: SignicatSessions, client: SignicatClient): void {
  const tokens = new AccessTokens();
  router.post('/auth/open/connect/token', tokenEndpoint(tokens, client), api);
  const rest = restRoute(tokens, client.accountId);

  router.post(
    '/auth/rest/sessions',
    rest(async ({ req, res, url }) => {
      if (url.searchParams.get('signicat-accountId') === null) {
        throw new HttpError(403, 'The signicat-accountId query parameter is required for this API client.');
      }
      const body = await readJsonBody(req, () => new HttpError(400, 'The request body is not valid JSON.'));
      sendJson(res, 200, sessions.present(sessions.create(parseCreateRequest(body))));
    }),
    api,
  );

  router.get(
    '/auth/rest/sessions/:id',
    rest(({ res, params }) => sendJson(res, 200, sessions.present(sessions.get(params.id!)))),
    api,
  );

  router.post(
    '/auth/rest/sessions/:id/cancel',
    rest(({ res, params }) => {
      const session = sessions.get(params.id!);
      sessions.cancel(session);
      sendJson(res, 200, sessions.present(session));
    }),
    api,
  );

  unknownEndpoints(router, '/auth/rest/*', rest, api);
}

function tokenEndpoint(tokens: AccessTokens, client: SignicatClient): RouteHandler {
  return async ({ req, res }) => {
    const oauthError = (status: number, error: string, description: string, headers = {}) =>
      sendJson(res, status, { error, error_description: description }, headers);
    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      oauthError(400, 'invalid_request', 'The token request must be application/x-www-form-urlencoded.');
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    // RFC 6749 section 2.3.1: HTTP Basic (preferred) or client_id/client_secret in the body.
    const given = clientCredentials(req, form);
    if (!given || !safeEqual(given.id, client.clientId) || !safeEqual(given.secret, client.clientSecret)) {
      oauthError(401, 'invalid_client', 'Unknown client or wrong client secret.', {
        'www-authenticate': 'Basic realm="signicat"',
      });
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      oauthError(400, 'unsupported_grant_type', 'This client may only use grant_type=client_credentials.');
      return;
    }
    const scope = form.get('scope');
    if (scope?.split(' ').some((item) => item !== '' && item !== SCOPE)) {
      oauthError(400, 'invalid_scope', `This client may only ask for scope ${SCOPE}.`);
      return;
    }
    const lifetime = client.tokenLifetimeSeconds;
    sendJson(
      res,
      200,
      { access_token: tokens.issue(lifetime), token_type: 'Bearer', expires_in: lifetime, scope: SCOPE },
      { pragma: 'no-cache' },
    );
  };
}

/** Wraps a REST route: bearer token required, `HttpError` answered as problem JSON. */
function restRoute(tokens: AccessTokens, accountId: string): (handler: RouteHandler) => RouteHandler {
  return (handler) => async (ctx) => {
    try {
      if (!tokens.accepts(ctx.req)) {
        throw new HttpError(401, 'A valid bearer access token from /auth/open/connect/token is required.');
      }
      const given = ctx.url.searchParams.get('signicat-accountId');
      // Only POST /sessions documents the parameter; on other calls a wrong one is refused, a missing one is fine.
      if (given !== null && given !== accountId) {
        throw new HttpError(403, 'The API client has no access to the account given in signicat-accountId.');
      }
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const headers: Record<string, string> =
        error.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
      sendProblem(ctx.res, error.status, error.message, headers);
    }
  };
}

function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (header && /^basic\s/i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id !== null && secret !== null ? { id, secret } : undefined;
}

/** RFC 6749 2.3.1 form-encodes the id and secret before Basic; plain values decode to themselves. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}
