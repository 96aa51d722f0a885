/**
 * LinkMobility NEXT Identity API, authentication workflow, as its documentation describes it
 * (the provider's documentation, "NEXT Identity API Technical Documentation"):
 * - HTTP Basic with the NEXT Portal credentials: `Basic base64(username:password)`.
 * - `POST /api/authentications` `{ partnerId, method, identity?, callbackUrl, customProperties? }`:
 *   201 with the authentication id, a GUID, in the `Location` header.
 * - `GET /bankid/{partnerId}/{authenticationId}/authenticate`: the end-user page (here the approval page
 *   itself, where the real service forwards to the eID's own page).
 * - The browser goes back to `callbackUrl` with `id=<authenticationId>` appended.
 * - `GET /api/authentications/{partnerId}/{authenticationId}`: `success: true` once completed.
 * The payload field names are those of earlier versions of the same public documentation page; the
 * response fields besides `success` are not documented, and the ones answered here (`status`, `identity`,
 * `name`, `firstName`, `lastName`, `dateOfBirth`, `error`) are the shape @eid/core's client reads.
 * Errors are ASP.NET Core problem JSON (the API runs on azurewebsites.net). This module shares no code
 * with @eid/core.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, redirect, sendBody, sendHtml, sendProblem } from '../http.js';
import { endUserPage, renderApprovalPage } from '../pages.js';
import type { ProviderContext, SimulatedProvider } from '../provider.js';
import type { RouteHandler } from '../router.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../types.js';
import * as shared from './common.js';

export const NEXT = 'next';

export interface NextCredentials {
  username: string;
  password: string;
  partnerId: string;
}

export interface NextSimulatorOptions extends NextCredentials {
  sessionLifetimeSeconds: number;
}

export const NEXT_DEFAULTS: NextCredentials = {
  username: 'sim-next-user',
  password: 'sim-next-password',
  partnerId: 'sim-partner',
};

/** The simulator's NEXT credentials: the given ones, defaults for the rest. */
export function nextCredentials(given: Partial<NextCredentials> | undefined): NextCredentials {
  const credentials = { ...NEXT_DEFAULTS };
  for (const key of ['username', 'password', 'partnerId'] as const) {
    const value = given?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`startSimulator: next.${key} must be a non-empty string.`);
    }
    credentials[key] = value;
  }
  if (credentials.username.includes(':')) {
    throw new TypeError('startSimulator: next.username cannot contain ":" (HTTP Basic).');
  }
  return credentials;
}

/** The documented `method` values. */
const METHODS: Record<string, { country: TestUser['country']; title: string; ninDigits: number }> = {
  nbid: { country: 'NO', title: 'Simulated Norwegian BankID (NEXT)', ninDigits: 11 },
  'nbid-mobil': { country: 'NO', title: 'Simulated Norwegian BankID on mobile (NEXT)', ninDigits: 11 },
  sbid: { country: 'SE', title: 'Simulated Swedish BankID (NEXT)', ninDigits: 12 },
  'sbid-mobil': { country: 'SE', title: 'Simulated Swedish Mobile BankID (NEXT)', ninDigits: 12 },
};

const MAX_AUTHENTICATIONS = 10_000;
const PAGE = 'authenticate';

/** .NET enum names, as the API would serialise them. */
type Status = 'Pending' | 'Completed' | 'Cancelled' | 'Failed' | 'Expired';

interface Authentication {
  id: string;
  partnerId: string;
  method: string;
  /** The identity number to verify against, when given. */
  identity?: string;
  callbackUrl: string;
  customProperties?: Record<string, string>;
  status: Status;
  createdAt: number;
  expiresAt: number;
  completedAt?: number;
  user?: TestUser;
  error?: { code: string; message: string };
}

/** A validation failure in ASP.NET Core's `ValidationProblemDetails` shape. */
class ValidationError extends HttpError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(400, message);
    this.field = field;
  }
}

