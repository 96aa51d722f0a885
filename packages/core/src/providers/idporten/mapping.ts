import { compactIdentity, type ProviderIdentity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import { dateOfBirthOf } from '../../nin/index.js';
import { statedNationalId } from '../../provider-kit/index.js';
import { claimString, loginFacts, type OidcClaims } from '../oidc/index.js';

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
  const nin = statedNationalId({ id: 'idporten', name: 'ID-porten' }, idToken.pid, logger, 'NO');
  const identity = compactIdentity({
    subject: idToken.sub,
    nin: nin?.nin,
    // With the `profile` scope the ID token names the person for BankID and Buypass logins ("additional
    // claims may be added to the id_token. This is currently supported by Buypass and Bankid",
    // https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_id_token); MinID logins carry no name.
    name: claimString(idToken.name) ?? joinedName(idToken),
    firstName: claimString(idToken.given_name),
    lastName: claimString(idToken.family_name),
    // The date of birth is the one the number itself carries.
    dateOfBirth: nin?.validated ? dateOfBirthOf(nin.nin) : undefined,
    ...loginFacts(idToken, idportenLevel(idToken.acr), { locale: claimString(idToken.locale) }),
  }) as ProviderIdentity;
  return { identity, claims: idToken };
}

function joinedName(idToken: OidcClaims): string | undefined {
  const parts = [claimString(idToken.given_name), claimString(idToken.family_name)].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}
