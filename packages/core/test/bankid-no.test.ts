import { readFileSync } from 'node:fs';
import { type Simulator, startSimulator, TEST_USERS } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid } from '../src/index.js';
import { parseNationalId } from '../src/nin/index.js';
import {
  BANKID_NO_ISSUERS,
  BANKID_NO_METHODS,
  type BankIdNorwayOptions,
  type BankIdNorwayProvider,
  bankIdLevel,
  bankIdNorway,
} from '../src/providers/bankid-no/index.js';
import type { CompleteResult, StartResult } from '../src/providers/types.js';
import { randomToken, type Transaction } from '../src/transaction.js';
import type { HttpTimeouts } from '../src/transport.js';
import { OidcBrowser } from './helpers/oidc-browser.js';
import { withRuntime } from './helpers/recording-server.js';
import {
  clientKeyPair,
  startTestOp,
  TEST_CLIENT,
  type TestOp,
  withProtocolClaims,
} from './helpers/test-op.js';

const CALLBACK = 'http://127.0.0.1:3000/auth/eid/callback/bankid-no';
const kari = TEST_USERS.find((user) => user.id === 'no-kari')!;
const ola = TEST_USERS.find((user) => user.id === 'no-ola')!;
const TIMEOUTS = { connect: 1000, headers: 1000, body: 1000 };
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/bankid-no/${name}.json`, import.meta.url), 'utf8'));

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

function provider(
  options: Partial<BankIdNorwayOptions> = {},
  timeouts: HttpTimeouts = TIMEOUTS,
): BankIdNorwayProvider {
  const created = withRuntime(bankIdNorway({ ...sim.bankIdNo, ...options }), { timeouts });
  closers.push(async () => created.close?.());
  return created;
}

async function testOp(options: { par?: boolean } = {}): Promise<TestOp> {
  const op = await startTestOp(options);
  closers.push(op.close);
  return op;
}

function method(bankId: BankIdNorwayProvider, id: string) {
  const found = bankId.methods.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no method ${id}`);
  return found;
}

/** Starts a login as the engine would: the callback URL carries `?tx=`. */
async function start(
  bankId: BankIdNorwayProvider,
  methodId: string,
  extra: { nin?: string; lang?: string } = {},
): Promise<{ started: StartResult; transaction: Transaction }> {
  const id = randomToken();
  const started = await bankId.start({
    transactionId: id,
    method: method(bankId, methodId),
    callbackUrl: `${CALLBACK}?tx=${id}`,
    webhookUrl: `http://127.0.0.1:3000/auth/eid/webhook/bankid-no?tx=${id}`,
    ...(extra.nin ? { nin: parseNationalId(extra.nin, 'NO') } : {}),
    ...(extra.lang ? { lang: extra.lang } : {}),
  });
  const now = Date.now();
  const transaction: Transaction = {
    id,
    provider: 'bankid-no',
    method: methodId,
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
  };
  return { started, transaction };
}

function failure(result: CompleteResult): EidError {
  if (result.status !== 'failed') throw new Error(`expected a failed login, got ${result.status}`);
  return result.error;
}