export function next(context: ProviderContext, options: NextSimulatorOptions): SimulatedProvider {
  const authentications = new Map<string, Authentication>();
  const { router, users } = context;
  const api = { provider: NEXT };

  // ---- API ------------------------------------------------------------------------------------

  /** Wraps an API route: Basic credentials first, then `HttpError` answered as problem JSON. */
  function rest(handler: RouteHandler): RouteHandler {
    return async (ctx) => {
      if (!authenticated(ctx.req, options)) {
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

  router.post(
    '/api/authentications',
    rest(async ({ req, res }) => {
      const body = await shared.readJsonBody(
        req,
        () => new ValidationError('$', 'The JSON value could not be parsed.'),
      );
      const request = parseCreateRequest(body, (partnerId) => checkPartner(partnerId, options.partnerId));
      const authentication = create(authentications, options, request);
      // The documentation: "returns authenticationId as a GUID in the location header"; the value is the bare GUID.
      res.writeHead(201, { location: authentication.id, 'content-length': '0', 'cache-control': 'no-store' });
      res.end();
    }),
    api,
  );

  router.get(
    '/api/authentications/:partnerId/:id',
    rest(({ res, params }) => {
      checkPartner(params.partnerId, options.partnerId);
      const authentication = authentications.get(params.id!.toLowerCase());
      if (!authentication || authentication.partnerId !== params.partnerId) {
        throw new HttpError(404, 'No authentication with that id.');
      }
      refresh(authentication);
      sendBody(res, 200, 'application/json; charset=utf-8', JSON.stringify(present(authentication)));
    }),
    api,
  );

  // Only under this API's own collection, so other simulated providers keep the rest of /api.
  shared.unknownEndpoints(router, '/api/authentications/*', rest, api);

  // ---- finishing ------------------------------------------------------------------------------

  // ---- end-user page --------------------------------------------------------------------------

  router.get(
    `/bankid/:partnerId/:id/${PAGE}`,
    endUserPage(({ res, params }) => {
      const authentication = pageAuthentication(authentications, params);
      const offered = choices(users, authentication);
      if (offered.length === 0) throw new HttpError(400, 'The simulator has no test users for this method.');
      sendHtml(
        res,
        200,
        renderApprovalPage({ title: METHODS[authentication.method]!.title, users: offered }),
      );
    }),
  );

  router.post(
    `/bankid/:partnerId/:id/${PAGE}`,
    endUserPage(async ({ req, res, params }) => {
      const form = new URLSearchParams(await readBody(req));
      // Looked up after the body is read, so two concurrent posts cannot both finish it.
      const authentication = pageAuthentication(authentications, params);
      finish(users, authentication, shared.chosenOutcome(form), form.get('user') ?? undefined);
      redirect(res, callbackWithId(authentication), 303);
    }),
  );

  return {
    id: NEXT,
    ...shared.sessionControl({
      sessions: authentications,
      key: (id) => id.toLowerCase(),
      refresh,
      pending: 'Pending',
      state: (authentication) => authentication.status,
      noun: 'Authentication',
      finish: (authentication, outcome, userId) => finish(users, authentication, outcome, userId),
      view,
    }),
    respondWithStatus(res: ServerResponse, status: number) {
      if (status === 401) {
        unauthorized(res);
        return;
      }
      sendProblem(res, status, 'Simulated failure.', shared.retryAfter(status));
    },
  };
}

/**
 * "AuthenticationId value will be appended as a query string parameter with id name": added to the
 * callback URL's own query, which is kept. Every outcome comes back this way; the documentation has one
 * callback URL, and the GET tells success from failure.
 */
function callbackWithId(authentication: Authentication): string {
  const url = new URL(authentication.callbackUrl);
  url.searchParams.append('id', authentication.id);
  return url.toString();
}

function unauthorized(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(401, {
    'www-authenticate': 'Basic realm="Identity API", charset="UTF-8"',
    'content-length': '0',
    'cache-control': 'no-store',
  });
  res.end();
}

function sendValidationProblem(res: ServerResponse, field: string, message: string): void {
  const problem = {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors: { [field]: [message] },
    traceId: `00-${randomUUID().replaceAll('-', '')}-${randomUUID().replaceAll('-', '').slice(0, 16)}-00`,
  };
  sendBody(res, 400, 'application/problem+json; charset=utf-8', JSON.stringify(problem));
}

// ---- request parsing --------------------------------------------------------------------------

interface CreateRequest {
  method: string;
  identity?: string;
  callbackUrl: string;
  customProperties?: Record<string, string>;
}

function parseCreateRequest(body: unknown, checkPartner: (partnerId: unknown) => void): CreateRequest {
  if (!shared.isRecord(body)) throw new ValidationError('$', 'The request body must be a JSON object.');
  const { partnerId, method, identity, callbackUrl, customProperties } = body;
  if (typeof partnerId !== 'string' || partnerId === '') {
    throw new ValidationError('partnerId', 'The partnerId field is required.');
  }
  checkPartner(partnerId);
  if (typeof method !== 'string' || !(method in METHODS)) {
    throw new ValidationError('method', `method must be one of ${Object.keys(METHODS).join(', ')}.`);
  }
  if (typeof callbackUrl !== 'string' || !shared.isHttpUrl(callbackUrl)) {
    throw new ValidationError('callbackUrl', 'callbackUrl must be an absolute http(s) URL.');
  }
  const request: CreateRequest = { method, callbackUrl };
  if (!shared.absent(identity) && identity !== '') {
    const digits = METHODS[method]!.ninDigits;
    // BankID's own formats: NO fødselsnummer 11 digits, SE personnummer 12 digits (YYYYMMDDNNNN).
    if (typeof identity !== 'string' || !new RegExp(`^\\d{${digits}}$`).test(identity)) {
      throw new ValidationError('identity', `identity must be ${digits} digits for ${method}.`);
    }
    request.identity = identity;
  }
  if (!shared.absent(customProperties)) {
    if (
      !shared.isRecord(customProperties) ||
      !Object.values(customProperties).every((v) => typeof v === 'string')
    ) {
      throw new ValidationError('customProperties', 'customProperties must be an object of strings.');
    }
    request.customProperties = { ...(customProperties as Record<string, string>) };
  }
  return request;
}

// ---- the authentication ------------------------------------------------------------------------

function authenticated(req: IncomingMessage, options: NextCredentials): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, so the answer takes as long whichever is wrong.
  const userOk = shared.safeEqual(decoded.slice(0, colon), options.username);
  const passwordOk = shared.safeEqual(decoded.slice(colon + 1), options.password);
  return userOk && passwordOk;
}

/**
 * The credentials are a NEXT Portal user, who belongs to one partner. Another partner id is refused
 * with 403 (authenticated, not allowed) rather than 404, so that a wrong `partnerId` setting is told
 * apart from an unknown authentication id.
 */
function checkPartner(partnerId: unknown, expected: string): void {
  if (typeof partnerId !== 'string' || !shared.safeEqual(partnerId, expected)) {
    throw new HttpError(403, 'The credentials give no access to this partnerId.');
  }
}

function refresh(authentication: Authentication): void {
  if (authentication.status === 'Pending' && Date.now() > authentication.expiresAt) {
    authentication.status = 'Expired';
  }
}

function present(authentication: Authentication): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: authentication.id,
    partnerId: authentication.partnerId,
    method: authentication.method,
    status: authentication.status,
    success: authentication.status === 'Completed',
  };
  const user = authentication.user;
  if (authentication.status === 'Completed' && user) {
    body.identity = user.nin;
    body.name = user.name;
    body.firstName = user.firstName;
    body.lastName = user.lastName;
    body.dateOfBirth = user.dateOfBirth;
  }
  if (authentication.error) body.error = authentication.error;
  body.callbackUrl = authentication.callbackUrl;
  if (authentication.customProperties) body.customProperties = authentication.customProperties;
  body.created = new Date(authentication.createdAt).toISOString();
  if (authentication.completedAt !== undefined) {
    body.completed = new Date(authentication.completedAt).toISOString();
  }
  return body;
}

