import { readFileSync } from 'node:fs';
import { type Simulator, startSimulator, TEST_USERS } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EidError } from '../src/errors.js';
import { createEid } from '../src/index.js';
import { IDPORTEN_ISSUERS, type IdportenOptions, idporten } from '../src/providers/idporten/index.js';
import { oidcClientOf } from '../src/providers/oidc/index.js';
import type { CompleteResult, Provider } from '../src/providers/types.js';
import { MemoryStore } from '../src/store/memory.js';
import { randomToken, type Transaction } from '../src/transaction.js';
import { createTransport } from '../src/transport.js';
import { OidcBrowser } from './helpers/oidc-browser.js';
import { withRuntime } from './helpers/recording-server.js';
import { clientKeyPair, startTestOp, TEST_CLIENT, withProtocolClaims } from './helpers/test-op.js';

const CALLBACK = 'http://localhost:4000/auth/eid/callback/idporten';
const kari = TEST_USERS.find((user) => user.id === 'no-kari')!;
const jonas = TEST_USERS.find((user) => user.id === 'no-jonas')!;

let sim: Simulator;
let closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  sim.clearFaults();
  await Promise.all(closers.map((close) => close()));
  closers = [];
});
afterAll(async () => {
  await sim.close();
});

function provider(options: Partial<IdportenOptions> = {}): Provider {
  const created = withRuntime(idporten({ ...sim.idporten, ...options }), {
    timeouts: { connect: 1000, headers: 1000, body: 1000 },
  });
  closers.push(async () => created.close?.());
  return created;
}

async function start(target: Provider): Promise<{ redirectUrl: string; transaction: Transaction }> {
  const id = randomToken();
  const started = await target.start({
    transactionId: id,
    method: target.methods[0]!,
    callbackUrl: `${CALLBACK}?tx=${id}`,
    webhookUrl: `http://localhost:4000/auth/eid/webhook/idporten?tx=${id}`,
    lang: 'nn',
  });
  const now = Date.now();
  return {
    redirectUrl: started.redirectUrl!,
    transaction: {
      id,
      provider: 'idporten',
      method: 'idporten',
      flow: 'redirect',
      status: 'pending',
      version: 1,
      createdAt: now,
      expiresAt: now + 600_000,
      retainUntil: now + 1_200_000,
      reference: started.reference,
      returnTo: '/',
      bindingHash: 'x',
      ...(started.state ? { providerState: started.state } : {}),
    },
  };
}

async function login(
  target: Provider,
  choice: { user?: string; idp?: string; outcome?: 'success' | 'abort' } = {},
) {
  const { redirectUrl, transaction } = await start(target);
  const { query } = await new OidcBrowser().login(redirectUrl, CALLBACK, choice);
  return target.complete({ transaction, callbackQuery: query });
}

function failure(result: CompleteResult): EidError {
  if (result.status !== 'failed') throw new Error(`expected a failed login, got ${result.status}`);
  return result.error;
}

