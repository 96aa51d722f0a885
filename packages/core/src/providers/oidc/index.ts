/**
 * The shared base of the OpenID Connect providers (BankID Norway, ID-porten): a Provider over one
 * `OidcClient`, and the option checks and claim readers both factories use.
 */
import { EidError, isEidError } from '../../errors.js';
import { compactIdentity, type ProviderIdentity } from '../../identity.js';
import {
  configError,
  defineProvider,
  issuerUrl,
  loaOf,
  type ProfileHook,
  requireOptions,
  requireString,
} from '../../provider-kit/index.js';
import type { Transaction } from '../../transaction.js';
import type {
  CompleteResult,
  EndSessionHint,
  ProviderMethod,
  ProviderRuntime,
  StartContext,
} from '../types.js';
import { type OidcClaims, OidcClient, type OidcClientSettings } from './client.js';
import { type ClientAuthOptions, clientAuthOf } from './client-auth.js';
import { isForgedCallback } from './errors.js';

export { type OidcClaims, OidcClient, type OidcLoginState } from './client.js';
export type { ClientAuthOptions, TokenEndpointAuthMethod } from './client-auth.js';

/** The scope to request: space-separated or a list, always with `openid`. */
export function scopeList(factory: string, value: unknown, fallback: readonly string[]): string[] {
  const list = value === undefined ? [...fallback] : typeof value === 'string' ? value.split(' ') : value;
  if (
    !Array.isArray(list) ||
    !list.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]*$/.test(scope))
  ) {
    throw configError(factory, '`scope` must be a list of OAuth scope values.');
  }
  const scopes = [...new Set(list.filter((scope) => scope !== ''))];
  if (!scopes.includes('openid')) throw configError(factory, '`scope` must include openid.');
  return scopes;
}

/**
 * Logout at the provider (OpenID Connect RP-Initiated Logout 1.0): the engine's logout route also sends the
 * browser to the provider's `end_session_endpoint`, ending the person's SSO session there. `true` sends them
 * back to the app's `logoutRedirect` (made absolute against `baseUrl`); `postLogoutRedirectUri` names another
 * absolute URL. Either must be registered at the provider as a post-logout redirect URI.
 */
export type LogoutAtProvider = boolean | { postLogoutRedirectUri?: string };

/** The options both OIDC factories take for their client. */
export interface OidcClientOptions extends ClientAuthOptions {
  issuer: string;
  clientId: string;
  scope?: string | readonly string[];
  /**
   * Also end the person's session at the provider on logout (default off): the login keeps its ID token in
   * the session as `id_token_hint`, and `POST /logout` answers with the provider's end-session URL.
   */
  logoutAtProvider?: LogoutAtProvider | undefined;
}

/** `logoutAtProvider` checked: undefined when off, else the configured post-logout redirect URI, if any. */
export function logoutAtProviderOf(
  factory: string,
  value: unknown,
): { postLogoutRedirectUri?: string } | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  const refuse = () =>
    configError(
      factory,
      '`logoutAtProvider` must be true, false or { postLogoutRedirectUri }, an absolute http(s) URL without a fragment such as https://shop.example/logged-out.',
    );
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw refuse();
  const given = (value as { postLogoutRedirectUri?: unknown }).postLogoutRedirectUri;
  if (given === undefined) return {};
  let url: URL | undefined;
  try {
    url = typeof given === 'string' ? new URL(given) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || (given as string).includes('#')) {
    throw refuse();
  }
  // As given: the provider compares it with the registered URI string for string.
  return { postLogoutRedirectUri: given as string };
}