/** The test users the page offers: the country's, or only the one whose number was given. */
function choices(users: readonly TestUser[], authentication: Authentication): TestUser[] {
  return shared.offeredUsers(users, METHODS[authentication.method]!.country, authentication.identity);
}

function finish(
  users: readonly TestUser[],
  authentication: Authentication,
  outcome: Outcome,
  userId: string | undefined,
): void {
  if (outcome === 'success') {
    const { method } = authentication;
    // Anyone of the country may be picked: someone other than the identity given fails below.
    const user = shared.pickTestUser({
      all: users,
      offered: choices(users, authentication),
      userId,
      fits: (candidate) => candidate.country === METHODS[method]!.country,
      notFitting: (candidate) => `Test user ${candidate.id} (${candidate.country}) cannot use ${method}.`,
      none: `The simulator has no test users for ${method}.`,
    });
    authentication.completedAt = Date.now();
    // "Identity to verify against": someone else's eID fails the authentication, as the real one would.
    if (authentication.identity !== undefined && authentication.identity !== user.nin) {
      authentication.status = 'Failed';
      authentication.error = {
        code: 'identity_mismatch',
        message: 'The person who logged in is not the identity to verify against.',
      };
      return;
    }
    authentication.status = 'Completed';
    authentication.user = user;
  } else if (outcome === 'abort') {
    authentication.status = 'Cancelled';
    authentication.completedAt = Date.now();
  } else {
    authentication.status = 'Failed';
    authentication.completedAt = Date.now();
    authentication.error = {
      code: 'eid_error',
      message: 'The end-user could not complete the authentication.',
    };
  }
}

function view(authentication: Authentication): SimulatorSessionView {
  const { id, method, status, identity } = authentication;
  return shared.sessionView(id, NEXT, method, status, identity);
}

function create(
  authentications: Map<string, Authentication>,
  options: NextSimulatorOptions,
  request: CreateRequest,
): Authentication {
  const now = Date.now();
  const authentication: Authentication = {
    id: randomUUID(),
    partnerId: options.partnerId,
    method: request.method,
    callbackUrl: request.callbackUrl,
    status: 'Pending',
    createdAt: now,
    expiresAt: now + options.sessionLifetimeSeconds * 1000,
  };
  if (request.identity !== undefined) authentication.identity = request.identity;
  if (request.customProperties) authentication.customProperties = request.customProperties;
  while (authentications.size >= MAX_AUTHENTICATIONS) {
    authentications.delete(authentications.keys().next().value!);
  }
  authentications.set(authentication.id, authentication);
  return authentication;
}

function pageAuthentication(
  authentications: Map<string, Authentication>,
  params: Readonly<Record<string, string>>,
): Authentication {
  const authentication = authentications.get((params.id ?? '').toLowerCase());
  if (!authentication || authentication.partnerId !== params.partnerId) {
    throw new HttpError(404, 'This login link is unknown or has been removed.');
  }
  refresh(authentication);
  if (authentication.status !== 'Pending') {
    const why =
      authentication.status === 'Expired'
        ? 'This login has expired.'
        : `This login is already finished (${authentication.status}).`;
    throw new HttpError(400, `${why} Start a new login from the service.`);
  }
  return authentication;
}
