import type { Eid, EidOutcome, EidRequest, EidResponse, RouteName } from '../engine/contract.js';
import { EidError } from '../errors.js';
import { commitSessionChange, type SessionPort, sessionPortOf } from '../session.js';
import { requestHeaders } from './request.js';

/** One HTTP request as every framework can describe it. */
export interface HttpInput {
  route: RouteName;
  method: string;
  params?: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** The body's bytes as received, where the framework kept them (webhook signatures cover them). */
  rawBody?: Uint8Array | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** The client address as the framework's trust-proxy setting gives it. */
  ip?: string | undefined;
  /** Where the adapter's routes are mounted inside the app ('' at the root): Express `req.baseUrl`, a prefix. */
  mountPath?: string | undefined;
  session: SessionPort;
  /** The framework's own request, handed to the app's hooks untouched (`EidRequest.raw`). */
  raw?: unknown;
}

/** How an adapter tells its users to mount a session: its package name and the call to make. */
export interface SessionHelp {
  adapter: string;
  howTo: string;
}

/** What Express, Fastify and Nest requests name alike. */
export interface FrameworkRequest {
  method: string;
  params?: unknown;
  query?: unknown;
  body?: unknown;
  /** Set by the adapters' body parsers (`keepRawBody`), or by Nest's `rawBody: true`. */
  rawBody?: unknown;
  headers: Record<string, string | string[] | undefined>;
  ip?: string | undefined;
}

/** The HTTP input of a framework's request, for `route`, mounted at `mountPath`; the request itself travels as `raw`. */
export function httpInput(
  route: RouteName,
  request: FrameworkRequest,
  session: SessionPort,
  mountPath?: string,
): HttpInput {
  const { method, headers, ip, body } = request;
  const params = request.params as HttpInput['params'];
  const query = request.query as HttpInput['query'];
  const rawBody = request.rawBody instanceof Uint8Array ? request.rawBody : undefined;
  return { route, method, params, query, body, rawBody, headers, ip, mountPath, session, raw: request };
}

/** The engine request for an HTTP input. */
export function engineRequest(input: HttpInput): EidRequest {
  return {
    route: input.route,
    httpMethod: input.method,
    params: input.params ?? {},
    query: input.query,
    body: input.body,
    rawBody: input.rawBody,
    headers: requestHeaders(input.headers),
    session: input.session.read(),
    clientIp: input.ip,
    mountPath: input.mountPath || undefined,
    raw: input.raw,
  };
}

/**
 * The engine's checks of a webhook that need no body (`eid.webhookPreCheck`), for a framework's request before
 * its body is parsed: undefined to go on, or the contract's answer to send at once, the body unread.
 */
export function webhookPreCheckResponse(
  eid: Eid,
  request: Pick<FrameworkRequest, 'method' | 'params' | 'query' | 'headers' | 'ip'>,
  mountPath?: string,
): EidResponse | undefined {
  const outcome = eid.webhookPreCheck({
    httpMethod: request.method,
    params: (request.params ?? {}) as Record<string, string | undefined>,
    query: request.query as Record<string, unknown> | undefined,
    headers: requestHeaders(request.headers),
    clientIp: request.ip,
    mountPath: mountPath || undefined,
  });
  return outcome?.response;
}

/**
 * Runs one route: the engine answers, then the session change is committed (renewed before it is written, so a
 * login cannot be fixated) before the caller sends the response.
 */
export async function runRoute(eid: Eid, input: HttpInput): Promise<EidOutcome> {
  const outcome = await eid.handle(engineRequest(input));
  if (outcome.session) await commitSessionChange(outcome.session, input.session);
  return outcome;
}

/** The message for a request without a usable session, naming what to mount. */
export function sessionMissingMessage(help: SessionHelp): string {
  return (
    `${help.adapter} needs a session: ${help.howTo} ` +
    '(the session must be able to regenerate its id; cookie-session cannot, so it cannot serve).'
  );
}

/**
 * The port to `request.session`, or `invalid_config` naming what to mount. Checked before the engine runs, so a
 * missing capability consumes nothing.
 */
export function requireSession(request: { session?: unknown }, help: SessionHelp): SessionPort {
  const port = sessionPortOf(request);
  if (!port) throw new EidError('invalid_config', sessionMissingMessage(help));
  return port;
}

/**
 * What a failed outcome is, for frameworks that tell them apart (Passport: `fail()` and `error()`): the user
 * refused (`refusal`), the provider is in trouble (`infrastructure`), or the request was wrong (`request`).
 */
export function failureKind(error: EidError): 'refusal' | 'infrastructure' | 'request' {
  if (error.code === 'user_cancelled') return 'refusal';
  if (INFRASTRUCTURE.has(error.code)) return 'infrastructure';
  return 'request';
}

const INFRASTRUCTURE: ReadonlySet<string> = new Set([
  'provider_error',
  'provider_unavailable',
  'rate_limited',
]);