describe('bankIdNorway(): configuration', () => {
  const valid = { issuer: BANKID_NO_ISSUERS.current, clientId: 'id', clientSecret: 'secret' };
  const configError = (options: Record<string, unknown>, field: RegExp) => {
    try {
      bankIdNorway(options as unknown as BankIdNorwayOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(EidError);
      expect((error as EidError).code).toBe('invalid_config');
      expect((error as EidError).message).toMatch(field);
      return;
    }
    throw new Error('expected invalid_config');
  };

  it('names the bad field', () => {
    configError({ ...valid, clientId: '' }, /`clientId`/);
    configError({ ...valid, clientSecret: undefined }, /`clientSecret`/);
    configError({ ...valid, issuer: 'http://auth.bankid.no/auth/realms/prod' }, /`issuer`/);
    configError({ ...valid, issuer: 'not a url' }, /`issuer`/);
    configError({ ...valid, methods: ['nbid'] }, /unknown method "nbid"/);
    // "BankID på mobil" (BIM) is retired.
    configError({ ...valid, methods: ['bankid-mobile'] }, /unknown method "bankid-mobile"/);
    configError({ ...valid, methods: [] }, /`methods`/);
    configError({ ...valid, scope: 'profile' }, /`scope` must include openid/);
    configError({ ...valid, minimumAcr: 'high' }, /`minimumAcr`/);
    configError({ ...valid, tokenEndpointAuthMethod: 'tls_client_auth' }, /`tokenEndpointAuthMethod`/);
    configError({ ...valid, tokenEndpointAuthMethod: 'private_key_jwt' }, /`privateKey` is required/);
    configError({ ...valid, privateKey: 'not a pem' }, /`privateKey` must be/);
    configError({ ...valid, loginHint: { nbid: 'BID' } }, /`loginHint` names the unknown method "nbid"/);
  });

  it('refuses a floor that a chosen method can never reach', () => {
    configError({ ...valid, minimumAcr: 'urn:bankid:bid;LOA=4' }, /"bankid-biometric" gives LOA 3/);
    expect(() => bankIdNorway({ ...valid, minimumAcr: 'LOA=4', methods: ['bankid'] })).not.toThrow();
  });

  it('accepts the simulator only on a loopback http issuer, and lists the two BankID methods (no BIM)', () => {
    const bankId = bankIdNorway({ ...valid, issuer: 'http://127.0.0.1:3001/oidc/bankid-no' });
    expect(bankId.id).toBe('bankid-no');
    expect(bankId.methods).toEqual([
      { id: 'bankid', flow: 'redirect', purpose: 'login', label: 'BankID', country: 'NO' },
      {
        id: 'bankid-biometric',
        flow: 'redirect',
        purpose: 'login',
        label: 'BankID with biometrics',
        country: 'NO',
      },
    ]);
    expect(BANKID_NO_METHODS.map((m) => [m.id, m.idp, m.level])).toEqual([
      ['bankid', 'BID', 4],
      ['bankid-biometric', 'BIS', 3],
    ]);
  });

  it('reads the level of BankID acr values', () => {
    expect(bankIdLevel('urn:bankid:bid;LOA=4')).toBe(4);
    expect(bankIdLevel('urn:bankid:bis;LOA=3')).toBe(3);
    expect(bankIdLevel('LOA=3')).toBe(3);
    expect(bankIdLevel('4')).toBe(4);
    expect(bankIdLevel('urn:bankid:bis')).toBe(3);
    expect(bankIdLevel('urn:bankid:bid')).toBe(4);
    expect(bankIdLevel('urn:bankid:bim')).toBeUndefined();
    expect(bankIdLevel('urn:other')).toBeUndefined();
    expect(bankIdLevel(4)).toBeUndefined();
  });
});

describe('bankIdNorway(): the authorization request', () => {
  it('uses discovery, PKCE S256, state = transaction id, a nonce, and the callback URL without its query', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid', { lang: 'nb' });
    const url = new URL(started.redirectUrl!);
    expect(`${url.origin}${url.pathname}`).toBe(`${sim.bankIdNo.issuer}/auth`);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      client_id: sim.bankIdNo.clientId,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      state: transaction.id,
      code_challenge_method: 'S256',
      login_hint: 'BID',
      acr_values: 'urn:bankid:bid',
      ui_locales: 'nb',
    });
    expect(params.nonce).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.reference).toBe(transaction.id);
    // The verifier and the nonce stay in the server-side transaction.
    expect(started.state).toEqual({
      codeVerifier: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      nonce: params.nonce,
      redirectUri: CALLBACK,
    });
    expect(started.redirectUrl).not.toContain(started.state!.codeVerifier);
  });

  it('asks for each method with its login_hint and acr_values', async () => {
    const bankId = provider({ loginHint: { 'bankid-biometric': false }, acrValues: { bankid: [] } });
    const params = async (id: string) =>
      Object.fromEntries(new URL((await start(bankId, id)).started.redirectUrl!).searchParams);
    expect(await params('bankid')).not.toHaveProperty('acr_values');
    expect((await params('bankid')).login_hint).toBe('BID');
    expect(await params('bankid-biometric')).not.toHaveProperty('login_hint');
    expect((await params('bankid-biometric')).acr_values).toBe('urn:bankid:bis');
    const plain = provider();
    const byDefault = Object.fromEntries(
      new URL((await start(plain, 'bankid-biometric')).started.redirectUrl!).searchParams,
    );
    expect(byDefault).toMatchObject({ login_hint: 'BIS', acr_values: 'urn:bankid:bis' });
  });

  it('sends a prefilled nin (BID:<nin>) by pushed authorization request only, never in the URL', async () => {
    const bankId = provider();
    const { started } = await start(bankId, 'bankid', { nin: ola.nin });
    expect(started.redirectUrl).not.toContain(ola.nin);
    const url = new URL(started.redirectUrl!);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    // The simulator locks its page to the person of the hint.
    const { page } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { outcome: 'abort' });
    expect(page).toContain('value="no-ola"');
    expect(page).not.toContain('value="no-kari"');
  });

  it('leaves the nin out when the provider takes no pushed authorization requests', async () => {
    const op = await testOp({ par: false });
    const warnings: unknown[] = [];
    const bankId = withRuntime(bankIdNorway({ issuer: op.issuer, ...TEST_CLIENT }), {
      logger: { debug() {}, info() {}, error() {}, warn: (obj, msg) => warnings.push([obj, msg]) },
    });
    closers.push(async () => bankId.close?.());
    const { started } = await start(bankId, 'bankid', { nin: ola.nin });
    expect(started.redirectUrl).not.toContain(ola.nin);
    expect(new URL(started.redirectUrl!).searchParams.get('login_hint')).toBe('BID');
    expect(JSON.stringify(warnings)).not.toContain(ola.nin);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).toMatch(/prefill.*dropped/);
  });

  it('reports a provider whose discovery fails as provider_unavailable', async () => {
    sim.setFaults({ provider: 'bankid-no', status: 503 });
    await expect(start(provider(), 'bankid')).rejects.toMatchObject({ code: 'provider_unavailable' });
    sim.setFaults({ provider: 'bankid-no', mode: 'garbage' });
    await expect(start(provider(), 'bankid')).rejects.toMatchObject({ code: 'provider_unavailable' });
    sim.setFaults({ provider: 'bankid-no', mode: 'timeout' });
    const slow = provider({}, { connect: 300, headers: 300, body: 300 });
    await expect(start(slow, 'bankid')).rejects.toMatchObject({ code: 'provider_unavailable' });
    sim.clearFaults();
    const nowhere = bankIdNorway({ ...sim.bankIdNo, issuer: 'http://127.0.0.1:9/oidc/bankid-no' });
    closers.push(async () => nowhere.close?.());
    await expect(start(nowhere, 'bankid')).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('discovers again after a failed discovery', async () => {
    const bankId = provider();
    sim.setFaults({ provider: 'bankid-no', status: 500 });
    await expect(start(bankId, 'bankid')).rejects.toMatchObject({ code: 'provider_unavailable' });
    sim.clearFaults();
    expect((await start(bankId, 'bankid')).started.redirectUrl).toContain('/auth?');
  });
});

