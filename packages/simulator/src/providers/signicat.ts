/**
 * Signicat Authentication REST API, as its public documentation describes it
 * (https://developer.signicat.com/apis/eid-hub/ and Signicat's guides):
 * - `POST /auth/open/connect/token`: OAuth2 client credentials, scope `signicat-api`.
 * - `POST /auth/rest/sessions?signicat-accountId=…`, `GET /auth/rest/sessions/{id}`,
 *   `POST /auth/rest/sessions/{id}/cancel`, bearer token, RFC 7807 problem JSON on errors.
 * - The end-user page `/broker/sp/external-service/login?messageId=…` that `authenticationUrl` points at.
 * - Headless Swedish BankID (developer.signicat.com, identity-methods/sbid, auth-rest-api/headless):
 *   `additionalParameters.sbid_flow` QR or APP_LAUNCH and `sbid_end_user_ip`; the CREATED session's `idpData`
 *   carries BankID's `autoStartToken` and, for QR, the animated `qrData`.
 * Where the documentation is silent the choice is written next to the code.
 */
import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { HttpError, mediaType, readBody, redirect, sendHtml, sendJson, sendProblem } from '../http.js';
import { endUserPage, renderApprovalPage, renderErrorPage } from '../pages.js';
import type { ProviderContext, SimulatedProvider } from '../provider.js';
import type { RouteHandler, Router } from '../router.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../types.js';
import {
  absent,
  chosenOutcome,
  isHttpUrl,
  isRecord,
  readJsonBody,
  retryAfter,
  safeEqual,
  sessionControl,
  sessionView,
  unknownEndpoints,
} from './common.js';

export const SIGNICAT = 'signicat';

export interface SignicatOptions {
  clientId: string;
  clientSecret: string;
  accountId: string;
  sessionLifetimeSeconds: number;
  tokenLifetimeSeconds: number;
}

/** The eID methods ("providers" in Signicat's words) this simulated account has enabled. */
const METHODS: Record<string, { country: TestUser['country']; title: string; label: string }> = {
  nbid: { country: 'NO', title: 'Simulated Norwegian BankID', label: 'BankID' },
  idporten: { country: 'NO', title: 'Simulated ID-porten', label: 'ID-porten' },
  sbid: { country: 'SE', title: 'Simulated Swedish BankID', label: 'BankID (SE)' },
  mitid: { country: 'DK', title: 'Simulated MitID', label: 'MitID' },
  ftn: { country: 'FI', title: 'Simulated Finnish Trust Network', label: 'FTN' },
};

const SCOPE = 'signicat-api';
const LOGIN_PATH = '/broker/sp/external-service/login';
const MAX_SESSIONS = 10_000;
const MAX_TOKENS = 10_000;

type SessionStatus = 'CREATED' | 'SUCCESS' | 'ABORT' | 'ERROR' | 'CANCELLED';
type Loa = 'low' | 'substantial' | 'high';
type SbidFlow = 'QR' | 'APP_LAUNCH';

interface BankIdOrder {
  flow: SbidFlow;
  endUserIp: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
  /** Epoch ms; the QR code's time counts from here. */
  startedAt: number;
}

interface CallbackUrls {
  success: string;
  abort: string;
  error: string;
}

/** A session: what was asked for (but the Swedish BankID parameters, kept in `bankId`), and where it stands. */
interface Session extends Omit<CreateRequest, 'sbid'> {
  id: string;
  accountId: string;
  status: SessionStatus;
  messageId?: string;
  bindingMessage?: string;
  /** Headless Swedish BankID: the order, as BankID's RP API would have answered Signicat. */
  bankId?: BankIdOrder;
  sessionLifetime: number;
  expiresAt: number;
  /** Set when the session is final. */
  provider?: string;
  user?: TestUser;
  loa?: Loa;
  environment?: { ipAddress: string; userAgent: string };
  error?: { code: string; message: string };
}

