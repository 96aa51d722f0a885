import { EidError } from '../../errors.js';
import type { ProviderIdentity } from '../../identity.js';
import {
  configError,
  enabledMethods,
  methodFinder,
  projectMethods,
  TokenCache,
} from '../../provider-kit/index.js';
import {
  type LogoutAtProvider,
  type OidcClaims,
  type OidcClient,
  type OidcClientOptions,
  oidcClientOf,
  oidcProvider,
  type TokenEndpointAuthMethod,
} from '../oidc/index.js';
import type { Provider } from '../types.js';
import { bankIdLevel, toIdentity } from './mapping.js';
import {
  BANKID_NO_ISSUERS,
  BANKID_NO_METHODS,
  type BankIdMethodSpec,
  type BankIdNorwayEsignScope,
  type BankIdNorwayMethodId,
  loginParameters,
} from './wire.js';

/**
 * BankID Norway as an OpenID Connect Provider (developer.bankid.no): login with authorization code and PKCE,
 * the national identity number from the verified ID token or signed userinfo, and client-credentials tokens for the eSign APIs
 * (`getAccessToken`) from the token endpoint of the discovery document.
 */

export { bankIdLevel } from './mapping.js';
export {
  BANKID_NO_ESIGN_SCOPES,
  BANKID_NO_ISSUERS,
  BANKID_NO_METHODS,
  type BankIdNorwayEsignScope,
  type BankIdNorwayMethodId,
} from './wire.js';

export interface BankIdNorwayOptions extends OidcClientOptions {
  /** `BANKID_NO_ISSUERS.current` for tests, `BANKID_NO_ISSUERS.prod` in production. */
  issuer: string;
  clientId: string;
  /** For client_secret_basic / client_secret_post. */
  clientSecret?: string;
  /**
   * How the client authenticates at the token endpoint, as registered at BankID: client_secret_basic (default),
   * client_secret_post, or private_key_jwt with `privateKey` (a private JWK or PEM; the default when given).
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** Methods to offer; default all of them. */
  methods?: readonly BankIdNorwayMethodId[];
  /** `login_hint` per method instead of `BID`/`BIS`; `false` sends none (BankID shows its selector). */
  loginHint?: Partial<Record<BankIdNorwayMethodId, string | false>>;
  /** `acr_values` per method instead of the defaults (`urn:bankid:bid`, `urn:bankid:bis`). */
  acrValues?: Partial<Record<BankIdNorwayMethodId, readonly string[]>>;
  /**
   * The lowest `acr` accepted back, for every method: an acr value or a bare level, such as
   * `urn:bankid:bid;LOA=4` or `LOA=3`. Default: the level of each method's IDP (4, 3).
   */
  minimumAcr?: string;
  /**
   * Default `openid profile`. Add `nnin_altsub` (when BankID has granted it to the client) to get the
   * national identity number, read from the verified ID token and the signed userinfo.
   */
  scope?: string | readonly string[];
  /**
   * Also end the person's session at BankID on logout (default off): `POST /logout` then sends the browser to the
   * end_session_endpoint of BankID's discovery document, which sends it back to `logoutRedirect` (made absolute
   * against `baseUrl`) or to `postLogoutRedirectUri`; register that URI with BankID as a post-logout redirect
   * URI. Without an end_session_endpoint the logout stays local, with a warning in the log.
   */
  logoutAtProvider?: LogoutAtProvider;
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
const MAX_TOKEN_SETS = 32;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** `minimumAcr` as a level every enabled method reaches. */
function minimumLevelOf(value: unknown, methods: readonly BankIdMethodSpec[]): number | undefined {
  if (value === undefined) return undefined;
  const level = bankIdLevel(value);
  if (level === undefined) {
    throw configError(
      FACTORY,
      '`minimumAcr` must be a BankID acr with a level, such as urn:bankid:bid;LOA=4 or LOA=3.',
    );
  }
  const short = methods.find((method) => method.level < level);
  if (short) {
    throw configError(
      FACTORY,
      `\`minimumAcr\` asks for LOA ${level}, but the method "${short.id}" gives LOA ${short.level}; leave it out of \`methods\` or lower \`minimumAcr\`.`,
    );
  }
  return level;
}

function checkPerMethod(options: BankIdNorwayOptions): void {
  for (const [field, record] of [
    ['loginHint', options.loginHint],
    ['acrValues', options.acrValues],
  ] as const) {
    if (record === undefined) continue;
    if (typeof record !== 'object' || record === null) {
      throw configError(FACTORY, `\`${field}\` must be an object keyed by method id.`);
    }
    for (const key of Object.keys(record)) {
      if (!BANKID_NO_METHODS.some((method) => method.id === key)) {
        throw configError(FACTORY, `\`${field}\` names the unknown method "${key}".`);
      }
    }
  }
}

/** `getAccessToken`: one token cache per scope set, the oldest dropped past a bound. */
function esignTokens(client: OidcClient, provider: ReturnType<typeof oidcProvider>) {
  const tokenSets = new Map<string, TokenCache>();
  return async (requested: readonly string[]): Promise<string> => {
    if (!Array.isArray(requested) || requested.length === 0) {
      throw new EidError('invalid_request', 'getAccessToken() needs at least one scope, such as esign/csc.');
    }
    if (requested.some((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope))) {
      throw new EidError('invalid_request', 'getAccessToken(): every scope must be an OAuth scope value.');
    }
    const scope = [...new Set(requested)].sort().join(' ');
    let tokens = tokenSets.get(scope);
    if (!tokens) {
      if (tokenSets.size >= MAX_TOKEN_SETS) tokenSets.delete(tokenSets.keys().next().value!);
      tokens = new TokenCache(() => client.clientCredentials(provider.runtime(), scope));
      tokenSets.set(scope, tokens);
    }
    return tokens.get();
  };
}

export function bankIdNorway(options: BankIdNorwayOptions): BankIdNorwayProvider {
  const { client, scopes, logout } = oidcClientOf(FACTORY, options, {
    id: 'bankid-no',
    name: 'BankID Norway',
    exampleIssuer: BANKID_NO_ISSUERS.current,
    // BankID signs userinfo for clients registered so (Auth.js's BankID provider asks the same); an unsigned
    // answer is refused, so the national identity number is only ever read from a verified signature.
    clientMetadata: { userinfo_signed_response_alg: 'RS256' },
  });
  const methods = enabledMethods(FACTORY, BANKID_NO_METHODS, options.methods);
  const minimumLevel = minimumLevelOf(options.minimumAcr, methods);
  checkPerMethod(options);

  const spec = methodFinder('BankID Norway', methods);
  const wantsNin = scopes.includes('nnin_altsub');

  const provider = oidcProvider({
    id: 'bankid-no',
    name: 'BankID Norway',
    methods: projectMethods(methods),
    client,
    scope: scopes.join(' '),
    userinfo: true,
    profile: options.profile,
    logout,
    parameters: (context) => loginParameters(spec(context.method.id), context, options),
    acceptsAcr(method, acr) {
      const level = bankIdLevel(acr);
      return level !== undefined && level >= (minimumLevel ?? spec(method).level);
    },
    toIdentity: (_method, claims, runtime) => toIdentity(claims, wantsNin, runtime.logger),
  });
  return Object.assign(provider, { getAccessToken: esignTokens(client, provider) });
}