describe('bankIdNorway(): logins on the simulator (oidc-provider)', () => {
  const expectedNin = { value: kari.nin, country: 'NO', type: 'BIRTH' };

  for (const [methodId, acr, amr, loa] of [
    ['bankid', /^urn:bankid:bid(;LOA=4)?$/, 'bid', 'high'],
    ['bankid-biometric', /^urn:bankid:bis(;LOA=3)?$/, 'bis', 'substantial'],
  ] as const) {
    it(`logs in with ${methodId}: verified ID token, nin from the ID token and the signed userinfo`, async () => {
      const bankId = provider({ scope: 'openid profile nnin_altsub' });
      const { started, transaction } = await start(bankId, methodId);
      const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { user: 'no-kari' });
      expect(bankId.transactionIdFromCallback?.(query)).toBe(transaction.id);
      const result = await bankId.complete({ transaction, callbackQuery: query });
      expect(result.status).toBe('complete');
      if (result.status !== 'complete') return;
      const { identity } = result;
      expect(identity).toMatchObject({
        nin: { value: expectedNin.value, country: 'NO' },
        name: 'Kari Nordmann',
        firstName: 'Kari',
        lastName: 'Nordmann',
        dateOfBirth: '1990-02-17',
        loa,
        extra: { acr: expect.stringMatching(acr), amr: [amr], bankidAltsub: kari.idpId },
      });
      expect(identity.subject).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(identity.authenticatedAt)).toBeGreaterThan(Date.now() - 60_000);
    });
  }

  it('fetches the configuration and the keys once for logins that start together on a cold process', async () => {
    const count = (endpoint: string) => sim.stats()['bankid-no']?.[endpoint] ?? 0;
    const discovery = 'GET /oidc/bankid-no/.well-known/openid-configuration';
    const keys = 'GET /oidc/bankid-no/jwks';
    const before = { discovery: count(discovery), keys: count(keys) };
    const bankId = provider({ scope: 'openid profile nnin_altsub' });
    const logins = await Promise.all([
      start(bankId, 'bankid'),
      start(bankId, 'bankid'),
      start(bankId, 'bankid'),
    ]);
    const answers = await Promise.all(
      logins.map(({ started }) =>
        new OidcBrowser().login(started.redirectUrl!, CALLBACK, { user: 'no-kari' }),
      ),
    );
    const results = await Promise.all(
      logins.map(({ transaction }, index) =>
        bankId.complete({ transaction, callbackQuery: answers[index]!.query }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['complete', 'complete', 'complete']);
    expect(count(discovery) - before.discovery).toBe(1);
    expect(count(keys) - before.keys).toBe(1);
  });

  it('gives no nin without the nnin_altsub scope', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { user: 'no-kari' });
    const result = await bankId.complete({ transaction, callbackQuery: query });
    expect(result.status).toBe('complete');
    if (result.status === 'complete') {
      expect(result.identity.nin).toBeUndefined();
      expect(result.identity.name).toBe('Kari Nordmann');
    }
  });

  it('maps the person cancelling (access_denied) to user_cancelled, a failing eID to provider_error', async () => {
    const bankId = provider();
    const cancelled = await start(bankId, 'bankid');
    const back = await new OidcBrowser().login(cancelled.started.redirectUrl!, CALLBACK, {
      outcome: 'abort',
    });
    expect(back.query.error).toBe('access_denied');
    const error = failure(
      await bankId.complete({ transaction: cancelled.transaction, callbackQuery: back.query }),
    );
    expect(error.code).toBe('user_cancelled');

    const failed = await start(bankId, 'bankid');
    const failedBack = await new OidcBrowser().login(failed.started.redirectUrl!, CALLBACK, {
      outcome: 'error',
    });
    const failedError = failure(
      await bankId.complete({ transaction: failed.transaction, callbackQuery: failedBack.query }),
    );
    expect(failedError).toMatchObject({ code: 'provider_error' });
    expect(failedError.message).toContain('server_error');
  });

  it('refuses an acr below the floor: BankID asked for, biometrics (LOA 3) used', async () => {
    const bankId = provider({ scope: 'openid profile nnin_altsub' });
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, {
      user: 'no-kari',
      idp: 'BIS',
    });
    const error = failure(await bankId.complete({ transaction, callbackQuery: query }));
    expect(error.code).toBe('provider_error');
    expect(error.message).toMatch(/lower level of assurance/);
    expect(error.message).not.toContain(kari.nin);
  });

  it('accepts biometrics for the bankid method when the app lowers minimumAcr to LOA=3', async () => {
    const bankId = provider({ minimumAcr: 'LOA=3' });
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { idp: 'BIS' });
    const result = await bankId.complete({ transaction, callbackQuery: query });
    expect(result).toMatchObject({ status: 'complete', identity: { loa: 'substantial' } });
  });

  it('refuses a callback with another state, and a replayed code, as forgeries that end nothing', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK);
    await expect(
      bankId.complete({ transaction, callbackQuery: { ...query, state: randomToken() } }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/\(state\)/) });

    expect((await bankId.complete({ transaction, callbackQuery: query })).status).toBe('complete');
    await expect(bankId.complete({ transaction, callbackQuery: query })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/code refused/),
    });
  });

  it('a forged callback (a made-up code, an error without iss, another iss, no answer) is thrown and the genuine one still logs in', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid');
    const issuer = sim.bankIdNo.issuer;
    const state = transaction.id;
    for (const [forged, reason] of [
      [{ state, code: 'bogus', iss: issuer }, 'code refused'],
      [{ state, error: 'access_denied' }, 'iss'],
      [{ state, error: 'access_denied', iss: 'https://op.example' }, 'iss'],
      [{ state, iss: issuer }, 'no answer'],
    ] as const) {
      await expect(bankId.complete({ transaction, callbackQuery: forged })).rejects.toMatchObject({
        code: 'invalid_request',
        message: expect.stringContaining(`(${reason})`),
      });
    }
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK);
    expect(query.iss).toBe(issuer);
    expect(await bankId.complete({ transaction, callbackQuery: query })).toMatchObject({
      status: 'complete',
      identity: { name: expect.any(String) },
    });
  });

  it('the person cancelling (error with the state and iss the provider sends) ends the login: user_cancelled', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { outcome: 'abort' });
    expect(query).toMatchObject({ error: 'access_denied', iss: sim.bankIdNo.issuer, state: transaction.id });
    expect(failure(await bankId.complete({ transaction, callbackQuery: query })).code).toBe('user_cancelled');
  });

  it('stays pending without a callback, and throws provider_unavailable when the token endpoint fails', async () => {
    const bankId = provider();
    const { started, transaction } = await start(bankId, 'bankid');
    expect(await bankId.complete({ transaction })).toEqual({ status: 'pending' });
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK);
    sim.setFaults({ provider: 'bankid-no', status: 503 });
    await expect(bankId.complete({ transaction, callbackQuery: query })).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    // The code was not spent: once the provider answers, the same callback completes.
    sim.clearFaults();
    expect((await bankId.complete({ transaction, callbackQuery: query })).status).toBe('complete');
  });

  it('logs in through the engine: start, the approval page, the callback by state', async () => {
    const bankId = provider({ scope: 'openid profile nnin_altsub' });
    const eid = createEid({ baseUrl: 'http://127.0.0.1:3000', providers: [bankId] });
    const started = await eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'bankid-no', method: 'bankid-biometric' },
      query: { returnTo: '/profile' },
    });
    expect(started.response).toMatchObject({ type: 'redirect', status: 302 });
    const binding = started.session?.kind === 'bind' ? started.session.binding : '';
    const location = started.response.type === 'redirect' ? started.response.location : '';
    const { query } = await new OidcBrowser().login(location, CALLBACK, { user: 'no-kari' });
    const done = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'bankid-no' },
      query,
      session: { binding },
    });
    expect(done.response).toEqual({ type: 'redirect', status: 303, location: '/profile' });
    expect(done.session).toMatchObject({
      kind: 'login',
      identity: {
        provider: 'bankid-no',
        method: 'bankid-biometric',
        nin: { value: kari.nin },
        loa: 'substantial',
      },
    });
    // Another browser (no binding) cannot use the same callback.
    const stranger = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'bankid-no' },
      query,
      headers: { accept: 'application/json' },
    });
    expect(stranger.error?.code).toBe('transaction_not_found');
  });
});

