import {
  isValidNationalId,
  type NationalId,
  NIN_COUNTRIES,
  type NinCountry,
  type NinType,
  parseNationalId,
} from './nin/index.js';

/** Level of assurance, in eIDAS terms, as reported by the provider. */
export type LevelOfAssurance = 'low' | 'substantial' | 'high';

/**
 * What a successful transaction yields: one shape for every provider (docs/http-contract.md §3-4).
 * Optional fields are absent, never empty strings.
 */
export interface Identity {
  provider: string;
  method: string;
  /** The provider's stable person key (Signicat `subject.idpId`, OIDC `sub`, ...). */
  subject: string;
  nin?: NationalId;
  name?: string;
  firstName?: string;
  lastName?: string;
  /** ISO date, `YYYY-MM-DD`. */
  dateOfBirth?: string;
  loa?: LevelOfAssurance;
  /** ISO timestamp of when the provider confirmed the authentication. */
  authenticatedAt: string;
  transactionId: string;
  /** Provider-specific extras that a `profile()` hook chose to keep (never personal numbers). */
  extra?: Record<string, unknown>;
}

/** What a provider reports; the engine adds provider, method and transactionId. */
export type ProviderIdentity = Omit<Identity, 'provider' | 'method' | 'transactionId'>;

/** Removes keys whose value is undefined or an empty string, so optional fields are absent. */
export function compactIdentity<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === null || field === '') continue;
    out[key] = field;
  }
  return out as T;
}

const STATED_TYPES: Record<string, NinType> = {
  BIRTH: 'BIRTH',
  FNR: 'BIRTH',
  D: 'D',
  DNUMBER: 'D',
  D_NUMBER: 'D',
  H: 'H',
  HNUMBER: 'H',
  PERSONNUMMER: 'PERSONNUMMER',
  SAMORDNINGSNUMMER: 'SAMORDNINGSNUMMER',
  CPR: 'CPR',
  HETU: 'HETU',
};

const DEFAULT_TYPE: Record<NinCountry, NinType> = { NO: 'BIRTH', SE: 'PERSONNUMMER', DK: 'CPR', FI: 'HETU' };

/**
 * A national identity number as an authenticated provider response states it. Our own parser types it
 * when it validates. When it does not (the providers' documentation examples, e.g. Signicat's
 * `17029012345`, fail the mod-11 check), the provider is the authority on its own answer: its number is
 * kept with the stated type, and the caller is told so it can log the fact (never the number).
 */
export function nationalIdFromProvider(
  value: unknown,
  country: unknown,
  statedType?: unknown,
): { nin: NationalId; validated: boolean } | undefined {
  if (typeof value !== 'string' || typeof country !== 'string') return undefined;
  const upperCountry = country.toUpperCase();
  if (!(NIN_COUNTRIES as readonly string[]).includes(upperCountry)) return undefined;
  const ninCountry = upperCountry as NinCountry;
  if (isValidNationalId(value, ninCountry))
    return { nin: parseNationalId(value, ninCountry), validated: true };
  const cleaned = value.trim().replace(/\s/g, '');
  if (!/^[0-9A-Za-z+-]{6,13}$/.test(cleaned)) return undefined;
  const type =
    (typeof statedType === 'string' && STATED_TYPES[statedType.toUpperCase()]) || DEFAULT_TYPE[ninCountry];
  return { nin: { value: cleaned.toUpperCase(), country: ninCountry, type }, validated: false };
}
