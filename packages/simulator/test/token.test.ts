import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { basic, createSession, json, redirectRequest, token } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

function tokenRequest(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.signicat.baseUrl}/auth/open/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

describe('POST /auth/open/connect/token', () => {
  it('issues a bearer token for client credentials in HTTP Basic', async () => {
    const res = await tokenRequest('grant_type=client_credentials&scope=signicat-api', {
      authorization: basic('sim-client', 'sim-secret'),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json(res);
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'signicat-api',
    });
    expect(body.access_token.length).toBeGreaterThanOrEqual(32);
  });

  it('issues a token for client_id and client_secret in the form', async () => {
    const res = await tokenRequest(
      'grant_type=client_credentials&scope=signicat-api&client_id=sim-client&client_secret=sim-secret',
    );
    expect(res.status).toBe(200);
    expect((await json(res)).token_type).toBe('Bearer');
  });

  it('issues a different opaque token each time', async () => {
    expect(await token(sim)).not.toBe(await token(sim));
  });

  it('refuses a wrong secret in HTTP Basic with 401 invalid_client', async () => {
    const res = await tokenRequest('grant_type=client_credentials&scope=signicat-api', {
      authorization: basic('sim-client', 'wrong'),
    });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toBe('invalid_client');
  });

  it('refuses a wrong client id in the form with 401 invalid_client', async () => {
    const res = await tokenRequest(
      'grant_type=client_credentials&scope=signicat-api&client_id=someone&client_secret=sim-secret',
    );
    expect(res.status).toBe(401);
    expect((await json(res)).error).toBe('invalid_client');
  });

  it('refuses a request without credentials with 401 invalid_client', async () => {
    const res = await tokenRequest('grant_type=client_credentials&scope=signicat-api');
    expect(res.status).toBe(401);
    expect((await json(res)).error).toBe('invalid_client');
  });

  it('refuses another grant type with 400 unsupported_grant_type', async () => {
    const res = await tokenRequest('grant_type=password&scope=signicat-api', {
      authorization: basic('sim-client', 'sim-secret'),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('unsupported_grant_type');
  });

  it('refuses another scope with 400 invalid_scope', async () => {
    const res = await tokenRequest('grant_type=client_credentials&scope=openid', {
      authorization: basic('sim-client', 'sim-secret'),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('invalid_scope');
  });

  it('refuses a JSON body with 400 invalid_request', async () => {
    const res = await fetch(`${sim.signicat.baseUrl}/auth/open/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('sim-client', 'sim-secret') },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('invalid_request');
  });

  it('accepts the credentials configured in the options', async () => {
    const custom = await startSimulator({
      signicat: { clientId: 'me', clientSecret: 's3cr3t:+&', accountId: 'a-me' },
    });
    try {
      expect(custom.signicat).toEqual({
        clientId: 'me',
        clientSecret: 's3cr3t:+&',
        accountId: 'a-me',
        baseUrl: custom.url,
      });
      // RFC 6749 2.3.1: form-encoded before Basic.
      const res = await fetch(`${custom.url}/auth/open/connect/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('me', encodeURIComponent('s3cr3t:+&')),
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
    } finally {
      await custom.close();
    }
  });
});

describe('bearer authentication of /auth/rest', () => {
  it('answers 401 problem JSON without a token', async () => {
    const res = await fetch(
      `${sim.signicat.baseUrl}/auth/rest/sessions/00000000-0000-0000-0000-000000000000`,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const problem = await json(res);
    expect(problem).toEqual({
      type: expect.any(String),
      title: 'Unauthorized',
      status: 401,
      detail: expect.any(String),
      code: 'unauthorized',
      traceId: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
    });
  });

  it('answers 401 for an unknown token', async () => {
    const res = await createSession(sim, 'not-a-token', redirectRequest());
    expect(res.status).toBe(401);
    expect((await json(res)).status).toBe(401);
  });

  it('answers 401 for a client credential sent as Basic to the REST API', async () => {
    const res = await fetch(`${sim.signicat.baseUrl}/auth/rest/sessions?signicat-accountId=a-sim-account`, {
      method: 'POST',
      headers: { authorization: basic('sim-client', 'sim-secret'), 'content-type': 'application/json' },
      body: JSON.stringify(redirectRequest()),
    });
    expect(res.status).toBe(401);
  });

  it('refuses a token once it has expired', async () => {
    const short = await startSimulator({ tokenLifetimeSeconds: 0.2 });
    try {
      const accessToken = await token(short);
      expect((await createSession(short, accessToken, redirectRequest())).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await createSession(short, accessToken, redirectRequest())).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('answers 401 before 404 on unknown REST paths, and 404 problem with a token', async () => {
    expect((await fetch(`${sim.url}/auth/rest/nothing`)).status).toBe(401);
    const res = await fetch(`${sim.url}/auth/rest/nothing?signicat-accountId=a-sim-account`, {
      headers: { authorization: `Bearer ${await token(sim)}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('account-level access tokens (signicat-accountId)', () => {
  const claims = (accessToken: string) =>
    JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));

  it('issues JWT-shaped tokens, every other one naming the account in account_id', async () => {
    const fresh = await startSimulator();
    try {
      const first = claims(await token(fresh));
      const second = claims(await token(fresh));
      expect(first.account_id).toBe(fresh.signicat.accountId);
      expect(second.account_id).toBeUndefined();
      expect(first.scope).toBe('signicat-api');
    } finally {
      await fresh.close();
    }
  });

  it('requires signicat-accountId on every call with a token that names the account, as problem details', async () => {
    const fresh = await startSimulator();
    try {
      const named = await token(fresh);
      const opaque = await token(fresh);
      const url = `${fresh.signicat.baseUrl}/auth/rest/sessions/00000000-0000-0000-0000-000000000000`;
      const refused = await fetch(url, { headers: { authorization: `Bearer ${named}` } });
      expect(refused.status).toBe(403);
      expect(await json(refused)).toMatchObject({
        type: expect.stringContaining('developer.signicat.com'),
        title: expect.any(String),
        detail: expect.stringMatching(/signicat-accountId/),
        code: 'invalid_account_id',
      });
      const addressed = await fetch(`${url}?signicat-accountId=${fresh.signicat.accountId}`, {
        headers: { authorization: `Bearer ${named}` },
      });
      expect(addressed.status).toBe(404);
      expect((await json(addressed)).code).toBe('not_found');
      // A token without account_id: only the create call needs the parameter.
      expect((await fetch(url, { headers: { authorization: `Bearer ${opaque}` } })).status).toBe(404);
    } finally {
      await fresh.close();
    }
  });
});
