import type { NationalId } from '../../nin/index.js';
import type { StartRequestBuilder } from '../../provider-kit/index.js';
import { webhookToken } from '../../webhook.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * ZignSec "BankID in Browser" (docs.zignsec.com/api/v2/bankid-browser-based/).
 * - `POST {base}/v2/eid/{bankid_selector}` (v3 for SwissID) with a JSON body returns `id` and `redirect_url`;
 *   the browser runs the login at ZignSec and comes back to `target` / `targetError` with `relaystate`.
 *   The page allows form-urlencoded "for post data and application/json if JSON object"; JSON is what the
 *   public Go client sends (qoorp/go-zignsec, client.go `Initiate`), and the only way to send the
 *   `requirement` object (models.go `ZSInitConfig.Requirement`).
 * - `GET {base}/v2/eid/{id}` gives the state PENDING, FINISHED or ERROR and, once finished, `identity`.
 * - `Authorization: <token>`: the bare access token, no scheme word.
 * - Optional per-request `webhook`: ZignSec POSTs the result body there when the session finishes.
 */

type ZignSecApi = 'v2' | 'v3';

export interface ZignSecMethodSpec extends ProviderMethod {
  /** The `bankid_selector` path segment(s) at ZignSec. */
  selector: string;
  api: ZignSecApi;
}

export type ZignSecMethodId =
  | 'sbid'
  | 'sbid-another'
  | 'fbid'
  | 'nbid-oidc'
  | 'nbid'
  | 'nbid-pep'
  | 'country-se'
  | 'country-no'
  | 'country-dk'
  | 'country-fi'
  | 'swissid'
  | 'sbid-sign';

/**
 * Methods ZignSec's pages still list that no longer work or that we cannot speak faithfully; an app naming one
 * gets this reason as a configuration error.
 */
export const ZIGNSEC_RETIRED: Readonly<Record<string, string>> = {
  nemid:
    'NemID was switched off on 30 June 2023 and replaced by MitID (digst.dk); ZignSec offers MitID through its ' +
    'gateway workflow API, which @eid/core does not speak yet. Use Signicat for MitID.',
  'nbid-mobile':
    'BankID på mobil (BIM) was switched off by BankID Norway on 1 September 2024; use nbid-oidc or nbid.',
  smartid:
    "ZignSec's Smart-ID (POST /v3/eid/smartid/auth) is a push to the Smart-ID app, not a browser redirect, and " +
    'its public page does not document the result body or the verification code an app must show; it is ' +
    'left out until it can be spoken faithfully.',
};

const method = (
  id: ZignSecMethodId,
  selector: string,
  label: string,
  country: ProviderMethod['country'],
  api: ZignSecApi = 'v2',
): ZignSecMethodSpec => ({ id, selector, api, flow: 'redirect', purpose: 'login', label, country });

export const ZIGNSEC_METHODS: readonly ZignSecMethodSpec[] = [
  method('sbid', 'sbid', 'Swedish BankID on this device', 'SE'),
  method('sbid-another', 'sbid-another', 'Swedish BankID on another device', 'SE'),
  method('fbid', 'fbid', 'Finnish bank ID', 'FI'),
  method('nbid-oidc', 'nbid_oidc', 'Norwegian BankID (web or mobile)', 'NO'),
  method('nbid', 'nbid', 'Norwegian BankID', 'NO'),
  method('nbid-pep', 'nbid_pep', 'Norwegian BankID with PEP check', 'NO'),
  // `[cc]`: ZignSec shows the eIDs it has for the country and the user picks one. The documentation gives
  // no case for the code; lower case like every other selector.
  method('country-se', 'se', 'Any Swedish eID', 'SE'),
  method('country-no', 'no', 'Any Norwegian eID', 'NO'),
  method('country-dk', 'dk', 'Any Danish eID', 'DK'),
  method('country-fi', 'fi', 'Any Finnish eID', 'FI'),
  method('swissid', 'swissid', 'SwissID', 'CH', 'v3'),
  // Swedish BankID signing (`sbid-sign`, seed 004): text in `userVisibleData`, at most 40,000 characters after
  // base64 as BankID counts them, so 30,000 UTF-8 bytes; a PDF is signed by its hash (see `signingBody`).
  {
    id: 'sbid-sign',
    selector: 'sbid-sign',
    api: 'v2',
    flow: 'redirect',
    purpose: 'sign',
    label: 'Sign with Swedish BankID',
    country: 'SE',
    signing: { contentTypes: ['text/plain', 'application/pdf'], maxTextBytes: 30_000, requiresSigner: true },
  },
];

/** The identity object of a finished session (ZignSec's documentation, "identity"). */
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
 * A result as `GET /v2/eid/{id}` returns it and as the webhook posts it. Where the fields sit and how their
 * keys are cased differ between ZignSec's documentation, its examples and the public clients (an ASP.NET
 * service serialises either way): the state at `result.identity.state` (qoorp/go-zignsec models.go
 * `ZWVerifyRespBody`) or `State`; the person under a top-level `identity` (the same client, the documented
 * example) or under `result.identity` next to the state. `readResult` (mapping.ts) reads every variant.
 */
