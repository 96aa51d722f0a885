import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { type RecordedRequest, type Reply, startRecordingServer } from './recording-server.js';

export type Claims = Record<string, unknown>;

/** What the test OP does with the next requests; tests change it to tamper with one step. */
export interface TestOpBehaviour {
  /** The claims of ID tokens, from the defaults the authorization request implies. */
  idToken: (claims: Claims) => Claims;
  /** The ID token after signing (to tamper with its bytes). */
  signedIdToken: (jwt: string) => string;
  /** The key ID tokens are signed with. */
  idTokenKey: 'published' | 'unpublished';
  userinfo: (claims: Claims) => Claims;
  signedUserinfo: (jwt: string) => string;
  userinfoKey: 'published' | 'unpublished';
  /** `jwt`: `application/jwt`, signed; `json`: a plain JSON userinfo. */
  userinfoFormat: 'jwt' | 'json';
  /** Answers the token endpoint instead of the default, when it returns a reply. */
  token?: (request: RecordedRequest) => Reply | undefined;
}

export const TEST_CLIENT = { clientId: 'test-client', clientSecret: 'test-secret' };

/**
 * A hand-rolled OpenID Provider on a real port, for the cases a well-behaved OP never produces: tampered
 * or wrongly signed tokens, a wrong nonce, a low acr, an unsigned or badly signed userinfo. It checks what a
 * real OP checks (client authentication, PKCE S256, the redirect URI) so a passing login proves the client
 * sent them.
 */
