/**
 * The shared base of the OpenID Connect providers (BankID Norway, ID-porten), on `openid-client` v6:
 * discovery from the issuer, authorization code with PKCE (S256), state and nonce, ID token (and userinfo)
 * signatures verified against the issuer's JWKS, and the client-credentials grant.
 *
 * `openid-client` is ESM only; it is loaded with a dynamic import on first use, so the CommonJS build of
 * @eid/core keeps loading on Node versions without require(esm), and apps without OIDC never load it.
 * Its HTTP goes through undici with the provider's timeouts (one pool per origin), like `HttpClient`.
 */
import type * as OpenIdClient from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { EidError, isEidError, safeUpstreamCode } from '../errors.js';
import type { HttpTimeouts } from '../http.js';
import type { ProviderIdentity } from '../identity.js';
import type { Logger } from '../logger.js';
import type { AccessToken } from '../token-cache.js';
import type { CompleteResult, Provider, ProviderMethod, StartContext, StartResult } from './types.js';

let loading: Promise<typeof OpenIdClient> | undefined;

function openIdClient(): Promise<typeof OpenIdClient> {
  loading ??= import('openid-client').catch((cause: unknown) => {
    loading = undefined;
    throw new EidError('provider_error', 'The openid-client module could not be loaded.', { cause });
  });
  return loading;
}

/** Claims of a verified ID token, merged with verified userinfo claims where the provider reads them. */
export type OidcClaims = Record<string, unknown> & { sub: string };

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface OidcClientSettings {
  /** Human name for messages and logs: `BankID Norway`. */
  name: string;
  /** The provider id for logs: `bankid-no`. */
  id: string;
  issuer: URL;
  clientId: string;
  clientSecret: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Client metadata the OP has registered for this client, e.g. `userinfo_signed_response_alg`. */
  clientMetadata?: Partial<OpenIdClient.ClientMetadata>;
  timeouts?: HttpTimeouts;
  logger: Logger;
}

/** What `start` keeps in the transaction for the callback (never shown to the browser). */
export interface OidcLoginState extends Record<string, string> {
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
}

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

type Step =
  | 'discovery'
  | 'authorization request'
  | 'login'
  | 'token request'
  | 'userinfo request'
  | 'access token request';

/**
 * One OIDC client (relying party) of one issuer. Discovery runs on first use and is cached for an hour; a
 * failed discovery is not cached, so the next login tries again.
 */
export class OidcClient {
  readonly #settings: OidcClientSettings;
  readonly #agent: Agent;
  readonly #timeoutSeconds: number;
  #configuration: { value: OpenIdClient.Configuration; loadedAt: number } | undefined;
  #discovering: Promise<OpenIdClient.Configuration> | undefined;

  constructor(settings: OidcClientSettings) {
    this.#settings = settings;
    const connect = settings.timeouts?.connect ?? 5_000;
    const headers = settings.timeouts?.headers ?? 10_000;
    const body = settings.timeouts?.body ?? 10_000;
    this.#agent = new Agent({ connect: { timeout: connect }, headersTimeout: headers, bodyTimeout: body });
    this.#timeoutSeconds = Math.ceil((connect + headers + body) / 1000);
  }