export interface ZignSecResult {
  id?: string;
  errors?: ZignSecError[];
  result?: { identity?: { state?: string; [key: string]: unknown } };
  identity?: ZignSecIdentity;
  method?: string;
  BankIDSE?: { signature?: string; ocspResponse?: string };
  LookupPersonAddress?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The options that shape a setup request. */
export interface SetupSettings {
  language?: string | undefined;
  webhookSecret?: string | undefined;
  scope?: string | undefined;
  lookupPersonAddress?: boolean | undefined;
  autoStartTokenRequired?: boolean | undefined;
  allowRetries?: boolean | undefined;
  configId?: string | undefined;
  nbidLoginHint?: 'BID' | undefined;
  swissIdScopes?: string | undefined;
}

/** ISO 639-1 as ZignSec takes it (case-insensitive; lower case as in the SwissID example): Norwegian is `no`. */
const LANGUAGES: Record<string, string> = { nb: 'no', nn: 'no' };

function languageOf(lang: string | undefined): string | undefined {
  if (lang === undefined) return undefined;
  const lower = lang.toLowerCase();
  return LANGUAGES[lower] ?? lower;
}

/** The v2 setup body (JSON), with the parameter names of the documentation. */
export function setupBody(
  spec: ZignSecMethodSpec,
  context: StartContext,
  settings: SetupSettings,
): Record<string, unknown> {
  // `target` gets `?relaystate=…&service=…` appended by ZignSec, so it is the bare callback path; the
  // transaction id travels as `relaystate` and `transactionIdFromCallback` reads it back.
  const target = new URL(context.callbackUrl);
  target.search = '';
  target.hash = '';
  const body: Record<string, unknown> = {
    target: target.toString(),
    targetError: target.toString(),
    relaystate: context.transactionId,
  };
  const language = languageOf(context.lang ?? settings.language);
  if (language) body.language = language;
  if (settings.webhookSecret) {
    const webhook = new URL(context.webhookUrl);
    webhook.searchParams.set('token', webhookToken(settings.webhookSecret, context.transactionId));
    body.webhook = webhook.toString();
  }
  if (settings.configId) body.configid = settings.configId;
  // The documentation's example: `{ "allowRetries": true }`.
  if (settings.allowRetries) body.allowRetries = true;
  if (spec.country === 'SE') {
    if (settings.lookupPersonAddress) body.LookupPersonAddress = true;
    // "Used by RP to set requirements ... Example: { "AutoStartTokenRequired": "Yes" }", the object the Go
    // client names `requirement` (qoorp/go-zignsec models.go).
    if (settings.autoStartTokenRequired) body.requirement = { AutoStartTokenRequired: 'Yes' };
  }
  if (spec.country === 'NO' && settings.scope) body.Scope = settings.scope;
  return { ...body, ...personParameters(spec, context.nin, settings) };
}

/** Who logs in: BankID Norway's login_hint grammar for `nbid-oidc`, `PersonalNumber` elsewhere. */
function personParameters(spec: ZignSecMethodSpec, nin: NationalId | undefined, settings: SetupSettings) {
  const parameters: Record<string, string> = {};
  if (spec.id === 'nbid-oidc') {
    // BID, BID:<nin>, and :<nin> (nin prefilled, the selection dialog kept). BIM, the mobile variant, was
    // switched off in 2024.
    const hint = settings.nbidLoginHint;
    const loginHint = nin ? `${hint ?? ''}:${nin.value}` : hint;
    if (loginHint) parameters.login_hint = loginHint;
  } else if (nin) {
    // Normalised NationalId values are the documented formats: SE YYYYMMDDCCCC, DK DDMMYYCCCC,
    // NO DDMMYYXXXCC (FI, undocumented, keeps its century sign).
    parameters.PersonalNumber = nin.value;
  }
  return parameters;
}

/** v3 (SwissID): the documented SwissID request spells `relayState` in camel case. */
export const v3Body: StartRequestBuilder<ZignSecMethodSpec, SetupSettings> = (spec, context, settings) => {
  const { relaystate, ...rest } = setupBody(spec, context, settings);
  const body: Record<string, unknown> = { ...rest, relayState: relaystate };
  if (spec.id === 'swissid') body.scopes = settings.swissIdScopes ?? 'openid profile';
  return body;
};

export function setupPath(spec: ZignSecMethodSpec): string {
  return `/${spec.api}/eid/${spec.selector}`;
}

/** The documentation polls everything at /v2/eid/{id} and says "for others use v3". */
export function resultPath(spec: ZignSecMethodSpec | undefined, reference: string): string {
  const id = encodeURIComponent(reference);
  if (spec?.api === 'v3') return `/v3/eid/${id}`;
  return `/v2/eid/${id}`;
}
