import { EidError, safeUpstreamCode } from '../errors.js';
import { HttpClient, type HttpResponse, type HttpTimeouts } from '../http.js';
import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import type { Transaction } from '../transaction.js';
import { verifyWebhookToken, webhookToken } from '../webhook.js';
import type {
  CompleteResult,
  Provider,
  ProviderMethod,
  StartContext,
  StartResult,
  WebhookNotice,
  WebhookRequest,
} from './types.js';

/**
 * ZignSec "BankID in Browser" (shared/seeds 004, docs.zignsec.com/api/v2/bankid-browser-based/).
 * - `POST {base}/v2/eid/{bankid_selector}` (v3 for SwissID and Smart-ID) returns `id` and `redirect_url`;
 *   the browser runs the login at ZignSec and comes back to `target` / `targetError` with `relaystate`.
 * - `GET {base}/v2/eid/{id}` gives the state PENDING, FINISHED or ERROR and, once finished, `identity`.
 * - `Authorization: <token>`: the bare access token, no scheme word.
 * - Optional per-request `webhook`: ZignSec POSTs the result body there when the session finishes.
 */

type ZignSecApi = 'v2' | 'v3';

interface ZignSecMethodSpec extends ProviderMethod {
  /** The `bankid_selector` path segment(s) at ZignSec. */
  selector: string;
  api: ZignSecApi;
}

export type ZignSecMethodId =
  | 'sbid'
  | 'sbid-another'
  | 'fbid'
  | 'nemid'
  | 'nbid-oidc'
  | 'nbid'
  | 'nbid-mobile'
  | 'nbid-pep'
  | 'country-se'
  | 'country-no'
  | 'country-dk'
  | 'country-fi'
  | 'swissid'
  | 'smartid';

export const ZIGNSEC_METHODS: readonly ZignSecMethodSpec[] = [
  {
    id: 'sbid',
    selector: 'sbid',
    api: 'v2',
    flow: 'redirect',
    label: 'Swedish BankID on this device',
    country: 'SE',
  },
  {
    id: 'sbid-another',
    selector: 'sbid-another',
    api: 'v2',
    flow: 'redirect',
    label: 'Swedish BankID on another device',
    country: 'SE',
  },
  { id: 'fbid', selector: 'fbid', api: 'v2', flow: 'redirect', label: 'Finnish bank ID', country: 'FI' },
  { id: 'nemid', selector: 'nemid', api: 'v2', flow: 'redirect', label: 'NemID', country: 'DK' },
  {
    id: 'nbid-oidc',
    selector: 'nbid_oidc',
    api: 'v2',
    flow: 'redirect',
    label: 'Norwegian BankID (web or mobile)',
    country: 'NO',
  },
  { id: 'nbid', selector: 'nbid', api: 'v2', flow: 'redirect', label: 'Norwegian BankID', country: 'NO' },
  {
    id: 'nbid-mobile',
    selector: 'nbid_mobile',
    api: 'v2',
    flow: 'redirect',
    label: 'BankID on mobile (Norway)',
    country: 'NO',
  },
  {
    id: 'nbid-pep',
    selector: 'nbid_pep',
    api: 'v2',
    flow: 'redirect',
    label: 'Norwegian BankID with PEP check',
    country: 'NO',
  },
  // `[cc]`: ZignSec shows the eIDs it has for the country and the user picks one. The seed gives no case
  // for the code; lower case like every other selector.
  { id: 'country-se', selector: 'se', api: 'v2', flow: 'redirect', label: 'Any Swedish eID', country: 'SE' },
  {
    id: 'country-no',
    selector: 'no',
    api: 'v2',
    flow: 'redirect',
    label: 'Any Norwegian eID',
    country: 'NO',
  },
  { id: 'country-dk', selector: 'dk', api: 'v2', flow: 'redirect', label: 'Any Danish eID', country: 'DK' },
  { id: 'country-fi', selector: 'fi', api: 'v2', flow: 'redirect', label: 'Any Finnish eID', country: 'FI' },
  { id: 'swissid', selector: 'swissid', api: 'v3', flow: 'redirect', label: 'SwissID', country: 'CH' },
  {
    id: 'smartid',
    selector: 'smartid/auth',
    api: 'v3',
    flow: 'redirect',
    label: 'Smart-ID (Estonia, Latvia, Lithuania)',
    country: 'EE',
  },
];

