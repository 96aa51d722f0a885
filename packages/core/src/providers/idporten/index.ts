import type { ProviderIdentity } from '../../identity.js';
import { configError } from '../../provider-kit/index.js';
import {
  type LogoutAtProvider,
  type OidcClaims,
  type OidcClientOptions,
  oidcClientOf,
  oidcProvider,
  type TokenEndpointAuthMethod,
} from '../oidc/index.js';
import type { Provider } from '../types.js';
import { idportenLevel, toIdentity } from './mapping.js';
import {
  IDPORTEN_ACRS,
  IDPORTEN_ISSUERS,
  IDPORTEN_METHODS,
  type IdportenAcr,
  loginParameters,
} from './wire.js';

/**
 * ID-porten directly as an OpenID Connect Provider (docs.digdir.no, "OIDC"): authorization code with PKCE
 * (S256, required by ID-porten), state and nonce; the ID token's `acr` checked against the level asked for
 * (ID-porten asks clients to); `pid` in the signed ID token is the national identity number.
 */

export { IDPORTEN_ISSUERS, IDPORTEN_METHODS, type IdportenAcr } from './wire.js';

export interface IdportenOptions extends OidcClientOptions {
  /** `IDPORTEN_ISSUERS.test` or `IDPORTEN_ISSUERS.prod`. */
  issuer: string;
  clientId: string;
  /** For client_secret_basic / client_secret_post. */
  clientSecret?: string;
  /**
   * How the client authenticates at the token endpoint, as registered at Digdir: client_secret_basic (default),
   * client_secret_post, or private_key_jwt with `privateKey` (a private JWK or PEM; the default when given).
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** The level asked for and the lowest accepted back. Default `idporten-loa-substantial`. */
  acr?: IdportenAcr;
  /** Default `openid profile` (`profile` gives `pid`). */
  scope?: string | readonly string[];
  /**
   * Also end the person's SSO session at ID-porten on logout (default off). ID-porten asks every OIDC client to
   * log out there (https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso, "Single Logout (SLO)"): `POST /logout`
   * then sends the browser to ID-porten's end_session_endpoint, which sends it back to `logoutRedirect` (made
   * absolute against `baseUrl`) or to `postLogoutRedirectUri`. Register that URI at Digdir as a post-logout
   * redirect URI of the client.
   */
  logoutAtProvider?: LogoutAtProvider;
  /** Adjusts the mapped identity; `claims` are the verified ID token claims. */
  profile?: (claims: OidcClaims, identity: ProviderIdentity) => ProviderIdentity;
}

const FACTORY = 'idporten()';

export function idporten(options: IdportenOptions): Provider {
  const { client, scopes, logout } = oidcClientOf(FACTORY, options, {
    id: 'idporten',
    name: 'ID-porten',
    exampleIssuer: IDPORTEN_ISSUERS.test,
  });
  const acr = options.acr ?? 'idporten-loa-substantial';
  if (!IDPORTEN_ACRS.includes(acr)) {
    throw configError(FACTORY, '`acr` must be idporten-loa-substantial or idporten-loa-high.');
  }
  const floor = idportenLevel(acr) as number;

  return oidcProvider({
    id: 'idporten',
    name: 'ID-porten',
    methods: IDPORTEN_METHODS,
    client,
    scope: scopes.join(' '),
    profile: options.profile,
    logout,
    // Everything ID-porten tells about the person is in the ID token.
    userinfo: false,
    parameters: (context) => loginParameters(acr, context),
    acceptsAcr(_method, returned) {
      const level = idportenLevel(returned);
      return level !== undefined && level >= floor;
    },
    toIdentity: (_method, { idToken }, runtime) => toIdentity(idToken, runtime.logger),
  });
}
