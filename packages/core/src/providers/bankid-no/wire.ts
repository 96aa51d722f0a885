import { UI_LOCALES } from '../../provider-kit/index.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * BankID Norway's OpenID Connect Provider (developer.bankid.no, "Identity Providers"): the BankID variant is
 * chosen with `login_hint` (`BID`, `BIS`) and `acr_values` (`urn:bankid:bid`, `urn:bankid:bis`, the short
 * values BankID's current pages list). "BankID på mobil" (BIM) was switched off in 2024 and is not offered.
 */

export const BANKID_NO_ISSUERS = {
  /** BankID's public test environment ("current"). */
  current: 'https://auth.current.bankid.no/auth/realms/current',
  prod: 'https://auth.bankid.no/auth/realms/prod',
} as const;

/** Scopes of the BankID eSign APIs (the provider's documentation). */
export const BANKID_NO_ESIGN_SCOPES = [
  'esign/csc',
  'esign',
  'signdoc/read_write',
  'esign/qtsa',
  'esign/nnin',
] as const;
export type BankIdNorwayEsignScope = (typeof BANKID_NO_ESIGN_SCOPES)[number];

export type BankIdNorwayMethodId = 'bankid' | 'bankid-biometric';

export interface BankIdMethodSpec extends ProviderMethod {
  id: BankIdNorwayMethodId;
  /** The IDP option, as BankID's `login_hint` and `amr` name it. */
  idp: 'BID' | 'BIS';
  acrValues: readonly string[];
  /** The level of assurance this IDP gives (BankID's `LOA=`), the default floor for the returned `acr`. */
  level: number;
}

/**
 * - `bankid`: BankID (netcentric / the BankID app), `login_hint=BID`, LOA 4 (high). With a `nin` the
 *   user id is prefilled (`BID:<nin>`), sent by pushed authorization request, never in the URL.
 * - `bankid-biometric`: BankID with biometrics, `login_hint=BIS`, LOA 3 (substantial).
 */
export const BANKID_NO_METHODS: readonly BankIdMethodSpec[] = [
  {
    id: 'bankid',
    flow: 'redirect',
    purpose: 'login',
    label: 'BankID',
    country: 'NO',
    idp: 'BID',
    acrValues: ['urn:bankid:bid'],
    level: 4,
  },
  {
    id: 'bankid-biometric',
    flow: 'redirect',
    purpose: 'login',
    label: 'BankID with biometrics',
    country: 'NO',
    idp: 'BIS',
    acrValues: ['urn:bankid:bis'],
    level: 3,
  },
];

export interface LoginParameterSettings {
  /** `login_hint` per method instead of `BID`/`BIS`; `false` sends none. */
  loginHint?: Partial<Record<BankIdNorwayMethodId, string | false>> | undefined;
  acrValues?: Partial<Record<BankIdNorwayMethodId, readonly string[]>> | undefined;
}

/** The authorization parameters of one login; a prefilled nin only as a `personal` (PAR-only) parameter. */
export function loginParameters(
  method: BankIdMethodSpec,
  context: StartContext,
  settings: LoginParameterSettings,
): { parameters: Record<string, string>; personal?: Record<string, string> } {
  const parameters: Record<string, string> = {};
  const configuredHint = settings.loginHint?.[method.id];
  const hint = configuredHint === undefined ? method.idp : configuredHint;
  if (hint !== false) parameters.login_hint = hint;
  const acrValues = settings.acrValues?.[method.id] ?? method.acrValues;
  if (acrValues.length > 0) parameters.acr_values = acrValues.join(' ');
  const locale = context.lang ? UI_LOCALES[context.lang] : undefined;
  if (locale) parameters.ui_locales = locale;
  // BankID prefills the user id from `BID:<nin>` (BankID's login hints); as personal data it may only
  // go by pushed authorization request.
  const personal = context.nin && hint === 'BID' ? { login_hint: `BID:${context.nin.value}` } : undefined;
  return { parameters, ...(personal ? { personal } : {}) };
}
