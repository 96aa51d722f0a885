import { EidError, safeUpstreamCode } from '../errors.js';
import { HttpClient, type HttpResponse, type HttpTimeouts, headerValue, parseJson } from '../http.js';
import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import { dateOfBirthOf, type NationalId, type NinCountry } from '../nin/index.js';
import type { Transaction } from '../transaction.js';
import type { CompleteResult, Provider, ProviderMethod, StartContext, StartResult } from './types.js';

/**
 * LinkMobility NEXT Identity API (shared/seeds 000, "NEXT Identity API Technical Documentation").
 * - HTTP Basic with the NEXT Portal credentials, `base64(username:password)` exactly as the seed's
 *   `demo` / `p@55w0rd` -> `ZGVtbzpwQDU1dzByZA==` example (no form-encoding, unlike OAuth2 clients).
 * - `POST /api/authentications`: 201, the authentication id as a GUID in `Location`.
 * - The browser opens `/bankid/{partnerId}/{id}/authenticate`; NEXT sends it back to `callbackUrl`
 *   with `id=<authenticationId>` appended.
 * - `GET /api/authentications/{partnerId}/{id}`: `success: true` means the login completed.
 * Signing (`POST /api/signing`, `/bankid/{partnerId}/{id}/sign`, `GET /api/signing/{partnerId}/{id}`) has
 * the same create / browser page / read shape: it is another `NextResource` for `create` and `read`.
 *
 * The seed's tables lost their field names. The names used here come from earlier versions of the same
 * public documentation page (linkmobility.atlassian.net, "NEXT Identity API Technical Documentation"):
 * `partnerId`, `method`, `identity`, `callbackUrl`, `customProperties`, and the base URL
 * `https://prod-common-identity-api.azurewebsites.net/`. The GET response is documented only as far as
 * `success`; the other fields read here are this library's choice, each commented on `NextAuthentication`.
 */

export const NEXT_DEFAULT_BASE_URL = 'https://prod-common-identity-api.azurewebsites.net/';

export type NextMethodId = 'nbid' | 'nbid-mobil' | 'sbid' | 'sbid-mobil';

interface NextMethodSpec extends ProviderMethod {
  id: NextMethodId;
  country: NinCountry;
}

/** The documented `method` values; the method id is sent as is. All four send the browser to NEXT. */
export const NEXT_METHODS: readonly NextMethodSpec[] = [
  { id: 'nbid', flow: 'redirect', label: 'Norwegian BankID', country: 'NO' },
  { id: 'nbid-mobil', flow: 'redirect', label: 'Norwegian BankID on mobile', country: 'NO' },
  { id: 'sbid', flow: 'redirect', label: 'Swedish BankID', country: 'SE' },
  { id: 'sbid-mobil', flow: 'redirect', label: 'Swedish Mobile BankID', country: 'SE' },
];

/**
 * An authentication as `GET /api/authentications/{partnerId}/{id}` returns it (the fields read here).
 * Only `success` is documented; the rest is chosen, and the simulator answers in this shape.
 */
export interface NextAuthentication {
  id?: string;
  partnerId?: string;
  method?: string;
  /** Documented: `true` means the authentication workflow completed successfully. */
  success?: boolean;
  /**
   * Chosen: where a not-successful authentication stands, `Pending`, `Completed`, `Cancelled`, `Failed`
   * or `Expired` (.NET enum names, compared case-insensitively). Without it, `success: false` is pending
   * while polling and a failure at the callback (NEXT only calls back once the eID has finished).
   */
  status?: string;
  /**
   * Chosen: the verified personal number, named like the request's `identity` ("Identity to verify
   * against"). `nationalId` (the signing API's name for the same thing) and `ssn` are read as fallbacks.
   */
  identity?: string;
  nationalId?: string;
  ssn?: string;
  /** Chosen: the name as the eID reports it. */
  name?: string;
  firstName?: string;
  lastName?: string;
  /** Chosen: `YYYY-MM-DD`; when absent, read from a valid personal number. */
  dateOfBirth?: string;
  /** Documented on the request: echoed back. */
  customProperties?: Record<string, string>;
  /** Chosen: why a failed authentication failed; logged (redacted), never shown. */
  error?: { code?: string; message?: string } | string;
  [key: string]: unknown;
}

export interface NextOptions {
  /** Default `https://prod-common-identity-api.azurewebsites.net/` (the documented base URL). */
  baseUrl?: string;
  /** NEXT Portal user name (HTTP Basic). */
  username: string;
  /** NEXT Portal password (HTTP Basic). */
  password: string;
  /** Your NEXT partner id. */
  partnerId: string;
  /** Methods to offer; default all four. */
  methods?: readonly NextMethodId[];
  /** Sent as `customProperties` ("an optional <string, string> Dictionary") on every authentication. */
  customProperties?: Record<string, string>;
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Adjusts the mapped identity, e.g. to keep more of the authentication in `extra`. */
  profile?: (authentication: NextAuthentication, identity: ProviderIdentity) => ProviderIdentity;
}