export async function startTestOp(options: { par?: boolean } = {}) {
  const published = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const unpublished = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-op-key';
  const codes = new Map<string, { nonce: string; challenge: string; redirectUri: string; scope: string }>();
  const pushed = new Map<string, URLSearchParams>();
  const accessTokens = new Set<string>();
  let clientCredentialsCount = 0;
  const behaviour: TestOpBehaviour = {
    idToken: (claims) => claims,
    signedIdToken: (jwt) => jwt,
    idTokenKey: 'published',
    userinfo: (claims) => claims,
    signedUserinfo: (jwt) => jwt,
    userinfoKey: 'published',
    userinfoFormat: 'jwt',
  };
  let issuer = '';
  const person: Claims = {
    sub: '1f7a0c52-5b1e-4f31-9d6a-3c2b8e4d9a10',
    name: 'Kari Nordmann',
    given_name: 'Kari',
    family_name: 'Nordmann',
    birthdate: '1990-02-17',
    bankid_altsub: '9578-6000-4-2595757',
    nnin_altsub: '17829034034',
  };

  const jwt = (payload: Claims, key: KeyObject) => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), key).toString('base64url');
    return `${header}.${body}.${signature}`;
  };
  const keyOf = (which: 'published' | 'unpublished') =>
    which === 'published' ? published.privateKey : unpublished.privateKey;
  const basicOk = (request: RecordedRequest) => {
    const header = String(request.headers.authorization ?? '');
    if (!header.startsWith('Basic ')) return false;
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':').map(decodeURIComponent);
    return id === TEST_CLIENT.clientId && secret === TEST_CLIENT.clientSecret;
  };

  const server = await startRecordingServer((request) => {
    const now = Math.floor(Date.now() / 1000);
    switch (request.path) {
      case '/.well-known/openid-configuration':
        return {
          status: 200,
          json: {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            userinfo_endpoint: `${issuer}/userinfo`,
            jwks_uri: `${issuer}/jwks`,
            ...(options.par ? { pushed_authorization_request_endpoint: `${issuer}/par` } : {}),
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            userinfo_signing_alg_values_supported: ['RS256'],
            code_challenge_methods_supported: ['S256'],
            token_endpoint_auth_methods_supported: ['client_secret_basic'],
          },
        };
      case '/jwks':
        return {
          status: 200,
          json: {
            keys: [{ ...published.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }],
          },
        };
      case '/par': {
        if (!basicOk(request)) return { status: 401, json: { error: 'invalid_client' } };
        const requestUri = `urn:ietf:params:oauth:request_uri:${randomBytes(8).toString('hex')}`;
        pushed.set(requestUri, new URLSearchParams(request.body));
        return { status: 201, json: { request_uri: requestUri, expires_in: 60 } };
      }
      case '/token': {
        const scripted = behaviour.token?.(request);
        if (scripted) return scripted;
        if (!basicOk(request)) return { status: 401, json: { error: 'invalid_client' } };
        const form = new URLSearchParams(request.body);
        if (form.get('grant_type') === 'client_credentials') {
          clientCredentialsCount++;
          return {
            status: 200,
            json: {
              access_token: `cc-${clientCredentialsCount}`,
              token_type: 'Bearer',
              expires_in: 300,
              scope: form.get('scope'),
            },
          };
        }
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (
          !code ||
          code.redirectUri !== form.get('redirect_uri') ||
          createHash('sha256').update(verifier).digest('base64url') !== code.challenge
        ) {
          return { status: 400, json: { error: 'invalid_grant' } };
        }
        const accessToken = randomBytes(16).toString('hex');
        accessTokens.add(accessToken);
        const claims = behaviour.idToken({
          iss: issuer,
          aud: TEST_CLIENT.clientId,
          iat: now,
          exp: now + 300,
          auth_time: now - 5,
          nonce: code.nonce,
          acr: 'urn:bankid:bid;LOA=4',
          amr: ['bid'],
          sub: person.sub,
          name: person.name,
          bankid_altsub: person.bankid_altsub,
        });
        const idToken = behaviour.signedIdToken(jwt(claims, keyOf(behaviour.idTokenKey)));
        return {
          status: 200,
          json: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken },
        };
      }
      case '/userinfo': {
        const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
        if (!token || !accessTokens.has(token)) {
          return { status: 401, json: {}, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
        }
        const claims = behaviour.userinfo({ ...person, iss: issuer, aud: TEST_CLIENT.clientId });
        if (behaviour.userinfoFormat === 'json') return { status: 200, json: claims };
        return {
          status: 200,
          text: behaviour.signedUserinfo(jwt(claims, keyOf(behaviour.userinfoKey))),
          headers: { 'content-type': 'application/jwt' },
        };
      }
      default:
        return { status: 404, json: { error: 'not_found' } };
    }
  });
  issuer = server.url;

  return {
    issuer,
    requests: server.requests,
    behaviour,
    person,
    clientCredentialsCount: () => clientCredentialsCount,
    /** The parameters of the authorization request behind `redirectUrl` (resolving a PAR `request_uri`). */
    authorizationParameters(redirectUrl: string): URLSearchParams {
      const url = new URL(redirectUrl);
      const requestUri = url.searchParams.get('request_uri');
      return requestUri ? (pushed.get(requestUri) ?? new URLSearchParams()) : url.searchParams;
    },
    /** Approves the authorization request at `redirectUrl`: the callback query the browser would bring. */
    approve(redirectUrl: string): Record<string, string> {
      const params = this.authorizationParameters(redirectUrl);
      const code = randomBytes(16).toString('hex');
      codes.set(code, {
        nonce: params.get('nonce') ?? '',
        challenge: params.get('code_challenge') ?? '',
        redirectUri: params.get('redirect_uri') ?? '',
        scope: params.get('scope') ?? '',
      });
      return { code, state: params.get('state') ?? '', iss: issuer };
    },
    close: () => server.close(),
  };
}

export type TestOp = Awaited<ReturnType<typeof startTestOp>>;

/**
 * A client key pair for `private_key_jwt`: the private key as a JWK (with `kid`) and as PEM, and the public JWK
 * set an OP registers for the client.
 */
export function clientKeyPair(type: 'rsa' | 'ec' = 'rsa', kid = `client-${type}`) {
  const { privateKey, publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    jwk: { ...privateKey.export({ format: 'jwk' }), kid },
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' }] },
  };
}

/** The protocol claims of a default ID token (`iss`, `aud`, `iat`, `exp`, `nonce`) with `fixture` as the rest. */
export function withProtocolClaims(fixture: Claims): (claims: Claims) => Claims {
  return ({ iss, aud, iat, exp, nonce }) => ({ iss, aud, iat, exp, nonce, ...fixture });
}
