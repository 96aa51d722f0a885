/**
 * A provider on the provider kit that logs in against any OpenID Provider (docs/extending.md): authorization
 * code with PKCE, state and nonce, the ID token verified by openid-client. The OAuth `state` is the engine's
 * transaction id, which is how the callback finds its login; the engine checks that the same browser started it.
 */
import { EidError } from '@eid/core';
import {
  compactIdentity,
  defineProvider,
  type MethodCountry,
  type ProfileHook,
  type ProviderRuntime,
} from '@eid/core/provider-kit';
import * as oidc from 'openid-client';

export interface GenericOidcOptions {
  /** The OpenID Provider's issuer URL; discovery is at `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** kebab-case, in the URLs: the redirect URI to register is `{baseUrl}/auth/eid/callback/{id}`. Default `oidc`. */
  id?: string;
  /** For the login button and messages. Default `OpenID Connect`. */
  name?: string;
  /** Where the people who log in there come from. */
  country: MethodCountry;
  /** Default `openid profile`. */
  scope?: string;
  /** Adjusts the identity from the verified ID token claims (e.g. to keep a claim in `extra`). */
  profile?: ProfileHook<oidc.IDToken>;
}

export function genericOidc(options: GenericOidcOptions) {
  const id = options.id ?? 'oidc';
  const name = options.name ?? 'OpenID Connect';
  const issuer = new URL(options.issuer);
  let discovered: Promise<oidc.Configuration> | undefined;

  // Discovery once, through the engine's HTTP stack (its timeouts and limits); a failure is retried next time.
  function configuration(runtime: ProviderRuntime): Promise<oidc.Configuration> {
    discovered ??= oidc
      .discovery(issuer, options.clientId, options.clientSecret, undefined, {
        [oidc.customFetch]: (url, init) => runtime.transport.fetchFor(name)(url, init as RequestInit),
        // Plain http only for an issuer on this machine (a simulator).
        execute: ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)
          ? [oidc.allowInsecureRequests]
          : [],
      })
      .catch((cause: unknown) => {
        discovered = undefined;
        throw new EidError('provider_unavailable', `${name} could not be reached. Try again.`, { cause });
      });
    return discovered;
  }

  return defineProvider<oidc.IDToken>({
    id,
    name,
    methods: [{ id, flow: 'redirect', purpose: 'login', label: name, country: options.country }],
    profile: options.profile,

    async start(context, runtime) {
      const config = await configuration(runtime);
      // The registered redirect URI is the callback URL without the engine's `?tx=`: `state` carries the id.
      const redirectUri = context.callbackUrl.split('?')[0]!;
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: options.scope ?? 'openid profile',
        state: context.transactionId,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      // `state` is kept in the transaction, server-side, until the callback.
      return {
        reference: context.transactionId,
        redirectUrl: url.href,
        state: { codeVerifier, nonce, redirectUri },
      };
    },

    async complete({ transaction, callbackQuery }, runtime) {
      if (!callbackQuery) return { status: 'pending' }; // a redirect login finishes at its callback only
      const { codeVerifier, nonce, redirectUri } = transaction.providerState ?? {};
      const callbackUrl = new URL(redirectUri ?? '');
      for (const [key, value] of Object.entries(callbackQuery)) callbackUrl.searchParams.set(key, value);
      try {
        const tokens = await oidc.authorizationCodeGrant(await configuration(runtime), callbackUrl, {
          pkceCodeVerifier: codeVerifier,
          expectedNonce: nonce,
          expectedState: transaction.id,
          idTokenExpected: true,
        });
        const claims = tokens.claims()!;
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
        const identity = compactIdentity({
          subject: claims.sub,
          name: text(claims.name),
          firstName: text(claims.given_name),
          lastName: text(claims.family_name),
          authenticatedAt: new Date((claims.auth_time ?? claims.iat) * 1000).toISOString(),
        });
        return { status: 'complete', identity, source: claims };
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError && error.error === 'access_denied') {
          return { status: 'cancelled' };
        }
        if (error instanceof EidError) throw error; // the OP out of reach: the login stays open for a retry
        return {
          status: 'failed',
          error: new EidError('provider_error', `${name} refused the login.`, { cause: error }),
        };
      }
    },

    transactionIdFromCallback: (query) => query.state,
  });
}
