import type { NationalId } from './nin/index.js';

/** Level of assurance, in eIDAS terms, as reported by the provider. */
export type LevelOfAssurance = 'low' | 'substantial' | 'high';

/**
 * What a successful transaction yields: one shape for every provider (DESIGN section 3).
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
