import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator, TEST_USERS } from '../src/index.js';
import { createOk, getSessionOk, headlessRequest, json, redirectRequest, token } from './helpers.js';

let sim: Simulator;
let accessToken: string;
beforeAll(async () => {
  sim = await startSimulator();
  accessToken = await token(sim);
});
afterAll(async () => {
  await sim.close();
});

function complete(id: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/sessions/${id}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('GET /__sim/sessions', () => {
  it('lists every session with provider, method, status, bindingMessage and nin', async () => {
    const headless = await createOk(sim, accessToken, headlessRequest());
    const redirect = await createOk(
      sim,
      accessToken,
      redirectRequest({ allowedProviders: ['mitid', 'nbid'] }),
    );
    const res = await fetch(`${sim.url}/__sim/sessions`);
    expect(res.status).toBe(200);
    const list = await json(res);
    expect(list).toContainEqual({
      id: headless.id,
      provider: 'signicat',
      method: 'nbid',
      methodId: 'nbid-phone',
      status: 'CREATED',
      bindingMessage: headless.idpData.bindingMessage,
      nin: '17829034034',
    });
    expect(list).toContainEqual({
      id: redirect.id,
      provider: 'signicat',
      method: 'mitid',
      methodId: 'mitid',
      status: 'CREATED',
    });
    expect(sim.sessions()).toEqual(list);
  });

  it('?externalReference= gives only the session the app named so; none when nothing matches', async () => {
    const mine = await createOk(sim, accessToken, redirectRequest({ externalReference: 'tx-mine-0001' }));
    await createOk(sim, accessToken, redirectRequest({ externalReference: 'tx-other-0002' }));
    const found = await json(await fetch(`${sim.url}/__sim/sessions?externalReference=tx-mine-0001`));
    expect(found).toEqual([expect.objectContaining({ id: mine.id, externalReference: 'tx-mine-0001' })]);
    expect(await json(await fetch(`${sim.url}/__sim/sessions?externalReference=nobody`))).toEqual([]);
  });
});

describe('by the app’s transaction id', () => {
  it('?transactionId= gives the session whose externalReference the app set; it shows it as appTransactionId', async () => {
    const mine = await createOk(sim, accessToken, redirectRequest({ externalReference: 'tx-app-0001' }));
    await createOk(sim, accessToken, redirectRequest({ externalReference: 'tx-app-0002' }));
    const found = await json(await fetch(`${sim.url}/__sim/sessions?transactionId=tx-app-0001`));
    expect(found).toEqual([
      expect.objectContaining({ id: mine.id, appTransactionId: 'tx-app-0001', methodId: 'nbid' }),
    ]);
    expect(await json(await fetch(`${sim.url}/__sim/sessions?transactionId=nobody`))).toEqual([]);
  });

  it('POST /__sim/transactions/:transactionId/complete finishes that session; bad bodies and unknown ids are refused', async () => {
    const session = await createOk(sim, accessToken, headlessRequest({ externalReference: 'tx-app-0003' }));
    const post = (id: string, body: unknown) =>
      fetch(`${sim.url}/__sim/transactions/${id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('tx-app-0003', [])).status).toBe(400);
    expect((await post('tx-app-0003', { outcome: 'maybe' })).status).toBe(400);
    const unknown = await post('tx-nobody', { outcome: 'success' });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({
      error: { message: 'No session carries that transaction id.' },
    });
    const done = await post('tx-app-0003', { outcome: 'success', user: 'no-kari' });
    expect(done.status).toBe(200);
    expect(await json(done)).toMatchObject({
      id: session.id,
      appTransactionId: 'tx-app-0003',
      status: 'SUCCESS',
    });
    expect((await getSessionOk(sim, accessToken, session.id)).status).toBe('SUCCESS');
  });
});

describe('POST /__sim/sessions/:id/complete', () => {
  it('completes a headless session as the test user of the prefilled nin', async () => {
    const created = await createOk(sim, accessToken, headlessRequest());
    const res = await complete(created.id, { outcome: 'success' });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id: created.id,
      provider: 'signicat',
      method: 'nbid',
      methodId: 'nbid-phone',
      status: 'SUCCESS',
      bindingMessage: created.idpData.bindingMessage,
      nin: '17829034034',
    });
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(Object.keys(session)).toEqual([
      'id',
      'accountId',
      'status',
      'provider',
      'subject',
      'loa',
      'allowedProviders',
      'flow',
      'requestedAttributes',
      'sessionLifetime',
      'expiresAt',
    ]);
    expect(session.subject).toMatchObject({
      idpId: '9578-6000-4-2595757',
      name: 'Kari Nordmann',
      nin: { value: '17829034034', issuingCountry: expect.stringMatching(/^(NO|NOR)$/), type: 'TEST' },
    });
    expect(session.environment).toBeUndefined();
  });

  it('completes as the given user', async () => {
    const created = await createOk(
      sim,
      accessToken,
      headlessRequest({ prefilledInput: { nin: '45097821368' } }),
    );
    expect((await complete(created.id, { outcome: 'success', user: 'no-jonas' })).status).toBe(200);
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.subject.nin).toEqual({
      value: '45097821368',
      issuingCountry: expect.stringMatching(/^(NO|NOR)$/),
      type: 'D',
    });
  });

  it('refuses another user than the one the prefilled nin locks the session to', async () => {
    const created = await createOk(sim, accessToken, headlessRequest());
    const res = await complete(created.id, { outcome: 'success', user: 'no-ola' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/locked/),
    });
  });

  it('completes a redirect session without a user as the first test user of its country', async () => {
    const created = await createOk(sim, accessToken, redirectRequest({ allowedProviders: ['ftn'] }));
    expect((await complete(created.id, { outcome: 'success' })).status).toBe(200);
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.provider).toBe('ftn');
    expect(session.subject.nin).toEqual({
      value: '150480-9152',
      issuingCountry: expect.stringMatching(/^(FI|FIN)$/),
      type: 'HETU',
    });
    expect(session.subject.idpId).toBe('150480-9152');
  });

  it('aborts and fails', async () => {
    const a = await createOk(sim, accessToken, headlessRequest());
    const e = await createOk(sim, accessToken, headlessRequest());
    expect(await json(await complete(a.id, { outcome: 'abort' }))).toMatchObject({ status: 'ABORT' });
    expect(await json(await complete(e.id, { outcome: 'error' }))).toMatchObject({ status: 'ERROR' });
    expect((await getSessionOk(sim, accessToken, a.id)).status).toBe('ABORT');
    const failed = await getSessionOk(sim, accessToken, e.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.error.code).toBe('userError');
  });

  it('answers 404 for an unknown id, 400 for a bad outcome or user, 409 when already final', async () => {
    expect((await complete('nope', { outcome: 'success' })).status).toBe(404);
    const created = await createOk(sim, accessToken, redirectRequest());
    expect((await complete(created.id, { outcome: 'maybe' })).status).toBe(400);
    expect((await complete(created.id, {})).status).toBe(400);
    expect((await complete(created.id, { outcome: 'success', user: 'nobody' })).status).toBe(400);
    expect((await complete(created.id, { outcome: 'success', user: 'dk-mette' })).status).toBe(400);
    const bad = await fetch(`${sim.url}/__sim/sessions/${created.id}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect((await complete(created.id, { outcome: 'abort' })).status).toBe(200);
    const again = await complete(created.id, { outcome: 'success' });
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('conflict');
  });
});

describe('Simulator.complete()', () => {
  it('does what the route does and throws errors with a status', async () => {
    const created = await createOk(
      sim,
      accessToken,
      headlessRequest({ prefilledInput: { nin: '03918542174' } }),
    );
    expect(sim.complete(created.id, 'success')).toMatchObject({ id: created.id, status: 'SUCCESS' });
    expect((await getSessionOk(sim, accessToken, created.id)).subject.name).toBe('Ola Nordmann');
    expect(() => sim.complete(created.id, 'success')).toThrow(expect.objectContaining({ status: 409 }));
    expect(() => sim.complete('nope', 'success')).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => sim.complete(created.id, 'later' as never)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });
});

describe('GET /__sim/users', () => {
  it('lists the test users', async () => {
    const res = await fetch(`${sim.url}/__sim/users`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual(TEST_USERS);
  });

  it('lists the users given in the options', async () => {
    const custom = await startSimulator({ users: [TEST_USERS[1]!] });
    try {
      expect(await json(await fetch(`${custom.url}/__sim/users`))).toEqual([TEST_USERS[1]]);
    } finally {
      await custom.close();
    }
  });
});

describe('unknown routes and options', () => {
  it('answers 404 JSON for a path nobody serves', async () => {
    const res = await fetch(`${sim.url}/nothing/here`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('not_found');
  });

  it('refuses bad options with a message naming the field', async () => {
    await expect(startSimulator({ port: -1 })).rejects.toThrow(/port/);
    await expect(startSimulator({ sessionLifetimeSeconds: 0 })).rejects.toThrow(/sessionLifetimeSeconds/);
  });
});
