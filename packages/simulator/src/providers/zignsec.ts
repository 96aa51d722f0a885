/**
 * ZignSec "BankID in Browser", as its documentation describes it (the provider's documentation,
 * docs.zignsec.com/api/v2/bankid-browser-based/, the "Error handling" and "Webhooks" pages):
 * - `Authorization: <access token>`, the bare token; a wrong one gets 401 with `INVALID_APPID`.
 * - `POST /v2/eid/{bankid_selector}` (form-urlencoded or JSON) for sbid, sbid-another, fbid, nemid,
 *   nbid_oidc, nbid, nbid_mobile, nbid_pep and a two-letter country code; `POST /v3/eid/swissid` and
 *   `POST /v3/eid/smartid/auth` (JSON). Answer: `{ id, errors: [], redirect_url }`.
 * - `GET /v2/eid/{id}` (also `/v3/eid/{id}` and `/v3/eid/smartid/{id}`): `result.identity.state`
 *   PENDING / FINISHED / ERROR, `identity` once FINISHED, `errors` on ERROR.
 * - Errors: `{ errors: [{ code, description }] }` with ZignSec's codes (INVALID_PERSONALNUMBER,
 *   INVALID_TARGET, INVALID_WEBHOOK, SESSION_NOT_FOUND, MISSING_CONFIG, INVALID_REQUEST, ...).
 * - The end-user page at `redirect_url`; afterwards a 303 to `target` (or `targetError`) with
 *   `relaystate` (and `service=eIDBasic`, as the documentation's example) appended, and a POST of the result body to
 *   the request's `webhook`.
 * Parameter names are read case-insensitively, as ZignSec's .NET model binding does (its own pages spell
 * `PersonalNumber`, `personalNumber` and `relaystate`/`relayState`). Where the documentation is silent the
 * choice is written next to the code. This module shares no code with @eid/core.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, mediaType, readBody, redirect, sendHtml, sendJson } from '../http.js';
import { endUserPage, renderApprovalPage, renderErrorPage } from '../pages.js';
import type { ProviderContext, SimulatedProvider } from '../provider.js';
import type { RouteHandler, Router } from '../router.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../types.js';
import * as shared from './common.js';

export const ZIGNSEC = 'zignsec';
/** Shaped like the documentation's example token `00000000-e2a2-4968-b651-5352305c9fb0`. */
export const ZIGNSEC_DEFAULT_TOKEN = '00000000-sim0-4968-b651-5352305c9fb0';

export interface ZignSecSettings {
  token: string;
}

export interface ZignSecSimulatorOptions extends ZignSecSettings {
  sessionLifetimeSeconds: number;
}

/** The simulator's ZignSec access token: the given one or the default. */
export function zignsecSettings(given: Partial<ZignSecSettings> | undefined): ZignSecSettings {
  const token = given?.token ?? ZIGNSEC_DEFAULT_TOKEN;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) {
    throw new TypeError('startSimulator: zignsec.token must be a non-empty string without spaces.');
  }
  return { token };
}

type Country = 'SE' | 'NO' | 'DK' | 'FI' | 'CH' | 'EE' | 'LV' | 'LT';
type State = 'PENDING' | 'FINISHED' | 'ERROR';

/** A person for the eIDs the built-in users do not cover (SwissID, Smart-ID). Numbers are made up, check digits valid. */
interface ZignSecUser {
  id: string;
  country: Country;
  nin?: string;
  name: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  idpId?: string;
}

const EXTRA_USERS: readonly ZignSecUser[] = [
  {
    id: 'ch-lena',
    country: 'CH',
    name: 'Lena Meier',
    firstName: 'Lena',
    lastName: 'Meier',
    dateOfBirth: '1991-05-23',
    idpId: '4f5c0a2e-7b1d-4e8a-9c36-2d7e8b1f0a94',
  },
  // Estonian isikukood (and the Lithuanian asmens kodas, same scheme) GYYMMDDSSSC; Latvian personas kods
  // DDMMYY-CNNNN. Check digits computed with each country's published algorithm.
  {
    id: 'ee-mari',
    country: 'EE',
    nin: '48805140222',
    name: 'Mari Tamm',
    firstName: 'Mari',
    lastName: 'Tamm',
    dateOfBirth: '1988-05-14',
  },
  {
    id: 'lv-janis',
    country: 'LV',
    nin: '160892-11003',
    name: 'Jānis Bērziņš',
    firstName: 'Jānis',
    lastName: 'Bērziņš',
    dateOfBirth: '1992-08-16',
  },
  {
    id: 'lt-ona',
    country: 'LT',
    nin: '49509170310',
    name: 'Ona Kazlauskienė',
    firstName: 'Ona',
    lastName: 'Kazlauskienė',
    dateOfBirth: '1995-09-17',
  },
];