/** One kind of thing the API creates and the browser finishes: authentications now, signings later. */
interface NextResource {
  /** `POST` creates, `GET {collection}/{partnerId}/{id}` reads. */
  collection: string;
  /** The browser page: `/bankid/{partnerId}/{id}/{page}`. */
  page: string;
  /** For messages: "authentication". */
  noun: string;
}

const AUTHENTICATIONS: NextResource = {
  collection: '/api/authentications',
  page: 'authenticate',
  noun: 'authentication',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function configError(message: string): EidError {
  return new EidError('invalid_config', `next(): ${message}`);
}

function requireString(options: Record<string, unknown>, field: string): string {
  const value = options[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw configError(`\`${field}\` is required (a non-empty string).`);
  }
  return value;
}

export function next(options: NextOptions): Provider {
  const record = (options ?? {}) as unknown as Record<string, unknown>;
  const username = requireString(record, 'username');
  const password = requireString(record, 'password');
  const partnerId = requireString(record, 'partnerId');
  // RFC 7617: the user-id of HTTP Basic cannot contain a colon.
  if (username.includes(':')) throw configError('`username` cannot contain ":" (HTTP Basic).');
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.baseUrl ?? NEXT_DEFAULT_BASE_URL);
    if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw configError(`\`baseUrl\` must be an absolute http(s) URL such as ${NEXT_DEFAULT_BASE_URL}.`);
  }
  const enabled = options.methods ?? NEXT_METHODS.map((method) => method.id);
  if (!Array.isArray(enabled) || enabled.length === 0) {
    throw configError('`methods` must list at least one method.');
  }
  for (const id of enabled) {
    if (!NEXT_METHODS.some((method) => method.id === id)) {
      throw configError(
        `unknown method "${String(id)}" in \`methods\`; known: ${NEXT_METHODS.map((m) => m.id).join(', ')}.`,
      );
    }
  }
  const customProperties = options.customProperties;
  if (
    customProperties !== undefined &&
    (typeof customProperties !== 'object' ||
      customProperties === null ||
      Array.isArray(customProperties) ||
      !Object.values(customProperties).every((value) => typeof value === 'string'))
  ) {
    throw configError('`customProperties` must be an object of string values.');
  }
  const methods = NEXT_METHODS.filter((method) => enabled.includes(method.id));
  const logger = redactingLogger(options.logger ?? silentLogger);
  const http = new HttpClient({ name: 'NEXT', timeouts: options.timeouts, logger });
  const authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  const url = (path: string) => new URL(path, baseUrl).toString();
  const partner = encodeURIComponent(partnerId);

  /** `POST {collection}`: the new id comes in the `Location` header. */
  async function create(resource: NextResource, body: Record<string, unknown>): Promise<string> {
    const response = await http.request({
      method: 'POST',
      url: url(resource.collection),
      headers: { authorization, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status < 200 || response.status > 299) {
      throw upstreamError(response, resource, 'create', logger);
    }
    const id = idFromLocation(headerValue(response.headers, 'location'));
    if (!id) {
      throw new EidError(
        'provider_error',
        `NEXT created the ${resource.noun} without a GUID in the Location header.`,
      );
    }
    return id;
  }

  /** `GET {collection}/{partnerId}/{id}`, retried once on a transport failure (it only reads). */
  async function read(resource: NextResource, id: string): Promise<NextAuthentication> {
    const response = await http.request({
      method: 'GET',
      url: url(`${resource.collection}/${partner}/${encodeURIComponent(id)}`),
      headers: { authorization, accept: 'application/json' },
      idempotent: true,
    });
    if (response.status !== 200) throw upstreamError(response, resource, 'read', logger);
    const body = parseJson<unknown>(response.text, 'NEXT');
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new EidError('provider_error', `NEXT sent a ${resource.noun} that is not a JSON object.`);
    }
    const found = body as NextAuthentication;
    if (typeof found.id === 'string' && found.id.toLowerCase() !== id.toLowerCase()) {
      throw new EidError(
        'provider_error',
        `NEXT answered with another ${resource.noun} than the one asked for.`,
      );
    }
    return found;
  }

  function methodSpec(id: string): NextMethodSpec {
    const spec = methods.find((method) => method.id === id);
    if (!spec) throw new EidError('unknown_method', `NEXT does not offer the method "${id}" here.`);
    return spec;
  }

  return {
    specificationVersion: 'v1',
    id: 'next',
    name: 'LinkMobility NEXT',
    methods: methods.map(({ id, flow, label, country }) => ({ id, flow, label, country })),

    async start(context: StartContext): Promise<StartResult> {
      const spec = methodSpec(context.method.id);
      const body: Record<string, unknown> = { partnerId, method: spec.id };
      // "Identity (personal number / social security number) to verify against": the engine has already
      // validated it for the method's country, and its normalised value is the form BankID itself uses
      // (NO 11 digits, SE 12 digits without separator).
      if (context.nin) body.identity = ninForNext(context.nin, spec);
      // The engine's callback URL carries `tx`; NEXT appends `id` to it (seed: "appended as a query string
      // parameter with id name").
      body.callbackUrl = context.callbackUrl;
      if (customProperties && Object.keys(customProperties).length > 0) {
        body.customProperties = customProperties;
      }
      const id = await create(AUTHENTICATIONS, body);
      return { reference: id, redirectUrl: url(browserPath(AUTHENTICATIONS, partner, id)) };
    },

    // NEXT is documented to append `id` as a query parameter. Should it concatenate `?id=` to a URL that
    // already has a query, `tx` would read `<id>?id=<guid>`: take the transaction id up to any `?`.
    transactionIdFromCallback(query: Record<string, string>): string | undefined {
      return query.tx?.split('?')[0];
    },

    async complete({ transaction, callbackQuery }): Promise<CompleteResult> {
      if (callbackQuery !== undefined) {
        // The callback's `id` is only a claim: the engine found the transaction by `tx` and this browser's
        // binding, and the id NEXT gave us at start must be the one the browser brings back. Anything else
        // (a forged or swapped link) is transaction_not_found, like the engine's answer to a callback of
        // another provider. Thrown, not returned as `failed`: a link someone else crafted must not end
        // the user's real login, which stays pending for its genuine callback.
        const claimed = callbackQuery.id;
        if (typeof claimed !== 'string' || claimed.toLowerCase() !== transaction.reference.toLowerCase()) {
          throw new EidError(
            'transaction_not_found',
            'This callback names another NEXT authentication than the login in progress. Start the login again.',
          );
        }
      }
      const authentication = await read(AUTHENTICATIONS, transaction.reference);
      // Every method, not only the enabled ones: a login started before a configuration change finishes.
      const spec = NEXT_METHODS.find((method) => method.id === transaction.method);
      if (!spec) throw new EidError('unknown_method', 'NEXT offers no login method by that name.');
      return mapAuthentication(authentication, {
        transaction,
        country: spec.country,
        fromCallback: callbackQuery !== undefined,
        logger,
        ...(options.profile ? { profile: options.profile } : {}),
      });
    },

    async close() {
      await http.close();
    },
  };
}

