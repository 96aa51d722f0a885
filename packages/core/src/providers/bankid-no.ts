import { EidError } from '../errors.js';
import type { HttpTimeouts } from '../http.js';
import {
  compactIdentity,
  type LevelOfAssurance,
  nationalIdFromProvider,
  type ProviderIdentity,
} from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import { TokenCache } from '../token-cache.js';
import {
  amrList,
  authenticatedAt,
  authMethod,
  claimString,
  issuerUrl,
  type OidcClaims,
  OidcClient,
  oidcProvider,
  requireString,
  scopeList,
  type TokenEndpointAuthMethod,
} from './oidc.js';
import type { Provider, ProviderMethod } from './types.js';

/**
 * BankID Norway's OpenID Connect Provider (shared/seeds 003; developer.bankid.no, "Identity Providers").
 * - Login: authorization code with PKCE (S256), state and nonce. The BankID variant is chosen with
 *   `login_hint` (`BID`, `BIM`, `BIS`) and `acr_values` (`urn:bankid:bid`, `urn:bankid:bis`); the ID token's
 *   `acr` says what was used (`urn:bankid:bid;LOA=4`, `urn:bankid:bim;LOA=4`, `urn:bankid:bis;LOA=3`).
 * - The national identity number comes from the signed userinfo (`nnin_altsub`, scope `nnin_altsub`),
 *   verified against the issuer's keys.
 * - eSign APIs: client-credentials tokens (`getAccessToken`) for the eSign scopes, from the token endpoint
 *   of the discovery document.
 */

export const BANKID_NO_ISSUERS = {
  /** BankID's public test environment ("current"). */
  current: 'https://auth.current.bankid.no/auth/realms/current',
  prod: 'https://auth.bankid.no/auth/realms/prod',
} as const;

/** Scopes of the BankID eSign APIs (shared/seeds 003). */
export const BANKID_NO_ESIGN_SCOPES = [
  'esign/csc',
  'esign',
  'signdoc/read_write',
  'esign/qtsa',
  'esign/nnin',
] as const;
export type BankIdNorwayEsignScope = (typeof BANKID_NO_ESIGN_SCOPES)[number];

export type BankIdNorwayMethodId = 'bankid' | 'bankid-mobile' | 'bankid-biometric';

interface BankIdMethodSpec extends ProviderMethod {
  id: BankIdNorwayMethodId;
  /** The IDP option, as BankID's `login_hint` and `amr` name it. */
  idp: 'BID' | 'BIM' | 'BIS';
  acrValues: readonly string[];
  /** The level of assurance this IDP gives (BankID's `LOA=`), the default floor for the returned `acr`. */
  level: number;
}

/**
 * - `bankid`: BankID (netcentric / the BankID app), `login_hint=BID`, LOA 4 (high). With a `nin` the
 *   user id is prefilled (`BID:<nin>`), sent by pushed authorization request, never in the URL.
 * - `bankid-mobile`: BankID on mobile, `login_hint=BIM`, LOA 4.
 * - `bankid-biometric`: BankID with biometrics, `login_hint=BIS`, LOA 3 (substantial).
 */
export const BANKID_NO_METHODS: readonly BankIdMethodSpec[] = [
  {
    id: 'bankid',
    flow: 'redirect',
    label: 'BankID',
    country: 'NO',
    idp: 'BID',
    acrValues: ['urn:bankid:bid'],
    level: 4,
  },
  {
    id: 'bankid-mobile',
    flow: 'redirect',
    label: 'BankID on mobile',
    country: 'NO',
    idp: 'BIM',
    acrValues: [],
    level: 4,
  },
  {
    id: 'bankid-biometric',
    flow: 'redirect',
    label: 'BankID with biometrics',
    country: 'NO',
    idp: 'BIS',
    acrValues: ['urn:bankid:bis'],
    level: 3,
  },
];

export interface BankIdNorwayOptions {
  /** `BANKID_NO_ISSUERS.current` for tests, `BANKID_NO_ISSUERS.prod` in production. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How the client authenticates at the token endpoint, as registered at BankID. Default client_secret_basic. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** Methods to offer; default all of them. */
  methods?: readonly BankIdNorwayMethodId[];
  /** `login_hint` per method instead of `BID`/`BIM`/`BIS`; `false` sends none (BankID shows its selector). */
  loginHint?: Partial<Record<BankIdNorwayMethodId, string | false>>;
  /** `acr_values` per method instead of the defaults (`urn:bankid:bid`, none, `urn:bankid:bis`). */
  acrValues?: Partial<Record<BankIdNorwayMethodId, readonly string[]>>;
  /**
   * The lowest `acr` accepted back, for every method: an acr value or a bare level, such as
   * `urn:bankid:bid;LOA=4` or `LOA=3`. Default: the level of each method's IDP (4, 4, 3).
   */
  minimumAcr?: string;
  /**
   * Default `openid profile`. Add `nnin_altsub` (when BankID has granted it to the client) to get the
   * national identity number, read from the signed userinfo only.
   */
  scope?: string | readonly string[];
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Adjusts the mapped identity; `claims` are the verified ID token claims with the userinfo claims over them. */
  profile?: (claims: OidcClaims, identity: ProviderIdentity) => ProviderIdentity;
}