  /**
   * The authorization URL of one login. `personal` parameters (a prefilled nin) replace their plain
   * counterparts only when the OP takes pushed authorization requests (RFC 9126): then they travel
   * server to server and the browser's URL holds a `request_uri` only. Without PAR they are left out.
   */
  async authorizationUrl(request: {
    redirectUri: string;
    state: string;
    scope: string;
    parameters: Record<string, string>;
    personal?: Record<string, string>;
  }): Promise<{ url: string; state: OidcLoginState }> {
    const oidc = await openIdClient();
    const config = await this.#discover();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const parameters = {
      ...request.parameters,
      redirect_uri: request.redirectUri,
      response_type: 'code',
      scope: request.scope,
      state: request.state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    let url: URL;
    const personal =
      request.personal && Object.keys(request.personal).length > 0 ? request.personal : undefined;
    if (personal && config.serverMetadata().pushed_authorization_request_endpoint) {
      url = await oidc
        .buildAuthorizationUrlWithPAR(config, { ...parameters, ...personal })
        .catch((error: unknown) => this.#fail(error, 'authorization request'));
    } else {
      if (personal) {
        this.#settings.logger.warn(
          { provider: this.#settings.id, left: Object.keys(personal) },
          'the provider takes no pushed authorization requests: personal parameters are not sent',
        );
      }
      url = oidc.buildAuthorizationUrl(config, parameters);
    }
    return { url: url.toString(), state: { codeVerifier, nonce, redirectUri: request.redirectUri } };
  }

  /**
   * Checks the callback (state, `iss`, OAuth error), redeems the code with the PKCE verifier, verifies the
   * ID token (signature, issuer, audience, expiry, nonce) and, when asked, fetches userinfo for the same
   * `sub` (a signed userinfo is verified like the ID token).
   */
  async finishLogin(request: {
    callbackQuery: Record<string, string>;
    expectedState: string;
    state: OidcLoginState;
    userinfo: boolean;
  }): Promise<{ idToken: OidcClaims; userinfo?: OidcClaims }> {
    const oidc = await openIdClient();
    const config = await this.#discover();
    const currentUrl = new URL(request.state.redirectUri);
    for (const [name, value] of Object.entries(request.callbackQuery))
      currentUrl.searchParams.set(name, value);
    const tokens = await oidc
      .authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: request.state.codeVerifier,
        expectedState: request.expectedState,
        expectedNonce: request.state.nonce,
        idTokenExpected: true,
      })
      .catch((error: unknown) =>
        this.#fail(error, isAuthorizationResponseError(error) ? 'login' : 'token request'),
      );
    const idToken = tokens.claims() as OidcClaims | undefined;
    if (!idToken) throw new EidError('provider_error', `${this.#settings.name} sent no ID token.`);
    if (!request.userinfo) return { idToken };
    const userinfo = (await oidc
      .fetchUserInfo(config, tokens.access_token, idToken.sub)
      .catch((error: unknown) => this.#fail(error, 'userinfo request'))) as OidcClaims;
    return { idToken, userinfo };
  }

  /** A client-credentials access token (RFC 6749 4.4) for `scope`. */
  async clientCredentials(scope: string): Promise<AccessToken> {
    const oidc = await openIdClient();
    const config = await this.#discover();
    const response = await oidc
      .clientCredentialsGrant(config, { scope })
      .catch((error: unknown) => this.#fail(error, 'access token request'));
    return {
      accessToken: response.access_token,
      expiresIn: typeof response.expires_in === 'number' ? response.expires_in : 300,
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #discover(): Promise<OpenIdClient.Configuration> {
    const cached = this.#configuration;
    if (cached && Date.now() - cached.loadedAt < DISCOVERY_TTL_MS) return cached.value;
    this.#discovering ??= this.#load().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #load(): Promise<OpenIdClient.Configuration> {
    const oidc = await openIdClient();
    const { issuer, clientId, clientSecret, tokenEndpointAuthMethod, clientMetadata } = this.#settings;
    const auth =
      tokenEndpointAuthMethod === 'client_secret_post'
        ? oidc.ClientSecretPost(clientSecret)
        : oidc.ClientSecretBasic(clientSecret);
    const execute = [oidc.enableNonRepudiationChecks];
    // Plain http only to a loopback issuer (the simulator); the factories refuse any other http issuer.
    if (issuer.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    try {
      const value = await oidc.discovery(issuer, clientId, { ...clientMetadata }, auth, {
        [oidc.customFetch]: this.#fetch,
        timeout: this.#timeoutSeconds,
        execute,
      });
      value.timeout = this.#timeoutSeconds;
      this.#configuration = { value, loadedAt: Date.now() };
      return value;
    } catch (error) {
      const mapped = this.#map(error, 'discovery');
      if (mapped.code === 'provider_error' && !isEidError(error)) {
        throw new EidError(
          'provider_unavailable',
          `${this.#settings.name}'s OpenID configuration could not be loaded. Try again in a moment; if it keeps failing, check \`issuer\`.`,
          { cause: error },
        );
      }
      throw mapped;
    }
  }

  /** openid-client's fetch: undici with the provider's timeouts and a cap on the response size. */
  readonly #fetch: OpenIdClient.CustomFetch = async (url, options) => {
    const started = Date.now();
    const response = await undiciFetch(url, { ...options, dispatcher: this.#agent } as Parameters<
      typeof undiciFetch
    >[1]);
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > MAX_RESPONSE_BYTES) {
          await response.body.cancel().catch(() => undefined);
          throw new EidError('provider_error', `${this.#settings.name} sent a response larger than allowed.`);
        }
        chunks.push(chunk);
      }
    }
    this.#settings.logger.debug(
      {
        provider: this.#settings.id,
        method: options.method,
        path: new URL(url).pathname,
        status: response.status,
        ms: Date.now() - started,
      },
      'provider request',
    );
    const empty = response.status === 204 || response.status === 205 || response.status === 304;
    return new Response(empty ? null : Buffer.concat(chunks), {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
    });
  };