describe('bankIdNorway(): tampering, against a hand-rolled OP', () => {
  async function login(op: TestOp, options: Partial<BankIdNorwayOptions> = {}) {
    const bankId = bankIdNorway({
      issuer: op.issuer,
      ...TEST_CLIENT,
      scope: 'openid profile nnin_altsub',
      ...options,
    });
    closers.push(async () => bankId.close?.());
    const { started, transaction } = await start(bankId, 'bankid');
    return bankId.complete({ transaction, callbackQuery: op.approve(started.redirectUrl!) });
  }

  it('completes when nothing is tampered with (the OP checks PKCE, client auth and redirect URI)', async () => {
    const op = await testOp();
    const result = await login(op);
    expect(result).toMatchObject({
      status: 'complete',
      identity: { subject: op.person.sub, nin: { value: '17829034034', country: 'NO' }, loa: 'high' },
    });
    const token = op.requests.find((request) => request.path === '/token')!;
    expect(new URLSearchParams(token.body).get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(token.headers.authorization).toMatch(/^Basic /);
  });

  it('an OP that does not say it sends iss: an error with the state of the login is its answer', async () => {
    const op = await testOp();
    const bankId = bankIdNorway({ issuer: op.issuer, ...TEST_CLIENT });
    closers.push(async () => bankId.close?.());
    const { transaction } = await start(bankId, 'bankid');
    const cancelled = await bankId.complete({
      transaction,
      callbackQuery: { state: transaction.id, error: 'access_denied' },
    });
    expect(failure(cancelled).code).toBe('user_cancelled');
    // Its `iss`, when sent, must still be its own.
    await expect(
      bankId.complete({
        transaction,
        callbackQuery: { state: transaction.id, error: 'access_denied', iss: 'https://op.example' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('fixture: an enhanced ID token (nnin_altsub, ;LOA= acr) with a userinfo without the number', async () => {
    const op = await testOp();
    op.behaviour.idToken = withProtocolClaims(fixture('id-token-enhanced-loa'));
    op.behaviour.userinfo = ({ iss, aud }) => {
      const { nnin_altsub: _nin, ...claims } = fixture('userinfo-signed');
      return { iss, aud, ...claims };
    };
    expect(await login(op)).toMatchObject({
      status: 'complete',
      identity: {
        nin: { value: '17829034034', country: 'NO' },
        name: 'Nordmann, Kari',
        loa: 'high',
        extra: { acr: 'urn:bankid:bid;LOA=4', amr: ['BID'], bankidAltsub: '9578-6000-4-2595757' },
      },
    });
  });

  it('fixture: a regular ID token with the short acr, the number from the signed userinfo only', async () => {
    const op = await testOp();
    op.behaviour.idToken = withProtocolClaims(fixture('id-token-regular-short-acr'));
    op.behaviour.userinfo = ({ iss, aud }) => ({ iss, aud, ...fixture('userinfo-signed') });
    expect(await login(op, { minimumAcr: 'LOA=3' })).toMatchObject({
      status: 'complete',
      identity: { nin: { value: '17829034034' }, loa: 'substantial', extra: { acr: 'urn:bankid:bis' } },
    });
  });

  it('reads nnin_altsub from the verified ID token when the userinfo does not carry it', async () => {
    const op = await testOp();
    op.behaviour.idToken = (claims) => ({ ...claims, nnin_altsub: op.person.nnin_altsub });
    op.behaviour.userinfo = ({ nnin_altsub: _nin, ...claims }) => claims;
    const result = await login(op);
    expect(result).toMatchObject({ status: 'complete', identity: { nin: { value: '17829034034' } } });
  });

  it('reads nnin_altsub from the ID token alone when userinfo is the same number', async () => {
    const op = await testOp();
    op.behaviour.idToken = (claims) => ({ ...claims, nnin_altsub: op.person.nnin_altsub });
    const result = await login(op);
    expect(result).toMatchObject({ status: 'complete', identity: { nin: { value: '17829034034' } } });
  });

  for (const [acr, level, floor] of [
    ['urn:bankid:bid', 'high', undefined],
    ['urn:bankid:bid;LOA=4', 'high', undefined],
    ['urn:bankid:bis', 'substantial', 'LOA=3'],
    ['urn:bankid:bis;LOA=3', 'substantial', 'urn:bankid:bis'],
  ] as const) {
    it(`accepts the returned acr ${acr} at its floor`, async () => {
      const op = await testOp();
      op.behaviour.idToken = (claims) => ({ ...claims, acr });
      const result = await login(op, floor ? { minimumAcr: floor } : {});
      expect(result).toMatchObject({ status: 'complete', identity: { loa: level, extra: { acr } } });
    });
  }

  const cases: Array<[string, (op: TestOp) => void, RegExp]> = [
    [
      'a short acr below the floor',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, acr: 'urn:bankid:bis' });
      },
      /lower level of assurance/,
    ],
    [
      'the retired BIM acr',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, acr: 'urn:bankid:bim' });
      },
      /lower level of assurance/,
    ],
    [
      'an ID token whose acr was raised after signing',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, acr: 'urn:bankid:bis;LOA=3' });
        op.behaviour.signedIdToken = (jwt) => {
          const [header, payload, signature] = jwt.split('.') as [string, string, string];
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
          claims.acr = 'urn:bankid:bid;LOA=4';
          return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
        };
      },
      /did not pass verification/,
    ],
    [
      'an ID token signed with a key the issuer does not publish',
      (op) => {
        op.behaviour.idTokenKey = 'unpublished';
      },
      /did not pass verification/,
    ],
    [
      'an ID token with another nonce',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, nonce: 'not-the-nonce' });
      },
      /did not pass verification/,
    ],
    [
      'an ID token for another client',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, aud: 'another-client' });
      },
      /did not pass verification/,
    ],
    [
      'an expired ID token',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 });
      },
      /did not pass verification/,
    ],
    [
      'an acr below the floor',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, acr: 'urn:bankid:bis;LOA=3' });
      },
      /lower level of assurance/,
    ],
    [
      'an ID token without acr',
      (op) => {
        op.behaviour.idToken = ({ acr: _acr, ...claims }) => claims;
      },
      /lower level of assurance/,
    ],
    [
      'a userinfo with a bad signature',
      (op) => {
        op.behaviour.signedUserinfo = (jwt) => {
          const [header, payload, signature] = jwt.split('.') as [string, string, string];
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
          claims.nnin_altsub = '03918542174';
          return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
        };
      },
      /did not pass verification/,
    ],
    [
      'a userinfo signed with an unpublished key',
      (op) => {
        op.behaviour.userinfoKey = 'unpublished';
      },
      /did not pass verification/,
    ],
    [
      'an unsigned (plain JSON) userinfo: the fix is in the client registration',
      (op) => {
        op.behaviour.userinfoFormat = 'json';
      },
      /plain JSON.*register the client with signed userinfo/,
    ],
    [
      'two different numbers in the ID token and the userinfo',
      (op) => {
        op.behaviour.idToken = (claims) => ({ ...claims, nnin_altsub: '03918542174' });
      },
      /two different national identity numbers/,
    ],
    [
      'a userinfo about another subject',
      (op) => {
        op.behaviour.userinfo = (claims) => ({ ...claims, sub: 'someone-else' });
      },
      /did not pass verification/,
    ],
  ];

  for (const [what, tamper, message] of cases) {
    it(`fails with provider_error on ${what}, naming no personal data`, async () => {
      const op = await testOp();
      tamper(op);
      const error = failure(await login(op));
      expect(error.code).toBe('provider_error');
      expect(error.message).toMatch(message);
      expect(error.message).not.toMatch(/\d{11}/);
    });
  }

  it('maps token endpoint answers: invalid_client, 503, 429', async () => {
    const op = await testOp();
    op.behaviour.token = () => ({ status: 401, json: { error: 'invalid_client' } });
    expect(failure(await login(op)).message).toMatch(/rejected the client credentials/);
    op.behaviour.token = () => ({ status: 503, json: { error: 'temporarily_unavailable' } });
    await expect(login(op)).rejects.toMatchObject({ code: 'provider_unavailable' });
    op.behaviour.token = () => ({ status: 429, json: { error: 'slow_down' } });
    await expect(login(op)).rejects.toMatchObject({ code: 'rate_limited' });
  });
});

