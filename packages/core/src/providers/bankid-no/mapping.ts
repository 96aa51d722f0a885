import { EidError } from '../../errors.js';
import { compactIdentity, type ProviderIdentity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import { isoDate, statedNationalId } from '../../provider-kit/index.js';
import { claimString, loginFacts, type OidcClaims } from '../oidc/index.js';

// BankID's IDP options (developer.bankid.no, "Identity Providers"): the current pages name the short values,
// older ones (and Auth.js's `bankid-no` provider, nextauthjs/next-auth packages/core/src/providers/bankid-no.ts)
// the `;LOA=` forms, `urn:bankid:bid;LOA=4` and `urn:bankid:bis;LOA=3`. Both are read.
const KNOWN_LEVELS: Record<string, number> = {
  'urn:bankid:bid': 4,
  'urn:bankid:bis': 3,
};

/** The level of assurance in a BankID `acr`: `urn:bankid:bid;LOA=4` -> 4, `LOA=3` -> 3, `urn:bankid:bis` -> 3. */
export function bankIdLevel(acr: unknown): number | undefined {
  if (typeof acr !== 'string') return undefined;
  const level = /(?:^|;)\s*LOA=(\d+)\s*$/i.exec(acr)?.[1] ?? (/^\d+$/.test(acr) ? acr : undefined);
  return level === undefined ? KNOWN_LEVELS[acr.trim().toLowerCase()] : Number(level);
}

/**
 * The identity from the verified ID token and userinfo. With the `nnin_altsub` scope BankID puts the national
 * identity number in the ID token ("Enhanced ID Token", BankID OIDC "Core concepts - ID Token",
 * https://confluence.bankidnorge.no/confluence/pdoidcl/technical-documentation/core-concepts/id-token) and in
 * the signed userinfo: it is read from either (both verified), and only when the client asked for the scope.
 * Two different numbers fail the login.
 */
export function toIdentity(
  { idToken, userinfo }: { idToken: OidcClaims; userinfo?: OidcClaims | undefined },
  wantsNin: boolean,
  logger: Logger,
): { identity: ProviderIdentity; claims: OidcClaims } {
  const claims: OidcClaims = { ...idToken, ...userinfo, sub: idToken.sub };
  const fromToken = idToken.nnin_altsub;
  const fromUserinfo = userinfo?.nnin_altsub;
  if (
    wantsNin &&
    typeof fromToken === 'string' &&
    typeof fromUserinfo === 'string' &&
    fromToken !== fromUserinfo
  ) {
    throw new EidError('provider_error', 'BankID Norway sent two different national identity numbers.');
  }
  const stated = wantsNin ? (fromUserinfo ?? fromToken) : undefined;
  const nin = statedNationalId({ id: 'bankid-no', name: 'BankID' }, stated, logger, 'NO');
  const identity = compactIdentity({
    subject: idToken.sub,
    nin: nin?.nin,
    name: claimString(claims.name),
    firstName: claimString(claims.given_name),
    lastName: claimString(claims.family_name),
    dateOfBirth: isoDate(claimString(claims.birthdate)),
    ...loginFacts(idToken, bankIdLevel(idToken.acr), { bankidAltsub: claimString(claims.bankid_altsub) }),
  }) as ProviderIdentity;
  return { identity, claims };
}