  #fail(error: unknown, step: Step): never {
    throw this.#map(error, step);
  }

  /**
   * One EidError for everything openid-client and the network can throw. Logged with the error's name,
   * code and status only: causes can hold response bodies with personal data.
   */
  #map(error: unknown, step: Step): EidError {
    const { name, id, logger } = this.#settings;
    const found = findEidError(error);
    if (found) return found;
    const failure = error as {
      name?: unknown;
      code?: unknown;
      error?: unknown;
      status?: unknown;
      cause?: unknown;
    };
    const oauthError = safeUpstreamCode(failure.error);
    const code = safeUpstreamCode(failure.code);
    const status =
      typeof failure.status === 'number'
        ? failure.status
        : failure.cause instanceof Response
          ? failure.cause.status
          : undefined;
    // A person cancelling is no fault of anyone's.
    logger[oauthError === 'access_denied' ? 'info' : 'warn'](
      {
        provider: id,
        step,
        error: typeof failure.name === 'string' ? failure.name : 'Error',
        code,
        oauthError,
        status,
      },
      `${name} ${step} failed`,
    );
    if (failure.name === 'AuthorizationResponseError') {
      if (oauthError === 'access_denied') return new EidError('user_cancelled', 'The login was cancelled.');
      if (oauthError === 'temporarily_unavailable') {
        return new EidError('provider_unavailable', `${name} is unavailable. Try again in a moment.`);
      }
      return new EidError(
        'provider_error',
        `${name} ended the login with an error (${oauthError ?? 'unknown'}).`,
      );
    }
    if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
      return new EidError('provider_unavailable', `${name} did not answer in time. Try again in a moment.`);
    }
    if (status === 429)
      return new EidError('rate_limited', `${name} is limiting requests. Try again shortly.`);
    if (status !== undefined && status >= 500) {
      return new EidError(
        'provider_unavailable',
        `${name} is unavailable (HTTP ${status}). Try again in a moment.`,
      );
    }
    if (oauthError === 'invalid_client' || (status === 401 && step !== 'userinfo request')) {
      return new EidError(
        'provider_error',
        `${name} rejected the client credentials. Check clientId, clientSecret and the client authentication method.`,
      );
    }
    if (failure.name === 'ResponseBodyError' || failure.name === 'WWWAuthenticateChallengeError') {
      return new EidError(
        'provider_error',
        `${name} refused the ${step} (${oauthError ?? `HTTP ${status}`}).`,
      );
    }
    if (
      error instanceof TypeError &&
      !(typeof failure.code === 'string' && failure.code.startsWith('ERR_INVALID'))
    ) {
      const cause = (failure.cause as { code?: unknown } | undefined)?.code;
      const timedOut = typeof cause === 'string' && cause.includes('TIMEOUT');
      return new EidError(
        'provider_unavailable',
        timedOut
          ? `${name} did not answer in time. Try again in a moment.`
          : `${name} could not be reached. Try again in a moment.`,
      );
    }
    // State, issuer, nonce, signature, expiry, subject or shape checks that did not pass.
    return new EidError(
      'provider_error',
      `${name}'s answer to the ${step} did not pass verification${code ? ` (${code})` : ''}.`,
    );
  }
}

function isAuthorizationResponseError(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'AuthorizationResponseError';
}

/** An EidError thrown by our own fetch, possibly wrapped by openid-client. */
function findEidError(error: unknown): EidError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (isEidError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// ---- configuration checks shared by the factories -----------------------------------------------

export function requireString(factory: string, options: object, field: string): string {
  const value = (options as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new EidError('invalid_config', `${factory}: \`${field}\` is required (a non-empty string).`);
  }
  return value;
}

/** The issuer as a URL: https, or http to a loopback host (the simulator). */
export function issuerUrl(factory: string, value: unknown, example: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    !url ||
    url.search !== '' ||
    url.hash !== '' ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
  ) {
    throw new EidError(
      'invalid_config',
      `${factory}: \`issuer\` must be the https issuer URL, such as ${example} (plain http only for a local simulator).`,
    );
  }
  return url;
}