export function signicat(context: ProviderContext, options: SignicatOptions): SimulatedProvider {
  const tokens = new Map<string, number>();
  const sessions = new Map<string, Session>();
  const sessionsByMessageId = new Map<string, Session>();
  const { router, users } = context;
  const api = { provider: SIGNICAT };

  registerTokenEndpoint(router, options, tokens);

  /** Wraps a REST route: bearer token required, `HttpError` answered as problem JSON. */
  function rest(handler: RouteHandler): RouteHandler {
    return async (ctx) => {
      try {
        if (!authenticated(ctx.req, tokens)) {
          throw new HttpError(401, 'A valid bearer access token from /auth/open/connect/token is required.');
        }
        checkAccount(ctx.url, options.accountId);
        await handler(ctx);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        const headers: Record<string, string> =
          error.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
        sendProblem(ctx.res, error.status, error.message, headers);
      }
    };
  }

  // ---- REST API -------------------------------------------------------------------------------

  router.post(
    '/auth/rest/sessions',
    rest(async ({ req, res, url }) => {
      if (url.searchParams.get('signicat-accountId') === null) {
        throw new HttpError(403, 'The signicat-accountId query parameter is required for this API client.');
      }
      const body = await readJsonBody(req, () => new HttpError(400, 'The request body is not valid JSON.'));
      const session = createSession(parseCreateRequest(body));
      sendJson(res, 200, present(session, context.origin()));
    }),
    api,
  );

  router.get(
    '/auth/rest/sessions/:id',
    rest(({ res, params }) => {
      sendJson(res, 200, present(findSession(sessions, params.id!), context.origin()));
    }),
    api,
  );

  router.post(
    '/auth/rest/sessions/:id/cancel',
    rest(({ res, params }) => {
      const session = findSession(sessions, params.id!);
      if (session.status !== 'CREATED') {
        throw new HttpError(409, `The session is ${session.status} and can no longer be cancelled.`);
      }
      session.status = 'CANCELLED';
      session.provider ??= soleProvider(session);
      sendJson(res, 200, present(session, context.origin()));
    }),
    api,
  );

  unknownEndpoints(router, '/auth/rest/*', rest, api);

  function createSession(request: CreateRequest): Session {
    const session = newSession(request, options);
    if (session.messageId) sessionsByMessageId.set(session.messageId, session);
    while (sessions.size >= MAX_SESSIONS) {
      const oldest = sessions.values().next().value!;
      sessions.delete(oldest.id);
      if (oldest.messageId) sessionsByMessageId.delete(oldest.messageId);
    }
    sessions.set(session.id, session);
    return session;
  }

  registerLoginPage(router, users, sessionsByMessageId);

  return {
    id: SIGNICAT,
    ...sessionControl({
      sessions,
      refresh,
      pending: 'CREATED',
      state: (session) => session.status,
      noun: 'Session',
      finish: (session, outcome, userId) => finish(users, session, outcome, userId, undefined),
      view,
    }),
    respondWithStatus(res: ServerResponse, status: number) {
      sendProblem(res, status, 'Simulated failure.', retryAfter(status));
    },
  };
}

// ---- request parsing --------------------------------------------------------------------------

interface CreateRequest {
  flow: 'redirect' | 'headless';
  allowedProviders: string[];
  requestedAttributes: string[];
  requestedLoa?: Loa;
  language?: string;
  callbackUrls?: Partial<CallbackUrls>;
  prefilledNin?: string;
  externalReference?: string;
  sbid?: { flow: SbidFlow; endUserIp: string };
}

function bad(detail: string): HttpError {
  return new HttpError(400, detail);
}

