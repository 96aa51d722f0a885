/**
 * Signicat's API routes: `POST /auth/open/connect/token` (OAuth2 client credentials, scope `signicat-api`) and
 * the bearer-authenticated `/auth/rest/sessions` calls, answering problem details `{ type, title, detail, code }`
 * on errors (github.com/signicat/signicat-net, src/Signicat.SDK/Entities/SignicatError.cs).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { ERROR_TYPE, parseCreateRequest, SIGNICAT } from './wire.js';

export interface SignicatClient {
  clientId: string;
  clientSecret: string;
  accountId: string;
  tokenLifetimeSeconds: number;
}

const SCOPE = 'signicat-api';
const MAX_TOKENS = 10_000;
const api = { provider: SIGNICAT };

interface IssuedToken {
  expiresAt: number;
  /** The `account_id` claim, when the token names the account. */
  accountId?: string;
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The access tokens the token endpoint has issued, until they expire. JWT-shaped; every other one names the
 * account in an `account_id` claim, as an account-level API client's token does (the official SDK reads that
 * claim: github.com/signicat/signicat-net, src/Signicat.SDK/Infrastructure/Public/JwtHelper.cs), the others
 * carry none, as an organisation-level client's.
 */
class AccessTokens {
  private readonly issued = new Map<string, IssuedToken>();
  private serial = 0;

  issue(lifetimeSeconds: number, accountId: string, clientId: string): string {
    const now = Date.now();
    for (const [token, { expiresAt }] of this.issued) if (expiresAt <= now) this.issued.delete(token);
    makeRoom(this.issued, MAX_TOKENS);
    const named = this.serial++ % 2 === 0 ? accountId : undefined;
    const claims = {
      iss: 'signicat-simulator',
      client_id: clientId,
      scope: SCOPE,
      jti: randomUUID(),
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000 + lifetimeSeconds),
      ...(named ? { account_id: named } : {}),
    };
    const token = `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
    this.issued.set(token, {
      expiresAt: now + lifetimeSeconds * 1000,
      ...(named ? { accountId: named } : {}),
    });
    return token;
  }

  /** The live bearer token the request carries, if any. */
  accepts(req: IncomingMessage): IssuedToken | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return undefined;
    const issued = this.issued.get(match[1]!);
    if (issued === undefined) return undefined;
    if (issued.expiresAt <= Date.now()) {
      this.issued.delete(match[1]!);
      return undefined;
    }
    return issued;
  }
}

/** A problem-details error as Signicat answers it: `{ type, title, detail, code }`, with a `traceId`. */
export function sendSignicatProblem(
  res: ServerResponse,
  status: number,
  detail: string,
  code: string,
  headers: Record<string, string> = {},
): void {
  sendProblem(res, status, detail, headers, { type: ERROR_TYPE, code });
}

const accountProblem = (detail: string) => new HttpError(403, detail, 'invalid_account_id');

export function registerApi(router: Router, sessions: SignicatSessions, client: SignicatClient): void {
  const tokens = new AccessTokens();
  router.post('/auth/open/connect/token', tokenEndpoint(tokens, client), api);
  const rest = restRoute(tokens, client.accountId);

  router.post(
    '/auth/rest/sessions',
    rest(async ({ req, res, url }) => {
      if (url.searchParams.get('signicat-accountId') === null) {
        throw accountProblem('The signicat-accountId query parameter is required for this API client.');
      }
      const body = await readJsonBody(req, () => new HttpError(400, 'The request body is not valid JSON.'));
      sendJson(res, 200, sessions.present(sessions.create(parseCreateRequest(body))));
    }),
    api,
  );

  router.get(
    '/auth/rest/sessions/:id',
    rest(({ res, params }) => {
      const session = sessions.get(params.id!);
      sendJson(res, 200, sessions.present(session));
      // Headless: after the first poll the order is with the eID app, so later polls say WAITING_FOR_USER.
      if (session.flow === 'headless') sessions.userArrived(session);
    }),
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
      {
        access_token: tokens.issue(lifetime, client.accountId, client.clientId),
        token_type: 'Bearer',
        expires_in: lifetime,
        scope: SCOPE,
      },
      { pragma: 'no-cache' },
    );
  };
}

/** Wraps a REST route: bearer token required, `HttpError` answered as problem JSON. */
function restRoute(tokens: AccessTokens, accountId: string): (handler: RouteHandler) => RouteHandler {
  return (handler) => async (ctx) => {
    try {
      const token = tokens.accepts(ctx.req);
      if (!token) {
        throw new HttpError(
          401,
          'A valid bearer access token from /auth/open/connect/token is required.',
          'unauthorized',
        );
      }
      const given = ctx.url.searchParams.get('signicat-accountId');
      if (given !== null && given !== accountId) {
        throw accountProblem('The API client has no access to the account given in signicat-accountId.');
      }
      // A token that names an account: the official SDK sends signicat-accountId on every call; required here.
      if (token.accountId !== undefined && given === null) {
        throw accountProblem(
          'signicat-accountId is required on every call with an account-level access token.',
        );
      }
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const headers: Record<string, string> =
        error.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
      sendSignicatProblem(ctx.res, error.status, error.message, error.code, headers);
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
