import { createEid, type Eid } from '@eid/core';
import { type Simulator, startSimulator, TEST_USERS } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GenericOidcOptions, genericOidc } from '../src/generic-oidc.js';
import { SqlStore } from '../src/sql-store.js';
import { engineBrowser } from './helpers/engine-login.js';

const BASE_URL = 'http://localhost:4000';
const kari = TEST_USERS.find((user) => user.id === 'no-kari')!;

let sim: Simulator;
let eid: Eid | undefined;
beforeAll(async () => {
  // The simulator's BankID Norway is a plain OpenID Provider here; the example's callback URI is registered there.
  sim = await startSimulator({ bankIdNo: { redirectUris: [`${BASE_URL}/auth/eid/callback/my-op`] } });
});
afterEach(async () => {
  await eid?.close();
  eid = undefined;
});
afterAll(async () => {
  await sim.close();
});

async function app(options: Partial<GenericOidcOptions> = {}) {
  const store = await SqlStore.open();
  eid = createEid({
    baseUrl: BASE_URL,
    store,
    providers: [
      genericOidc({
        id: 'my-op',
        name: 'My OP',
        country: 'NO',
        issuer: sim.bankIdNo.issuer,
        clientId: sim.bankIdNo.clientId,
        clientSecret: sim.bankIdNo.clientSecret,
        ...options,
      }),
    ],
  });
  return engineBrowser(eid, BASE_URL);
}

describe('a generic OpenID Connect provider on the provider kit', () => {
  it('logs in end to end through the engine routes: the identity from the verified ID token is in the session', async () => {
    const browser = await app();
    const outcome = await browser.login('my-op', 'my-op', { user: kari.id });
    expect(outcome.response).toMatchObject({ type: 'redirect', location: '/' });
    const identity = browser.session()?.identity;
    expect(identity).toMatchObject({ provider: 'my-op', method: 'my-op', name: kari.name });
    expect(identity?.subject).toEqual(expect.any(String));
    // A generic provider maps no national identity number: the app's profile hook may, from claims it knows.
    expect(identity?.nin).toBeUndefined();
    expect(new Date(identity!.authenticatedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lists its method, and the session route shows the login', async () => {
    const browser = await app();
    const methods = await browser.call({ route: 'methods', httpMethod: 'GET', params: {} });
    expect(methods.response).toMatchObject({
      body: [{ provider: 'my-op', method: 'my-op', label: 'My OP', flow: 'redirect', country: 'NO' }],
    });
    await browser.login('my-op', 'my-op');
    const session = await browser.call({ route: 'session', httpMethod: 'GET', params: {} });
    expect(session.response).toMatchObject({ status: 200, body: { identity: { provider: 'my-op' } } });
  });

  it("the profile hook adds what the app wants from the OP's claims", async () => {
    const browser = await app({
      profile: (claims, identity) => ({ ...identity, dateOfBirth: String(claims.birthdate) }),
    });
    await browser.login('my-op', 'my-op', { user: kari.id });
    expect(browser.session()?.identity?.dateOfBirth).toBe(kari.dateOfBirth);
  });

  it('the person cancelling at the OP ends the login as user_cancelled, and nobody is logged in', async () => {
    const browser = await app();
    const outcome = await browser.login('my-op', 'my-op', { outcome: 'abort' });
    expect(outcome.error?.code).toBe('user_cancelled');
    expect(browser.session()?.identity).toBeUndefined();
  });

  it('a client the OP does not accept fails the login with provider_error', async () => {
    const browser = await app({ clientSecret: 'wrong-secret' });
    const outcome = await browser.login('my-op', 'my-op');
    expect(outcome.error?.code).toBe('provider_error');
    expect(browser.session()?.identity).toBeUndefined();
  });

  it("an OP out of reach answers the start with provider_unavailable (503 to a JSON caller), and the browser's session is untouched", async () => {
    const browser = await app({ issuer: 'http://127.0.0.1:9/nothing-listens-here' });
    const start = () =>
      browser.call({
        route: 'start',
        httpMethod: 'GET',
        params: { provider: 'my-op', method: 'my-op' },
        headers: { accept: 'application/json' },
      });
    const outcome = await start();
    expect(outcome.error?.code).toBe('provider_unavailable');
    expect(outcome.response).toMatchObject({ status: 503 });
    expect(browser.session()).toBeUndefined();
  });
});