describe('bankIdNorway(): getAccessToken for the eSign APIs', () => {
  it('fetches client-credentials tokens from the discovered token endpoint, cached per scope set', async () => {
    const op = await testOp();
    const bankId = bankIdNorway({ issuer: op.issuer, ...TEST_CLIENT });
    closers.push(async () => bankId.close?.());
    const [first, concurrent] = await Promise.all([
      bankId.getAccessToken(['esign/csc']),
      bankId.getAccessToken(['esign/csc']),
    ]);
    expect(first).toBe('cc-1');
    expect(concurrent).toBe('cc-1');
    expect(await bankId.getAccessToken(['esign', 'signdoc/read_write'])).toBe('cc-2');
    expect(await bankId.getAccessToken(['signdoc/read_write', 'esign', 'esign'])).toBe('cc-2');
    expect(op.clientCredentialsCount()).toBe(2);
    const requests = op.requests.filter((request) => request.path === '/token');
    expect(requests.map((request) => Object.fromEntries(new URLSearchParams(request.body)))).toEqual([
      { grant_type: 'client_credentials', scope: 'esign/csc' },
      { grant_type: 'client_credentials', scope: 'esign signdoc/read_write' },
    ]);
    expect(requests[0]!.headers.authorization).toMatch(/^Basic /);
  });

  it('gets real tokens from the simulator for each eSign scope', async () => {
    const bankId = provider();
    const csc = await bankId.getAccessToken(['esign/csc']);
    expect(csc).toEqual(expect.any(String));
    expect(await bankId.getAccessToken(['esign/csc'])).toBe(csc);
    const all = await bankId.getAccessToken(['esign', 'signdoc/read_write', 'esign/qtsa', 'esign/nnin']);
    expect(all).not.toBe(csc);
  });

  it('maps failures: bad secret to provider_error, an unavailable OP to provider_unavailable; nothing cached', async () => {
    const wrong = provider({ clientSecret: 'wrong' });
    await expect(wrong.getAccessToken(['esign'])).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/client credentials/),
    });
    const bankId = provider();
    sim.setFaults({ provider: 'bankid-no', status: 503 });
    await expect(bankId.getAccessToken(['esign'])).rejects.toMatchObject({ code: 'provider_unavailable' });
    sim.clearFaults();
    expect(await bankId.getAccessToken(['esign'])).toEqual(expect.any(String));
  });

  it('refuses an empty or malformed scope list', async () => {
    const bankId = provider();
    await expect(bankId.getAccessToken([])).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(bankId.getAccessToken(['esign csc'])).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('bankIdNorway(): private_key_jwt against a client registered with its public keys', () => {
  const keys = clientKeyPair('rsa', 'bankid-client-key');
  let keyed: Simulator;
  beforeAll(async () => {
    keyed = await startSimulator({ bankIdNo: { jwks: keys.jwks } });
  });
  afterAll(async () => {
    await keyed.close();
  });
  const keyedProvider = (options: Partial<BankIdNorwayOptions>) => {
    const { clientSecret: _secret, ...settings } = keyed.bankIdNo;
    const created = withRuntime(bankIdNorway({ ...settings, ...options } as BankIdNorwayOptions));
    closers.push(async () => created.close?.());
    return created;
  };

  it('logs in with the key as JWK and gets eSign tokens with the key as PEM', async () => {
    const bankId = keyedProvider({ privateKey: keys.jwk, scope: 'openid profile nnin_altsub' });
    const { started, transaction } = await start(bankId, 'bankid');
    const { query } = await new OidcBrowser().login(started.redirectUrl!, CALLBACK, { user: 'no-kari' });
    expect(await bankId.complete({ transaction, callbackQuery: query })).toMatchObject({
      status: 'complete',
      identity: { nin: { value: kari.nin } },
    });
    const pem = keyedProvider({ privateKey: keys.pem, privateKeyId: 'bankid-client-key' });
    expect(await pem.getAccessToken(['esign/csc'])).toEqual(expect.any(String));
  });

  it('is refused with the secret', async () => {
    const secret = keyedProvider({ clientSecret: keyed.bankIdNo.clientSecret });
    await expect(secret.getAccessToken(['esign/csc'])).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/rejected the client credentials/),
    });
  });
});