interface Product {
  api: 'v2' | 'v3';
  country?: Country;
  title: string;
}

/** The `bankid_selector` values this simulated account has enabled. */
const PRODUCTS: Record<string, Product> = {
  sbid: { api: 'v2', country: 'SE', title: 'Simulated Swedish BankID (ZignSec)' },
  'sbid-another': { api: 'v2', country: 'SE', title: 'Simulated Swedish BankID on another device (ZignSec)' },
  fbid: { api: 'v2', country: 'FI', title: 'Simulated Finnish bank ID (ZignSec)' },
  nemid: { api: 'v2', country: 'DK', title: 'Simulated NemID (ZignSec)' },
  nbid_oidc: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID (ZignSec)' },
  nbid: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID web (ZignSec)' },
  nbid_mobile: { api: 'v2', country: 'NO', title: 'Simulated BankID on mobile (ZignSec)' },
  nbid_pep: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID with PEP check (ZignSec)' },
  swissid: { api: 'v3', country: 'CH', title: 'Simulated SwissID (ZignSec)' },
  'smartid/auth': { api: 'v3', title: 'Simulated Smart-ID (ZignSec)' },
};
/** `[cc]`: the countries whose eIDs this account has; another code is a missing configuration. */
const COUNTRY_SELECTORS: Record<string, Country> = { se: 'SE', no: 'NO', dk: 'DK', fi: 'FI' };

/** `IdProviderName` per country, as ZignSec names its identity providers. */
const ID_PROVIDERS: Record<Country, string> = {
  SE: 'BankIDSE',
  NO: 'BankIDNO',
  DK: 'NemID',
  FI: 'FTN',
  CH: 'SwissID',
  EE: 'SmartID',
  LV: 'SmartID',
  LT: 'SmartID',
};

/** The personal number formats of the documentation (SE, DK, NO), and HETU for Finland. */
const PERSONAL_NUMBER: Partial<Record<Country, { pattern: RegExp; name: string }>> = {
  SE: { pattern: /^\d{12}$/, name: 'Swedish personal number (YYYYMMDDCCCC)' },
  DK: { pattern: /^\d{10}$/, name: 'Danish CPR Number (DDMMYYCCCC)' },
  NO: { pattern: /^\d{11}$/, name: 'Norwegian national identity number (DDMMYYXXXCC)' },
  FI: { pattern: /^\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]$/i, name: 'Finnish personal identity code' },
};

const SCOPES = new Set(['nnin', 'address', 'phone', 'email', 'nnin_altsub']);
const IDENTIFIER_TYPES = new Set(['PersonalNumber', 'PassportNumber', 'NationalIdentityCardNumber']);
const MAX_SESSIONS = 10_000;
const PAGE_PATH = '/v2/Hosted';
const WEBHOOK_TIMEOUT_MS = 5_000;

interface Session {
  id: string;
  selector: string;
  api: 'v2' | 'v3';
  /** The country whose users may log in. */
  country: Country;
  state: State;
  relaystate: string;
  target?: string;
  targetError?: string;
  webhook?: string;
  language?: string;
  /** PersonalNumber, the nin in login_hint, or the Smart-ID identifier. */
  personalNumber?: string;
  scope: string[];
  lookupPersonAddress: boolean;
  expiresAt: number;
  user?: ZignSecUser;
  identificationDate?: string;
  requestId?: string;
  errors?: { code: string; description: string }[];
}

/** A refusal in ZignSec's error format. */
class ZignSecError extends HttpError {
  constructor(status: number, code: string, description: string) {
    super(status, description, code);
  }
}

