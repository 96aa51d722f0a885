/**
 * One OpenID Connect relying party on `openid-client` v6: discovery from the issuer, authorization code with
 * PKCE (S256), state and nonce, ID token (and userinfo) signatures verified against the issuer's JWKS, and
 * the client-credentials grant. Its HTTP goes through the engine's transport (`customFetch`).
 */
import type * as OpenIdClient from 'openid-client';
import { EidError, isEidError } from '../../errors.js';
import type { AccessToken } from '../../token-cache.js';
import type { ProviderRuntime } from '../types.js';
import { type ClientAuthSettings, clientAuthentication } from './client-auth.js';
import { callbackForgery, type Forgery, forgedCallback, type OidcStep, oidcError } from './errors.js';
import { openIdClient } from './load.js';

/** Claims of a verified ID token, merged with verified userinfo claims where the provider reads them. */
export type OidcClaims = Record<string, unknown> & { sub: string };

export interface OidcClientSettings {
  /** Human name for messages and logs: `BankID Norway`. */
  name: string;
  /** The provider id for logs: `bankid-no`. */
  id: string;
  issuer: URL;
  clientId: string;
  /** The client authentication at the token and PAR endpoints (secret or private key). */
  auth: ClientAuthSettings;
  /** Client metadata the OP has registered for this client, e.g. `userinfo_signed_response_alg`. */
  clientMetadata?: Partial<OpenIdClient.ClientMetadata>;
}

/** What `start` keeps in the transaction for the callback (never shown to the browser). */
export interface OidcLoginState extends Record<string, string> {
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
}

const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/**
 * One OIDC client of one issuer. Discovery runs on first use and is cached for an hour; a failed discovery is
 * not cached, so the next login tries again. Every call names the runtime it goes through.
 */
export class OidcClient {
  readonly #settings: OidcClientSettings;
  #configuration: { value: OpenIdClient.Configuration; loadedAt: number } | undefined;
  #discovering: Promise<OpenIdClient.Configuration> | undefined;
  #runtime: ProviderRuntime | undefined;

  constructor(settings: OidcClientSettings) {
    this.#settings = settings;
  }