export function authMethod(factory: string, value: unknown): TokenEndpointAuthMethod {
  if (value === undefined) return 'client_secret_basic';
  if (value !== 'client_secret_basic' && value !== 'client_secret_post') {
    throw new EidError(
      'invalid_config',
      `${factory}: \`tokenEndpointAuthMethod\` must be client_secret_basic or client_secret_post.`,
    );
  }
  return value;
}

/** The scope to request: space-separated or a list, always with `openid`. */
export function scopeList(factory: string, value: unknown, fallback: readonly string[]): string[] {
  const list = value === undefined ? [...fallback] : typeof value === 'string' ? value.split(' ') : value;
  if (
    !Array.isArray(list) ||
    !list.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]*$/.test(scope))
  ) {
    throw new EidError('invalid_config', `${factory}: \`scope\` must be a list of OAuth scope values.`);
  }
  const scopes = [...new Set(list.filter((scope) => scope !== ''))];
  if (!scopes.includes('openid')) {
    throw new EidError('invalid_config', `${factory}: \`scope\` must include openid.`);
  }
  return scopes;
}

// ---- the provider over one client ---------------------------------------------------------------

export interface OidcProviderDefinition {
  id: string;
  name: string;
  methods: readonly ProviderMethod[];
  client: OidcClient;
  scope: string;
  logger: Logger;
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
  toIdentity(method: string, claims: { idToken: OidcClaims; userinfo?: OidcClaims }): ProviderIdentity;
}

/**
 * A Provider over an OIDC client. The OAuth `state` is the transaction id (256 random bits): the callback
 * finds its transaction by it, and the engine checks the browser binding. The redirect URI is the engine's
 * callback URL without its query, `{baseUrl}{prefix}/callback/{provider}`, as OIDC needs the exact
 * registered URI.
 */
export function oidcProvider(definition: OidcProviderDefinition): Provider {
  const { client, name, logger } = definition;
  return {
    specificationVersion: 'v1',
    id: definition.id,
    name,
    methods: definition.methods,

    async start(context: StartContext): Promise<StartResult> {
      const redirectUri = new URL(context.callbackUrl);
      redirectUri.search = '';
      redirectUri.hash = '';
      const { parameters, personal } = definition.parameters(context);
      const started = await client.authorizationUrl({
        redirectUri: redirectUri.toString(),
        state: context.transactionId,
        scope: definition.scope,
        parameters,
        ...(personal ? { personal } : {}),
      });
      return { reference: context.transactionId, redirectUrl: started.url, state: started.state };
    },

    async complete({ transaction, callbackQuery }): Promise<CompleteResult> {
      // A redirect login finishes at the callback; without one there is nothing to ask the provider.
      if (!callbackQuery) return { status: 'pending' };
      const state = transaction.providerState;
      if (!state?.codeVerifier || !state.nonce || !state.redirectUri) {
        return {
          status: 'failed',
          error: new EidError('provider_error', `The ${name} login lost its PKCE state. Start it again.`),
        };
      }
      try {
        const claims = await client.finishLogin({
          callbackQuery,
          expectedState: transaction.id,
          state: { codeVerifier: state.codeVerifier, nonce: state.nonce, redirectUri: state.redirectUri },
          userinfo: definition.userinfo,
        });
        const acr = claims.idToken.acr;
        if (!definition.acceptsAcr(transaction.method, acr)) {
          logger.warn(
            {
              provider: definition.id,
              transactionId: transaction.id,
              acr: typeof acr === 'string' ? acr : null,
            },
            'login below the required level of assurance',
          );
          return {
            status: 'failed',
            error: new EidError(
              'provider_error',
              `${name} confirmed the login at a lower level of assurance (acr) than this service requires.`,
            ),
          };
        }
        return { status: 'complete', identity: definition.toIdentity(transaction.method, claims) };
      } catch (thrown) {
        const error = isEidError(thrown)
          ? thrown
          : new EidError('provider_error', `The ${name} login failed unexpectedly.`, { cause: thrown });
        // A provider that could not be reached leaves the login pending: the callback can be tried again.
        if (error.code === 'provider_unavailable' || error.code === 'rate_limited') throw error;
        return { status: 'failed', error };
      }
    },

    transactionIdFromCallback: (query) => query.state,

    close: () => client.close(),
  };
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

/** `auth_time` (seconds) as an ISO timestamp; now when absent. */
export function authenticatedAt(claims: OidcClaims): string {
  const authTime = claims.auth_time;
  return typeof authTime === 'number' && Number.isFinite(authTime) && authTime > 0
    ? new Date(authTime * 1000).toISOString()
    : new Date().toISOString();
}