export interface BankIdNorwayProvider extends Provider {
  /**
   * A client-credentials access token for the eSign APIs, e.g. `getAccessToken(['esign/csc'])`. Tokens are
   * cached per scope set until shortly before they expire; concurrent calls share one request.
   */
  getAccessToken(scopes: readonly (BankIdNorwayEsignScope | (string & {}))[]): Promise<string>;
}

const FACTORY = 'bankIdNorway()';
const KNOWN_LEVELS: Record<string, number> = {
  'urn:bankid:bid': 4,
  'urn:bankid:bim': 4,
  'urn:bankid:bis': 3,
};
const UI_LOCALES: Record<string, string> = { nb: 'nb', no: 'nb', nn: 'nn', en: 'en' };
const MAX_TOKEN_SETS = 32;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The level of assurance in a BankID `acr`: `urn:bankid:bid;LOA=4` -> 4, `LOA=3` -> 3, `urn:bankid:bis` -> 3. */
export function bankIdLevel(acr: unknown): number | undefined {
  if (typeof acr !== 'string') return undefined;
  const level = /(?:^|;)\s*LOA=(\d+)\s*$/i.exec(acr)?.[1] ?? (/^\d+$/.test(acr) ? acr : undefined);
  return level === undefined ? KNOWN_LEVELS[acr.trim().toLowerCase()] : Number(level);
}

function loaOf(level: number | undefined): LevelOfAssurance | undefined {
  if (level === undefined) return undefined;
  return level >= 4 ? 'high' : level === 3 ? 'substantial' : 'low';
}

