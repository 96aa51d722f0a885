import { compactIdentity, type ProviderIdentity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import { isoDate, statedNationalId } from '../../provider-kit/index.js';
import { claimString, loginFacts, type OidcClaims } from '../oidc/index.js';

const KNOWN_LEVELS: Record<string, number> = {
  'urn:bankid:bid': 4,
  'urn:bankid:bim': 4,
  'urn:bankid:bis': 3,
};

/** The level of assurance in a BankID `acr`: `urn:bankid:bid;LOA=4` -> 4, `LOA=3` -> 3, `urn:bankid:bis` -> 3. */
export function bankIdLevel(acr: unknown): number | undefined {
  if (typeof acr !== 'string') return undefined;
  const level = /(?:^|;)\s*LOA=(\d+)\s*$/i.exec(acr)?.[1] ?? (/^\d+$/.test(acr) ? acr : undefined);
  return level === undefined ? KNOWN_LEVELS[acr.trim().toLowerCase()] : Number(level);
}

/**
 * The identity from the verified ID token and userinfo. The national identity number counts only from the
 * signed, verified userinfo (`nnin_altsub`), and only when the client asked for that scope.
 */
export function toIdentity(
  { idToken, userinfo }: { idToken: OidcClaims; userinfo?: OidcClaims | undefined },
  wantsNin: boolean,
  logger: Logger,
): { identity: ProviderIdentity; claims: OidcClaims } {
  const claims: OidcClaims = { ...idToken, ...userinfo, sub: idToken.sub };
  const stated = wantsNin ? userinfo?.nnin_altsub : undefined;
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
