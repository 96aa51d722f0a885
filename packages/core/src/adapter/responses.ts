import type { Eid, EidResponse, RouteName } from '../engine/contract.js';
import { EidError } from '../errors.js';
import type { Identity } from '../identity.js';
import { bodyParseError } from '../request-body.js';
import { liveIdentity, type SessionPort } from '../session.js';

/** Headers every answer of the contract carries: none is cacheable (they hold logins and one-time URLs). */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-store' };

/** How a framework writes a response; `writeResponse` calls these. */
export interface ResponseWriter<T = unknown> {
  header(name: string, value: string): void;
  redirect(status: number, location: string): T;
  json(status: number, body: unknown): T;
  empty(status: number): T;
  /** Bytes to download; `content-type` and `content-disposition` are set as headers first. */
  file(status: number, body: Uint8Array): T;
}

/** Writes an engine response with the contract's headers and the response's own (e.g. `retry-after`). */
export function writeResponse<T>(response: EidResponse, writer: ResponseWriter<T>): T {
  for (const [name, value] of Object.entries(RESPONSE_HEADERS)) writer.header(name, value);
  if (response.type === 'redirect') return writer.redirect(response.status, response.location);
  if (response.type === 'json') {
    for (const [name, value] of Object.entries(response.headers ?? {})) writer.header(name, value);
    return writer.json(response.status, response.body);
  }
  if (response.type === 'file') {
    writer.header('content-type', response.contentType);
    writer.header('content-disposition', contentDisposition(response.fileName));
    writer.header('x-content-type-options', 'nosniff');
    return writer.file(response.status, response.body);
  }
  return writer.empty(response.status);
}

/** Node's `http.ServerResponse`, as far as `nodeResponseWriter` writes one (Express's `res` is one). */
export interface NodeResponse {
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string | Uint8Array): unknown;
}

/**
 * A writer straight to Node's response, for adapters on Express (the router, Nest's Express platform). Express's
 * helpers cost more than they give here: `res.redirect` negotiates a "Redirecting to" body for every answer (a tenth
 * of a login's CPU in the profile) and `res.json` computes an ETag no client can use on a `no-store` answer (a fifth
 * of a status poll's route work). The engine's locations are URLs it built (or paths it normalised), encoded already.
 */
export function nodeResponseWriter(res: NodeResponse): ResponseWriter<void> {
  return {
    header: (name, value) => void res.setHeader(name, value),
    redirect: (status, location) => {
      res.statusCode = status;
      res.setHeader('location', location);
      res.end();
    },
    json: (status, body) => {
      const text = JSON.stringify(body);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(text);
    },
    empty: (status) => {
      res.statusCode = status;
      res.end();
    },
    file: (status, body) => {
      res.statusCode = status;
      res.end(body);
    },
  };
}

/** `attachment` with the name as ASCII and, for any other characters, RFC 6266's `filename*`. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return ascii === fileName
    ? `attachment; filename="${fileName}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** The guard's answer to a request without an eID login. */
export const UNAUTHENTICATED_BODY = {
  error: { code: 'unauthenticated', message: 'Log in with an eID first.' },
} as const;

export interface IdentityCheck {
  /** The engine: it tells whether the session's login still stands (not logged out from a copy of the session). */
  eid: Pick<Eid, 'sessionIdentity'>;
  session: SessionPort;
  /** True when the client wants a page (the framework's content negotiation decides). */
  page: boolean;
  /** Where browsers without a login go; without it they get the 401 too. */
  redirectTo?: string | undefined;
  /**
   * Longest time since the login, in seconds, measured from the identity's `authenticatedAt`: an older login
   * (or one without a readable time) counts as no login. Checked by `maxAgeOption` first.
   */
  maxAge?: number | undefined;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

/**
 * The guards' `maxAge` option (seconds), or `invalid_config` naming `where`: a positive number of seconds.
 */
export function maxAgeOption(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new EidError(
      'invalid_config',
      `${where}: \`maxAge\` must be a positive number of seconds since the login (identity.authenticatedAt), e.g. 8 * 60 * 60.`,
    );
  }
  return value;
}

/**
 * The identity if its login is at most `maxAge` seconds old (by `authenticatedAt`), else undefined; without
 * `maxAge`, the identity as it is. A time in the future by more than a minute (a clock gone wrong) does not count.
 */
export function freshIdentity(
  identity: Identity | undefined,
  maxAge: number | undefined,
  now: number = Date.now(),
): Identity | undefined {
  if (!identity || maxAge === undefined) return identity;
  const at = Date.parse(identity.authenticatedAt);
  if (!Number.isFinite(at) || at > now + 60_000 || now - at > maxAge * 1000) return undefined;
  return identity;
}

/**
 * The logged-in identity, or the answer for a request without one: a 303 for pages with `redirectTo`, else 401.
 * A login that was logged out (from a copy of this session) is no login, and is logged out of this session too;
 * a login older than `maxAge` is no login either.
 */
export async function requireIdentity(
  check: IdentityCheck,
): Promise<{ identity: Identity } | { response: EidResponse }> {
  const live = await liveIdentity(check.eid, check.session);
  const identity = freshIdentity(live, check.maxAge, (check.now ?? Date.now)());
  if (identity) return { identity };
  return { response: unauthenticatedResponse(check) };
}

/** The guards' answer to a request without an eID login: a 303 for pages with `redirectTo`, else 401. */
export function unauthenticatedResponse(check: Pick<IdentityCheck, 'page' | 'redirectTo'>): EidResponse {
  if (check.redirectTo && check.page) return { type: 'redirect', status: 303, location: check.redirectTo };
  return { type: 'json', status: 401, body: UNAUTHENTICATED_BODY };
}

/** A body parser's error as the frameworks raise it: body-parser's `{ status, type }`, Fastify's `FST_ERR_CTP_*`. */
interface ParserError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
}

const FASTIFY_PARSER = 'FST_ERR_CTP_';

/**
 * The contract's answer (docs/http-contract.md §6) to a body the framework's parser refused, or undefined for any other error.
 * Never the parser's message: JSON.parse quotes the body, which may hold a national identity number.
 */
export function bodyErrorResponse(error: unknown): EidResponse | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { status, statusCode, type, code } = error as ParserError;
  const fromExpress = typeof type === 'string' && typeof status === 'number';
  const fromFastify = typeof code === 'string' && code.startsWith(FASTIFY_PARSER);
  const httpStatus = fromExpress ? status : fromFastify ? (statusCode ?? 500) : 500;
  if (typeof httpStatus !== 'number' || httpStatus < 400 || httpStatus >= 500) return undefined;
  const refused = bodyParseError(httpStatus);
  return { type: 'json', status: refused.status, body: refused.toJSON() };
}

/**
 * Fastify's route `errorHandler` for the contract's POST routes: parser errors get the contract's answer, other
 * errors go on. A logout reads no body, so one Fastify has no parser for (multipart) still logs out, as on Express.
 */
export function fastifyBodyErrorHandler<Request, Reply>(
  route: RouteName,
  run: (request: Request, reply: Reply) => Promise<unknown>,
  send: (reply: Reply, response: EidResponse) => unknown,
) {
  return async (error: Error & { code?: unknown }, request: Request, reply: Reply): Promise<Reply> => {
    const response = bodyErrorResponse(error);
    if (!response) throw error;
    if (route === 'logout' && error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') await run(request, reply);
    else await send(reply, response);
    // The reply is a thenable that settles once the answer is sent: Fastify then sends nothing more.
    return reply;
  };
}
