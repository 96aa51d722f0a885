/**
 * How an OIDC client authenticates at the token (and PAR) endpoint: `client_secret_basic`,
 * `client_secret_post`, or `private_key_jwt` (RFC 7523; a JWT signed with the client's private key, the method
 * ID-porten recommends, https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_token `client_assertion`).
 * The key is given as a private JWK or a PEM string; it is checked when the provider is created.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject, webcrypto } from 'node:crypto';
import type * as OpenIdClient from 'openid-client';
import { configError, requireString } from '../../provider-kit/index.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

const METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** The options a factory takes for its client authentication. */
export interface ClientAuthOptions {
  clientSecret?: string | undefined;
  /** Default `private_key_jwt` when `privateKey` is given, else `client_secret_basic`. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined;
  /** For `private_key_jwt`: the client's private key, a JWK (RSA or EC) or a PEM string (PKCS#8 or PKCS#1/SEC1). */
  privateKey?: string | JsonWebKey | undefined;
  /** The `kid` of the key as registered at the provider; default the JWK's `kid`. */
  privateKeyId?: string | undefined;
}

export type ClientAuthSettings =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | { method: 'private_key_jwt'; key: SigningKey };

interface SigningKey {
  jwk: JsonWebKey;
  kid: string | undefined;
  algorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
}

const EC_CURVES: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/** The checked client authentication of a factory's options; the key never appears in a message. */
export function clientAuthOf(factory: string, options: ClientAuthOptions): ClientAuthSettings {
  const method =
    options.tokenEndpointAuthMethod ??
    (options.privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic');
  if (!METHODS.includes(method)) {
    throw configError(
      factory,
      '`tokenEndpointAuthMethod` must be client_secret_basic, client_secret_post or private_key_jwt.',
    );
  }
  if (method !== 'private_key_jwt') {
    return { method, clientSecret: requireString(factory, options, 'clientSecret') };
  }
  if (options.privateKey === undefined) {
    throw configError(
      factory,
      '`privateKey` is required with private_key_jwt (a private JWK or a PEM string).',
    );
  }
  if (options.privateKeyId !== undefined) requireString(factory, options, 'privateKeyId');
  return { method, key: signingKey(factory, options.privateKey, options.privateKeyId) };
}

function signingKey(factory: string, given: unknown, kid: string | undefined): SigningKey {
  let key: KeyObject;
  try {
    if (typeof given === 'string') key = createPrivateKey(given);
    else if (given && typeof given === 'object')
      key = createPrivateKey({ key: given as JsonWebKey, format: 'jwk' });
    else throw new TypeError('not a key');
  } catch {
    throw configError(factory, '`privateKey` must be a private JWK or a PEM private key (RSA or EC).');
  }
  const jwk = key.export({ format: 'jwk' });
  const givenKid = typeof given === 'object' ? (given as { kid?: unknown }).kid : undefined;
  const keyId = kid ?? (typeof givenKid === 'string' ? givenKid : undefined);
  if (jwk.kty === 'RSA') {
    return { jwk, kid: keyId, algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  }
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && EC_CURVES[jwk.crv]) {
    return { jwk, kid: keyId, algorithm: { name: 'ECDSA', namedCurve: jwk.crv } };
  }
  throw configError(factory, '`privateKey` must be an RSA or EC (P-256, P-384, P-521) key.');
}

/** openid-client's client authentication for the settings (the key imported for WebCrypto signing). */
export async function clientAuthentication(
  oidc: typeof OpenIdClient,
  auth: ClientAuthSettings,
): Promise<OpenIdClient.ClientAuth> {
  if (auth.method !== 'private_key_jwt') {
    return auth.method === 'client_secret_post'
      ? oidc.ClientSecretPost(auth.clientSecret)
      : oidc.ClientSecretBasic(auth.clientSecret);
  }
  const { jwk, kid, algorithm } = auth.key;
  const key = await webcrypto.subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, algorithm, false, [
    'sign',
  ]);
  return oidc.PrivateKeyJwt(kid ? { key, kid } : key);
}