export function zignsec(context: ProviderContext, options: ZignSecSimulatorOptions): SimulatedProvider {
  const sessions = new Map<string, Session>();
  const { router } = context;
  const api = { provider: ZIGNSEC };
  const allUsers = (): ZignSecUser[] => [...context.users.map(fromTestUser), ...EXTRA_USERS];

  // ---- API ------------------------------------------------------------------------------------

  function rest(handler: RouteHandler): RouteHandler {
    return async (ctx) => {
      try {
        if (!shared.safeEqual(ctx.req.headers.authorization ?? '', options.token)) {
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

  router.post(
    '/v2/eid/:selector',
    rest(async ({ req, res, params }) => {
      const selector = params.selector!;
      const country = v2Country(selector);
      const parameters = await readParameters(req);
      const session = create(selector, 'v2', country, parameters);
      sendJson(res, 200, { id: session.id, errors: [], redirect_url: redirectUrl(session) });
    }),
    api,
  );

  for (const selector of ['swissid', 'smartid/auth']) {
    router.post(
      `/v3/eid/${selector}`,
      rest(async ({ req, res }) => {
        const parameters = await readParameters(req);
        const session = create(selector, 'v3', v3Country(selector, parameters), parameters);
        sendJson(res, 200, { id: session.id, errors: [], redirect_url: redirectUrl(session) });
      }),
      api,
    );
  }

  // Every result path answers for every session: the documentation polls /v2/eid/{id}, Smart-ID's page documents
  // /v3/eid/smartid/{id}, and "for others use v3".
  for (const pattern of ['/v2/eid/:id', '/v3/eid/:id', '/v3/eid/smartid/:id']) {
    router.get(
      pattern,
      rest(({ res, params }) => {
        const session = sessions.get(params.id!.toLowerCase());
        if (!session) throw new ZignSecError(404, 'SESSION_NOT_FOUND', 'Session not found');
        refresh(session);
        sendJson(res, 200, present(session));
      }),
      api,
    );
  }

  for (const prefix of ['/v2/eid/*', '/v3/eid/*']) {
    router.add(
      '*',
      prefix,
      rest(({ req, url }) => {
        throw new ZignSecError(404, 'INVALID_REQUEST', `No such endpoint: ${req.method} ${url.pathname}.`);
      }),
      api,
    );
  }

  function create(selector: string, version: 'v2' | 'v3', country: Country, parameters: Parameters): Session {
    const session = newSession(selector, version, country, parameters, options.sessionLifetimeSeconds);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    sessions.set(session.id, session);
    return session;
  }

  function redirectUrl(session: Session): string {
    return `${context.origin()}${PAGE_PATH}/${session.id}`;
  }

  registerPages(router, sessions, allUsers, options.token);

  return {
    id: ZIGNSEC,
    ...shared.sessionControl({
      sessions,
      key: (id) => id.toLowerCase(),
      refresh,
      pending: 'PENDING',
      state: (session) => session.state,
      noun: 'Session',
      finish(session, outcome, userId) {
        finishSession(allUsers(), session, outcome, userId);
        void deliverWebhook(session, options.token);
      },
      view,
    }),
    respondWithStatus(res: ServerResponse, status: number) {
      const code =
        status === 401
          ? 'INVALID_APPID'
          : status === 404
            ? 'SESSION_NOT_FOUND'
            : status >= 500
              ? 'INTERNAL_ERROR'
              : 'INVALID_REQUEST';
      sendErrors(res, status, code, 'Simulated failure.', shared.retryAfter(status));
    },
  };
}

// ---- request parsing ----------------------------------------------------------------------------

type Parameters = Map<string, unknown>;

/** The setup body, form-urlencoded or JSON, keyed by lower-case name. */
async function readParameters(req: IncomingMessage): Promise<Parameters> {
  const type = mediaType(req);
  const raw = await readBody(req);
  const parameters: Parameters = new Map();
  if (type === 'application/x-www-form-urlencoded' || (type === '' && raw === '')) {
    for (const [key, value] of new URLSearchParams(raw)) parameters.set(key.toLowerCase(), value);
    return parameters;
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let body: unknown;
    try {
      body = JSON.parse(raw === '' ? '{}' : raw);
    } catch {
      throw new ZignSecError(400, 'INVALID_REQUEST', 'The request body is not valid JSON.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ZignSecError(400, 'INVALID_REQUEST', 'The request body must be a JSON object.');
    }
    for (const [key, value] of Object.entries(body)) parameters.set(key.toLowerCase(), value);
    return parameters;
  }
  throw new ZignSecError(
    415,
    'INVALID_REQUEST',
    'Content-Type must be application/x-www-form-urlencoded or application/json.',
  );
}

/** A flat parameter as text; empty strings count as absent (the SwissID example sends `"webhook": ""`). */
function text(parameters: Parameters, name: string): string | undefined {
  const value = parameters.get(name.toLowerCase());
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value !== 'string') {
    throw new ZignSecError(400, 'INVALID_REQUEST', `${name} must be a string.`);
  }
  return value === '' ? undefined : value;
}

// ---- small helpers ------------------------------------------------------------------------------

function sendErrors(
  res: ServerResponse,
  status: number,
  code: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { errors: [{ code, description }] }, headers);
}

function fromTestUser(user: TestUser): ZignSecUser {
  return {
    id: user.id,
    country: user.country,
    nin: user.nin,
    name: user.name,
    firstName: user.firstName,
    lastName: user.lastName,
    dateOfBirth: user.dateOfBirth,
    ...(user.idpId ? { idpId: user.idpId } : {}),
  };
}

/** The approval page lists people by id and name only. */
function asTestUser(user: ZignSecUser): TestUser {
  return { ...user, country: user.country as TestUser['country'], nin: user.nin ?? '', ninType: '' };
}

function digest(input: string): string {
  return createHash('sha256').update(input).digest('hex');
}

function digitsOf(input: string, count: number): string {
  return BigInt(`0x${digest(input)}`)
    .toString()
    .slice(0, count);
}

/** The persistent person key per eID (the documentation: "IdProviderPersonID"); Swedish BankID and FTN have none. */
function personIdOf(user: ZignSecUser): string {
  switch (user.country) {
    case 'NO':
      // BankID Norway's certificate serial, e.g. 9578-5997-4-3154736.
      return user.idpId ?? `9578-6000-4-${digitsOf(`pid:${user.id}`, 7)}`;
    case 'DK':
      // NemID's PID, e.g. 9208-2002-2-123456789012.
      return `9208-2002-2-${digitsOf(`nemid:${user.id}`, 12)}`;
    case 'CH':
      return user.idpId ?? digest(`swissid:${user.id}`).slice(0, 32);
    case 'EE':
    case 'LV':
    case 'LT':
      // Smart-ID's semantics identifier: PNO + country + personal code.
      return `PNO${user.country}-${user.nin}`;
    default:
      return '';
  }
}

function phoneOf(user: ZignSecUser): string {
  return `+474${digitsOf(`phone:${user.id}`, 7)}`;
}

function addressOf(user: ZignSecUser): Record<string, unknown> {
  const [year, month, day] = user.dateOfBirth.split('-').map(Number) as [number, number, number];
  return {
    PersonStatus: '',
    FirstName: user.firstName,
    LastName: user.lastName,
    MainFirstName: user.firstName,
    Address: 'Simulatorvägen 1',
    Address2: null,
    PostalCode: '11122',
    Location: null,
    City: 'Stockholm',
    Province: null,
    CountryCode: 'se',
    Phone: null,
    PhoneNumbers: [],
    Email: null,
    DateOfBirth: user.dateOfBirth.replaceAll('-', ''),
    BirthYear: year,
    BirthMonth: month,
    BirthDayOfMonth: day,
    Age: ageOf(user.dateOfBirth),
    PersonalNumber: user.nin ?? '',
    _DataSource: 'SIM',
  };
}

function ageOf(dateOfBirth: string): number {
  const [year, month, day] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const now = new Date();
  const birthdayPassed =
    now.getUTCMonth() + 1 > month || (now.getUTCMonth() + 1 === month && now.getUTCDate() >= day);
  return now.getUTCFullYear() - year - (birthdayPassed ? 0 : 1);
}

/** `IdentificationDate` as the documentation's example writes it: seven fraction digits and the Stockholm offset. */
function dotNetLocalTimestamp(ms: number): string {
  const offsetMinutes = stockholmOffsetMinutes(ms);
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', '');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}0000${sign}${hours}:${minutes}`;
}

function stockholmOffsetMinutes(ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Stockholm',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? 'GMT+01:00';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

// ---- a session ---------------------------------------------------------------------------------

/** A session the user did not finish in time ends in ERROR (the documentation: "timeout, aborted, exception"). */
function refresh(session: Session): void {
  if (session.state === 'PENDING' && Date.now() > session.expiresAt) {
    session.state = 'ERROR';
    session.errors = [{ code: 'EXPIRED_TRANSACTION', description: 'The login was not finished in time.' }];
  }
}

/** The result body: GET answer and webhook payload alike. */
function present(session: Session): Record<string, unknown> {
  const body: Record<string, unknown> = { id: session.id };
  // "errors [...] is missing (deemed unnecessary) if the authentication is successful."
  if (session.state !== 'FINISHED') body.errors = session.errors ?? [];
  body.result = { identity: { state: session.state } };
  if (session.state === 'FINISHED' && session.user) {
    body.identity = identityOf(session, session.user);
    if (session.country === 'SE') {
      body.BankIDSE = {
        signature: Buffer.from(`<Signature>simulated for ${session.id}</Signature>`).toString('base64'),
        ocspResponse: Buffer.from(`simulated OCSP response ${session.id}`).toString('base64'),
      };
      if (session.lookupPersonAddress) body.LookupPersonAddress = addressOf(session.user);
    }
  }
  body.method = session.selector;
  return body;
}

function identityOf(session: Session, user: ZignSecUser): Record<string, unknown> {
  const country = user.country;
  // Who returns the number: Swedish BankID, FTN and Smart-ID always; Norwegian BankID with the nnin
  // scopes or a verified prefill; NemID only after a CPR match of a given PersonalNumber; SwissID never.
  const numberReturned =
    country === 'SE' ||
    country === 'FI' ||
    country === 'EE' ||
    country === 'LV' ||
    country === 'LT' ||
    (country === 'NO' &&
      (session.scope.includes('nnin') ||
        session.scope.includes('nnin_altsub') ||
        session.personalNumber !== undefined)) ||
    (country === 'DK' && session.personalNumber !== undefined);
  const identity: Record<string, unknown> = {
    CountryCode: country,
    FirstName: user.firstName,
    LastName: user.lastName,
    FullName: user.name,
    PersonalNumber: numberReturned && user.nin ? user.nin : '',
    DateOfBirth: user.dateOfBirth,
    Age: ageOf(user.dateOfBirth),
  };
  if (session.selector === 'nbid_mobile') identity.PhoneNumber = phoneOf(user);
  identity.IdProviderName = ID_PROVIDERS[country];
  identity.IdentificationDate = session.identificationDate;
  identity.IdProviderRequestId = country === 'SE' ? '' : session.requestId;
  identity.IdProviderPersonId = personIdOf(user);
  identity.CustomerPersonId = '';
  return identity;
}

function view(session: Session): SimulatorSessionView {
  return shared.sessionView(session.id, ZIGNSEC, session.selector, session.state, session.personalNumber);
}

function usersFor(users: readonly ZignSecUser[], session: Session): ZignSecUser[] {
  return shared.offeredUsers(users, session.country, session.personalNumber);
}

function finishSession(
  users: readonly ZignSecUser[],
  session: Session,
  outcome: Outcome,
  userId: string | undefined,
): void {
  if (outcome === 'success') {
    const candidates = usersFor(users, session);
    const user = shared.pickTestUser({
      all: users,
      offered: candidates,
      userId,
      fits: (candidate) => candidates.some((offered) => offered.id === candidate.id),
      notFitting: (candidate) =>
        `Test user ${candidate.id} cannot log in to this ${session.selector} session.`,
      none: `There is no test user for ${session.country}.`,
    });
    session.state = 'FINISHED';
    session.user = user;
    session.identificationDate = dotNetLocalTimestamp(Date.now());
    session.requestId = randomUUID();
  } else {
    session.state = 'ERROR';
    session.errors =
      outcome === 'abort'
        ? [{ code: 'USER_CANCEL', description: 'The end-user cancelled the login.' }]
        : [{ code: 'ID_PROVIDER_ERROR', description: 'The eID provider reported an error.' }];
  }
}

/**
 * POSTs the result body to the session's webhook, signed as ZignSec's webhook page describes
 * (`X-ZignSec-Hmac-SHA256`: HMAC-SHA256 of the body under the access token, base64). Failures are ignored,
 * as a webhook receiver's problems are not the login's.
 */
async function deliverWebhook(session: Session, token: string): Promise<void> {
  if (!session.webhook) return;
  const body = JSON.stringify(present(session));
  const signature = createHmac('sha256', token).update(body, 'utf8').digest('base64');
  try {
    const response = await fetch(session.webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zignsec-hmac-sha256': signature },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch {
    // ignored
  }
}

/** The country of a v2 selector; one this account lacks is refused as ZignSec refuses it. */
function v2Country(selector: string): Country {
  const country = COUNTRY_SELECTORS[selector.toLowerCase()];
  if (!PRODUCTS[selector] && !country) {
    // A country or product ZignSec has but this account lacks is "a missing config" (the documentation's MISSING_CONFIG).
    const known = /^[a-z]{2}$/i.test(selector) || selector === 'sbid-sign';
    throw new ZignSecError(
      400,
      known ? 'MISSING_CONFIG' : 'INVALID_REQUEST',
      known
        ? `Your account has a missing config for ${selector}, contact ZignSec for help.`
        : `Unknown bankid_selector "${selector}".`,
    );
  }
  if (PRODUCTS[selector]?.api === 'v3') {
    throw new ZignSecError(400, 'INVALID_REQUEST', `${selector} is a v3 product: POST /v3/eid/${selector}.`);
  }
  return country ?? PRODUCTS[selector]!.country!;
}

/** The country of a v3 product: Smart-ID's from its `countryCode`, with the kind of identifier checked. */
function v3Country(selector: string, parameters: Parameters): Country {
  if (selector !== 'smartid/auth') return PRODUCTS[selector]!.country!;
  const code = text(parameters, 'countryCode')?.toUpperCase();
  if (code !== 'EE' && code !== 'LV' && code !== 'LT') {
    throw new ZignSecError(400, 'INVALID_COUNTRYCODE', 'countryCode must be EE, LV or LT.');
  }
  const type = text(parameters, 'identifierType');
  if (!type || !IDENTIFIER_TYPES.has(type)) {
    throw new ZignSecError(
      400,
      'INVALID_REQUEST',
      `identifierType must be one of ${[...IDENTIFIER_TYPES].join(', ')}.`,
    );
  }
  return code;
}

/** A session from a setup request, its parameters checked as ZignSec checks them. */
function newSession(
  selector: string,
  version: 'v2' | 'v3',
  country: Country,
  parameters: Parameters,
  lifetimeSeconds: number,
): Session {
  const id = randomUUID();
  const session: Session = {
    id,
    selector,
    api: version,
    country,
    state: 'PENDING',
    // "If not relaystate is specified, ZignSec will automatically set [...] the RequestID token here."
    relaystate: text(parameters, 'relaystate') ?? id,
    scope: [],
    lookupPersonAddress: false,
    expiresAt: Date.now() + lifetimeSeconds * 1000,
  };
  for (const [name, code] of [
    ['target', 'INVALID_TARGET'],
    ['targetError', 'INVALID_TARGETERROR'],
    ['webhook', 'INVALID_WEBHOOK'],
  ] as const) {
    const value = text(parameters, name);
    if (value === undefined) continue;
    if (!shared.isHttpUrl(value))
      throw new ZignSecError(400, code, `${name} must be an absolute http(s) URL.`);
    session[name] = value;
  }
  const language = text(parameters, 'language');
  if (language !== undefined) {
    if (!/^[a-z]{2}$/i.test(language)) {
      throw new ZignSecError(400, 'INVALID_REQUEST', 'language must be a two-letter ISO 639-1 code.');
    }
    session.language = language.toLowerCase();
  }
  const personalNumber = text(parameters, 'PersonalNumber');
  if (personalNumber !== undefined && version === 'v2') {
    const format = PERSONAL_NUMBER[country];
    if (format && !format.pattern.test(personalNumber)) {
      // ZignSec's descriptions echo the number (docs: "1637217431 is an invalid Danish CPR Number.").
      throw new ZignSecError(
        400,
        'INVALID_PERSONALNUMBER',
        `${personalNumber} is an invalid ${format.name}.`,
      );
    }
    session.personalNumber = personalNumber;
  }
  if (selector === 'smartid/auth') {
    const identifier = text(parameters, 'identifier');
    if (identifier !== undefined && text(parameters, 'identifierType') === 'PersonalNumber') {
      session.personalNumber = identifier;
    }
  }
  const loginHint = text(parameters, 'login_hint');
  if (loginHint !== undefined && selector === 'nbid_oidc') {
    // BankID's grammar: BID, BIM, BID:<nin>, :<nin>, BIM:<phone>:<birth date>.
    const match = /^(?:BID|BIM)?(?::(\d{11}))?$/.exec(loginHint) ?? /^BIM:\d{8}:\d{6}$/.exec(loginHint);
    if (!match) throw new ZignSecError(400, 'INVALID_REQUEST', 'login_hint is not a BankID login hint.');
    if (match[1]) session.personalNumber = match[1];
  }
  const scope = text(parameters, 'Scope');
  if (scope !== undefined) {
    const values = scope.split(' ').filter(Boolean);
    if (values.some((value) => !SCOPES.has(value))) {
      throw new ZignSecError(400, 'INVALID_REQUEST', `Scope takes ${[...SCOPES].join(', ')}.`);
    }
    // "Only works with Norwegian BankID"; elsewhere ignored.
    if (country === 'NO') session.scope = values;
  }
  const lookup = text(parameters, 'LookupPersonAddress');
  if (lookup !== undefined) {
    if (!/^(true|false)$/i.test(lookup)) {
      throw new ZignSecError(400, 'INVALID_REQUEST', 'LookupPersonAddress must be true or false.');
    }
    session.lookupPersonAddress = country === 'SE' && lookup.toLowerCase() === 'true';
  }
  const autoStart = text(parameters, 'AutoStartTokenRequired');
  if (autoStart !== undefined && !/^(yes|no|true|false)$/i.test(autoStart)) {
    throw new ZignSecError(400, 'INVALID_REQUEST', 'AutoStartTokenRequired must be Yes or No.');
  }
  const retries = text(parameters, 'allowRetries');
  if (retries !== undefined && !/^(true|false)$/i.test(retries)) {
    throw new ZignSecError(400, 'INVALID_REQUEST', 'allowRetries must be true or false.');
  }
  return session;
}

function pageSession(sessions: Map<string, Session>, id: string): Session {
  const session = sessions.get(id.toLowerCase());
  if (!session) throw new HttpError(404, 'This login link is unknown or has been removed.');
  refresh(session);
  if (session.state !== 'PENDING') {
    const why =
      session.errors?.[0]?.code === 'EXPIRED_TRANSACTION'
        ? 'This login has expired.'
        : `This login is already finished (${session.state}).`;
    throw new HttpError(400, `${why} Start a new login from the service.`);
  }
  return session;
}

// ---- end-user page ------------------------------------------------------------------------------

/** The page the browser is sent to: the tester picks a user and an outcome. */
function registerPages(
  router: Router,
  sessions: Map<string, Session>,
  allUsers: () => ZignSecUser[],
  token: string,
): void {
  router.get(
    `${PAGE_PATH}/:id`,
    endUserPage(({ res, params }) => {
      const session = pageSession(sessions, params.id!);
      const choices = usersFor(allUsers(), session);
      if (choices.length === 0) {
        throw new HttpError(400, `The simulator has no test users for ${session.country}.`);
      }
      const title =
        PRODUCTS[session.selector]?.title ?? `Simulated eID chooser for ${session.country} (ZignSec)`;
      sendHtml(
        res,
        200,
        renderApprovalPage({
          title,
          users: choices.map(asTestUser),
          lang: session.language ?? 'en',
        }),
      );
    }),
  );

  router.post(
    `${PAGE_PATH}/:id`,
    endUserPage(async ({ req, res, params }) => {
      const form = new URLSearchParams(await readBody(req));
      // Looked up after the body is read and finished synchronously: two posts cannot both finish it.
      const session = pageSession(sessions, params.id!);
      const outcome = shared.chosenOutcome(form);
      finishSession(allUsers(), session, outcome, form.get('user') ?? undefined);
      // Delivered before the browser is sent back, so a webhook receiver has the result first.
      await deliverWebhook(session, token);
      const target = outcome === 'success' ? session.target : (session.targetError ?? session.target);
      if (!target) {
        sendHtml(res, 200, renderErrorPage('Login finished', 'You can close this window.', session.language));
        return;
      }
      // The documentation: "…/zignsec/return?relaystate=96a09f3f-…&service=eIDBasic".
      const location = new URL(target);
      location.searchParams.set('relaystate', session.relaystate);
      location.searchParams.set('service', 'eIDBasic');
      redirect(res, location.toString(), 303);
    }),
  );
}
