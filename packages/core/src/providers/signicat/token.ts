import type * as OpenIdClient from 'openid-client';
import type { ProviderRuntime } from '../../provider-kit/index.js';
import { TokenCache } from '../../token-cache.js';
import { oidcError } from '../oidc/errors.js';
import { openIdClient } from '../oidc/load.js';
import { TOKEN_PATH, TOKEN_SCOPE } from './wire.js';

export interface SignicatClient {
  baseUrl: URL;
  clientId: string;
  clientSecret: string;
}

/**
 * HTTP Basic as Signicat reads it: each part percent-encoded (RFC 6749 2.3.1) with a space as `%20`, where
 * openid-client's ClientSecretBasic writes `+`.
 */
function basicAuth(client: SignicatClient): OpenIdClient.ClientAuth {
  const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
  const value = `Basic ${Buffer.from(credentials).toString('base64')}`;
  return (_server, _client, _body, headers) => {
    headers.set('authorization', value);
  };
}

/** The token endpoint is fixed (Signicat's "Connect to Signicat APIs"): no discovery. */
async function configuration(client: SignicatClient, runtime: () => ProviderRuntime) {
  const oidc = await openIdClient();
  const config = new oidc.Configuration(
    { issuer: client.baseUrl.origin, token_endpoint: new URL(TOKEN_PATH, client.baseUrl).toString() },
    client.clientId,
    undefined,
    basicAuth(client),
  );
  // The only request here is the token request (a form): its content type goes without the charset
  // parameter openid-client adds, as the token request has always been sent.
  config[oidc.customFetch] = (url, options) =>
    runtime().transport.fetchFor('Signicat')(url, {
      ...(options as RequestInit),
      headers: { ...options.headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
  // Plain http only for a local simulator.
  if (client.baseUrl.protocol === 'http:') oidc.allowInsecureRequests(config);
  return config;
}

/** The `signicat-api` client-credentials token through openid-client, cached until shortly before expiry. */
export function signicatTokens(client: SignicatClient, runtime: () => ProviderRuntime): TokenCache {
  let config: Promise<OpenIdClient.Configuration> | undefined;
  return new TokenCache(async () => {
    const oidc = await openIdClient();
    config ??= configuration(client, runtime);
    try {
      const response = await oidc.clientCredentialsGrant(await config, { scope: TOKEN_SCOPE });
      return {
        accessToken: response.access_token,
        expiresIn: typeof response.expires_in === 'number' ? response.expires_in : 300,
      };
    } catch (error) {
      throw oidcError(error, { id: 'signicat', name: 'Signicat' }, 'access token request', runtime().logger);
    }
  });
}

/**
 * The `account_id` claim of a JWT access token, read without verifying it: it only addresses the call
 * (`signicat-accountId`), as the official SDK does (github.com/signicat/signicat-net,
 * src/Signicat.SDK/Infrastructure/Public/JwtHelper.cs). Undefined for an opaque token or one without the claim.
 */
export function tokenAccountId(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const account = (claims as { account_id?: unknown } | null)?.account_id;
    return typeof account === 'string' && account.trim() !== '' ? account.trim() : undefined;
  } catch {
    return undefined;
  }
}