function browserPath(resource: NextResource, partner: string, id: string): string {
  return `/bankid/${partner}/${encodeURIComponent(id)}/${resource.page}`;
}

function ninForNext(nin: NationalId, spec: NextMethodSpec): string {
  if (nin.country !== spec.country) {
    throw new EidError('invalid_nin', `${spec.label} takes a ${spec.country} national identity number.`);
  }
  return nin.value;
}

/**
 * The seed: "returns authenticationId as a GUID in the location header". Read as the bare GUID; a URL or
 * path ending in the GUID (what ASP.NET's `Created(uri)` writes) is accepted too.
 */
export function idFromLocation(location: string | undefined): string | undefined {
  if (typeof location !== 'string') return undefined;
  const value = location.trim();
  if (GUID.test(value)) return value;
  let path: string;
  try {
    path = new URL(value, 'http://location.invalid').pathname;
  } catch {
    return undefined;
  }
  const last = path.split('/').filter(Boolean).at(-1);
  return last !== undefined && GUID.test(last) ? last : undefined;
}

/**
 * NEXT runs on ASP.NET (azurewebsites.net): errors are RFC 7807 problem JSON, validation errors with an
 * `errors` object of field names. The body is logged (redacted), never shown; the field names that failed
 * validation go into the message because they say what to fix.
 */
