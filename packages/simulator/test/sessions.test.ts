import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import {
  CALLBACKS,
  createOk,
  createSession,
  getSession,
  getSessionOk,
  headlessRequest,
  type Json,
  json,
  redirectRequest,
  token,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sim: Simulator;
let accessToken: string;
beforeAll(async () => {
  sim = await startSimulator();
  accessToken = await token(sim);
});
afterAll(async () => {
  await sim.close();
});

async function expectProblem(res: Response, status: number, detail?: RegExp): Promise<Json> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = await json(res);
  expect(problem).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  expect(problem.traceId).toEqual(expect.any(String));
  if (detail) expect(problem.detail).toMatch(detail);
  return problem;
}

describe('POST /auth/rest/sessions, redirect flow', () => {
  it('answers 200 with the session shaped as the documentation example', async () => {
    const before = Date.now();
    const res = await createSession(sim, accessToken, redirectRequest({ allowedProviders: ['idporten'] }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const session = await json(res);
    expect(Object.keys(session)).toEqual([
      'id',
      'accountId',
      'authenticationUrl',
      'status',
      'callbackUrls',
      'allowedProviders',
      'language',
      'flow',
      'requestedLoa',
      'requestedAttributes',
      'sessionLifetime',
      'expiresAt',
    ]);
    expect(session.id).toMatch(UUID);
    expect(session.accountId).toBe('a-sim-account');
    expect(session.status).toBe('CREATED');
    const authUrl = new URL(session.authenticationUrl);
    expect(authUrl.origin).toBe(sim.url);
    expect(authUrl.pathname).toBe('/broker/sp/external-service/login');
    expect(authUrl.searchParams.get('messageId')).toMatch(UUID);
    expect(authUrl.searchParams.get('messageId')).not.toBe(session.id);
    expect(session.callbackUrls).toEqual(CALLBACKS);
    expect(session.allowedProviders).toEqual(['idporten']);
    expect(session.language).toBe('nb');
    expect(session.flow).toBe('redirect');
    expect(session.requestedLoa).toBe('substantial');
    // Sorted, with idpId (always delivered) last, as the seeds echo it.
    expect(session.requestedAttributes).toEqual([
      'dateOfBirth',
      'firstName',
      'lastName',
      'name',
      'nin',
      'idpId',
    ]);
    expect(session.sessionLifetime).toBe(1200);
    expect(session.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
    const expiresAt = Date.parse(session.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 1200_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 1200_000 + 1000);
    expect(session.idpData).toBeUndefined();
  });

  it('GET returns the same session while it is CREATED', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    expect(await getSessionOk(sim, accessToken, created.id)).toEqual(created);
  });

  it('echoes externalReference', async () => {
    const created = await createOk(sim, accessToken, redirectRequest({ externalReference: 'order-42' }));
    expect(created.externalReference).toBe('order-42');
  });

  it.each(['success', 'abort', 'error'])(
    'refuses a missing callbackUrls.%s with a 400 naming it',
    async (key) => {
      const callbackUrls: Record<string, string> = { ...CALLBACKS };
      delete callbackUrls[key];
      const res = await createSession(sim, accessToken, redirectRequest({ callbackUrls }));
      await expectProblem(res, 400, new RegExp(`callbackUrls\\.${key}`));
    },
  );

  it('refuses a relative callback URL', async () => {
    const res = await createSession(
      sim,
      accessToken,
      redirectRequest({ callbackUrls: { ...CALLBACKS, success: '/callback' } }),
    );
    await expectProblem(res, 400, /callbackUrls\.success/);
  });

  it('refuses a redirect session without callbackUrls', async () => {
    const res = await createSession(sim, accessToken, redirectRequest({ callbackUrls: undefined }));
    await expectProblem(res, 400, /callbackUrls\.success/);
  });
});

describe('POST /auth/rest/sessions, headless flow', () => {
  it('answers the session with idpData.bindingMessage, shaped as the documentation example', async () => {
    const res = await createSession(sim, accessToken, headlessRequest());
    expect(res.status).toBe(200);
    const session = await json(res);
    expect(Object.keys(session)).toEqual([
      'id',
      'accountId',
      'status',
      'idpData',
      'allowedProviders',
      'flow',
      'requestedAttributes',
      'sessionLifetime',
      'expiresAt',
    ]);
    expect(session.id).toMatch(UUID);
    expect(session.accountId).toBe('a-sim-account');
    expect(session.status).toBe('CREATED');
    expect(session.idpData.bindingMessage).toMatch(/^\p{Lu}\p{Ll}+ \p{Ll}+$/u);
    expect(session.allowedProviders).toEqual(['nbid']);
    expect(session.flow).toBe('headless');
    expect(session.requestedAttributes).toEqual([
      'dateOfBirth',
      'firstName',
      'lastName',
      'name',
      'nin',
      'idpId',
    ]);
    expect(session.sessionLifetime).toBe(1200);
    expect(session.authenticationUrl).toBeUndefined();
    expect(session.callbackUrls).toBeUndefined();
  });

  it('refuses a headless session without prefilledInput.nin', async () => {
    const res = await createSession(sim, accessToken, headlessRequest({ prefilledInput: undefined }));
    await expectProblem(res, 400, /prefilledInput\.nin/);
  });

  it('refuses a headless session whose nbid_auth_type is not PHONE', async () => {
    const res = await createSession(
      sim,
      accessToken,
      headlessRequest({ additionalParameters: { nbid_auth_type: 'APP' } }),
    );
    await expectProblem(res, 400, /nbid_auth_type/);
  });

  it('refuses a headless session for another provider than nbid or sbid', async () => {
    const res = await createSession(sim, accessToken, headlessRequest({ allowedProviders: ['mitid'] }));
    await expectProblem(res, 400, /nbid/);
  });

  it('refuses a headless session whose nin is not 11 digits', async () => {
    const res = await createSession(sim, accessToken, headlessRequest({ prefilledInput: { nin: '1234' } }));
    await expectProblem(res, 400, /prefilledInput\.nin/);
  });
});

describe('POST /auth/rest/sessions, bad requests', () => {
  it('refuses malformed JSON with 400 problem JSON', async () => {
    await expectProblem(await createSession(sim, accessToken, '{"flow": "redirect",'), 400, /JSON/);
  });

  it('refuses a body that is not a JSON object', async () => {
    await expectProblem(await createSession(sim, accessToken, '[]'), 400);
  });

  it('refuses a wrong signicat-accountId with 403', async () => {
    await expectProblem(await createSession(sim, accessToken, redirectRequest(), 'a-someone-else'), 403);
  });

  it('refuses a missing signicat-accountId with 403', async () => {
    await expectProblem(await createSession(sim, accessToken, redirectRequest(), null), 403);
  });

  it('refuses an unknown flow', async () => {
    await expectProblem(
      await createSession(sim, accessToken, redirectRequest({ flow: 'popup' })),
      400,
      /flow/,
    );
  });

  it('refuses empty or unknown allowedProviders', async () => {
    await expectProblem(
      await createSession(sim, accessToken, redirectRequest({ allowedProviders: [] })),
      400,
      /allowedProviders/,
    );
    await expectProblem(
      await createSession(sim, accessToken, redirectRequest({ allowedProviders: ['nbid', 'bankid'] })),
      400,
      /"bankid"/,
    );
  });

  it('refuses an unknown requestedLoa', async () => {
    await expectProblem(
      await createSession(sim, accessToken, redirectRequest({ requestedLoa: 'medium' })),
      400,
      /requestedLoa/,
    );
  });

  it('refuses a body that is not sent as JSON with 415', async () => {
    const res = await fetch(`${sim.url}/auth/rest/sessions?signicat-accountId=a-sim-account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'text/plain' },
      body: JSON.stringify(redirectRequest()),
    });
    await expectProblem(res, 415);
  });
});

describe('GET /auth/rest/sessions/{id}', () => {
  it('answers 404 problem JSON for an unknown id', async () => {
    await expectProblem(await getSession(sim, accessToken, '3d07c219-0a88-45be-9cfc-91e9d095a1e9'), 404);
  });
});

describe('POST /auth/rest/sessions/{id}/cancel', () => {
  function cancel(id: string): Promise<Response> {
    return fetch(`${sim.url}/auth/rest/sessions/${id}/cancel?signicat-accountId=a-sim-account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
    });
  }

  it('cancels a CREATED session: 200 with status CANCELLED, then 409', async () => {
    const created = await createOk(sim, accessToken, headlessRequest());
    const res = await cancel(created.id);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      id: created.id,
      accountId: 'a-sim-account',
      status: 'CANCELLED',
      provider: 'nbid',
    });
    expect(body.idpData).toBeUndefined();
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('CANCELLED');
    await expectProblem(await cancel(created.id), 409);
  });

  it('refuses to cancel a finished session with 409', async () => {
    const created = await createOk(sim, accessToken, headlessRequest());
    sim.complete(created.id, 'success');
    await expectProblem(await cancel(created.id), 409);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('SUCCESS');
  });

  it('answers 404 for an unknown session', async () => {
    await expectProblem(await cancel('3d07c219-0a88-45be-9cfc-91e9d095a1e9'), 404);
  });

  it('needs a bearer token', async () => {
    const created = await createOk(sim, accessToken, headlessRequest());
    const res = await fetch(`${sim.url}/auth/rest/sessions/${created.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('expiry', () => {
  it('reports a session not finished in time as EXPIRED', async () => {
    const short = await startSimulator({ sessionLifetimeSeconds: 0.3 });
    try {
      const shortToken = await token(short);
      const created = await createOk(short, shortToken, redirectRequest());
      expect(created.sessionLifetime).toBe(0.3);
      expect((await getSessionOk(short, shortToken, created.id)).status).toBe('CREATED');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const expired = await getSessionOk(short, shortToken, created.id);
      expect(expired.status).toBe('EXPIRED');
      expect(expired.error).toBeUndefined();
      expect(expired.subject).toBeUndefined();
      expect(short.sessions()[0]).toMatchObject({ id: created.id, status: 'EXPIRED' });
      // Too late for the end-user page and the control surface.
      const page = await fetch(created.authenticationUrl);
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toMatch(/expired/);
      const complete = await fetch(`${short.url}/__sim/sessions/${created.id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'success' }),
      });
      expect(complete.status).toBe(409);
    } finally {
      await short.close();
    }
  });
});
