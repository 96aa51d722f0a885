/** What tells the two simulated OpenID Providers apart: scopes, claims, acr values and the eIDs behind them. */
import { createHash } from 'node:crypto';
import type { Configuration } from 'oidc-provider';
import type { TestUser } from '../../types.js';

export const BANKID_NO = 'bankid-no';
export const IDPORTEN = 'idporten';

/** One way to authenticate that the simulated OP offers on its page. */
export interface Idp {
  /** Key in the page form and in `/__sim/sessions` (`method`). */
  key: string;
  label: string;
  /**
   * The `acr` values the OP answers with for this eID, used in turn (one login the first, the next the second):
   * where the public sources show more than one form, a client has to read all of them.
   */
  acrs: string[];
  amr: string[];
}

export interface OpSpec {
  id: typeof BANKID_NO | typeof IDPORTEN;
  title: string;
  defaults: { clientId: string; clientSecret: string };
  scopes: string[];
  claimsConfig: Configuration['claims'];
  acrValues: string[];
  idps: Idp[];
  /** The method id an @eid app knows a login through `idp` by (`bankid`, `bankid-biometric`, `idporten`). */
  methodIdOf(idp: string): string;
  /** The IDP preselected for an authorization request. */
  chooseIdp(params: Record<string, unknown>): Idp;
  /** The OP's own account id (the `sub`, unless the client is pairwise) of a test user. */
  accountId(user: TestUser): string;
  /** Claims of a test user, before oidc-provider filters them by scope; `amr` of the login when known. */
  userClaims(
    user: TestUser,
    accountId: string,
    amr: readonly string[] | undefined,
  ): { sub: string; [claim: string]: unknown };
  client: Record<string, unknown>;
  pairwise: boolean;
  /**
   * Whether the OP keeps a single sign-on session: a later login in the same browser needs no page unless
   * the client sends `prompt=login` or asks for a higher level than the session has.
   */
  sso: boolean;
}

// BankID's IDP options (developer.bankid.no, "Identity Providers"): login_hint BID/BIS ("BankID på mobil",
// BIM, was switched off in 2024). BankID's current pages give the short acr values, older pages (and Auth.js's
// provider, nextauthjs/next-auth packages/core/src/providers/bankid-no.ts) the `;LOA=` forms: both are answered.
const BANKID_IDPS: Idp[] = [
  { key: 'BID', label: 'BankID', acrs: ['urn:bankid:bid;LOA=4', 'urn:bankid:bid'], amr: ['bid'] },
  { key: 'BIS', label: 'BankID biometrics', acrs: ['urn:bankid:bis', 'urn:bankid:bis;LOA=3'], amr: ['bis'] },
];

// The eIDs behind ID-porten: MinID is substantial, BankID and Buypass high.
const IDPORTEN_IDPS: Idp[] = [
  { key: 'MinID', label: 'MinID', acrs: ['idporten-loa-substantial'], amr: ['Minid-PIN'] },
  { key: 'BankID', label: 'BankID', acrs: ['idporten-loa-high'], amr: ['BankID'] },
  { key: 'Buypass', label: 'Buypass', acrs: ['idporten-loa-high'], amr: ['Buypass'] },
];

// "if the client also requests the profile scope, additional claims may be added to the id_token. This is
// currently supported by Buypass and Bankid." (https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_id_token)
const IDPORTEN_NAMED_EIDS = ['BankID', 'Buypass'];

// Claims oidc-provider issues itself, so they need no scope.
const PROTOCOL_CLAIMS = { acr: null, amr: null, auth_time: null, iss: null, sid: null };

const acrValuesOf = (params: Record<string, unknown>): string[] =>
  typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];