/** The identity object of a finished session (seed 004, "identity"). */
export interface ZignSecIdentity {
  CountryCode?: string;
  FirstName?: string;
  LastName?: string;
  FullName?: string;
  PersonalNumber?: string;
  DateOfBirth?: string;
  Age?: number;
  PhoneNumber?: string;
  Email?: string;
  IdProviderName?: string;
  IdentificationDate?: string;
  IdProviderRequestId?: string;
  IdProviderPersonId?: string;
  CustomerPersonId?: string;
  [key: string]: unknown;
}

export interface ZignSecError {
  code?: string;
  description?: string;
}

/**
 * A result as `GET /v2/eid/{id}` returns it, and as the webhook posts it. The seed lost the name of the
 * PENDING/FINISHED/ERROR field; ZignSec clients in the wild (qoorp/go-zignsec, Hedvig's member-service)
 * read it as `result.identity.state`, which the seed's wording ("an object that describes the main
 * result ... collected under this identity sub-item") matches.
 */
export interface ZignSecResult {
  id?: string;
  errors?: ZignSecError[];
  result?: { identity?: { state?: string } };
  identity?: ZignSecIdentity;
  method?: string;
  BankIDSE?: { signature?: string; ocspResponse?: string };
  LookupPersonAddress?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ZignSecOptions {
  /** Default `https://api.zignsec.com`; ZignSec's test environment is `https://test.zignsec.com`. */
  baseUrl?: string;
  /** The access token ZignSec issued, sent as the bare `Authorization` header value. */
  token: string;
  /**
   * Enables the webhook: each session gets `webhook={prefix}/webhook/zignsec?tx=…&token=…`, where the
   * token is an HMAC of the transaction id under this secret, checked in constant time. At least 16 characters.
   */
  webhookSecret?: string;
  /** Methods to offer; default all of them. */
  methods?: readonly ZignSecMethodId[];
  /** UI language (ISO 639-1) when the start request names none. Default: the merchant's DefaultLanguage. */
  language?: string;
  /** Norwegian BankID `Scope`, space separated: `nnin`, `address`, `phone`, `email`, `nnin_altsub`. */
  scope?: string;
  /** Swedish BankID: `LookupPersonAddress=true` (charged separately by ZignSec). */
  lookupPersonAddress?: boolean;
  /** Swedish BankID: `AutoStartTokenRequired=Yes`, login only by scanning the QR code. */
  autoStartTokenRequired?: boolean;
  /** `allowRetries=true`: the user may try again on the same redirect_url. */
  allowRetries?: boolean;
  /** `configid`, when the ZignSec account has more than one configuration. */
  configId?: string;
  /** `nbid-oidc`: pre-select BankID web (`BID`) or mobile (`BIM`) through `login_hint`. */
  nbidLoginHint?: 'BID' | 'BIM';
  /** `smartid`: the `countryCode` sent; default `EE`. */
  smartIdCountry?: 'EE' | 'LV' | 'LT';
  /** `swissid`: the `scopes` sent; default `openid profile`. */
  swissIdScopes?: string;
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Adjusts the mapped identity, e.g. to keep the phone number or the address lookup in `extra`. */
  profile?: (result: ZignSecResult, identity: ProviderIdentity) => ProviderIdentity;
}

/** ISO 639-1 as ZignSec takes it (case-insensitive; lower case as in the SwissID example): Norwegian is `no`. */
const LANGUAGES: Record<string, string> = { nb: 'no', nn: 'no' };
const SCOPES = ['nnin', 'address', 'phone', 'email', 'nnin_altsub'];
/** A redirect after the user finished can overtake ZignSec's own bookkeeping: ask again briefly. */
const CALLBACK_POLLS = 3;
const CALLBACK_POLL_DELAY_MS = 250;

function configError(message: string): EidError {
  return new EidError('invalid_config', `zignsec(): ${message}`);
}

export function zignsec(options: ZignSecOptions): Provider {
  if (!options || typeof options !== 'object') throw configError('options must be an object.');
  const { token } = options;
  // Visible ASCII only: the value goes into a header verbatim.
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) {
    throw configError(
      '`token` is required: the access token ZignSec issued, e.g. 00000000-e2a2-4968-b651-5352305c9fb0 (no "Bearer").',
    );
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.baseUrl ?? 'https://api.zignsec.com');
    if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw configError(
      '`baseUrl` must be an absolute URL such as https://api.zignsec.com or https://test.zignsec.com.',
    );
  }
  const webhookSecret = options.webhookSecret;
  if (webhookSecret !== undefined && (typeof webhookSecret !== 'string' || webhookSecret.length < 16)) {
    throw configError('`webhookSecret` must be a string of at least 16 characters (a random secret).');
  }
  if (options.language !== undefined && !/^[A-Za-z]{2}$/.test(options.language)) {
    throw configError('`language` must be a two-letter ISO 639-1 code such as "sv" or "en".');
  }
  if (options.scope !== undefined) {
    const parts = typeof options.scope === 'string' ? options.scope.split(' ').filter(Boolean) : [];
    if (parts.length === 0 || parts.some((part) => !SCOPES.includes(part))) {
      throw configError(`\`scope\` must be space-separated values of ${SCOPES.join(', ')}.`);
    }
  }
  if (
    options.nbidLoginHint !== undefined &&
    options.nbidLoginHint !== 'BID' &&
    options.nbidLoginHint !== 'BIM'
  ) {
    throw configError('`nbidLoginHint` must be "BID" or "BIM".');
  }
  if (options.smartIdCountry !== undefined && !['EE', 'LV', 'LT'].includes(options.smartIdCountry)) {
    throw configError('`smartIdCountry` must be "EE", "LV" or "LT".');
  }
  if (options.configId !== undefined && (typeof options.configId !== 'string' || options.configId === '')) {
    throw configError('`configId` must be a non-empty string (a GUID from ZignSec).');
  }
  const enabled = options.methods ?? ZIGNSEC_METHODS.map((method) => method.id as ZignSecMethodId);
  if (!Array.isArray(enabled) || enabled.length === 0) {
    throw configError('`methods` must list at least one method.');
  }
  for (const id of enabled) {
    if (!ZIGNSEC_METHODS.some((method) => method.id === id)) {
      throw configError(
        `unknown method "${id}" in \`methods\`; known: ${ZIGNSEC_METHODS.map((m) => m.id).join(', ')}.`,
      );
    }
  }
  const methods = ZIGNSEC_METHODS.filter((method) => enabled.includes(method.id as ZignSecMethodId));
  const logger = redactingLogger(options.logger ?? silentLogger);
  const http = new HttpClient({ name: 'ZignSec', timeouts: options.timeouts, logger });
  const api = (path: string) => new URL(path, baseUrl).toString();

  function methodSpec(id: string): ZignSecMethodSpec {
    const spec = methods.find((method) => method.id === id);
    if (!spec) throw new EidError('unknown_method', `ZignSec does not offer the method "${id}" here.`);
    return spec;
  }

  async function send(request: {
    method: 'GET' | 'POST';
    path: string;
    form?: URLSearchParams;
    json?: Record<string, unknown>;
    what: string;
  }): Promise<ZignSecResult> {
    const body = request.form
      ? request.form.toString()
      : request.json
        ? JSON.stringify(request.json)
        : undefined;
    const response = await http.request({
      method: request.method,
      url: api(request.path),
      headers: {
        authorization: token,
        accept: 'application/json',
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(request.json ? { 'content-type': 'application/json' } : {}),
      },
      body,
      idempotent: request.method === 'GET',
    });
    if (response.status < 200 || response.status > 299) throw upstreamError(response, request.what, logger);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch (cause) {
      throw new EidError('provider_error', 'ZignSec sent a response that is not valid JSON.', { cause });
    }
    if (!isRecord(parsed))
      throw new EidError('provider_error', 'ZignSec sent a response that is not an object.');
    return parsed as ZignSecResult;
  }

  function setupParameters(spec: ZignSecMethodSpec, context: StartContext): Record<string, string> {
    // `target` gets `?relaystate=…&service=…` appended by ZignSec (seed 004), so it is the bare callback
    // path; the transaction id travels as `relaystate` and `transactionIdFromCallback` reads it back.
    const target = new URL(context.callbackUrl);
    target.search = '';
    target.hash = '';
    const parameters: Record<string, string> = {
      target: target.toString(),
      targetError: target.toString(),
      relaystate: context.transactionId,
    };
    const language = languageOf(context.lang ?? options.language);
    if (language) parameters.language = language;
    if (webhookSecret) {
      const webhook = new URL(context.webhookUrl);
      webhook.searchParams.set('token', webhookToken(webhookSecret, context.transactionId));
      parameters.webhook = webhook.toString();
    }
    if (options.configId) parameters.configid = options.configId;
    if (options.allowRetries) parameters.allowRetries = 'true';
    if (spec.country === 'SE') {
      if (options.lookupPersonAddress) parameters.LookupPersonAddress = 'true';
      if (options.autoStartTokenRequired) parameters.AutoStartTokenRequired = 'Yes';
    }
    if (spec.country === 'NO' && options.scope) parameters.Scope = options.scope;
    if (spec.id === 'nbid-oidc') {
      // BankID's login_hint grammar: BID, BIM, BID:<nin>, and :<nin> (nin prefilled, web or mobile still
      // offered). BIM identifies by phone and birth date, so a nin cannot go with it.
      const hint = options.nbidLoginHint;
      const loginHint = context.nin ? (hint === 'BIM' ? 'BIM' : `${hint ?? ''}:${context.nin.value}`) : hint;
      if (loginHint) parameters.login_hint = loginHint;
    } else if (context.nin) {
      // Normalised NationalId values are the documented formats: SE YYYYMMDDCCCC, DK DDMMYYCCCC,
      // NO DDMMYYXXXCC (FI, undocumented in the seed, keeps its century sign).
      parameters.PersonalNumber = context.nin.value;
    }
    return parameters;
  }

  /** v3 takes JSON; SwissID's documented example spells `relayState` in camel case. */
  function v3Body(spec: ZignSecMethodSpec, context: StartContext): Record<string, unknown> {
    const { relaystate, configid, allowRetries, ...rest } = setupParameters(spec, context);
    const body: Record<string, unknown> = { ...rest, relayState: relaystate };
    if (configid) body.configid = configid;
    if (allowRetries) body.allowRetries = true;
    if (spec.id === 'swissid') body.scopes = options.swissIdScopes ?? 'openid profile';
    if (spec.id === 'smartid') {
      // Smart-ID's API takes countryCode, identifierType and identifier; in the browser flow ZignSec's page
      // asks the user for the identifier, so only the country and the kind of identifier are sent.
      body.countryCode = options.smartIdCountry ?? 'EE';
      body.identifierType = 'PersonalNumber';
    }
    return body;
  }

  function resultPath(spec: ZignSecMethodSpec | undefined, reference: string): string {
    const id = encodeURIComponent(reference);
    // The seed polls everything at /v2/eid/{id} and says "for others use v3"; Smart-ID's own page
    // documents GET /v3/eid/smartid/{id}.
    if (spec?.id === 'smartid') return `/v3/eid/smartid/${id}`;
    if (spec?.api === 'v3') return `/v3/eid/${id}`;
    return `/v2/eid/${id}`;
  }

  async function poll(transaction: Transaction): Promise<CompleteResult> {
    const spec = ZIGNSEC_METHODS.find((method) => method.id === transaction.method);
    const result = await send({
      method: 'GET',
      path: resultPath(spec, transaction.reference),
      what: 'result request',
    });
    if (typeof result.id === 'string' && result.id !== transaction.reference) {
      throw new EidError('provider_error', 'ZignSec answered with another session than the one asked for.');
    }
    return mapResult(result, transaction, logger, options.profile);
  }

  const provider: Provider = {
    specificationVersion: 'v1',
    id: 'zignsec',
    name: 'ZignSec',
    methods: methods.map(({ id, flow, label, country }) => ({ id, flow, label, country })),

    async start(context: StartContext): Promise<StartResult> {
      const spec = methodSpec(context.method.id);
      const path = spec.api === 'v2' ? `/v2/eid/${spec.selector}` : `/v3/eid/${spec.selector}`;
      const result =
        spec.api === 'v2'
          ? await send({
              method: 'POST',
              path,
              form: new URLSearchParams(setupParameters(spec, context)),
              what: 'setup request',
            })
          : await send({ method: 'POST', path, json: v3Body(spec, context), what: 'setup request' });
      if (Array.isArray(result.errors) && result.errors.length > 0) {
        throw errorFromCodes(result.errors, 'setup request', logger);
      }
      if (typeof result.id !== 'string' || result.id === '') {
        throw new EidError('provider_error', 'ZignSec created a session without an id.');
      }
      const redirectUrl = result.redirect_url;
      if (!isHttpUrl(redirectUrl)) {
        throw new EidError('provider_error', 'ZignSec created a session without a redirect_url.');
      }
      return { reference: result.id, redirectUrl: redirectUrl.trim() };
    },

    async complete({ transaction, callbackQuery }): Promise<CompleteResult> {
      let result = await poll(transaction);
      for (
        let attempt = 1;
        callbackQuery && result.status === 'pending' && attempt < CALLBACK_POLLS;
        attempt++
      ) {
        await new Promise((resolve) => setTimeout(resolve, CALLBACK_POLL_DELAY_MS));
        result = await poll(transaction);
      }
      return result;
    },

    transactionIdFromCallback(query: Record<string, string>): string | undefined {
      return query.relaystate ?? query.relayState ?? query.tx;
    },

    async close() {
      await http.close();
    },
  };

  if (webhookSecret) {
    provider.webhook = async (request: WebhookRequest): Promise<WebhookNotice | undefined> => {
      const transactionId = request.query.tx ?? '';
      if (!verifyWebhookToken(webhookSecret, transactionId, request.query.token)) {
        throw new EidError(
          'unauthenticated',
          'The ZignSec webhook call does not carry a valid token; it was not sent for a login of this app.',
        );
      }
      const body = webhookBody(request.body);
      // A push without a session id concerns no login (a test ping from ZignSec's settings page).
      if (!body || typeof body.id !== 'string' || body.id === '') return undefined;
      // The push is a signal only: its token lives in a URL (proxies and access logs see those), so the
      // result, identity included, is fetched from ZignSec's API (`complete`) rather than taken from the body.
      return { transactionId, reference: body.id };
    };
  }
  return provider;
}

