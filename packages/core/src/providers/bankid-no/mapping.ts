import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import { isoDate, loaOf } from '../../provider-kit/index.js';
import { amrList, authenticatedAt, claimString, type OidcClaims } from '../oidc/index.js';

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
  const nin = nationalIdFromProvider(stated, 'NO');
  if (stated !== undefined && (!nin || !nin.validated)) {
    logger.warn(
      { provider: 'bankid-no', kept: Boolean(nin) },
      'BankID returned a national id that does not validate',
    );
  }
  const extra = compactIdentity({
    acr: claimString(idToken.acr),
    amr: amrList(idToken.amr),
    bankidAltsub: claimString(claims.bankid_altsub),
  });
  const identity = compactIdentity({
    subject: idToken.sub,
    nin: nin?.nin,
    name: claimString(claims.name),
    firstName: claimString(claims.given_name),
    lastName: claimString(claims.family_name),
    dateOfBirth: isoDate(claimString(claims.birthdate)),
    loa: loaOf(bankIdLevel(idToken.acr)),
    authenticatedAt: authenticatedAt(idToken),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
  return { identity, claims };
}