function upstreamError(
  response: HttpResponse,
  resource: NextResource,
  action: 'create' | 'read',
  logger: Logger,
): EidError {
  let problem: unknown;
  try {
    problem = JSON.parse(response.text);
  } catch {
    problem = undefined;
  }
  logger.warn(
    { provider: 'next', action, resource: resource.noun, status: response.status, problem },
    'NEXT refused a request',
  );
  if (response.status === 401) {
    return new EidError(
      'provider_error',
      'NEXT rejected the credentials. Check username and password: they are your NEXT Portal login.',
    );
  }
  if (response.status === 403) {
    return new EidError(
      'provider_error',
      'NEXT refused access to this partner. Check that partnerId belongs to the NEXT Portal user.',
    );
  }
  if (response.status === 429)
    return new EidError('rate_limited', 'NEXT is limiting requests. Try again shortly.');
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new EidError(
      'provider_unavailable',
      `NEXT is unavailable (HTTP ${response.status}). Try again in a moment.`,
    );
  }
  if (response.status === 404 && action === 'read') {
    return new EidError(
      'provider_error',
      `NEXT does not know this ${resource.noun} (HTTP 404). Start again.`,
    );
  }
  const fields = invalidFields(problem);
  const request = action === 'create' ? `request to create the ${resource.noun}` : `${resource.noun} lookup`;
  return new EidError(
    'provider_error',
    `NEXT answered HTTP ${response.status} to the ${request}${
      fields.length > 0 ? ` (invalid: ${fields.join(', ')})` : ''
    }.`,
  );
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.[\]$]{0,63}$/;

function invalidFields(problem: unknown): string[] {
  if (!problem || typeof problem !== 'object') return [];
  const errors = (problem as { errors?: unknown }).errors;
  if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return [];
  return Object.keys(errors)
    .filter((name) => FIELD_NAME.test(name))
    .slice(0, 5);
}

const CANCELLED = ['cancelled', 'canceled', 'aborted'];
const FAILED = ['failed', 'error', 'rejected'];
const PENDING = ['pending', 'created', 'started', 'inprogress'];

export interface MapAuthenticationContext {
  transaction: Pick<Transaction, 'id'>;
  /** The country of the method, for the personal number. */
  country: NinCountry;
  /** The browser has come back: NEXT has finished, so a not-successful authentication has failed. */
  fromCallback?: boolean;
  logger?: Logger;
  profile?: NextOptions['profile'];
}

export function mapAuthentication(
  authentication: NextAuthentication,
  context: MapAuthenticationContext,
): CompleteResult {
  const logger = context.logger ?? silentLogger;
  if (authentication.success === true) {
    const identity = toIdentity(authentication, context.country, logger);
    return {
      status: 'complete',
      identity: context.profile ? context.profile(authentication, identity) : identity,
    };
  }
  const status = typeof authentication.status === 'string' ? authentication.status.toLowerCase() : undefined;
  if (status !== undefined && CANCELLED.includes(status)) {
    return { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
  }
  if (status === 'expired') {
    return {
      status: 'failed',
      error: new EidError('transaction_expired', 'The login took too long and has expired. Start it again.'),
    };
  }
  if (status !== undefined && PENDING.includes(status)) return { status: 'pending' };
  if (status === undefined && !context.fromCallback) return { status: 'pending' };
  // FAILED, `Completed` without success, an unknown status, or no status once the browser is back.
  const error = authentication.error;
  const code = typeof error === 'object' && error !== null ? error.code : undefined;
  logger.warn(
    { provider: 'next', transactionId: context.transaction.id, status: authentication.status, error },
    'NEXT authentication did not succeed',
  );
  const known = status === undefined || FAILED.includes(status) || status === 'completed';
  return {
    status: 'failed',
    error: new EidError(
      'provider_error',
      known
        ? `The eID provider reported an error${safeUpstreamCode(code) ? ` (${safeUpstreamCode(code)})` : ''}.`
        : 'NEXT reported an authentication status this library does not know.',
    ),
  };
}

export function toIdentity(
  authentication: NextAuthentication,
  country: NinCountry,
  logger: Logger = silentLogger,
): ProviderIdentity {
  const stated = [authentication.identity, authentication.nationalId, authentication.ssn].find(
    (value) => typeof value === 'string' && value.trim() !== '',
  );
  const nin = nationalIdFromProvider(stated, country);
  if (!nin) {
    throw new EidError('provider_error', 'NEXT reported success without a usable personal number.');
  }
  if (!nin.validated) {
    logger.warn({ provider: 'next' }, 'NEXT returned a personal number that does not validate');
  }
  const firstName = stringOr(authentication.firstName);
  const lastName = stringOr(authentication.lastName);
  const name =
    stringOr(authentication.name) ?? ([firstName, lastName].filter(Boolean).join(' ') || undefined);
  const statedDate = authentication.dateOfBirth;
  const dateOfBirth =
    typeof statedDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(statedDate)
      ? statedDate
      : nin.validated
        ? dateOfBirthOf(nin.nin)
        : undefined;
  // NEXT names no person key besides the number (BankID's own PID is not in the response): the verified
  // personal number is the subject, as with ZignSec (DESIGN section 3). No level of assurance is reported.
  return compactIdentity({
    subject: nin.nin.value,
    nin: nin.nin,
    name,
    firstName,
    lastName,
    dateOfBirth,
    authenticatedAt: new Date().toISOString(),
  }) as ProviderIdentity;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
