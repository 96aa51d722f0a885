import type { NationalId } from '../../nin/index.js';
import type { StartRequestBuilder } from '../../provider-kit/index.js';
import { webhookToken } from '../../webhook.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * ZignSec "BankID in Browser" (docs.zignsec.com/api/v2/bankid-browser-based/).
 * - `POST {base}/v2/eid/{bankid_selector}` (v3 for SwissID and Smart-ID) returns `id` and `redirect_url`;
 *   the browser runs the login at ZignSec and comes back to `target` / `targetError` with `relaystate`.
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

const method = (
  id: ZignSecMethodId,
  selector: string,
  label: string,
  country: ProviderMethod['country'],
  api: ZignSecApi = 'v2',
): ZignSecMethodSpec => ({ id, selector, api, flow: 'redirect', label, country });

export const ZIGNSEC_METHODS: readonly ZignSecMethodSpec[] = [
  method('sbid', 'sbid', 'Swedish BankID on this device', 'SE'),
  method('sbid-another', 'sbid-another', 'Swedish BankID on another device', 'SE'),
  method('fbid', 'fbid', 'Finnish bank ID', 'FI'),
  method('nemid', 'nemid', 'NemID', 'DK'),
  method('nbid-oidc', 'nbid_oidc', 'Norwegian BankID (web or mobile)', 'NO'),
  method('nbid', 'nbid', 'Norwegian BankID', 'NO'),
  method('nbid-mobile', 'nbid_mobile', 'BankID on mobile (Norway)', 'NO'),
  method('nbid-pep', 'nbid_pep', 'Norwegian BankID with PEP check', 'NO'),
  // `[cc]`: ZignSec shows the eIDs it has for the country and the user picks one. The documentation gives
  // no case for the code; lower case like every other selector.
  method('country-se', 'se', 'Any Swedish eID', 'SE'),
  method('country-no', 'no', 'Any Norwegian eID', 'NO'),
  method('country-dk', 'dk', 'Any Danish eID', 'DK'),
  method('country-fi', 'fi', 'Any Finnish eID', 'FI'),
  method('swissid', 'swissid', 'SwissID', 'CH', 'v3'),
  method('smartid', 'smartid/auth', 'Smart-ID (Estonia, Latvia, Lithuania)', 'EE', 'v3'),
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
 * A result as `GET /v2/eid/{id}` returns it, and as the webhook posts it. The documentation lost the name of
 * the PENDING/FINISHED/ERROR field; ZignSec clients in the wild (qoorp/go-zignsec, Hedvig's member-service)
 * read it as `result.identity.state`, which the documentation's wording ("an object that describes the main
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

/** The options that shape a setup request. */
export interface SetupSettings {
  language?: string | undefined;
  webhookSecret?: string | undefined;
  scope?: string | undefined;
  lookupPersonAddress?: boolean | undefined;
  autoStartTokenRequired?: boolean | undefined;
  allowRetries?: boolean | undefined;
  configId?: string | undefined;
  nbidLoginHint?: 'BID' | 'BIM' | undefined;
  smartIdCountry?: 'EE' | 'LV' | 'LT' | undefined;
  swissIdScopes?: string | undefined;
}

/** ISO 639-1 as ZignSec takes it (case-insensitive; lower case as in the SwissID example): Norwegian is `no`. */
const LANGUAGES: Record<string, string> = { nb: 'no', nn: 'no' };

function languageOf(lang: string | undefined): string | undefined {
  if (lang === undefined) return undefined;
  const lower = lang.toLowerCase();
  return LANGUAGES[lower] ?? lower;
}

/** The v2 setup form. */
export function setupParameters(
  spec: ZignSecMethodSpec,
  context: StartContext,
  settings: SetupSettings,
): Record<string, string> {
  // `target` gets `?relaystate=…&service=…` appended by ZignSec, so it is the bare callback path; the
  // transaction id travels as `relaystate` and `transactionIdFromCallback` reads it back.
  const target = new URL(context.callbackUrl);
  target.search = '';
  target.hash = '';
  const parameters: Record<string, string> = {
    target: target.toString(),
    targetError: target.toString(),
    relaystate: context.transactionId,
  };
  const language = languageOf(context.lang ?? settings.language);
  if (language) parameters.language = language;
  if (settings.webhookSecret) {
    const webhook = new URL(context.webhookUrl);
    webhook.searchParams.set('token', webhookToken(settings.webhookSecret, context.transactionId));
    parameters.webhook = webhook.toString();
  }
  if (settings.configId) parameters.configid = settings.configId;
  if (settings.allowRetries) parameters.allowRetries = 'true';
  if (spec.country === 'SE') {
    if (settings.lookupPersonAddress) parameters.LookupPersonAddress = 'true';
    if (settings.autoStartTokenRequired) parameters.AutoStartTokenRequired = 'Yes';
  }
  if (spec.country === 'NO' && settings.scope) parameters.Scope = settings.scope;
  return { ...parameters, ...personParameters(spec, context.nin, settings) };
}

/** Who logs in: BankID Norway's login_hint grammar for `nbid-oidc`, `PersonalNumber` elsewhere. */
function personParameters(spec: ZignSecMethodSpec, nin: NationalId | undefined, settings: SetupSettings) {
  const parameters: Record<string, string> = {};
  if (spec.id === 'nbid-oidc') {
    // BID, BIM, BID:<nin>, and :<nin> (nin prefilled, web or mobile still offered). BIM identifies by phone
    // and birth date, so a nin cannot go with it.
    const hint = settings.nbidLoginHint;
    const loginHint = nin ? (hint === 'BIM' ? 'BIM' : `${hint ?? ''}:${nin.value}`) : hint;
    if (loginHint) parameters.login_hint = loginHint;
  } else if (nin) {
    // Normalised NationalId values are the documented formats: SE YYYYMMDDCCCC, DK DDMMYYCCCC,
    // NO DDMMYYXXXCC (FI, undocumented, keeps its century sign).
    parameters.PersonalNumber = nin.value;
  }
  return parameters;
}

/** v3 takes JSON; SwissID's documented example spells `relayState` in camel case. */
export const v3Body: StartRequestBuilder<ZignSecMethodSpec, SetupSettings> = (spec, context, settings) => {
  const { relaystate, configid, allowRetries, ...rest } = setupParameters(spec, context, settings);
  const body: Record<string, unknown> = { ...rest, relayState: relaystate };
  if (configid) body.configid = configid;
  if (allowRetries) body.allowRetries = true;
  if (spec.id === 'swissid') body.scopes = settings.swissIdScopes ?? 'openid profile';
  if (spec.id === 'smartid') {
    // Smart-ID's API takes countryCode, identifierType and identifier; in the browser flow ZignSec's page
    // asks the user for the identifier, so only the country and the kind of identifier are sent.
    body.countryCode = settings.smartIdCountry ?? 'EE';
    body.identifierType = 'PersonalNumber';
  }
  return body;
};

export function setupPath(spec: ZignSecMethodSpec): string {
  return `/${spec.api}/eid/${spec.selector}`;
}

export function resultPath(spec: ZignSecMethodSpec | undefined, reference: string): string {
  const id = encodeURIComponent(reference);
  // The documentation polls everything at /v2/eid/{id} and says "for others use v3"; Smart-ID's own page
  // documents GET /v3/eid/smartid/{id}.
  if (spec?.id === 'smartid') return `/v3/eid/smartid/${id}`;
  if (spec?.api === 'v3') return `/v3/eid/${id}`;
  return `/v2/eid/${id}`;
}