export const BANKID_SPEC: OpSpec = {
  id: BANKID_NO,
  methodIdOf: (idp) => (idp === 'BIS' ? 'bankid-biometric' : 'bankid'),
  title: 'Simulated BankID (OpenID Connect)',
  defaults: { clientId: 'sim-bankid-client', clientSecret: 'sim-bankid-secret' },
  scopes: [
    'openid',
    'profile',
    'nnin_altsub',
    'esign/csc',
    'esign',
    'signdoc/read_write',
    'esign/qtsa',
    'esign/nnin',
  ],
  claimsConfig: {
    ...PROTOCOL_CLAIMS,
    // The token claims of every login go with scope openid, as BankID's ID tokens carry them.
    openid: ['sub', 'acr', 'amr', 'auth_time', 'bankid_altsub'],
    profile: ['name', 'given_name', 'family_name', 'birthdate'],
    nnin_altsub: ['nnin_altsub'],
  },
  acrValues: BANKID_IDPS.flatMap((idp) => idp.acrs),
  idps: BANKID_IDPS,
  chooseIdp(params) {
    const hint = typeof params.login_hint === 'string' ? params.login_hint.split(':')[0]!.toUpperCase() : '';
    const byHint = BANKID_IDPS.find((idp) => idp.key === hint);
    if (byHint) return byHint;
    const acrValues = acrValuesOf(params);
    if (acrValues.length > 0 && acrValues.every((value) => value.startsWith('urn:bankid:bis')))
      return BANKID_IDPS[2]!;
    return BANKID_IDPS[0]!;
  },
  // BankID's `sub` is a UUID that stays the same for a person across clients.
  accountId: (user) => uuidFrom(`bankid-no:${user.id}`),
  userClaims: (user, accountId) => ({
    sub: accountId,
    name: user.name,
    given_name: user.firstName,
    family_name: user.lastName,
    birthdate: user.dateOfBirth,
    ...(user.idpId ? { bankid_altsub: user.idpId } : {}),
    nnin_altsub: user.nin,
  }),
  client: {
    grant_types: ['authorization_code', 'client_credentials'],
    scope: 'openid profile nnin_altsub esign/csc esign signdoc/read_write esign/qtsa esign/nnin',
    userinfo_signed_response_alg: 'RS256',
  },
  pairwise: false,
  // Every BankID login is confirmed by the person.
  sso: false,
};

export const IDPORTEN_SPEC: OpSpec = {
  id: IDPORTEN,
  // ID-porten is one method to the app, whichever eID the person picks behind it.
  methodIdOf: () => 'idporten',
  title: 'Simulated ID-porten (OpenID Connect)',
  defaults: { clientId: 'sim-idporten-client', clientSecret: 'sim-idporten-secret' },
  scopes: ['openid', 'profile'],
  claimsConfig: {
    ...PROTOCOL_CLAIMS,
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['pid', 'locale', 'name', 'given_name', 'family_name'],
  },
  acrValues: ['idporten-loa-substantial', 'idporten-loa-high'],
  idps: IDPORTEN_IDPS,
  chooseIdp(params) {
    return acrValuesOf(params).includes('idporten-loa-high') ? IDPORTEN_IDPS[1]! : IDPORTEN_IDPS[0]!;
  },
  accountId: (user) => user.id,
  userClaims: (user, accountId, amr) => ({
    sub: accountId,
    pid: user.nin,
    locale: 'nb',
    ...(amr?.some((value) => IDPORTEN_NAMED_EIDS.includes(value))
      ? { name: user.name, given_name: user.firstName, family_name: user.lastName }
      : {}),
  }),
  client: {
    grant_types: ['authorization_code'],
    scope: 'openid profile',
    subject_type: 'pairwise',
    // The loopback redirect URIs span three hosts; one sector keeps `sub` the same across them. Nothing is
    // fetched from it (sectorIdentifierUriValidate in configuration.ts).
    sector_identifier_uri: 'https://idporten.simulator.invalid/sector',
  },
  pairwise: true,
  // ID-porten keeps an SSO session ("A logout will invalidate the central SSO session at ID-porten",
  // https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_logout.html) and honours `prompt=login`.
  sso: true,
};

/** A UUID-shaped stable id from a name (like a v5 UUID, with SHA-256). */
function uuidFrom(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
