import { UI_LOCALES } from '../../provider-kit/index.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * ID-porten as an OpenID Connect Provider (docs.digdir.no, "OIDC"): `acr_values` `idporten-loa-substantial`
 * or `idporten-loa-high`, and `ui_locales`.
 */

export const IDPORTEN_ISSUERS = {
  test: 'https://test.idporten.no',
  prod: 'https://idporten.no',
} as const;

export type IdportenAcr = 'idporten-loa-substantial' | 'idporten-loa-high';
export const IDPORTEN_ACRS: readonly IdportenAcr[] = ['idporten-loa-substantial', 'idporten-loa-high'];

export const IDPORTEN_METHODS: readonly ProviderMethod[] = [
  { id: 'idporten', flow: 'redirect', purpose: 'login', label: 'ID-porten', country: 'NO' },
];

export function loginParameters(
  acr: IdportenAcr,
  context: StartContext,
): { parameters: Record<string, string> } {
  const locale = context.lang ? UI_LOCALES[context.lang] : undefined;
  return { parameters: { acr_values: acr, ...(locale ? { ui_locales: locale } : {}) } };
}
