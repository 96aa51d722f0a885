/**
 * ZignSec's products, its session and the setup request: how the simulator reads and checks it. Parameter names
 * are read case-insensitively, as ZignSec's .NET model binding does (its own pages spell `PersonalNumber`,
 * `personalNumber` and `relaystate`/`relayState`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, isHttpUrl, mediaType, readBody, sendJson } from '../../http.js';
import type { ZignSecUser } from './people.js';
import type { SignRequest } from './sign.js';

export const ZIGNSEC = 'zignsec';
export const PAGE_PATH = '/v2/Hosted';

export type Country = 'SE' | 'NO' | 'DK' | 'FI' | 'CH';
type State = 'PENDING' | 'FINISHED' | 'ERROR';

interface Product {
  api: 'v2' | 'v3';
  country?: Country;
  title: string;
}

/** The `bankid_selector` values this simulated account has enabled. */
export const PRODUCTS: Record<string, Product> = {
  sbid: { api: 'v2', country: 'SE', title: 'Simulated Swedish BankID (ZignSec)' },
  'sbid-another': { api: 'v2', country: 'SE', title: 'Simulated Swedish BankID on another device (ZignSec)' },
  fbid: { api: 'v2', country: 'FI', title: 'Simulated Finnish bank ID (ZignSec)' },
  nbid_oidc: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID (ZignSec)' },
  nbid: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID web (ZignSec)' },
  nbid_pep: { api: 'v2', country: 'NO', title: 'Simulated Norwegian BankID with PEP check (ZignSec)' },
  swissid: { api: 'v3', country: 'CH', title: 'Simulated SwissID (ZignSec)' },
  'sbid-sign': { api: 'v2', country: 'SE', title: 'Sign with simulated Swedish BankID (ZignSec)' },
};
/**
 * Selectors ZignSec's page still lists that this account cannot use: NemID (switched off in 2023), BankID på
 * mobil (`nbid_mobile`, switched off by BankID Norway on 1 September 2024), Smart-ID (a separate contract).
 */
const UNAVAILABLE = new Set(['nemid', 'nbid_mobile', 'smartid/auth', 'smartid/sign']);
/** `[cc]`: the countries whose eIDs this account has; another code is a missing configuration. */
export const COUNTRY_SELECTORS: Record<string, Country> = { se: 'SE', no: 'NO', dk: 'DK', fi: 'FI' };

/** The personal number formats of the documentation (SE, DK, NO), and HETU for Finland. */
const PERSONAL_NUMBER: Partial<Record<Country, { pattern: RegExp; name: string }>> = {
  SE: { pattern: /^\d{12}$/, name: 'Swedish personal number (YYYYMMDDCCCC)' },
  DK: { pattern: /^\d{10}$/, name: 'Danish CPR Number (DDMMYYCCCC)' },
  NO: { pattern: /^\d{11}$/, name: 'Norwegian national identity number (DDMMYYXXXCC)' },
  FI: { pattern: /^\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]$/i, name: 'Finnish personal identity code' },
};

const SCOPES = new Set(['nnin', 'address', 'phone', 'email', 'nnin_altsub']);

export interface Session {
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
  /** PersonalNumber, or the nin in login_hint. */
  personalNumber?: string;
  scope: string[];
  lookupPersonAddress: boolean;
  /** `requirement: { AutoStartTokenRequired: "Yes" }`: the waiting form shows the QR code only. */
  autoStartTokenRequired: boolean;
  /** Which of the documented result shapes this session answers in (present.ts, RESULT_SHAPES). */
  shape: number;
  expiresAt: number;
  user?: ZignSecUser;
  identificationDate?: string;
  requestId?: string;
  errors?: { code: string; description: string }[];
  /** `sbid-sign`: what is signed. */
  sign?: SignRequest;
  /** `sbid-sign` once FINISHED: `BankIDSE`, made once so every read and the webhook carry the same signature. */
  evidence?: { signature: string; ocspResponse: string };
}

/** A refusal in ZignSec's error format. */
export class ZignSecError extends HttpError {
  constructor(status: number, code: string, description: string) {
    super(status, description, code);
  }
}

function invalid(description: string): ZignSecError {
  return new ZignSecError(400, 'INVALID_REQUEST', description);
}

export function sendErrors(
  res: ServerResponse,
  status: number,
  code: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { errors: [{ code, description }] }, headers);
}

export type Parameters = Map<string, unknown>;

