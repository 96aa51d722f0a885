import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOidcSettings, startSimulator, TEST_USERS } from '../src/index.js';
import { basic, hiddenFields, type Json, userOptions } from './helpers.js';

// A relying party written against the specs with fetch alone: the simulator shares no code with @eid/core.

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => {
  sim.clearFaults();
});
afterAll(async () => {
  await sim.close();
});

const kari = TEST_USERS.find((user) => user.id === 'no-kari')!;
const ola = TEST_USERS.find((user) => user.id === 'no-ola')!;

/** fetch with one cookie jar per host name (as browsers share cookies across ports) and manual redirects. */
class Browser {
  readonly #jar = new Map<string, Map<string, string>>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookies = this.#jar.get(target.hostname);
    if (cookies && cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const jar = this.#jar.get(target.hostname) ?? new Map<string, string>();
      this.#jar.set(target.hostname, jar);
      const value = pair.slice(at + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(pair.slice(0, at));
      else jar.set(pair.slice(0, at), value);
    }
    return response;
  }

  /** Follows redirects until one leaves the simulator (the app's callback) or a page is shown. */
  async follow(url: string, init: RequestInit = {}): Promise<{ response: Response; url: string }> {
    let current = url;
    let response = await this.fetch(current, init);
    for (let hop = 0; hop < 10 && response.status >= 300 && response.status < 400; hop++) {
      const next = new URL(response.headers.get('location')!, current).toString();
      if (!next.startsWith(sim.url)) return { response, url: next };
      current = next;
      response = await this.fetch(current);
    }
    return { response, url: current };
  }
}

interface Authorization {
  browser: Browser;
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
  /** The interaction (approval) page, or the callback URL when the OP answered without one. */
  page: { response: Response; url: string };
}

const APP_CALLBACK = (provider: string, port = 3000) =>
  `http://127.0.0.1:${port}/auth/eid/callback/${provider}`;