function parseCreateRequest(body: unknown): CreateRequest {
  if (!isRecord(body)) throw bad('The request body must be a JSON object.');
  const { flow, allowedProviders, requestedAttributes, requestedLoa, language, callbackUrls } = body;
  const { prefilledInput, additionalParameters, externalReference } = body;

  if (flow !== 'redirect' && flow !== 'headless') throw bad('flow must be "redirect" or "headless".');

  if (
    !Array.isArray(allowedProviders) ||
    allowedProviders.length === 0 ||
    !allowedProviders.every((p) => typeof p === 'string')
  ) {
    throw bad('allowedProviders must be a non-empty array of provider names.');
  }
  for (const provider of allowedProviders as string[]) {
    if (!(provider in METHODS)) {
      throw bad(
        `allowedProviders: "${provider}" is not enabled on this account; use ${Object.keys(METHODS).join(', ')}.`,
      );
    }
  }
  const request: CreateRequest = {
    flow,
    allowedProviders: [...new Set(allowedProviders as string[])],
    requestedAttributes: ['idpId'],
  };

  if (!absent(requestedAttributes)) {
    if (
      !Array.isArray(requestedAttributes) ||
      !requestedAttributes.every((a) => typeof a === 'string' && a)
    ) {
      throw bad('requestedAttributes must be an array of attribute names.');
    }
    // The documentation's examples echo the list sorted, with idpId (always delivered) last.
    const names = [...new Set(requestedAttributes as string[])].filter((a) => a !== 'idpId').sort();
    request.requestedAttributes = [...names, 'idpId'];
  }

  if (!absent(requestedLoa)) {
    if (requestedLoa !== 'low' && requestedLoa !== 'substantial' && requestedLoa !== 'high') {
      throw bad('requestedLoa must be "low", "substantial" or "high".');
    }
    request.requestedLoa = requestedLoa;
  }

  if (!absent(language)) {
    if (typeof language !== 'string' || !/^[a-z]{2}$/.test(language)) {
      throw bad('language must be an ISO 639-1 code such as "nb" or "en".');
    }
    request.language = language;
  }

  if (!absent(callbackUrls)) {
    if (!isRecord(callbackUrls)) throw bad('callbackUrls must be an object with success, abort and error.');
    const urls: Partial<CallbackUrls> = {};
    for (const key of ['success', 'abort', 'error'] as const) {
      const value = callbackUrls[key];
      if (absent(value)) continue;
      if (typeof value !== 'string' || !isHttpUrl(value)) {
        throw bad(`callbackUrls.${key} must be an absolute http(s) URL.`);
      }
      urls[key] = value;
    }
    request.callbackUrls = urls;
  }
  if (flow === 'redirect') {
    // The ID-porten guide: "You must define callback URL for abort … If you do not define this
    // callback URL, the session will fail." The simulator refuses the session up front instead.
    for (const key of ['success', 'abort', 'error'] as const) {
      if (!request.callbackUrls?.[key]) throw bad(`callbackUrls.${key} is required for the redirect flow.`);
    }
  }

  if (!absent(prefilledInput)) {
    if (!isRecord(prefilledInput)) throw bad('prefilledInput must be an object.');
    const { nin } = prefilledInput;
    if (!absent(nin)) {
      if (typeof nin !== 'string' || nin === '') throw bad('prefilledInput.nin must be a string.');
      request.prefilledNin = nin;
    }
  }

  checkHeadless(request, additionalParameters);

  if (!absent(externalReference)) {
    if (typeof externalReference !== 'string') throw bad('externalReference must be a string.');
    request.externalReference = externalReference;
  }
  return request;
}

/**
 * The headless flow: Swedish BankID (a QR code or the app on this device) or Norwegian BankID Safe
 * Conversation (call centre), each with the additional parameters it needs.
 */
function checkHeadless(request: CreateRequest, additionalParameters: unknown): void {
  let parameters: Record<string, unknown> = {};
  if (!absent(additionalParameters)) {
    if (!isRecord(additionalParameters)) throw bad('additionalParameters must be an object.');
    parameters = additionalParameters;
  }

  if (
    request.flow === 'headless' &&
    request.allowedProviders.length === 1 &&
    request.allowedProviders[0] === 'sbid'
  ) {
    // Swedish BankID, QR code on another device or the app on this one. BankID needs the end user's IP.
    const { sbid_flow: sbidFlow, sbid_end_user_ip: endUserIp } = parameters;
    if (sbidFlow !== 'QR' && sbidFlow !== 'APP_LAUNCH') {
      throw bad('The headless flow for sbid needs additionalParameters.sbid_flow "QR" or "APP_LAUNCH".');
    }
    if (typeof endUserIp !== 'string' || endUserIp === '') {
      throw bad('The headless flow for sbid needs additionalParameters.sbid_end_user_ip.');
    }
    if (isIP(endUserIp) === 0) {
      throw bad('additionalParameters.sbid_end_user_ip must be an IPv4 or IPv6 address.');
    }
    if (request.prefilledNin !== undefined && !/^\d{12}$/.test(request.prefilledNin)) {
      throw bad('prefilledInput.nin must be a 12-digit Swedish personal identity number.');
    }
    request.sbid = { flow: sbidFlow, endUserIp };
  } else if (request.flow === 'headless') {
    // Otherwise the headless flow is Norwegian BankID Safe Conversation (call centre).
    if (request.allowedProviders.length !== 1 || request.allowedProviders[0] !== 'nbid') {
      throw bad('The headless flow needs allowedProviders ["nbid"] (Safe Conversation) or ["sbid"].');
    }
    if (parameters.nbid_auth_type !== 'PHONE') {
      throw bad('The headless flow needs additionalParameters.nbid_auth_type "PHONE".');
    }
    if (request.prefilledNin === undefined) {
      throw bad('The headless flow needs prefilledInput.nin: Safe Conversation pushes to that person.');
    }
    if (!/^\d{11}$/.test(request.prefilledNin)) {
      throw bad('prefilledInput.nin must be an 11-digit Norwegian national identity number.');
    }
  }
}

