import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import { dateOfBirthOf } from '../../nin/index.js';
import { loaOf } from '../../provider-kit/index.js';
import { amrList, authenticatedAt, claimString, type OidcClaims } from '../oidc/index.js';

// Today's values, and the older Level3/Level4 that ID-porten used before.
const LEVELS: Record<string, number> = {
  'idporten-loa-substantial': 3,
  'idporten-loa-high': 4,
  level3: 3,
  level4: 4,
};

export function idportenLevel(acr: unknown): number | undefined {
  return typeof acr === 'string' ? LEVELS[acr.toLowerCase()] : undefined;
}

/** The identity from the verified ID token: `pid` is the national identity number, `sub` is pairwise. */
export function toIdentity(
  idToken: OidcClaims,
  logger: Logger,
): { identity: ProviderIdentity; claims: OidcClaims } {
  const stated = idToken.pid;
  const nin = nationalIdFromProvider(stated, 'NO');
  if (stated !== undefined && (!nin || !nin.validated)) {
    logger.warn(
      { provider: 'idporten', kept: Boolean(nin) },
      'ID-porten returned a pid that does not validate',
    );
  }
  const extra = compactIdentity({
    acr: claimString(idToken.acr),
    amr: amrList(idToken.amr),
    locale: claimString(idToken.locale),
  });
  const identity = compactIdentity({
    subject: idToken.sub,
    nin: nin?.nin,
    // ID-porten names nobody; the date of birth is the one the number itself carries.
    dateOfBirth: nin?.validated ? dateOfBirthOf(nin.nin) : undefined,
    loa: loaOf(idportenLevel(idToken.acr)),
    authenticatedAt: authenticatedAt(idToken),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
  return { identity, claims: idToken };
}