async function discovery(settings: SimulatorOidcSettings): Promise<Json> {
  const res = await fetch(`${settings.issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  return res.json();
}

async function authorize(
  settings: SimulatorOidcSettings,
  params: Record<string, string> = {},
  redirectUri = APP_CALLBACK(settings.issuer.endsWith('idporten') ? 'idporten' : 'bankid-no'),
  browser = new Browser(),
): Promise<Authorization> {
  const meta = await discovery(settings);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  const page = await browser.follow(url.toString());
  return { browser, verifier, state, nonce, redirectUri, page };
}

/** Presses a button on the approval page; resolves with the URL the OP sends the browser back to. */
async function decide(
  auth: Authorization,
  outcome: 'success' | 'abort' | 'error',
  user?: string,
  idp?: string,
): Promise<URL> {
  expect(auth.page.response.status).toBe(200);
  const html = await auth.page.response.text();
  const form = new URLSearchParams(hiddenFields(html));
  form.set('user', user ?? userOptions(html)[0]![0]);
  form.set('outcome', outcome);
  if (idp) form.set('idp', idp);
  const back = await auth.browser.follow(auth.page.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(back.url.startsWith(auth.redirectUri)).toBe(true);
  return new URL(back.url);
}

async function exchange(settings: SimulatorOidcSettings, auth: Authorization, code: string): Promise<Json> {
  const meta = await discovery(settings);
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: basic(settings.clientId, settings.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: auth.verifier,
    }).toString(),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Verifies an RS256 JWT against the issuer's JWKS and returns its payload. */
async function verifiedClaims(settings: SimulatorOidcSettings, jwt: string): Promise<Json> {
  const meta = await discovery(settings);
  const { keys } = (await (await fetch(meta.jwks_uri)).json()) as { keys: Json[] };
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
  expect(alg).toBe('RS256');
  const jwk = keys.find((key) => key.kid === kid);
  expect(jwk).toBeDefined();
  expect(jwk.d).toBeUndefined();
  const ok = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(signature, 'base64url'),
  );
  expect(ok).toBe(true);
  return JSON.parse(Buffer.from(payload, 'base64url').toString());
}

describe('OIDC discovery', () => {
  it('publishes BankID Norway at {url}/oidc/bankid-no with its acr values and signed userinfo', async () => {
    expect(sim.bankIdNo).toEqual({
      issuer: `${sim.url}/oidc/bankid-no`,
      clientId: 'sim-bankid-client',
      clientSecret: 'sim-bankid-secret',
    });
    const meta = await discovery(sim.bankIdNo);
    expect(meta.issuer).toBe(sim.bankIdNo.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expect(meta[endpoint].startsWith(`${sim.bankIdNo.issuer}/`)).toBe(true);
    }
    expect(meta.acr_values_supported).toEqual(
      expect.arrayContaining([
        'urn:bankid:bid',
        'urn:bankid:bis',
        'urn:bankid:bid;LOA=4',
        'urn:bankid:bis;LOA=3',
      ]),
    );
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.userinfo_signing_alg_values_supported).toContain('RS256');
    expect(meta.grant_types_supported).toContain('client_credentials');
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'nnin_altsub', 'esign/csc', 'esign', 'signdoc/read_write']),
    );
  });

  it('publishes ID-porten at {url}/oidc/idporten with pairwise subjects', async () => {
    expect(sim.idporten.issuer).toBe(`${sim.url}/oidc/idporten`);
    const meta = await discovery(sim.idporten);
    expect(meta.issuer).toBe(sim.idporten.issuer);
    expect(meta.acr_values_supported).toEqual(['idporten-loa-substantial', 'idporten-loa-high']);
    expect(meta.subject_types_supported).toContain('pairwise');
    expect(meta.grant_types_supported).not.toContain('client_credentials');
  });
});

describe('BankID Norway login', () => {
  it('logs in with PKCE, state and nonce; signed ID token and signed userinfo carry BankID claims', async () => {
    const auth = await authorize(sim.bankIdNo, {
      scope: 'openid profile nnin_altsub',
      login_hint: 'BIS',
      acr_values: 'urn:bankid:bis',
      ui_locales: 'nb',
    });
    expect(auth.page.url).toMatch(new RegExp(`^${sim.bankIdNo.issuer}/interaction/`));
    const html = await auth.page.response.clone().text();
    expect(html).toContain('<html lang="nb">');
    expect(hiddenFields(html)).toEqual({ idp: 'BIS' });
    expect(userOptions(html).map(([id]) => id)).toEqual(
      TEST_USERS.filter((user) => user.country === 'NO').map((user) => user.id),
    );
    const uid = auth.page.url.split('/').pop()!;
    expect(sim.sessions()).toContainEqual({
      id: uid,
      provider: 'bankid-no',
      method: 'BIS',
      methodId: 'bankid-biometric',
      appTransactionId: auth.state,
      status: 'pending',
    });

    const callback = await decide(auth, 'success', 'no-kari');
    expect(callback.searchParams.get('state')).toBe(auth.state);
    expect(callback.searchParams.get('iss')).toBe(sim.bankIdNo.issuer);
    expect(sim.sessions()).toContainEqual({
      id: uid,
      provider: 'bankid-no',
      method: 'BIS',
      methodId: 'bankid-biometric',
      appTransactionId: auth.state,
      status: 'approved',
    });

    const tokens = await exchange(sim.bankIdNo, auth, callback.searchParams.get('code')!);
    const idToken = await verifiedClaims(sim.bankIdNo, tokens.id_token);
    expect(idToken).toMatchObject({
      iss: sim.bankIdNo.issuer,
      aud: sim.bankIdNo.clientId,
      nonce: auth.nonce,
      acr: expect.stringMatching(/^urn:bankid:bis(;LOA=3)?$/),
      amr: ['bis'],
      bankid_altsub: kari.idpId,
      name: 'Kari Nordmann',
    });
    expect(idToken.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);

    const userinfo = await fetch((await discovery(sim.bankIdNo)).userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(200);
    expect(userinfo.headers.get('content-type')).toMatch(/^application\/jwt/);
    const claims = await verifiedClaims(sim.bankIdNo, await userinfo.text());
    expect(claims).toMatchObject({
      iss: sim.bankIdNo.issuer,
      aud: sim.bankIdNo.clientId,
      sub: idToken.sub,
      nnin_altsub: kari.nin,
      given_name: 'Kari',
      family_name: 'Nordmann',
      birthdate: '1990-02-17',
    });
  });

  it('gives nnin_altsub only with that scope, and defaults to BankID (BID) at LOA 4', async () => {
    const auth = await authorize(sim.bankIdNo, { scope: 'openid profile' });
    expect(hiddenFields(await auth.page.response.clone().text())).toEqual({ idp: 'BID' });
    const callback = await decide(auth, 'success', 'no-ola');
    const tokens = await exchange(sim.bankIdNo, auth, callback.searchParams.get('code')!);
    const idToken = await verifiedClaims(sim.bankIdNo, tokens.id_token);
    expect(idToken).toMatchObject({
      acr: expect.stringMatching(/^urn:bankid:bid(;LOA=4)?$/),
      amr: ['bid'],
      bankid_altsub: ola.idpId,
    });
    expect(idToken.nnin_altsub).toBeUndefined();
  });

  it('lets the person switch the BankID variant on the page (the returned acr follows); no BIM', async () => {
    const auth = await authorize(sim.bankIdNo, { login_hint: 'BID' });
    const html = await auth.page.response.clone().text();
    expect(html).toContain('?idp=BIS');
    expect(html).not.toContain('?idp=BIM');
    const callback = await decide(auth, 'success', 'no-kari', 'BIS');
    const tokens = await exchange(sim.bankIdNo, auth, callback.searchParams.get('code')!);
    expect(await verifiedClaims(sim.bankIdNo, tokens.id_token)).toMatchObject({
      acr: expect.stringMatching(/^urn:bankid:bis(;LOA=3)?$/),
      amr: ['bis'],
    });
  });

  it('answers the short and the ;LOA= acr forms in turn, and nnin_altsub in the ID token too', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 2; round++) {
      const auth = await authorize(sim.bankIdNo, {
        scope: 'openid nnin_altsub',
        acr_values: 'urn:bankid:bid',
      });
      const callback = await decide(auth, 'success', 'no-kari');
      const tokens = await exchange(sim.bankIdNo, auth, callback.searchParams.get('code')!);
      const idToken = await verifiedClaims(sim.bankIdNo, tokens.id_token);
      expect(idToken.nnin_altsub).toBe(kari.nin);
      seen.add(idToken.acr);
    }
    expect([...seen].sort()).toEqual(['urn:bankid:bid', 'urn:bankid:bid;LOA=4']);
  });

  it('locks the page to the user of login_hint BID:<nin> and lists the prefilled number', async () => {
    const auth = await authorize(sim.bankIdNo, { login_hint: `BID:${ola.nin}` });
    const html = await auth.page.response.clone().text();
    expect(userOptions(html)).toEqual([['no-ola', 'Ola Nordmann']]);
    const uid = auth.page.url.split('/').pop()!;
    expect(sim.sessions().find((session) => session.id === uid)).toMatchObject({
      nin: ola.nin,
      method: 'BID',
    });
  });

  it('sends access_denied with the state when the person cancels, server_error when the eID fails', async () => {
    const cancelled = await authorize(sim.bankIdNo);
    const back = await decide(cancelled, 'abort');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(cancelled.state);
    expect(back.searchParams.get('code')).toBeNull();
    const uid = cancelled.page.url.split('/').pop()!;
    expect(sim.sessions().find((session) => session.id === uid)?.status).toBe('denied');

    const failed = await authorize(sim.bankIdNo);
    expect((await decide(failed, 'error')).searchParams.get('error')).toBe('server_error');
  });

  it('asks again on every login (no single sign-on from the earlier one in the same browser)', async () => {
    const first = await authorize(sim.bankIdNo);
    await decide(first, 'success', 'no-kari');
    const second = await authorize(sim.bankIdNo, {}, first.redirectUri, first.browser);
    expect(second.page.url).toContain('/interaction/');
    expect(second.page.response.status).toBe(200);
  });

  it('requires PKCE and a registered redirect URI; loopback callbacks match on any port', async () => {
    const withoutPkce = await authorize(sim.bankIdNo, { code_challenge: '', code_challenge_method: '' });
    expect(withoutPkce.page.url.startsWith(withoutPkce.redirectUri)).toBe(true);
    expect(new URL(withoutPkce.page.url).searchParams.get('error')).toBe('invalid_request');

    const otherPort = await authorize(sim.bankIdNo, {}, APP_CALLBACK('bankid-no', 41234));
    expect(otherPort.page.url).toContain('/interaction/');
    const localhost = await authorize(sim.bankIdNo, {}, 'http://localhost:5173/auth/eid/callback/bankid-no');
    expect(localhost.page.url).toContain('/interaction/');

    const elsewhere = await authorize(sim.bankIdNo, {}, 'http://127.0.0.1:3000/somewhere/else');
    expect(elsewhere.page.response.status).toBe(400);
  });

  it('finishes a login decided through POST /__sim/sessions/:id/complete when the browser opens the page', async () => {
    const auth = await authorize(sim.bankIdNo, { scope: 'openid profile nnin_altsub' });
    const uid = auth.page.url.split('/').pop()!;
    const decided = await fetch(`${sim.url}/__sim/sessions/${uid}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'success', user: 'no-ola' }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ id: uid, provider: 'bankid-no', status: 'pending' });
    const again = await fetch(`${sim.url}/__sim/sessions/${uid}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'abort' }),
    });
    expect(again.status).toBe(409);

    const back = await auth.browser.follow(auth.page.url);
    expect(back.url.startsWith(auth.redirectUri)).toBe(true);
    const code = new URL(back.url).searchParams.get('code')!;
    const tokens = await exchange(sim.bankIdNo, auth, code);
    expect((await verifiedClaims(sim.bankIdNo, tokens.id_token)).nnin_altsub).toBe(ola.nin);
  });

  it('shows an error page, not a crash, for an interaction the browser has no cookie for', async () => {
    const auth = await authorize(sim.bankIdNo);
    const stranger = await fetch(auth.page.url);
    expect(stranger.status).toBe(400);
    expect(stranger.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('private_key_jwt for a client registered with its public keys (jwks)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'client-key';
  let keyed: Simulator;
  beforeAll(async () => {
    keyed = await startSimulator({
      bankIdNo: { jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid }] } },
    });
  });
  afterAll(async () => {
    await keyed.close();
  });

  /** An RFC 7523 client assertion, signed RS256 with the client's key. */
  function assertion(audience: string, key = privateKey): string {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: Json) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const { clientId } = keyed.bankIdNo;
    const body = `${encode({ alg: 'RS256', kid })}.${encode({
      iss: clientId,
      sub: clientId,
      aud: audience,
      jti: randomBytes(16).toString('hex'),
      iat: now,
      exp: now + 60,
    })}`;
    return `${body}.${sign('sha256', Buffer.from(body), key).toString('base64url')}`;
  }

  async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
    const meta = await discovery(keyed.bankIdNo);
    return fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'esign/csc', ...form }).toString(),
    });
  }

  it('takes a client assertion signed with the registered key, and nothing else', async () => {
    const meta = await discovery(keyed.bankIdNo);
    expect(meta.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    const type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const ok = await token({ client_assertion_type: type, client_assertion: assertion(meta.issuer) });
    expect(ok.status).toBe(200);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const wrongKey = await token({
      client_assertion_type: type,
      client_assertion: assertion(meta.issuer, other),
    });
    expect(wrongKey.status).toBe(401);
    const secret = await token(
      {},
      { authorization: basic(keyed.bankIdNo.clientId, keyed.bankIdNo.clientSecret) },
    );
    expect(secret.status).toBe(401);
  });

  it('refuses a JWK set with private parts', async () => {
    const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    await expect(startSimulator({ idporten: { jwks: { keys: [jwk] } } })).rejects.toThrow(/idporten\.jwks/);
  });
});

describe('BankID Norway client credentials (eSign scopes)', () => {
  async function clientCredentials(scope: string, secret = sim.bankIdNo.clientSecret): Promise<Response> {
    const meta = await discovery(sim.bankIdNo);
    return fetch(meta.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: basic(sim.bankIdNo.clientId, secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    });
  }

  it('issues a bearer token for esign/csc and for several eSign scopes at once (BankID eSign scopes)', async () => {
    const single = await clientCredentials('esign/csc');
    expect(single.status).toBe(200);
    expect(await single.json()).toMatchObject({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'esign/csc',
    });
    const several = await clientCredentials('esign signdoc/read_write esign/qtsa esign/nnin');
    expect(((await several.json()) as Json).scope).toBe('esign signdoc/read_write esign/qtsa esign/nnin');
  });

  it('refuses a wrong secret and leaves unknown scopes out of the token', async () => {
    expect((await clientCredentials('esign', 'wrong')).status).toBe(401);
    const unknown = await clientCredentials('esign/unknown');
    // oidc-provider grants what it knows and leaves the rest out of the token, as Keycloak (BankID) does.
    expect(unknown.status).toBe(200);
    expect(((await unknown.json()) as Json).scope).toBeUndefined();
  });
});

describe('ID-porten login', () => {
  async function login(user: string, acr: string, idp?: string): Promise<Json> {
    const auth = await authorize(sim.idporten, { acr_values: acr, ui_locales: 'nb' });
    const callback = await decide(auth, 'success', user, idp);
    const tokens = await exchange(sim.idporten, auth, callback.searchParams.get('code')!);
    const claims = await verifiedClaims(sim.idporten, tokens.id_token);
    expect(claims.nonce).toBe(auth.nonce);
    return claims;
  }

  it('puts pid and the requested level in the ID token, with a pairwise sub', async () => {
    const claims = await login('no-kari', 'idporten-loa-high');
    expect(claims).toMatchObject({ pid: kari.nin, acr: 'idporten-loa-high', amr: ['BankID'], locale: 'nb' });
    expect(claims.sub).not.toBe('no-kari');
    expect(claims.sub).not.toContain(kari.nin);
    const again = await login('no-kari', 'idporten-loa-substantial');
    expect(again).toMatchObject({ sub: claims.sub, acr: 'idporten-loa-substantial', amr: ['Minid-PIN'] });
    expect((await login('no-ola', 'idporten-loa-substantial')).sub).not.toBe(claims.sub);
  });

  it('names the person in the ID token with profile for BankID and Buypass logins, not for MinID', async () => {
    for (const idp of ['BankID', 'Buypass']) {
      expect(await login('no-kari', 'idporten-loa-high', idp)).toMatchObject({
        amr: [idp],
        name: 'Kari Nordmann',
        given_name: 'Kari',
        family_name: 'Nordmann',
      });
    }
    const minid = await login('no-kari', 'idporten-loa-substantial', 'MinID');
    expect(minid.given_name).toBeUndefined();
    expect(minid.name).toBeUndefined();
  });

  it('answers with the level of the eID picked on the page, even below the one asked for', async () => {
    expect((await login('no-kari', 'idporten-loa-high', 'MinID')).acr).toBe('idporten-loa-substantial');
  });

  it('keeps an SSO session: a second login in the browser needs no page, prompt=login asks again', async () => {
    const first = await authorize(sim.idporten, { acr_values: 'idporten-loa-substantial' });
    const callback = await decide(first, 'success', 'no-kari', 'MinID');
    const tokens = await exchange(sim.idporten, first, callback.searchParams.get('code')!);
    const claims = await verifiedClaims(sim.idporten, tokens.id_token);

    const again = await authorize(
      sim.idporten,
      { acr_values: 'idporten-loa-substantial' },
      undefined,
      first.browser,
    );
    expect(again.page.url.startsWith(again.redirectUri)).toBe(true);
    const code = new URL(again.page.url).searchParams.get('code')!;
    const sso = await verifiedClaims(sim.idporten, (await exchange(sim.idporten, again, code)).id_token);
    expect(sso).toMatchObject({ sub: claims.sub, pid: kari.nin, nonce: again.nonce });

    const forced = await authorize(sim.idporten, { prompt: 'login' }, undefined, first.browser);
    expect(forced.page.url).toMatch(new RegExp(`^${sim.idporten.issuer}/interaction/`));
    // A higher level than the session's asks again too.
    const stepUp = await authorize(
      sim.idporten,
      { acr_values: 'idporten-loa-high' },
      undefined,
      first.browser,
    );
    expect(stepUp.page.url).toMatch(new RegExp(`^${sim.idporten.issuer}/interaction/`));
  });

  it('ends the SSO session at end_session_endpoint with id_token_hint and post_logout_redirect_uri', async () => {
    const first = await authorize(sim.idporten);
    const callback = await decide(first, 'success', 'no-kari');
    const { id_token: idToken } = await exchange(sim.idporten, first, callback.searchParams.get('code')!);
    const meta = await discovery(sim.idporten);
    const end = new URL(meta.end_session_endpoint);
    end.search = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: 'http://127.0.0.1:3000/',
      state: 'after-logout',
    }).toString();
    const page = await first.browser.follow(end.toString());
    expect(page.response.status).toBe(200);
    const html = await page.response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const back = await first.browser.follow(new URL(action, page.url).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      // The page posts its form itself (a browser runs its script): every hidden field, `logout=yes` among them.
      body: new URLSearchParams(
        [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g)].map(
          ([, name, value]): [string, string] => [name!, value!],
        ),
      ).toString(),
    });
    expect(back.url).toBe('http://127.0.0.1:3000/?state=after-logout');
    const next = await authorize(sim.idporten, {}, undefined, first.browser);
    expect(next.page.url).toMatch(new RegExp(`^${sim.idporten.issuer}/interaction/`));
  });

  it('lists its pending logins as provider idporten', async () => {
    const auth = await authorize(sim.idporten, { acr_values: 'idporten-loa-high' });
    const uid = auth.page.url.split('/').pop()!;
    expect(sim.sessions()).toContainEqual({
      id: uid,
      provider: 'idporten',
      method: 'BankID',
      methodId: 'idporten',
      appTransactionId: auth.state,
      status: 'pending',
    });
  });
});

describe('faults on the OpenID Providers', () => {
  it('apply per provider: bankid-no fails, idporten and the other routes answer', async () => {
    sim.setFaults({ provider: 'bankid-no', status: 503 });
    const failing = await fetch(`${sim.bankIdNo.issuer}/.well-known/openid-configuration`);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Simulated failure.',
    });
    expect((await fetch(`${sim.idporten.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    sim.setFaults({ provider: 'idporten', mode: 'garbage' });
    const garbage = await fetch(`${sim.idporten.issuer}/.well-known/openid-configuration`);
    await expect(garbage.json()).rejects.toThrow();
  });

  it('do not apply to the interaction page', async () => {
    const auth = await authorize(sim.bankIdNo);
    sim.setFaults({ provider: 'bankid-no', status: 500 });
    const page = await auth.browser.fetch(auth.page.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<select');
  });
});