function webhookBody(body: unknown): ZignSecResult | undefined {
  let value = body;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString());
    } catch {
      throw new EidError('invalid_request', 'The ZignSec webhook body is not JSON.');
    }
  }
  return isRecord(value) ? (value as ZignSecResult) : undefined;
}

function languageOf(lang: string | undefined): string | undefined {
  if (lang === undefined) return undefined;
  const lower = lang.toLowerCase();
  return LANGUAGES[lower] ?? lower;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

// ZignSec's error codes are upper-case words; descriptions may echo input (a personal number) and are only logged.

function codesOf(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors
    .map((error) => (isRecord(error) ? safeUpstreamCode(error.code) : undefined))
    .filter((code): code is string => code !== undefined);
}

/** An error body `{ errors: [{ code, description }] }` (docs.zignsec.com, "Error handling") as an EidError. */
function errorFromCodes(errors: unknown, what: string, logger: Logger): EidError {
  const codes = codesOf(errors);
  logger.warn({ provider: 'zignsec', what, errors }, 'ZignSec reported errors');
  const upper = codes.map((code) => code.toUpperCase());
  if (upper.includes('INVALID_PERSONALNUMBER')) {
    return new EidError('invalid_nin', 'ZignSec did not accept the national identity number.');
  }
  if (upper.includes('INVALID_APPID')) return credentialsError();
  if (upper.includes('MISSING_CONFIG')) {
    return new EidError(
      'provider_error',
      'The ZignSec account has no configuration for this method. Ask ZignSec to enable it, or set `configId`.',
    );
  }
  return new EidError(
    'provider_error',
    `ZignSec refused the ${what}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}.`,
  );
}

function credentialsError(): EidError {
  return new EidError(
    'provider_error',
    'ZignSec rejected the access token. Check `token` (sent as the bare Authorization value) and that `baseUrl` is the environment it was issued for (api or test).',
  );
}

function upstreamError(response: HttpResponse, what: string, logger: Logger): EidError {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    body = undefined;
  }
  logger.warn({ provider: 'zignsec', what, status: response.status, body }, 'ZignSec refused a request');
  if (response.status === 401 || response.status === 403) return credentialsError();
  if (response.status === 429)
    return new EidError('rate_limited', 'ZignSec is limiting requests. Try again shortly.');
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new EidError(
      'provider_unavailable',
      `ZignSec is unavailable (HTTP ${response.status}). Try again in a moment.`,
    );
  }
  if (response.status >= 400 && response.status < 500 && isRecord(body) && Array.isArray(body.errors)) {
    if (response.status === 404 && codesOf(body.errors).includes('SESSION_NOT_FOUND')) {
      return new EidError(
        'provider_error',
        'ZignSec no longer knows this login session. Start the login again.',
      );
    }
    return errorFromCodes(body.errors, what, silentLogger);
  }
  return new EidError('provider_error', `ZignSec answered HTTP ${response.status} to the ${what}.`);
}

