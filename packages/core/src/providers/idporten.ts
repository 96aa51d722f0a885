import { EidError } from '../errors.js';
import type { HttpTimeouts } from '../http.js';
import {
  compactIdentity,
  type LevelOfAssurance,
  nationalIdFromProvider,
  type ProviderIdentity,
} from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import { dateOfBirthOf } from '../nin/index.js';
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
 * ID-porten directly as an OpenID Connect Provider (docs.digdir.no, "OIDC"): authorization code with PKCE
 * (S256, required by ID-porten), state and nonce; `acr_values` `idporten-loa-substantial` or
 * `idporten-loa-high`, and the ID token's `acr` checked against it (ID-porten asks clients to); `pid` in
 * the signed ID token is the national identity number; `sub` is pairwise (another per service).
 */

export const IDPORTEN_ISSUERS = {
  test: 'https://test.idporten.no',
  prod: 'https://idporten.no',
} as const;

export type IdportenAcr = 'idporten-loa-substantial' | 'idporten-loa-high';

export const IDPORTEN_METHODS: readonly ProviderMethod[] = [
  { id: 'idporten', flow: 'redirect', label: 'ID-porten', country: 'NO' },
];

export interface IdportenOptions {
  /** `IDPORTEN_ISSUERS.test` or `IDPORTEN_ISSUERS.prod`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How the client authenticates at the token endpoint, as registered at Digdir. Default client_secret_basic. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** The level asked for and the lowest accepted back. Default `idporten-loa-substantial`. */
  acr?: IdportenAcr;
  /** Default `openid profile` (`profile` gives `pid`). */
  scope?: string | readonly string[];
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Adjusts the mapped identity; `claims` are the verified ID token claims. */
  profile?: (claims: OidcClaims, identity: ProviderIdentity) => ProviderIdentity;
}

const FACTORY = 'idporten()';
// Today's values, and the older Level3/Level4 that ID-porten used before.
const LEVELS: Record<string, number> = {
  'idporten-loa-substantial': 3,
  'idporten-loa-high': 4,
  level3: 3,
  level4: 4,
};
const UI_LOCALES: Record<string, string> = { nb: 'nb', no: 'nb', nn: 'nn', en: 'en' };

function levelOf(acr: unknown): number | undefined {
  return typeof acr === 'string' ? LEVELS[acr.toLowerCase()] : undefined;
}

function loaOf(level: number | undefined): LevelOfAssurance | undefined {
  return level === 4 ? 'high' : level === 3 ? 'substantial' : undefined;
}

export function idporten(options: IdportenOptions): Provider {
  if (!options || typeof options !== 'object') {
    throw new EidError('invalid_config', `${FACTORY}: options are required.`);
  }
  const issuer = issuerUrl(FACTORY, options.issuer, IDPORTEN_ISSUERS.test);
  const clientId = requireString(FACTORY, options, 'clientId');
  const clientSecret = requireString(FACTORY, options, 'clientSecret');
  const tokenEndpointAuthMethod = authMethod(FACTORY, options.tokenEndpointAuthMethod);
  const acr = options.acr ?? 'idporten-loa-substantial';
  if (acr !== 'idporten-loa-substantial' && acr !== 'idporten-loa-high') {
    throw new EidError(
      'invalid_config',
      `${FACTORY}: \`acr\` must be idporten-loa-substantial or idporten-loa-high.`,
    );
  }
  const floor = LEVELS[acr]!;
  const scopes = scopeList(FACTORY, options.scope, ['openid', 'profile']);
  const logger = redactingLogger(options.logger ?? silentLogger);
  const client = new OidcClient({
    id: 'idporten',
    name: 'ID-porten',
    issuer,
    clientId,
    clientSecret,
    tokenEndpointAuthMethod,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    logger,
  });

  return oidcProvider({
    id: 'idporten',
    name: 'ID-porten',
    methods: IDPORTEN_METHODS,
    client,
    scope: scopes.join(' '),
    logger,
    // Everything ID-porten tells about the person is in the ID token.
    userinfo: false,
    parameters(context) {
      const locale = context.lang ? UI_LOCALES[context.lang] : undefined;
      return { parameters: { acr_values: acr, ...(locale ? { ui_locales: locale } : {}) } };
    },
    acceptsAcr(_method, returned) {
      const level = levelOf(returned);
      return level !== undefined && level >= floor;
    },
    toIdentity(_method, { idToken }) {
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
        loa: loaOf(levelOf(idToken.acr)),
        authenticatedAt: authenticatedAt(idToken),
        extra: Object.keys(extra).length > 0 ? extra : undefined,
      }) as ProviderIdentity;
      return options.profile ? options.profile(idToken, identity) : identity;
    },
  });
}