/** The checked client options of a factory, and the scopes to ask for (default `openid profile`). */
export function oidcClientOf(
  factory: string,
  options: OidcClientOptions,
  provider: Pick<OidcClientSettings, 'id' | 'name' | 'clientMetadata'> & { exampleIssuer: string },
): { client: OidcClient; scopes: string[]; logout: { postLogoutRedirectUri?: string } | undefined } {
  requireOptions(factory, options);
  const { exampleIssuer, ...names } = provider;
  const client = new OidcClient({
    ...names,
    issuer: issuerUrl(factory, options.issuer, exampleIssuer),
    clientId: requireString(factory, options, 'clientId'),
    auth: clientAuthOf(factory, options),
  });
  return {
    client,
    scopes: scopeList(factory, options.scope, ['openid', 'profile']),
    logout: logoutAtProviderOf(factory, options.logoutAtProvider),
  };
}

export interface OidcProviderDefinition {
  id: string;
  name: string;
  methods: readonly ProviderMethod[];
  client: OidcClient;
  scope: string;
  /**
   * Parameters of one login besides the protocol ones (`login_hint`, `acr_values`, `ui_locales`), and
   * `personal` ones that carry a nin and may only travel by PAR.
   */
  parameters(context: StartContext): {
    parameters: Record<string, string>;
    personal?: Record<string, string>;
  };
  /** Whether to read userinfo after the ID token. */
  userinfo: boolean;
  /** Whether the returned `acr` meets the floor of the method. */
  acceptsAcr(method: string, acr: unknown): boolean;
  /** The identity, and the claims the profile hook is given. */
  toIdentity(
    method: string,
    claims: { idToken: OidcClaims; userinfo?: OidcClaims },
    runtime: ProviderRuntime,
  ): { identity: ProviderIdentity; claims: OidcClaims };
  profile?: ProfileHook<OidcClaims> | undefined;
  /** Logout at the provider, when turned on (`logoutAtProviderOf`). */
  logout?: { postLogoutRedirectUri?: string } | undefined;
}

/**
 * A Provider over an OIDC client. The OAuth `state` is the transaction id (256 random bits): the callback
 * finds its transaction by it, and the engine checks the browser binding. The redirect URI is the engine's
 * callback URL without its query (baseUrl, the adapter's mount path, prefix and the callback route as
 * `createEid({ routes })` names it, e.g. `https://shop.example/auth/eid/callback/idporten`), as OIDC needs the
 * exact registered URI.
 */