describe('bankIdNorway(): logoutAtProvider', () => {
  it('keeps the ID token of the login as the hint; without an end_session_endpoint, no URL and a warning without the token', async () => {
    const op = await testOp();
    const lines: string[] = [];
    const capture = (obj: object, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
    const bankId = withRuntime(bankIdNorway({ issuer: op.issuer, ...TEST_CLIENT, logoutAtProvider: true }), {
      logger: { debug: capture, info: capture, warn: capture, error: capture },
      timeouts: TIMEOUTS,
    });
    closers.push(async () => bankId.close?.());
    let issued = '';
    op.behaviour.signedIdToken = (jwt) => {
      issued = jwt;
      return jwt;
    };
    const { started, transaction } = await start(bankId, 'bankid');
    const result = await bankId.complete({ transaction, callbackQuery: op.approve(started.redirectUrl!) });
    if (result.status !== 'complete') throw new Error(`expected a login, got ${result.status}`);
    const hint = result.endSession!.idTokenHint;
    expect(hint).toBe(issued);
    lines.length = 0;
    const url = await bankId.endSessionUrl!(result.endSession!, {
      postLogoutRedirectUri: 'http://127.0.0.1:3000/',
      state: 'bye',
    });
    expect(url).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"provider":"bankid-no".*no end_session_endpoint/);
    expect(lines.join('\n')).not.toContain(hint.split('.')[1]!);
  });
});