  /**
   * The authorization URL of one login. `personal` parameters (a prefilled nin) replace their plain
   * counterparts only when the OP takes pushed authorization requests (RFC 9126): then they travel
   * server to server and the browser's URL holds a `request_uri` only. Without PAR they are left out.
   */
  async authorizationUrl(
    runtime: ProviderRuntime,
    request: {
      redirectUri: string;
      state: string;
      scope: string;
      parameters: Record<string, string>;
      personal?: Record<string, string>;
    },
  ): Promise<{ url: string; state: OidcLoginState }> {
    const oidc = await openIdClient();
    const config = await this.#discover(runtime);
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
    const personal =
      request.personal && Object.keys(request.personal).length > 0 ? request.personal : undefined;
    let url: URL;
    if (personal && config.serverMetadata().pushed_authorization_request_endpoint) {
      url = await oidc
        .buildAuthorizationUrlWithPAR(config, { ...parameters, ...personal })
        .catch((error: unknown) => this.#fail(error, 'authorization request'));
    } else {
      if (personal) {
        runtime.logger.warn(
          { provider: this.#settings.id, left: Object.keys(personal) },
          'the provider takes no pushed authorization requests: the prefill is dropped, its personal parameters are not sent',
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
  async finishLogin(
    runtime: ProviderRuntime,
    request: {
      callbackQuery: Record<string, string>;
      expectedState: string;
      state: OidcLoginState;
      userinfo: boolean;
    },
  ): Promise<{ idToken: OidcClaims; userinfo?: OidcClaims; idTokenJwt: string }> {
    const oidc = await openIdClient();
    const config = await this.#discover(runtime);
    const metadata = config.serverMetadata();
    const forgery = callbackForgery(request.callbackQuery, {
      state: request.expectedState,
      issuer: metadata.issuer,
      issRequired: metadata.authorization_response_iss_parameter_supported === true,
    });
    if (forgery) throw this.#forged(runtime, forgery);
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
      .catch((error: unknown) => {
        const failure = error as { name?: unknown; error?: unknown } | undefined;
        if (failure?.name === 'ResponseBodyError' && failure.error === 'invalid_grant') {
          throw this.#forged(runtime, 'code refused');
        }
        return this.#fail(error, failure?.name === 'AuthorizationResponseError' ? 'login' : 'token request');
      });
    const idToken = tokens.claims() as OidcClaims | undefined;
    const idTokenJwt = tokens.id_token;
    if (!idToken || !idTokenJwt)
      throw new EidError('provider_error', `${this.#settings.name} sent no ID token.`);
    if (!request.userinfo) return { idToken, idTokenJwt };
    const userinfo = (await oidc
      .fetchUserInfo(config, tokens.access_token, idToken.sub)
      .catch((error: unknown) => this.#fail(error, 'userinfo request'))) as OidcClaims;
    return { idToken, userinfo, idTokenJwt };
  }

  /**
   * Where to send the browser to end the person's session at the provider (OpenID Connect RP-Initiated Logout
   * 1.0, as ID-porten documents it: https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_logout.html), or
   * undefined when the discovery document has no `end_session_endpoint`. `idTokenHint` is the ID token of the
   * login (a JWT with personal data: keep it server-side); `postLogoutRedirectUri` must be registered.
   */
  async endSessionUrl(
    runtime: ProviderRuntime,
    request: { idTokenHint: string; postLogoutRedirectUri: string; state?: string },
  ): Promise<string | undefined> {
    const oidc = await openIdClient();
    const config = await this.#discover(runtime);
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc
      .buildEndSessionUrl(config, {
        id_token_hint: request.idTokenHint,
        post_logout_redirect_uri: request.postLogoutRedirectUri,
        ...(request.state ? { state: request.state } : {}),
      })
      .toString();
  }

  /** A client-credentials access token (RFC 6749 4.4) for `scope`. */
  async clientCredentials(runtime: ProviderRuntime, scope: string): Promise<AccessToken> {
    const oidc = await openIdClient();
    const config = await this.#discover(runtime);
    const response = await oidc
      .clientCredentialsGrant(config, { scope })
      .catch((error: unknown) => this.#fail(error, 'access token request'));
    return {
      accessToken: response.access_token,
      expiresIn: typeof response.expires_in === 'number' ? response.expires_in : 300,
    };
  }

  async #discover(runtime: ProviderRuntime): Promise<OpenIdClient.Configuration> {
    this.#runtime = runtime;
    const cached = this.#configuration;
    if (cached && Date.now() - cached.loadedAt < DISCOVERY_TTL_MS) return cached.value;
    this.#discovering ??= this.#load().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  /** Reads of public documents (discovery, keys) in flight, by URL: see `#fetch`. */
  readonly #reads = new Map<string, Promise<SharedRead>>();

  /**
   * openid-client's fetch: the transport of the runtime of the latest call. A GET without credentials (the OpenID
   * configuration, the provider's keys) that is already in flight is not sent again: logins that start together on
   * a cold process, each needing the keys, share one request, so the keys are fetched once per process.
   */
  readonly #fetch: OpenIdClient.CustomFetch = (url, options) => {
    const send = () =>
      (this.#runtime as ProviderRuntime).transport.fetchFor(this.#settings.name)(url, options as RequestInit);
    if (!isPublicRead(options as RequestInit)) return send();
    let read = this.#reads.get(url);
    if (!read) {
      read = send()
        .then(async (response) => ({
          status: response.status,
          statusText: response.statusText,
          headers: [...response.headers],
          body: await response.arrayBuffer(),
        }))
        .finally(() => this.#reads.delete(url));
      this.#reads.set(url, read);
    }
    return read.then(
      ({ status, statusText, headers, body }) =>
        new Response(NULL_BODY_STATUSES.has(status) ? null : body.slice(0), { status, statusText, headers }),
    );
  };

  async #load(): Promise<OpenIdClient.Configuration> {
    const oidc = await openIdClient();
    const { issuer, clientId, clientMetadata } = this.#settings;
    const auth = await clientAuthentication(oidc, this.#settings.auth);
    const execute = [oidc.enableNonRepudiationChecks];
    // Plain http only to a loopback issuer (the simulator); the factories refuse any other http issuer.
    if (issuer.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    try {
      const value = await oidc.discovery(issuer, clientId, { ...clientMetadata }, auth, {
        [oidc.customFetch]: this.#fetch,
        execute,
      });
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

  #map(error: unknown, step: OidcStep): EidError {
    return oidcError(error, this.#settings, step, (this.#runtime as ProviderRuntime).logger);
  }

  /** A callback that is no answer from the provider: logged (the reason only) and refused, ending nothing. */
  #forged(runtime: ProviderRuntime, reason: Forgery): EidError {
    runtime.logger.warn(
      { provider: this.#settings.id, reason },
      `${this.#settings.name} callback refused: not an answer from the provider; the login stays open`,
    );
    return forgedCallback(this.#settings, reason);
  }

  #fail(error: unknown, step: OidcStep): never {
    throw this.#map(error, step);
  }
}

/** Statuses whose responses have no body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** A public document's answer, read once and handed to every request that waited for it. */
interface SharedRead {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ArrayBuffer;
}

/** A GET with no body and no credentials: the same answer for every caller. */
function isPublicRead(options: RequestInit | undefined): boolean {
  const method = (options?.method ?? 'GET').toUpperCase();
  if (method !== 'GET' || options?.body) return false;
  return !new Headers(options?.headers).has('authorization');
}