/**
 * The session state: `result.identity.state` when present; a webhook body may leave it out (the documented
 * webhook example is the identity, `method` and `id` only), so errors mean ERROR and an identity FINISHED.
 */
export function resultState(result: ZignSecResult): string | undefined {
  const state = result.result?.identity?.state;
  if (typeof state === 'string' && state !== '') return state.toUpperCase();
  if (Array.isArray(result.errors) && result.errors.length > 0) return 'ERROR';
  if (isRecord(result.identity)) return 'FINISHED';
  return undefined;
}

/**
 * ZignSec does not document the codes of an ERROR session; the simulator uses USER_CANCEL,
 * EXPIRED_TRANSACTION and ID_PROVIDER_ERROR. Anything naming a cancel or abort is the user's choice.
 */
function sessionError(errors: unknown, transaction: Pick<Transaction, 'id'>, logger: Logger): EidError {
  const codes = codesOf(errors).map((code) => code.toUpperCase());
  logger.warn(
    { provider: 'zignsec', transactionId: transaction.id, errors },
    'ZignSec session ended in ERROR',
  );
  if (codes.some((code) => /CANCEL|ABORT/.test(code))) {
    return new EidError('user_cancelled', 'The login was cancelled.');
  }
  if (codes.some((code) => /EXPIRED|TIMEOUT/.test(code))) {
    return new EidError(
      'transaction_expired',
      'The login took too long at the eID provider. Start it again.',
    );
  }
  return new EidError(
    'provider_error',
    `The eID provider reported an error${codes.length > 0 ? ` (${codes.slice(0, 3).join(', ')})` : ''}.`,
  );
}