describe('idporten(): configuration', () => {
  it('names the bad field', () => {
    const valid = { issuer: IDPORTEN_ISSUERS.test, clientId: 'id', clientSecret: 'secret' };
    for (const [options, field] of [
      [{ ...valid, acr: 'Level4' }, /`acr`/],
      [{ ...valid, issuer: 'http://idporten.no' }, /`issuer`/],
      [{ ...valid, clientSecret: ' ' }, /`clientSecret`/],
      [{ ...valid, scope: ['profile'] }, /openid/],
      [{ ...valid, tokenEndpointAuthMethod: 'client_secret_jwt' }, /`tokenEndpointAuthMethod`/],
      [{ ...valid, tokenEndpointAuthMethod: 'private_key_jwt' }, /`privateKey` is required/],
      [
        { ...valid, privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' },
        /`privateKey` must be/,
      ],
      [{ ...valid, privateKey: { kty: 'oct', k: 'c2VjcmV0' } }, /`privateKey` must be/],
      [{ issuer: valid.issuer, clientId: 'id' }, /`clientSecret`/],
      [{ ...valid, logoutAtProvider: 'yes' }, /`logoutAtProvider`/],
      [{ ...valid, logoutAtProvider: { postLogoutRedirectUri: '/logged-out' } }, /`logoutAtProvider`/],
      [
        { ...valid, logoutAtProvider: { postLogoutRedirectUri: 'https://a.example/#x' } },
        /`logoutAtProvider`/,
      ],
      [{ ...valid, logoutAtProvider: { postLogoutRedirectUri: 'ftp://a.example/' } }, /`logoutAtProvider`/],
    ] as const) {
      expect(() => idporten(options as unknown as IdportenOptions)).toThrow(field);
      try {
        idporten(options as unknown as IdportenOptions);
      } catch (error) {
        expect((error as EidError).code).toBe('invalid_config');
      }
    }
    const made = idporten(valid);
    expect(made.id).toBe('idporten');
    expect(made.methods).toEqual([
      { id: 'idporten', flow: 'redirect', purpose: 'login', label: 'ID-porten', country: 'NO' },
    ]);
  });
});

describe('idporten(): on the simulator (oidc-provider)', () => {
  it('asks with PKCE S256, state, nonce and the configured acr_values', async () => {
    const { redirectUrl, transaction } = await start(provider({ acr: 'idporten-loa-high' }));
    const params = Object.fromEntries(new URL(redirectUrl).searchParams);
    expect(params).toMatchObject({
      client_id: sim.idporten.clientId,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      state: transaction.id,
      code_challenge_method: 'S256',
      acr_values: 'idporten-loa-high',
      ui_locales: 'nn',
    });
    expect(params.nonce).toBeTruthy();
    expect(params.code_challenge).toBeTruthy();
  });

  it('logs in at substantial (MinID): pid as the nin, the pairwise sub as subject', async () => {
    const result = await login(provider(), { user: 'no-kari' });
    expect(result.status).toBe('complete');
    if (result.status !== 'complete') return;
    expect(result.identity).toMatchObject({
      nin: { value: kari.nin, country: 'NO' },
      dateOfBirth: '1990-02-17',
      loa: 'substantial',
      extra: { acr: 'idporten-loa-substantial', amr: ['Minid-PIN'], locale: 'nb' },
    });
    expect(result.identity.subject).not.toBe('no-kari');
    expect(result.identity.subject).not.toContain(kari.nin);
    const again = await login(provider(), { user: 'no-kari', idp: 'BankID' });
    expect(again).toMatchObject({
      status: 'complete',
      identity: { subject: result.identity.subject, loa: 'high' },
    });
  });

  it('logs in at high (BankID) and types a D-number', async () => {
    const result = await login(provider({ acr: 'idporten-loa-high' }), { user: 'no-jonas' });
    expect(result).toMatchObject({
      status: 'complete',
      identity: { nin: { value: jonas.nin, type: 'D' }, loa: 'high', extra: { amr: ['BankID'] } },
    });
  });

  it('maps the names ID-porten puts in the ID token with profile for BankID and Buypass, none for MinID', async () => {
    for (const idp of ['BankID', 'Buypass']) {
      const result = await login(provider({ acr: 'idporten-loa-high' }), { user: 'no-kari', idp });
      expect(result).toMatchObject({
        status: 'complete',
        identity: { name: 'Kari Nordmann', firstName: 'Kari', lastName: 'Nordmann', extra: { amr: [idp] } },
      });
    }
    const minid = await login(provider(), { user: 'no-kari', idp: 'MinID' });
    expect(minid.status).toBe('complete');
    if (minid.status === 'complete') {
      expect(minid.identity).not.toHaveProperty('name');
      expect(minid.identity).not.toHaveProperty('firstName');
    }
  });

  for (const [name, expected] of [
    ['id-token-minid', { loa: 'substantial', extra: { amr: ['Minid-PIN'], locale: 'nb' } }],
    [
      'id-token-bankid-profile',
      {
        loa: 'high',
        name: 'Kari Nordmann',
        firstName: 'Kari',
        lastName: 'Nordmann',
        extra: { amr: ['BankID'] },
      },
    ],
  ] as const) {
    it(`fixture ${name}: maps the signed ID token`, async () => {
      const op = await startTestOp();
      closers.push(op.close);
      const claims = JSON.parse(
        readFileSync(new URL(`./fixtures/idporten/${name}.json`, import.meta.url), 'utf8'),
      );
      op.behaviour.idToken = withProtocolClaims(claims);
      const target = idporten({ issuer: op.issuer, ...TEST_CLIENT });
      closers.push(async () => target.close?.());
      const { redirectUrl, transaction } = await start(target);
      const result = await target.complete({ transaction, callbackQuery: op.approve(redirectUrl) });
      expect(result).toMatchObject({
        status: 'complete',
        identity: { subject: claims.sub, nin: { value: '17829034034', country: 'NO' }, ...expected },
      });
      if (!('name' in expected) && result.status === 'complete') expect(result.identity.name).toBeUndefined();
    });
  }

  it('joins given_name and family_name when the ID token has no name', async () => {
    const op = await startTestOp();
    closers.push(op.close);
    op.behaviour.idToken = ({ name: _name, ...claims }) => ({
      ...claims,
      acr: 'idporten-loa-high',
      pid: kari.nin,
      given_name: 'Kari',
      family_name: 'Nordmann',
    });
    const target = idporten({ issuer: op.issuer, ...TEST_CLIENT, acr: 'idporten-loa-high' });
    closers.push(async () => target.close?.());
    const { redirectUrl, transaction } = await start(target);
    const result = await target.complete({ transaction, callbackQuery: op.approve(redirectUrl) });
    expect(result).toMatchObject({
      status: 'complete',
      identity: { name: 'Kari Nordmann', firstName: 'Kari', lastName: 'Nordmann' },
    });
  });

  it('refuses a login below the requested level (high asked, MinID used)', async () => {
    const error = failure(
      await login(provider({ acr: 'idporten-loa-high' }), { user: 'no-kari', idp: 'MinID' }),
    );
    expect(error.code).toBe('provider_error');
    expect(error.message).toMatch(/lower level of assurance/);
  });

  it('maps the person cancelling to user_cancelled', async () => {
    expect(failure(await login(provider(), { outcome: 'abort' })).code).toBe('user_cancelled');
  });

  it('does not read userinfo: everything is in the signed ID token', async () => {
    const op = await startTestOp();
    closers.push(op.close);
    op.behaviour.idToken = (claims) => ({
      ...claims,
      acr: 'idporten-loa-high',
      amr: 'BankID',
      pid: kari.nin,
    });
    const target = idporten({ issuer: op.issuer, ...TEST_CLIENT, acr: 'idporten-loa-high' });
    closers.push(async () => target.close?.());
    const { redirectUrl, transaction } = await start(target);
    const result = await target.complete({ transaction, callbackQuery: op.approve(redirectUrl) });
    expect(result).toMatchObject({
      status: 'complete',
      identity: { nin: { value: kari.nin }, loa: 'high', extra: { amr: ['BankID'] } },
    });
    expect(op.requests.some((request) => request.path === '/userinfo')).toBe(false);
  });

  it('accepts the older Level4 acr, and refuses a tampered pid', async () => {
    const op = await startTestOp();
    closers.push(op.close);
    const target = idporten({ issuer: op.issuer, ...TEST_CLIENT, acr: 'idporten-loa-high' });
    closers.push(async () => target.close?.());
    op.behaviour.idToken = (claims) => ({ ...claims, acr: 'Level4', pid: kari.nin });
    const first = await start(target);
    expect(
      await target.complete({ transaction: first.transaction, callbackQuery: op.approve(first.redirectUrl) }),
    ).toMatchObject({ status: 'complete', identity: { loa: 'high' } });

    op.behaviour.signedIdToken = (jwt) => {
      const [header, payload, signature] = jwt.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.pid = jonas.nin;
      return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    };
    const second = await start(target);
    const error = failure(
      await target.complete({
        transaction: second.transaction,
        callbackQuery: op.approve(second.redirectUrl),
      }),
    );
    expect(error.code).toBe('provider_error');
    expect(error.message).not.toContain(jonas.nin);
  });
});

describe('idporten(): private_key_jwt against a client registered with its public keys', () => {
  const rsa = clientKeyPair('rsa');
  const ec = clientKeyPair('ec');
  let keyed: Simulator;
  beforeAll(async () => {
    keyed = await startSimulator({ idporten: { jwks: { keys: [...rsa.jwks.keys, ...ec.jwks.keys] } } });
  });
  afterAll(async () => {
    await keyed.close();
  });
  const keyedProvider = (options: Partial<IdportenOptions>) => {
    const { clientSecret: _secret, ...settings } = keyed.idporten;
    const created = withRuntime(idporten({ ...settings, ...options } as IdportenOptions));
    closers.push(async () => created.close?.());
    return created;
  };

  for (const [what, options] of [
    ['an RSA key as JWK', { privateKey: rsa.jwk }],
    ['an EC key as PEM with its kid', { privateKey: ec.pem, privateKeyId: 'client-ec' }],
    [
      'an explicit method',
      { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsa.pem, privateKeyId: 'client-rsa' },
    ],
  ] as const) {
    it(`logs in with ${what}`, async () => {
      const result = await login(keyedProvider(options as Partial<IdportenOptions>), { user: 'no-kari' });
      expect(result).toMatchObject({ status: 'complete', identity: { nin: { value: kari.nin } } });
    });
  }

  it('is refused with the secret, or with a key the provider does not know', async () => {
    const secret = await login(keyedProvider({ clientSecret: keyed.idporten.clientSecret }), {
      user: 'no-kari',
    });
    expect(failure(secret).message).toMatch(/rejected the client credentials/);
    const stranger = clientKeyPair('rsa', 'client-rsa');
    const unknown = await login(keyedProvider({ privateKey: stranger.jwk }), { user: 'no-kari' });
    expect(failure(unknown).code).toBe('provider_error');
    expect(failure(unknown).message).not.toContain(kari.nin);
  });
});

describe('OidcClient.endSessionUrl: logout at ID-porten (the building block for a provider logout)', () => {
  it('builds end_session_endpoint with id_token_hint, post_logout_redirect_uri and state; the simulator ends its SSO there', async () => {
    const transport = createTransport({ timeouts: { connect: 1000, headers: 1000, body: 1000 } });
    closers.push(async () => transport.close());
    const runtime = { logger: { debug() {}, info() {}, warn() {}, error() {} }, transport };
    const { client } = oidcClientOf('idporten()', sim.idporten, {
      id: 'idporten',
      name: 'ID-porten',
      exampleIssuer: IDPORTEN_ISSUERS.test,
    });
    const state = randomToken();
    const started = await client.authorizationUrl(runtime, {
      redirectUri: CALLBACK,
      state,
      scope: 'openid profile',
      parameters: {},
    });
    const browser = new OidcBrowser();
    const { query } = await browser.login(started.url, CALLBACK, { user: 'no-kari' });
    const { idTokenJwt } = await client.finishLogin(runtime, {
      callbackQuery: query,
      expectedState: state,
      state: started.state,
      userinfo: false,
    });
    const url = new URL(
      (await client.endSessionUrl(runtime, {
        idTokenHint: idTokenJwt,
        postLogoutRedirectUri: 'http://localhost:4000/',
        state: 'bye',
      }))!,
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${sim.idporten.issuer}/session/end`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      id_token_hint: idTokenJwt,
      post_logout_redirect_uri: 'http://localhost:4000/',
      state: 'bye',
    });
  });
});

describe('idporten(): logoutAtProvider (single logout at ID-porten, https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso)', () => {
  const context = { postLogoutRedirectUri: 'http://localhost:4000/', state: 'bye' };

  it('is off by default: the login carries no ID token and the provider builds no end-session URL', async () => {
    const plain = provider();
    expect(plain.endSessionUrl).toBeUndefined();
    const result = await login(plain, { user: 'no-kari' });
    expect(result.status).toBe('complete');
    expect(result).not.toHaveProperty('endSession');
    expect(provider({ logoutAtProvider: false }).endSessionUrl).toBeUndefined();
  });

  it('on: the login carries its ID token as the hint, and the end-session URL at ID-porten is built from it', async () => {
    const withLogout = provider({ logoutAtProvider: true });
    const result = await login(withLogout, { user: 'no-kari' });
    if (result.status !== 'complete') throw new Error(`expected a login, got ${result.status}`);
    const hint = result.endSession!.idTokenHint;
    expect(hint.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(hint.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: sim.idporten.issuer, aud: sim.idporten.clientId, pid: kari.nin });
    const url = new URL((await withLogout.endSessionUrl!({ idTokenHint: hint }, context))!);
    expect(`${url.origin}${url.pathname}`).toBe(`${sim.idporten.issuer}/session/end`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      id_token_hint: hint,
      post_logout_redirect_uri: 'http://localhost:4000/',
      state: 'bye',
      client_id: sim.idporten.clientId,
    });
  });

  it('sends the configured postLogoutRedirectUri instead of the app default, and keeps the hint through a profile hook', async () => {
    const configured = provider({
      logoutAtProvider: { postLogoutRedirectUri: 'http://localhost:4000/logged-out' },
      profile: (_claims, identity) => ({ ...identity, extra: { tagged: true } }),
    });
    const result = await login(configured, { user: 'no-kari' });
    if (result.status !== 'complete') throw new Error(`expected a login, got ${result.status}`);
    expect(result.identity.extra).toEqual({ tagged: true });
    const url = new URL((await configured.endSessionUrl!(result.endSession!, context))!);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('http://localhost:4000/logged-out');
  });
});

describe('idporten(): callbacks through the engine (who may end a login)', () => {
  async function engineLogin() {
    const eid = createEid({
      baseUrl: 'http://localhost:4000',
      providers: [provider()],
      store: new MemoryStore(),
    });
    closers.push(() => eid.close());
    const started = await eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'idporten', method: 'idporten' },
      query: { returnTo: '/profile' },
    });
    const binding = started.session?.kind === 'bind' ? started.session.binding : '';
    const location = started.response.type === 'redirect' ? started.response.location : '';
    const tx = new URL(location).searchParams.get('state')!;
    const callback = (query: Record<string, string>, session: { binding?: string } = { binding }) =>
      eid.handle({
        route: 'callback',
        httpMethod: 'GET',
        params: { provider: 'idporten' },
        query,
        headers: { accept: 'application/json' },
        session,
      });
    return { eid, location, tx, callback };
  }

  it('a forged callback in the browser that started the login ends nothing: the genuine one still logs in', async () => {
    const { location, tx, callback } = await engineLogin();
    const forgeries: Record<string, string>[] = [
      { state: tx, code: 'bogus', iss: sim.idporten.issuer },
      { state: tx, error: 'access_denied' },
    ];
    for (const forged of forgeries) {
      const outcome = await callback(forged);
      expect(outcome.response).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
      expect(outcome.session).toBeUndefined();
    }
    const { query } = await new OidcBrowser().login(location, CALLBACK, { user: 'no-kari' });
    const done = await callback(query);
    expect(done.session).toMatchObject({
      kind: 'login',
      identity: { provider: 'idporten', transactionId: tx },
    });
  });

  it('the genuine cancel (with the state and iss ID-porten sends) ends the login with user_cancelled', async () => {
    const { location, callback } = await engineLogin();
    const { query } = await new OidcBrowser().login(location, CALLBACK, { outcome: 'abort' });
    const outcome = await callback(query);
    expect(outcome.response).toMatchObject({ status: 401, body: { error: { code: 'user_cancelled' } } });
    // Reloaded: the same answer.
    expect((await callback(query)).response).toMatchObject({
      status: 401,
      body: { error: { code: 'user_cancelled' } },
    });
  });

  it('the callback in another browser stops the login: the code cannot be used in the starting browser', async () => {
    const { location, callback } = await engineLogin();
    const { query } = await new OidcBrowser().login(location, CALLBACK, { user: 'no-kari' });
    const stranger = await callback(query, {});
    expect(stranger.response).toMatchObject({
      status: 404,
      body: { error: { code: 'transaction_not_found' } },
    });
    const starter = await callback(query);
    expect(starter.session).toBeUndefined();
    expect(starter.response).toMatchObject({ status: 403, body: { error: { code: 'browser_mismatch' } } });
  });
});