/** The setup body, form-urlencoded or JSON, keyed by lower-case name. */
export async function readParameters(req: IncomingMessage): Promise<Parameters> {
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
      throw invalid('The request body is not valid JSON.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid('The request body must be a JSON object.');
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
export function text(parameters: Parameters, name: string): string | undefined {
  const value = parameters.get(name.toLowerCase());
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw invalid(`${name} must be a string.`);
  return value === '' ? undefined : value;
}

/** `POST /v2/eid/{selector}`: the product's country, or ZignSec's refusal of a selector this account lacks. */
export function v2Country(selector: string): Country {
  const country = COUNTRY_SELECTORS[selector.toLowerCase()];
  const product = PRODUCTS[selector];
  if (!product && !country) {
    // A country or product ZignSec has but this account lacks is "a missing config" (MISSING_CONFIG).
    const known = /^[a-z]{2}$/i.test(selector) || UNAVAILABLE.has(selector);
    if (known) {
      throw new ZignSecError(
        400,
        'MISSING_CONFIG',
        `Your account has a missing config for ${selector}, contact ZignSec for help.`,
      );
    }
    throw invalid(`Unknown bankid_selector "${selector}".`);
  }
  if (product?.api === 'v3') throw invalid(`${selector} is a v3 product: POST /v3/eid/${selector}.`);
  return country ?? product!.country!;
}

/** `POST /v3/eid/{selector}`: SwissID's country. */
export function v3Country(selector: string): Country {
  return PRODUCTS[selector]!.country!;
}

/** What a setup request asks of a new session; a refusal in ZignSec's format when a parameter is wrong. */
export type SessionSetup = Pick<
  Session,
  | 'target'
  | 'targetError'
  | 'webhook'
  | 'language'
  | 'personalNumber'
  | 'scope'
  | 'lookupPersonAddress'
  | 'autoStartTokenRequired'
  | 'sign'
> & { relaystate?: string };

export function parseSetup(
  selector: string,
  version: 'v2' | 'v3',
  country: Country,
  parameters: Parameters,
): SessionSetup {
  const setup: SessionSetup = { scope: [], lookupPersonAddress: false, autoStartTokenRequired: false };
  const relaystate = text(parameters, 'relaystate');
  if (relaystate !== undefined) setup.relaystate = relaystate;
  for (const [name, code] of [
    ['target', 'INVALID_TARGET'],
    ['targetError', 'INVALID_TARGETERROR'],
    ['webhook', 'INVALID_WEBHOOK'],
  ] as const) {
    const value = text(parameters, name);
    if (value === undefined) continue;
    if (!isHttpUrl(value)) throw new ZignSecError(400, code, `${name} must be an absolute http(s) URL.`);
    setup[name] = value;
  }
  const language = text(parameters, 'language');
  if (language !== undefined) {
    if (!/^[a-z]{2}$/i.test(language)) throw invalid('language must be a two-letter ISO 639-1 code.');
    setup.language = language.toLowerCase();
  }
  const personalNumber = personalNumberOf(selector, version, country, parameters);
  if (personalNumber !== undefined) setup.personalNumber = personalNumber;
  parseOptions(country, parameters, setup);
  return setup;
}

/** PersonalNumber (v2), or the nin of a BankID login hint; the last given wins. */
function personalNumberOf(
  selector: string,
  version: 'v2' | 'v3',
  country: Country,
  parameters: Parameters,
): string | undefined {
  let found: string | undefined;
  const personalNumber = text(parameters, 'PersonalNumber');
  if (personalNumber !== undefined && version === 'v2') {
    const format = PERSONAL_NUMBER[country];
    if (format && !format.pattern.test(personalNumber)) {
      // ZignSec's descriptions echo the number (docs: "1637217431 is an invalid Danish CPR Number."); the
      // simulator names the field instead: a national identity number never goes into its error messages.
      throw new ZignSecError(400, 'INVALID_PERSONALNUMBER', `PersonalNumber is an invalid ${format.name}.`);
    }
    found = personalNumber;
  }
  const loginHint = text(parameters, 'login_hint');
  if (loginHint !== undefined && selector === 'nbid_oidc') {
    // BankID's grammar: BID, BID:<nin>, :<nin>. BIM (BankID på mobil) was switched off on 1 September 2024.
    if (/^BIM(:|$)/.test(loginHint)) {
      throw invalid('login_hint BIM: BankID på mobil was switched off on 1 September 2024.');
    }
    const match = /^(?:BID)?(?::(\d{11}))?$/.exec(loginHint);
    if (!match) throw invalid('login_hint is not a BankID login hint.');
    if (match[1]) found = match[1];
  }
  return found;
}

function parseOptions(country: Country, parameters: Parameters, setup: SessionSetup): void {
  const scope = text(parameters, 'Scope');
  if (scope !== undefined) {
    const values = scope.split(' ').filter(Boolean);
    if (values.some((value) => !SCOPES.has(value))) throw invalid(`Scope takes ${[...SCOPES].join(', ')}.`);
    // "Only works with Norwegian BankID"; elsewhere ignored.
    if (country === 'NO') setup.scope = values;
  }
  const lookup = text(parameters, 'LookupPersonAddress');
  if (lookup !== undefined) {
    if (!/^(true|false)$/i.test(lookup)) throw invalid('LookupPersonAddress must be true or false.');
    setup.lookupPersonAddress = country === 'SE' && lookup.toLowerCase() === 'true';
  }
  // "Used by RP to set requirements how the authentication or sign operation must be performed. Example:
  // { "AutoStartTokenRequired": "Yes" }": an object, named `requirement` by the public Go client
  // (qoorp/go-zignsec models.go). A top-level AutoStartTokenRequired is no parameter of the API: ignored.
  const requirement = parameters.get('requirement');
  if (requirement !== undefined && requirement !== null) {
    if (typeof requirement !== 'object' || Array.isArray(requirement)) {
      throw invalid('requirement must be an object, e.g. { "AutoStartTokenRequired": "Yes" }.');
    }
    const rules: Parameters = new Map(
      Object.entries(requirement).map(([key, value]) => [key.toLowerCase(), value]),
    );
    const autoStart = text(rules, 'AutoStartTokenRequired');
    if (autoStart !== undefined && !/^(yes|no)$/i.test(autoStart)) {
      throw invalid('requirement.AutoStartTokenRequired must be Yes or No.');
    }
    setup.autoStartTokenRequired = country === 'SE' && autoStart?.toLowerCase() === 'yes';
  }
  const retries = text(parameters, 'allowRetries');
  if (retries !== undefined && !/^(true|false)$/i.test(retries)) {
    throw invalid('allowRetries must be true or false.');
  }
}