export function mapResult(
  result: ZignSecResult,
  transaction: Pick<Transaction, 'id'>,
  logger: Logger = silentLogger,
  profile?: ZignSecOptions['profile'],
): CompleteResult {
  switch (resultState(result)) {
    case 'PENDING':
      return { status: 'pending' };
    case 'FINISHED': {
      if (Array.isArray(result.errors) && result.errors.length > 0) {
        return { status: 'failed', error: sessionError(result.errors, transaction, logger) };
      }
      try {
        const identity = toIdentity(result, logger);
        return { status: 'complete', identity: profile ? profile(result, identity) : identity };
      } catch (error) {
        if (error instanceof EidError) return { status: 'failed', error };
        throw error;
      }
    }
    case 'ERROR':
      return { status: 'failed', error: sessionError(result.errors, transaction, logger) };
    default:
      return {
        status: 'failed',
        error: new EidError('provider_error', 'ZignSec reported a session state this library does not know.'),
      };
  }
}

export function toIdentity(result: ZignSecResult, logger: Logger = silentLogger): ProviderIdentity {
  const identity = result.identity;
  if (!isRecord(identity))
    throw new EidError('provider_error', 'ZignSec reported FINISHED without an identity.');
  const personalNumber = text(identity.PersonalNumber);
  // IdProviderPersonId is the stable key where the eID has one (NemID PID, BankID Norway's certificate
  // serial); Swedish BankID leaves it empty and always returns the personal number instead.
  const subject = text(identity.IdProviderPersonId) ?? personalNumber;
  if (!subject) throw new EidError('provider_error', 'ZignSec reported an identity without any person key.');
  const country = text(identity.CountryCode)?.toUpperCase();
  const nin = nationalIdFromProvider(personalNumber, country);
  if (personalNumber !== undefined && nin && !nin.validated) {
    logger.warn({ provider: 'zignsec', country }, 'ZignSec returned a national id that does not validate');
  }
  const firstName = text(identity.FirstName);
  const lastName = text(identity.LastName);
  const name = text(identity.FullName) ?? (firstName && lastName ? `${firstName} ${lastName}` : undefined);
  const dateOfBirth = text(identity.DateOfBirth);
  const identified = text(identity.IdentificationDate);
  const authenticatedAt =
    identified && !Number.isNaN(Date.parse(identified)) ? new Date(identified) : new Date();
  const extra = compactIdentity({
    idProvider: text(identity.IdProviderName),
    zignsecMethod: text(result.method),
    country,
  });
  return compactIdentity({
    subject,
    nin: nin?.nin,
    name,
    firstName,
    lastName,
    dateOfBirth: dateOfBirth && /^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth) ? dateOfBirth : undefined,
    authenticatedAt: authenticatedAt.toISOString(),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