// ---- small helpers ----------------------------------------------------------------------------

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

function randomToken(): string {
  return randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
}

function digest(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}

function idpIdOf(user: TestUser, method: string): string {
  // nbid: the BankID PID; mitid: the MitID UUID; idporten, sbid, ftn: the national identity number.
  if ((method === 'nbid' || method === 'mitid') && user.idpId) return user.idpId;
  return user.nin;
}

function loaOf(requested: Loa | undefined, method: string): Loa {
  // ID-porten has no "low"; the others answer the requested level, "substantial" by default.
  if (method === 'idporten') return requested === 'high' ? 'high' : 'substantial';
  return requested ?? 'substantial';
}

function soleProvider(session: Session): string | undefined {
  return session.allowedProviders.length === 1 ? session.allowedProviders[0] : undefined;
}

function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** `expiresAt` as Signicat's .NET services write it: seven fraction digits and an explicit offset. */
function dotNetTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '0000+00:00');
}

const ADJECTIVES = [
  'Snedig',
  'Rask',
  'Modig',
  'Stille',
  'Lys',
  'Glad',
  'Rolig',
  'Klok',
  'Sterk',
  'Varm',
  'Frisk',
  'Blank',
  'Myk',
  'Trygg',
  'Lun',
  'Kvikk',
];
const NOUNS = [
  'redning',
  'fjord',
  'elg',
  'bølge',
  'skog',
  'fjell',
  'måke',
  'bro',
  'båt',
  'hytte',
  'sol',
  'vind',
  'stjerne',
  'kyst',
  'bjørk',
  'sild',
];

/**
 * BankID's animated QR code: `bankid.<qrStartToken>.<seconds since the order>.<qrAuthCode>`, where qrAuthCode is
 * HMAC-SHA256 over the seconds (as decimal text) keyed with qrStartSecret, in hex (BankID RP API, "QR codes").
 */
function qrData(order: BankIdOrder, now: number): string {
  const seconds = String(Math.max(0, Math.floor((now - order.startedAt) / 1000)));
  const authCode = createHmac('sha256', order.qrStartSecret).update(seconds).digest('hex');
  return `bankid.${order.qrStartToken}.${seconds}.${authCode}`;
}