export function oidcProvider(definition: OidcProviderDefinition) {
  const { client, name } = definition;

  async function finish(
    transaction: Transaction,
    callbackQuery: Record<string, string>,
    runtime: ProviderRuntime,
  ) {
    const state = transaction.providerState;
    if (!state?.codeVerifier || !state.nonce || !state.redirectUri) {
      const error = new EidError('provider_error', `The ${name} login lost its PKCE state. Start it again.`);
      return { status: 'failed', error } satisfies CompleteResult;
    }
    const claims = await client.finishLogin(runtime, {
      callbackQuery,
      expectedState: transaction.id,
      state: { codeVerifier: state.codeVerifier, nonce: state.nonce, redirectUri: state.redirectUri },
      userinfo: definition.userinfo,
    });
    const acr = claims.idToken.acr;
    if (!definition.acceptsAcr(transaction.method, acr)) {
      runtime.logger.warn(
        { provider: definition.id, transactionId: transaction.id, acr: typeof acr === 'string' ? acr : null },
        'login below the required level of assurance',
      );
      const message = `${name} confirmed the login at a lower level of assurance (acr) than this service requires.`;
      return { status: 'failed', error: new EidError('provider_error', message) } satisfies CompleteResult;
    }
    const { identity, claims: source } = definition.toIdentity(transaction.method, claims, runtime);
    // The ID token goes back to the provider as id_token_hint at logout; kept only when that is turned on.
    const endSession: EndSessionHint | undefined = definition.logout
      ? { idTokenHint: claims.idTokenJwt }
      : undefined;
    return { status: 'complete' as const, identity, source, ...(endSession ? { endSession } : {}) };
  }

  /**
   * The end-session URL of a login (ID-porten's single logout: "Utlogging initiert fra egen tjeneste
   * (endsession)", https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso, and
   * https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_logout.html): id_token_hint, the registered
   * post_logout_redirect_uri and state. Undefined, with a warning, when the discovery document names no
   * end_session_endpoint. The URL holds the ID token: it is never logged.
   */
  async function endSessionUrl(
    hint: EndSessionHint,
    context: { postLogoutRedirectUri: string; state: string },
    runtime: ProviderRuntime,
  ): Promise<string | undefined> {
    const url = await client.endSessionUrl(runtime, {
      idTokenHint: hint.idTokenHint,
      postLogoutRedirectUri: definition.logout?.postLogoutRedirectUri ?? context.postLogoutRedirectUri,
      state: context.state,
    });
    if (url === undefined) {
      runtime.logger.warn(
        { provider: definition.id },
        `${name}'s discovery document has no end_session_endpoint: logged out of this app only, not at ${name}`,
      );
    }
    return url;
  }

  return defineProvider<OidcClaims>({
    id: definition.id,
    name,
    methods: definition.methods,
    profile: definition.profile,

    async start(context, runtime) {
      const redirectUri = new URL(context.callbackUrl);
      redirectUri.search = '';
      redirectUri.hash = '';
      const { parameters, personal } = definition.parameters(context);
      const started = await client.authorizationUrl(runtime, {
        redirectUri: redirectUri.toString(),
        state: context.transactionId,
        scope: definition.scope,
        parameters,
        ...(personal ? { personal } : {}),
      });
      return { reference: context.transactionId, redirectUrl: started.url, state: started.state };
    },

    async complete({ transaction, callbackQuery }, runtime) {
      // A redirect login finishes at the callback; without one there is nothing to ask the provider.
      if (!callbackQuery) return { status: 'pending' };
      try {
        return await finish(transaction, callbackQuery, runtime);
      } catch (thrown) {
        const error = isEidError(thrown)
          ? thrown
          : new EidError('provider_error', `The ${name} login failed unexpectedly.`, { cause: thrown });
        // A provider that could not be reached leaves the login pending: the callback can be tried again.
        if (error.code === 'provider_unavailable' || error.code === 'rate_limited') throw error;
        // So does a callback the provider did not send (a made-up code, an `error` without the provider's
        // `iss`): only the provider's answer, or the expiry, ends the login.
        if (isForgedCallback(error)) throw error;
        return { status: 'failed', error };
      }
    },

    transactionIdFromCallback: (query) => query.state,
    ...(definition.logout ? { endSessionUrl } : {}),
  });
}

/** Claims that are strings, or undefined: OIDC claims are untrusted shapes until checked. */
export function claimString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `amr` is an array in OIDC Core, a single string at some providers (older ID-porten). */
export function amrList(value: unknown): string[] | undefined {
  if (typeof value === 'string' && value !== '') return [value];
  if (Array.isArray(value)) {
    const list = value.filter((item): item is string => typeof item === 'string' && item !== '');
    return list.length > 0 ? list : undefined;
  }
  return undefined;
}

/**
 * What an OIDC identity says of the login itself: the level of assurance, when it happened, and `acr` and
 * `amr` (with any `more`) in `extra`.
 */
export function loginFacts(
  idToken: OidcClaims,
  level: number | undefined,
  more: Record<string, unknown> = {},
) {
  const extra = compactIdentity({ acr: claimString(idToken.acr), amr: amrList(idToken.amr), ...more });
  return {
    loa: loaOf(level),
    authenticatedAt: authenticatedAt(idToken),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** `auth_time` (seconds) as an ISO timestamp; now when absent. */
function authenticatedAt(claims: OidcClaims): string {
  const authTime = claims.auth_time;
  return typeof authTime === 'number' && Number.isFinite(authTime) && authTime > 0
    ? new Date(authTime * 1000).toISOString()
    : new Date().toISOString();
}