export function bankIdNorway(options: BankIdNorwayOptions): BankIdNorwayProvider {
  if (!options || typeof options !== 'object') {
    throw new EidError('invalid_config', `${FACTORY}: options are required.`);
  }
  const issuer = issuerUrl(FACTORY, options.issuer, BANKID_NO_ISSUERS.current);
  const clientId = requireString(FACTORY, options, 'clientId');
  const clientSecret = requireString(FACTORY, options, 'clientSecret');
  const tokenEndpointAuthMethod = authMethod(FACTORY, options.tokenEndpointAuthMethod);
  const scopes = scopeList(FACTORY, options.scope, ['openid', 'profile']);
  const enabled = options.methods ?? BANKID_NO_METHODS.map((method) => method.id);
  if (!Array.isArray(enabled) || enabled.length === 0) {
    throw new EidError('invalid_config', `${FACTORY}: \`methods\` must list at least one method.`);
  }
  for (const id of enabled) {
    if (!BANKID_NO_METHODS.some((method) => method.id === id)) {
      throw new EidError(
        'invalid_config',
        `${FACTORY}: unknown method "${String(id)}" in \`methods\`; known: ${BANKID_NO_METHODS.map((m) => m.id).join(', ')}.`,
      );
    }
  }
  const methods = BANKID_NO_METHODS.filter((method) => enabled.includes(method.id));
  let minimumLevel: number | undefined;
  if (options.minimumAcr !== undefined) {
    minimumLevel = bankIdLevel(options.minimumAcr);
    if (minimumLevel === undefined) {
      throw new EidError(
        'invalid_config',
        `${FACTORY}: \`minimumAcr\` must be a BankID acr with a level, such as urn:bankid:bid;LOA=4 or LOA=3.`,
      );
    }
    const short = methods.find((method) => method.level < (minimumLevel as number));
    if (short) {
      throw new EidError(
        'invalid_config',
        `${FACTORY}: \`minimumAcr\` asks for LOA ${minimumLevel}, but the method "${short.id}" gives LOA ${short.level}; leave it out of \`methods\` or lower \`minimumAcr\`.`,
      );
    }
  }
  for (const [field, record] of [
    ['loginHint', options.loginHint],
    ['acrValues', options.acrValues],
  ] as const) {
    if (record === undefined) continue;
    if (typeof record !== 'object' || record === null) {
      throw new EidError('invalid_config', `${FACTORY}: \`${field}\` must be an object keyed by method id.`);
    }
    for (const key of Object.keys(record)) {
      if (!BANKID_NO_METHODS.some((method) => method.id === key)) {
        throw new EidError('invalid_config', `${FACTORY}: \`${field}\` names the unknown method "${key}".`);
      }
    }
  }

  const logger = redactingLogger(options.logger ?? silentLogger);
  const client = new OidcClient({
    id: 'bankid-no',
    name: 'BankID Norway',
    issuer,
    clientId,
    clientSecret,
    tokenEndpointAuthMethod,
    // BankID signs userinfo for clients registered so (Auth.js's BankID provider asks the same); an unsigned
    // answer is refused, so the national identity number is only ever read from a verified signature.
    clientMetadata: { userinfo_signed_response_alg: 'RS256' },
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    logger,
  });
  const spec = (id: string): BankIdMethodSpec => {
    const found = methods.find((method) => method.id === id);
    if (!found) throw new EidError('unknown_method', `BankID Norway does not offer the method "${id}" here.`);
    return found;
  };
  const wantsNin = scopes.includes('nnin_altsub');

  const provider = oidcProvider({
    id: 'bankid-no',
    name: 'BankID Norway',
    methods: methods.map(({ id, flow, label, country }) => ({ id, flow, label, country })),
    client,
    scope: scopes.join(' '),
    logger,
    userinfo: true,
    parameters(context) {
      const method = spec(context.method.id);
      const parameters: Record<string, string> = {};
      const configuredHint = options.loginHint?.[method.id];
      const hint = configuredHint === undefined ? method.idp : configuredHint;
      if (hint !== false) parameters.login_hint = hint;
      const acrValues = options.acrValues?.[method.id] ?? method.acrValues;
      if (acrValues.length > 0) parameters.acr_values = acrValues.join(' ');
      const locale = context.lang ? UI_LOCALES[context.lang] : undefined;
      if (locale) parameters.ui_locales = locale;
      // BankID prefills the user id from `BID:<nin>` (BankID's login hints); as personal data it may only
      // go by pushed authorization request.
      const personal = context.nin && hint === 'BID' ? { login_hint: `BID:${context.nin.value}` } : undefined;
      return { parameters, ...(personal ? { personal } : {}) };
    },
    acceptsAcr(method, acr) {
      const level = bankIdLevel(acr);
      return level !== undefined && level >= (minimumLevel ?? spec(method).level);
    },
    toIdentity(_method, { idToken, userinfo }) {
      const claims: OidcClaims = { ...idToken, ...userinfo, sub: idToken.sub };
      // The number counts only from the signed, verified userinfo, and only with scope nnin_altsub.
      const stated = wantsNin ? userinfo?.nnin_altsub : undefined;
      const nin = nationalIdFromProvider(stated, 'NO');
      if (stated !== undefined && (!nin || !nin.validated)) {
        logger.warn(
          { provider: 'bankid-no', kept: Boolean(nin) },
          'BankID returned a national id that does not validate',
        );
      }
      const birthdate = claimString(claims.birthdate);
      const amr = amrList(idToken.amr);
      const extra = compactIdentity({
        acr: claimString(idToken.acr),
        amr,
        bankidAltsub: claimString(claims.bankid_altsub),
      });
      const identity = compactIdentity({
        subject: idToken.sub,
        nin: nin?.nin,
        name: claimString(claims.name),
        firstName: claimString(claims.given_name),
        lastName: claimString(claims.family_name),
        dateOfBirth: birthdate && /^\d{4}-\d{2}-\d{2}$/.test(birthdate) ? birthdate : undefined,
        loa: loaOf(bankIdLevel(idToken.acr)),
        authenticatedAt: authenticatedAt(idToken),
        extra: Object.keys(extra).length > 0 ? extra : undefined,
      }) as ProviderIdentity;
      return options.profile ? options.profile(claims, identity) : identity;
    },
  });

  const tokenSets = new Map<string, TokenCache>();
  return {
    ...provider,
    async getAccessToken(requested) {
      if (!Array.isArray(requested) || requested.length === 0) {
        throw new EidError(
          'invalid_request',
          'getAccessToken() needs at least one scope, such as esign/csc.',
        );
      }
      for (const scope of requested) {
        if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
          throw new EidError(
            'invalid_request',
            'getAccessToken(): every scope must be an OAuth scope value.',
          );
        }
      }
      const scope = [...new Set(requested)].sort().join(' ');
      let tokens = tokenSets.get(scope);
      if (!tokens) {
        if (tokenSets.size >= MAX_TOKEN_SETS) tokenSets.delete(tokenSets.keys().next().value!);
        tokens = new TokenCache(() => client.clientCredentials(scope));
        tokenSets.set(scope, tokens);
      }
      return tokens.get();
    },
  };
}