/** Two Norwegian words, like the "Snedig redning" of the Safe Conversation example. */
function bindingMessage(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]} ${NOUNS[randomInt(NOUNS.length)]}`;
}

// ---- a session ---------------------------------------------------------------------------------

function checkAccount(url: URL, expected: string): void {
  const accountId = url.searchParams.get('signicat-accountId');
  // Only POST /sessions documents the parameter; on other calls a wrong one is refused, a missing one is fine.
  if (accountId !== null && accountId !== expected) {
    throw new HttpError(403, 'The API client has no access to the account given in signicat-accountId.');
  }
}

function findSession(sessions: Map<string, Session>, id: string): Session {
  const session = sessions.get(id);
  if (!session) throw new HttpError(404, 'No session with that id.');
  refresh(session);
  return session;
}

/**
 * Expiry. The documentation lists no EXPIRED status; a session the end-user did not finish before
 * `expiresAt` is reported as ERROR with `error.code` `sessionExpired`, which a client handles through
 * the documented "ERROR: check error.code" path.
 */
function refresh(session: Session): void {
  if (session.status === 'CREATED' && Date.now() > session.expiresAt) {
    session.status = 'ERROR';
    session.provider ??= soleProvider(session);
    session.error = {
      code: 'sessionExpired',
      message: 'The session expired before the end-user finished.',
    };
  }
}

/** The session JSON in the order and shape of the documentation's examples. */
function present(session: Session, origin: string): Record<string, unknown> {
  const body: Record<string, unknown> = { id: session.id, accountId: session.accountId };
  if (session.messageId) body.authenticationUrl = authenticationUrl(session, origin);
  body.status = session.status;
  if (session.provider) body.provider = session.provider;
  if (session.status === 'SUCCESS' && session.user && session.provider) {
    body.subject = subjectOf(session, session.user, session.provider);
  }
  if (session.status === 'CREATED' && session.bindingMessage) {
    body.idpData = { bindingMessage: session.bindingMessage };
  }
  if (session.status === 'CREATED' && session.bankId) {
    // A QR code only where the user scans one (QR); the app-launch token exists for every BankID order.
    body.idpData = {
      ...(session.bankId.flow === 'QR' ? { qrData: qrData(session.bankId, Date.now()) } : {}),
      autoStartToken: session.bankId.autoStartToken,
    };
  }
  if (session.error) body.error = session.error;
  if (session.callbackUrls) body.callbackUrls = session.callbackUrls;
  if (session.environment) body.environment = session.environment;
  if (session.loa) body.loa = session.loa;
  body.allowedProviders = session.allowedProviders;
  if (session.language) body.language = session.language;
  body.flow = session.flow;
  if (session.requestedLoa) body.requestedLoa = session.requestedLoa;
  body.requestedAttributes = session.requestedAttributes;
  if (session.externalReference !== undefined) body.externalReference = session.externalReference;
  body.sessionLifetime = session.sessionLifetime;
  body.expiresAt = dotNetTimestamp(session.expiresAt);
  return body;
}

function authenticationUrl(session: Session, origin: string): string {
  return `${origin}${LOGIN_PATH}?messageId=${session.messageId}`;
}

function subjectOf(session: Session, user: TestUser, method: string): Record<string, unknown> {
  const requested = new Set(session.requestedAttributes);
  // subject.id: opaque and stable per account, eID method and person, like Signicat's pairwise key.
  const subject: Record<string, unknown> = {
    id: digest(`subject:${session.accountId}:${method}:${user.id}`),
    idpId: idpIdOf(user, method),
  };
  if (requested.has('name')) subject.name = user.name;
  if (requested.has('firstName')) subject.firstName = user.firstName;
  if (requested.has('lastName')) subject.lastName = user.lastName;
  if (requested.has('dateOfBirth')) subject.dateOfBirth = user.dateOfBirth;
  if (requested.has('nin')) {
    subject.nin = { value: user.nin, issuingCountry: user.country, type: user.ninType };
  }
  if (method === 'idporten') {
    const loa = session.loa ?? 'substantial';
    if (requested.has('idportenSub')) subject.idportenSub = digest(`idporten:${user.id}`).slice(0, 24);
    if (requested.has('idportenLoa')) subject.idportenLoa = `idporten-loa-${loa}`;
    if (requested.has('idportenIdp')) subject.idportenIdp = loa === 'high' ? 'BankID' : 'MinID';
  }
  return subject;
}

/** The test user a prefilled nin locks the session to, as BankID does for a prefilled number. */
function lockedUser(users: readonly TestUser[], session: Session): TestUser | undefined {
  return session.prefilledNin === undefined ? undefined : users.find((u) => u.nin === session.prefilledNin);
}

/**
 * Who logs in, and with which eID. A prefilled nin that belongs to a test user locks the session to that
 * user; otherwise the given user, or the first test user of the first allowed eID's country.
 */
function chooseUser(
  users: readonly TestUser[],
  session: Session,
  userId: string | undefined,
  method?: string,
): [TestUser, string] {
  const methods = method ? [method] : session.allowedProviders;
  const locked = lockedUser(users, session);
  let user: TestUser | undefined;
  if (userId !== undefined && userId !== '') {
    user = users.find((candidate) => candidate.id === userId);
    if (!user) throw new HttpError(400, `There is no test user "${userId}".`);
    if (locked && locked.id !== user.id) {
      throw new HttpError(
        400,
        `The session is locked to the prefilled national identity number (${locked.id}).`,
      );
    }
  } else {
    user =
      locked ?? users.find((candidate) => methods.some((m) => METHODS[m]?.country === candidate.country));
    if (!user) throw new HttpError(400, `There is no test user for ${methods.join(', ')}.`);
  }
  const chosen = methods.find((m) => METHODS[m]?.country === user.country);
  if (!chosen) {
    throw new HttpError(
      400,
      `Test user ${user.id} (${user.country}) cannot log in with ${methods.join(', ')}.`,
    );
  }
  return [user, chosen];
}

function finish(
  users: readonly TestUser[],
  session: Session,
  outcome: Outcome,
  userId: string | undefined,
  method: string | undefined,
  environment?: Session['environment'],
): void {
  if (outcome === 'success') {
    const [user, chosen] = chooseUser(users, session, userId, method);
    session.status = 'SUCCESS';
    session.provider = chosen;
    session.user = user;
    session.loa = loaOf(session.requestedLoa, chosen);
    if (environment) session.environment = environment;
  } else if (outcome === 'abort') {
    session.status = 'ABORT';
    session.provider = method ?? soleProvider(session);
  } else {
    session.status = 'ERROR';
    session.provider = method ?? soleProvider(session);
    session.error = { code: 'userError', message: 'The end-user could not complete the authentication.' };
  }
}

function view(session: Session): SimulatorSessionView {
  const method =
    session.status === 'SUCCESS' && session.provider ? session.provider : session.allowedProviders[0]!;
  const result = sessionView(session.id, SIGNICAT, method, session.status, session.prefilledNin);
  if (session.bindingMessage) result.bindingMessage = session.bindingMessage;
  if (session.externalReference !== undefined) result.externalReference = session.externalReference;
  return result;
}

function pageSession(sessionsByMessageId: Map<string, Session>, url: URL): Session {
  const messageId = url.searchParams.get('messageId');
  if (!messageId) throw new HttpError(400, 'The link is missing its messageId.');
  const session = sessionsByMessageId.get(messageId);
  if (!session) throw new HttpError(404, 'This login link is unknown or has been removed.');
  refresh(session);
  if (session.status !== 'CREATED') {
    const why =
      session.error?.code === 'sessionExpired'
        ? 'This login has expired.'
        : `This login is already finished (${session.status}).`;
    throw new HttpError(400, `${why} Start a new login from the service.`);
  }
  return session;
}

function pageMethod(session: Session, requested: string | null): string {
  return requested && session.allowedProviders.includes(requested) ? requested : session.allowedProviders[0]!;
}

// ---- token endpoint -----------------------------------------------------------------------------

/** OAuth2 client credentials for the REST API, scope `signicat-api`. */
function registerTokenEndpoint(router: Router, options: SignicatOptions, tokens: Map<string, number>): void {
  router.post(
    '/auth/open/connect/token',
    async ({ req, res }) => {
      const oauthError = (status: number, error: string, description: string, headers = {}) =>
        sendJson(res, status, { error, error_description: description }, headers);
      if (mediaType(req) !== 'application/x-www-form-urlencoded') {
        oauthError(400, 'invalid_request', 'The token request must be application/x-www-form-urlencoded.');
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      // RFC 6749 section 2.3.1: HTTP Basic (preferred) or client_id/client_secret in the body.
      const client = clientCredentials(req, form);
      if (
        !client ||
        !safeEqual(client.id, options.clientId) ||
        !safeEqual(client.secret, options.clientSecret)
      ) {
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
      const accessToken = randomToken();
      pruneTokens(tokens);
      tokens.set(accessToken, Date.now() + options.tokenLifetimeSeconds * 1000);
      sendJson(
        res,
        200,
        {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: options.tokenLifetimeSeconds,
          scope: SCOPE,
        },
        { pragma: 'no-cache' },
      );
    },
    { provider: SIGNICAT },
  );
}

function pruneTokens(tokens: Map<string, number>): void {
  const now = Date.now();
  for (const [token, expiresAt] of tokens) if (expiresAt <= now) tokens.delete(token);
  while (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value!);
}

function authenticated(req: IncomingMessage, tokens: Map<string, number>): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const expiresAt = tokens.get(match[1]!);
  if (expiresAt === undefined) return false;
  if (expiresAt <= Date.now()) {
    tokens.delete(match[1]!);
    return false;
  }
  return true;
}

// ---- end-user page ------------------------------------------------------------------------------

/** The page `authenticationUrl` opens: the tester picks the eID, a user and an outcome. */
function registerLoginPage(
  router: Router,
  users: readonly TestUser[],
  sessionsByMessageId: Map<string, Session>,
): void {
  router.get(
    LOGIN_PATH,
    endUserPage(({ res, url }) => {
      const session = pageSession(sessionsByMessageId, url);
      const method = pageMethod(session, url.searchParams.get('provider'));
      const info = METHODS[method]!;
      const locked = lockedUser(users, session);
      const choices =
        locked && locked.country === info.country
          ? [locked]
          : users.filter((u) => u.country === info.country);
      if (choices.length === 0)
        throw new HttpError(400, `The simulator has no test users for ${info.title}.`);
      const html = renderApprovalPage({
        title: info.title,
        users: choices,
        hidden: { provider: method },
        alternatives: session.allowedProviders.map((m) => ({
          label: METHODS[m]!.label,
          href: `${LOGIN_PATH}?messageId=${encodeURIComponent(session.messageId!)}&provider=${encodeURIComponent(m)}`,
          current: m === method,
        })),
        lang: session.language ?? 'en',
      });
      sendHtml(res, 200, html);
    }),
  );

  router.post(
    LOGIN_PATH,
    endUserPage(async ({ req, res, url }) => {
      const form = new URLSearchParams(await readBody(req));
      // Looked up after the body is read, so two concurrent posts cannot both finish the session.
      const session = pageSession(sessionsByMessageId, url);
      const outcome = chosenOutcome(form);
      const method = pageMethod(session, form.get('provider') ?? url.searchParams.get('provider'));
      finish(users, session, outcome, form.get('user') ?? undefined, method, {
        ipAddress: clientAddress(req),
        userAgent: req.headers['user-agent'] ?? '',
      });
      // Back to the callback URL exactly as given. Whether Signicat appends anything (a session id) is
      // not documented, so a client must find its session from its own state, not the URL.
      const target = session.callbackUrls?.[outcome];
      if (!target) {
        sendHtml(res, 200, renderErrorPage('Login finished', 'You can close this window.'));
        return;
      }
      redirect(res, target, 303);
    }),
  );
}

/** A new session as `POST /auth/rest/sessions` creates it. */
function newSession(request: CreateRequest, options: SignicatOptions): Session {
  const lifetime = options.sessionLifetimeSeconds;
  const session: Session = {
    id: randomUUID(),
    accountId: options.accountId,
    flow: request.flow,
    status: 'CREATED',
    allowedProviders: request.allowedProviders,
    requestedAttributes: request.requestedAttributes,
    sessionLifetime: lifetime,
    expiresAt: Date.now() + lifetime * 1000,
  };
  if (request.requestedLoa) session.requestedLoa = request.requestedLoa;
  if (request.language) session.language = request.language;
  if (request.callbackUrls) session.callbackUrls = request.callbackUrls;
  if (request.prefilledNin) session.prefilledNin = request.prefilledNin;
  if (request.externalReference !== undefined) session.externalReference = request.externalReference;
  if (request.flow === 'redirect') {
    // authenticationUrl carries a messageId that is not the session id, as in the documentation's examples.
    session.messageId = randomUUID();
  } else if (request.sbid) {
    session.bankId = {
      ...request.sbid,
      autoStartToken: randomUUID(),
      qrStartToken: randomUUID(),
      qrStartSecret: randomUUID(),
      startedAt: Date.now(),
    };
  } else {
    session.bindingMessage = bindingMessage();
  }
  return session;
}
