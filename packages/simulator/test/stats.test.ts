import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { createOk, redirectRequest, token } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim?.close();
});

function getSession(accessToken: string, id: string): Promise<Response> {
  return fetch(`${sim.url}/auth/rest/sessions/${id}?signicat-accountId=${sim.signicat.accountId}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

describe('stats: provider API calls per provider and endpoint', () => {
  beforeEach(() => {
    sim.resetStats();
    sim.clearFaults();
  });

  it('counts by method and route pattern, never by raw path', async () => {
    const accessToken = await token(sim);
    const first = await createOk(sim, accessToken, redirectRequest());
    const second = await createOk(sim, accessToken, redirectRequest());
    for (const id of [first.id, second.id, first.id])
      expect((await getSession(accessToken, id)).status).toBe(200);
    const expected = {
      signicat: {
        'POST /auth/open/connect/token': 1,
        'POST /auth/rest/sessions': 2,
        'GET /auth/rest/sessions/:id': 3,
      },
    };
    expect(sim.stats()).toEqual(expected);
    const served = await fetch(`${sim.url}/__sim/stats`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(expected);
  });

  it('leaves out the control surface and the end-user pages; counts faulted calls', async () => {
    await fetch(`${sim.url}/__sim/sessions`);
    await fetch(`${sim.url}/__sim/users`);
    expect(sim.stats()).toEqual({});
    sim.setFaults({ provider: 'signicat', status: 503 });
    expect((await getSession('whatever', 'abc')).status).toBe(503);
    expect(sim.stats()).toEqual({ signicat: { 'GET /auth/rest/sessions/:id': 1 } });
  });

  it('counts the OpenID Providers by path, with ids as :id', async () => {
    const discovery = await fetch(`${sim.bankIdNo.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    await fetch(`${sim.idporten.issuer}/jwks`);
    expect(sim.stats()).toEqual({
      'bankid-no': { 'GET /oidc/bankid-no/.well-known/openid-configuration': 1 },
      idporten: { 'GET /oidc/idporten/jwks': 1 },
    });
  });

  it('resets with DELETE /__sim/stats and POST /__sim/stats/reset', async () => {
    await token(sim);
    expect(sim.stats()).not.toEqual({});
    expect((await fetch(`${sim.url}/__sim/stats`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.stats()).toEqual({});
    await token(sim);
    expect((await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' })).status).toBe(204);
    expect(await (await fetch(`${sim.url}/__sim/stats`)).json()).toEqual({});
  });
});

describe('config: the settings an app needs, under the example apps’ variable names', () => {
  it('names every provider’s connection and credentials', () => {
    const config = sim.config();
    expect(config).toMatchObject({
      SIGNICAT_BASE_URL: sim.url,
      SIGNICAT_CLIENT_ID: 'sim-client',
      SIGNICAT_CLIENT_SECRET: 'sim-secret',
      SIGNICAT_ACCOUNT_ID: 'a-sim-account',
      NEXT_BASE_URL: sim.url,
      NEXT_USERNAME: sim.next.username,
      NEXT_PASSWORD: sim.next.password,
      NEXT_PARTNER_ID: sim.next.partnerId,
      ZIGNSEC_BASE_URL: sim.url,
      ZIGNSEC_TOKEN: sim.zignsec.token,
      BANKID_NO_ISSUER: `${sim.url}/oidc/bankid-no`,
      BANKID_NO_CLIENT_ID: sim.bankIdNo.clientId,
      BANKID_NO_CLIENT_SECRET: sim.bankIdNo.clientSecret,
      IDPORTEN_ISSUER: `${sim.url}/oidc/idporten`,
      IDPORTEN_CLIENT_ID: sim.idporten.clientId,
      IDPORTEN_CLIENT_SECRET: sim.idporten.clientSecret,
    });
    expect(config.ZIGNSEC_WEBHOOK_SECRET).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });

  it('GET /__sim/config: JSON by default, NAME=value lines for text/plain', async () => {
    const json = await fetch(`${sim.url}/__sim/config`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual(sim.config());
    const text = await fetch(`${sim.url}/__sim/config`, { headers: { accept: 'text/plain' } });
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await text.text()).trim().split('\n');
    expect(lines).toContain(`SIGNICAT_BASE_URL=${sim.url}`);
    expect(lines).toContain('BANKID_NO_SCOPE="openid profile nnin_altsub"');
    expect(lines).toHaveLength(Object.keys(sim.config()).length);
  });

  it('takes the credentials from the options', async () => {
    const other = await startSimulator({
      signicat: { clientId: 'c1', clientSecret: 's1', accountId: 'a1' },
      zignsec: { token: 'tok', webhookSecret: 'hook-secret' },
      idporten: { clientId: 'idp', clientSecret: 'idp-secret' },
    });
    try {
      expect(other.config()).toMatchObject({
        SIGNICAT_CLIENT_ID: 'c1',
        SIGNICAT_CLIENT_SECRET: 's1',
        SIGNICAT_ACCOUNT_ID: 'a1',
        ZIGNSEC_TOKEN: 'tok',
        ZIGNSEC_WEBHOOK_SECRET: 'hook-secret',
        IDPORTEN_CLIENT_ID: 'idp',
        IDPORTEN_CLIENT_SECRET: 'idp-secret',
      });
    } finally {
      await other.close();
    }
  });
});

describe('fault rate with a seed', () => {
  async function statuses(seeded: Simulator, count: number): Promise<number[]> {
    const accessToken = await token(seeded);
    const { id } = await createOk(seeded, accessToken, redirectRequest());
    seeded.setFaults({ provider: 'signicat', status: 503, rate: 0.3 });
    const seen: number[] = [];
    for (let i = 0; i < count; i++) {
      seen.push(
        (
          await fetch(`${seeded.url}/auth/rest/sessions/${id}?signicat-accountId=a-sim-account`, {
            headers: { authorization: `Bearer ${accessToken}` },
          })
        ).status,
      );
    }
    return seen;
  }

  it('fires on the same requests for the same seed, about as often as the rate says', async () => {
    const runs: number[][] = [];
    for (const faultSeed of [42, 42, 7]) {
      const seeded = await startSimulator({ faultSeed });
      try {
        runs.push(await statuses(seeded, 100));
      } finally {
        await seeded.close();
      }
    }
    const [first, again, other] = runs as [number[], number[], number[]];
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const failed = first.filter((status) => status === 503).length;
    expect(failed).toBeGreaterThan(10);
    expect(failed).toBeLessThan(50);
    expect(new Set(first)).toEqual(new Set([200, 503]));
  });

  it('refuses a faultSeed that is not an integer', async () => {
    await expect(startSimulator({ faultSeed: 1.5 })).rejects.toThrow(/faultSeed/);
  });
});

describe('endpointOf', () => {
  it('keeps a route pattern; turns id-like segments of a catch-all path into :id', async () => {
    const { endpointOf } = await import('../src/stats.js');
    expect(endpointOf('GET', '/auth/rest/sessions/:id', '/auth/rest/sessions/abc')).toBe(
      'GET /auth/rest/sessions/:id',
    );
    expect(endpointOf('GET', '/oidc/idporten/*', '/oidc/idporten/interaction/Xk3q9ZpL0aB7cD2eF4gH')).toBe(
      'GET /oidc/idporten/interaction/:id',
    );
    expect(endpointOf('POST', '/oidc/idporten/*', '/oidc/idporten/token')).toBe('POST /oidc/idporten/token');
  });
});
