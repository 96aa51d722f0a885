import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { basic, hiddenFields, type Json, json, token, userOptions } from './helpers.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CALLBACK = 'https://app.example/auth/eid/callback/next?tx=abc&x=1';

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

const auth = () => basic(sim.next.username, sim.next.password);

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { partnerId: sim.next.partnerId, method: 'nbid', callbackUrl: CALLBACK, ...overrides };
}

function post(body: unknown, authorization: string | undefined = auth(), contentType = 'application/json') {
  return fetch(`${sim.next.baseUrl}/api/authentications`, {
    method: 'POST',
    headers: {
      ...(authorization ? { authorization } : {}),
      'content-type': contentType,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function createOk(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await post(payload(overrides));
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return res.headers.get('location')!;
}

function read(id: string, partnerId = sim.next.partnerId, authorization = auth()) {
  return fetch(`${sim.next.baseUrl}/api/authentications/${encodeURIComponent(partnerId)}/${id}`, {
    headers: { authorization },
  });
}

async function readOk(id: string): Promise<Json> {
  const res = await read(id);
  if (res.status !== 200) throw new Error(`read: ${res.status} ${await res.text()}`);
  return res.json();
}

const pageUrl = (id: string, partnerId = sim.next.partnerId) =>
  `${sim.next.baseUrl}/bankid/${encodeURIComponent(partnerId)}/${id}/authenticate`;

/** Opens the page like a browser, picks a user, presses a button; the POST response, not followed. */
async function submit(id: string, outcome: 'success' | 'abort' | 'error', user?: string): Promise<Response> {
  const page = await fetch(pageUrl(id));
  if (page.status !== 200) throw new Error(`page: ${page.status}`);
  const html = await page.text();
  const form = new URLSearchParams(hiddenFields(html));
  form.set('user', user ?? userOptions(html)[0]![0]);
  form.set('outcome', outcome);
  return fetch(pageUrl(id), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/** The id in a callback location, added as `&id=` or appended as the text `?id=`. */
function callbackId(location: string): string | undefined {
  const values = [...new URL(location).searchParams.values()].map((value) => value.split('?id=')[1]);
  return new URL(location).searchParams.get('id') ?? values.find((value) => value !== undefined);
}

async function expectProblem(res: Response, status: number): Promise<Json> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = await json(res);
  expect(problem).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  expect(problem.traceId).toEqual(expect.any(String));
  return problem;
}

describe('the handle and options', () => {
  it('exposes the NEXT settings with defaults, and takes others', async () => {
    expect(sim.next).toEqual({
      username: 'sim-next-user',
      password: 'sim-next-password',
      partnerId: 'sim-partner',
      baseUrl: sim.url,
    });
    const custom = await startSimulator({
      next: { username: 'demo', password: 'p@55w0rd', partnerId: 'p-1' },
    });
    try {
      expect(custom.next).toEqual({
        username: 'demo',
        password: 'p@55w0rd',
        partnerId: 'p-1',
        baseUrl: custom.url,
      });
      // The seed's own example header.
      const res = await fetch(`${custom.url}/api/authentications`, {
        method: 'POST',
        headers: { authorization: 'Basic ZGVtbzpwQDU1dzByZA==', 'content-type': 'application/json' },
        body: JSON.stringify({ partnerId: 'p-1', method: 'sbid', callbackUrl: CALLBACK }),
      });
      expect(res.status).toBe(201);
    } finally {
      await custom.close();
    }
  });

  it('refuses bad NEXT options', async () => {
    await expect(startSimulator({ next: { username: '' } })).rejects.toThrow(/next\.username/);
    await expect(startSimulator({ next: { username: 'a:b' } })).rejects.toThrow(/next\.username/);
    await expect(startSimulator({ next: { partnerId: 7 as never } })).rejects.toThrow(/next\.partnerId/);
  });
});

describe('POST /api/authentications', () => {
  it('answers 201 with the id as a bare GUID in Location and no body', async () => {
    const res = await post(payload({ identity: '17829034034', customProperties: { shop: 'web' } }));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(GUID);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', () => basic(sim.next.username, 'wrong')],
    ['a wrong user', () => basic('someone', sim.next.password)],
    ['a bearer token', () => 'Bearer abc'],
    ['garbage', () => 'Basic !!!'],
  ])('%s: 401 with a Basic challenge and an empty body', async (_name, authorization) => {
    const res = await post(payload(), authorization?.() ?? '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Identity API"/);
    expect(await res.text()).toBe('');
  });

  it('the Signicat credentials are not NEXT credentials', async () => {
    const res = await post(payload(), basic(sim.signicat.clientId, sim.signicat.clientSecret));
    expect(res.status).toBe(401);
  });

  it('another partnerId: 403 problem', async () => {
    await expectProblem(await post(payload({ partnerId: 'someone-else' })), 403);
  });

  it.each([
    ['partnerId', { partnerId: undefined }],
    ['method', { method: 'mitid' }],
    // BankID på mobil, switched off by BankID Norway on 1 September 2024.
    ['method', { method: 'nbid-mobil' }],
    ['method', { method: 'constructor' }],
    ['method', { method: undefined }],
    ['callbackUrl', { callbackUrl: 'not a url' }],
    ['callbackUrl', { callbackUrl: 'ftp://app.example/cb' }],
    ['identity', { identity: '1782903403' }],
    ['identity', { method: 'sbid', identity: '17829034034' }],
    ['identity', { identity: 17829034034 }],
    ['customProperties', { customProperties: { a: 1 } }],
    ['customProperties', { customProperties: ['a'] }],
  ])('a bad %s: 400 validation problem naming the field', async (field, overrides) => {
    const problem = await expectProblem(await post(payload(overrides)), 400);
    expect(problem.title).toBe('One or more validation errors occurred.');
    expect(Object.keys(problem.errors)).toEqual([field]);
  });

  it('a body that is not JSON is 400, another media type 415', async () => {
    await expectProblem(await post('{"partnerId":'), 400);
    await expectProblem(await post(payload(), auth(), 'text/plain'), 415);
  });

  it('an unknown endpoint of the API is a 404 problem, after the credentials', async () => {
    await expectProblem(
      await fetch(`${sim.url}/api/authentications`, { headers: { authorization: auth() } }),
      404,
    );
    expect((await fetch(`${sim.url}/api/authentications/x/y/z`)).status).toBe(401);
  });
});

describe('GET /api/authentications/{partnerId}/{id}', () => {
  it('a new authentication is Pending, success false', async () => {
    const id = await createOk({ method: 'sbid-mobil', customProperties: { shop: 'web' } });
    const body = await readOk(id);
    expect(Object.keys(body)).toEqual([
      'id',
      'partnerId',
      'method',
      'status',
      'success',
      'callbackUrl',
      'customProperties',
      'created',
    ]);
    expect(body).toMatchObject({
      id,
      partnerId: 'sim-partner',
      method: 'sbid-mobil',
      status: 'Pending',
      success: false,
      callbackUrl: CALLBACK,
      customProperties: { shop: 'web' },
    });
    expect(Number.isNaN(Date.parse(body.created))).toBe(false);
  });

  it('unknown id 404, another partner 403, wrong credentials 401', async () => {
    const id = await createOk();
    await expectProblem(await read('00000000-0000-4000-8000-000000000000'), 404);
    await expectProblem(await read(id, 'someone-else'), 403);
    expect((await read(id, sim.next.partnerId, basic('x', 'y'))).status).toBe(401);
  });
});

describe('the approval page', () => {
  it.each([
    ['nbid', 'Simulated Norwegian BankID (NEXT)', 'no-'],
    ['sbid', 'Simulated Swedish BankID (NEXT)', 'se-'],
    ['sbid-mobil', 'Simulated Swedish Mobile BankID (NEXT)', 'se-'],
  ])('%s: a form titled "%s" with the users of its country', async (method, title, prefix) => {
    const id = await createOk({ method });
    const res = await fetch(pageUrl(id));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(`<title>${title}</title>`);
    expect(html).toMatch(/<form method="post">/);
    const options = userOptions(html);
    expect(options.length).toBeGreaterThanOrEqual(2);
    expect(options.every(([user]) => user.startsWith(prefix))).toBe(true);
    for (const outcome of ['success', 'abort', 'error']) {
      expect(html).toContain(`name="outcome" value="${outcome}"`);
    }
  });

  it('approving: 303 to the callback URL with its own query kept and id appended; GET is Completed', async () => {
    const id = await createOk();
    const res = await submit(id, 'success', 'no-ola');
    expect(res.status).toBe(303);
    // Either form of "appended" (see 'the callback form and the person data vary by session').
    expect([`${CALLBACK}&id=${id}`, `${CALLBACK}?id=${id}`]).toContain(res.headers.get('location'));
    expect(await readOk(id)).toMatchObject({
      id,
      status: 'Completed',
      success: true,
      identity: '03918542174',
      name: 'Ola Nordmann',
      firstName: 'Ola',
      lastName: 'Nordmann',
      dateOfBirth: '1985-11-03',
      completed: expect.any(String),
    });
  });

  it('a Swedish approval reports the 12-digit personnummer', async () => {
    const id = await createOk({ method: 'sbid' });
    await submit(id, 'success', 'se-anna');
    expect(await readOk(id)).toMatchObject({
      success: true,
      identity: '198503149828',
      name: 'Anna Andersson',
    });
  });

  it.each([
    ['abort', 'Cancelled', undefined],
    ['error', 'Failed', 'eid_error'],
  ] as const)(
    '%s: back to the callback with id, and GET is %s with success false',
    async (outcome, status, code) => {
      const id = await createOk();
      const res = await submit(id, outcome);
      expect(res.status).toBe(303);
      expect(callbackId(res.headers.get('location')!)).toBe(id);
      const body = await readOk(id);
      expect(body).toMatchObject({ status, success: false });
      expect(body.identity).toBeUndefined();
      if (code) expect(body.error.code).toBe(code);
    },
  );

  it('a given identity locks the page to that test user', async () => {
    const id = await createOk({ identity: '24870161219' });
    const html = await (await fetch(pageUrl(id))).text();
    expect(userOptions(html)).toEqual([['no-ingrid', 'Ingrid Hansen']]);
  });

  it('someone else than the identity to verify against fails the authentication', async () => {
    const id = await createOk({ identity: '24870161219' });
    sim.complete(id, 'success', 'no-kari');
    const body = await readOk(id);
    expect(body).toMatchObject({ status: 'Failed', success: false, error: { code: 'identity_mismatch' } });
  });

  it('a finished, unknown or other partner link shows an error page', async () => {
    const id = await createOk();
    await submit(id, 'success');
    const finished = await fetch(pageUrl(id));
    expect(finished.status).toBe(400);
    expect(await finished.text()).toMatch(/already finished/);
    expect((await fetch(pageUrl('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
    const other = await createOk();
    expect((await fetch(pageUrl(other, 'someone-else'))).status).toBe(404);
    const bad = await fetch(pageUrl(other), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=maybe',
    });
    expect(bad.status).toBe(400);
  });

  it('expires: Pending past the lifetime is Expired, and its page says so', async () => {
    const short = await startSimulator({ sessionLifetimeSeconds: 0.05 });
    try {
      const res = await fetch(`${short.url}/api/authentications`, {
        method: 'POST',
        headers: {
          authorization: basic(short.next.username, short.next.password),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ partnerId: short.next.partnerId, method: 'nbid', callbackUrl: CALLBACK }),
      });
      const id = res.headers.get('location')!;
      await new Promise((resolve) => setTimeout(resolve, 80));
      const body = await (
        await fetch(`${short.url}/api/authentications/${short.next.partnerId}/${id}`, {
          headers: { authorization: basic(short.next.username, short.next.password) },
        })
      ).json();
      expect(body).toMatchObject({ status: 'Expired', success: false });
      const page = await fetch(`${short.url}/bankid/${short.next.partnerId}/${id}/authenticate`);
      expect(await page.text()).toMatch(/expired/);
    } finally {
      await short.close();
    }
  });
});

describe('the callback form and the person data vary by session', () => {
  let fresh: Simulator;
  beforeAll(async () => {
    fresh = await startSimulator();
  });
  afterAll(async () => {
    await fresh.close();
  });

  const create = async (body: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${fresh.next.baseUrl}/api/authentications`, {
      method: 'POST',
      headers: {
        authorization: basic(fresh.next.username, fresh.next.password),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ partnerId: fresh.next.partnerId, method: 'nbid', ...body }),
    });
    expect(res.status).toBe(201);
    return res.headers.get('location')!;
  };
  const approve = async (id: string, user: string) => {
    const url = `${fresh.next.baseUrl}/bankid/${fresh.next.partnerId}/${id}/authenticate`;
    const html = await (await fetch(url)).text();
    const form = new URLSearchParams(hiddenFields(html));
    form.set('user', user);
    form.set('outcome', 'success');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    return res.headers.get('location')!;
  };
  const readFresh = async (id: string): Promise<Json> =>
    (
      await fetch(`${fresh.next.baseUrl}/api/authentications/${fresh.next.partnerId}/${id}`, {
        headers: { authorization: basic(fresh.next.username, fresh.next.password) },
      })
    ).json();

  it('"appended": &id= and ?id= after the query by turns; a URL without a query gets ?id=', async () => {
    const locations: string[] = [];
    const ids: string[] = [];
    for (let turn = 0; turn < 4; turn++) {
      const id = await create({ callbackUrl: CALLBACK });
      ids.push(id);
      locations.push(await approve(id, 'no-ola'));
    }
    expect(locations).toEqual([
      `${CALLBACK}&id=${ids[0]}`,
      `${CALLBACK}?id=${ids[1]}`,
      `${CALLBACK}&id=${ids[2]}`,
      `${CALLBACK}?id=${ids[3]}`,
    ]);
    // What a query parser makes of the concatenated form: the id inside the last value.
    expect(Object.fromEntries(new URL(locations[1]!).searchParams)).toEqual({
      tx: 'abc',
      x: `1?id=${ids[1]}`,
    });
    const bare = 'https://app.example/cb';
    for (let turn = 0; turn < 2; turn++) {
      const id = await create({ callbackUrl: bare });
      expect(await approve(id, 'no-ola')).toBe(`${bare}?id=${id}`);
    }
  });

  it('with an identity to verify, success answers with and without the person by turns; without, always with it', async () => {
    // Sessions 6..9 of this simulator: 6 and 7 without the person, 8 and 9 with it.
    const answers: Json[] = [];
    for (let turn = 0; turn < 4; turn++) {
      const id = await create({ callbackUrl: CALLBACK, identity: '03918542174' });
      await approve(id, 'no-ola');
      answers.push(await readFresh(id));
    }
    expect(answers.map((answer) => [answer.success, answer.identity, answer.name])).toEqual([
      [true, undefined, undefined],
      [true, undefined, undefined],
      [true, '03918542174', 'Ola Nordmann'],
      [true, '03918542174', 'Ola Nordmann'],
    ]);
    expect(answers[0]).toMatchObject({ status: 'Completed', method: 'nbid' });
    expect('firstName' in answers[0]! || 'dateOfBirth' in answers[1]!).toBe(false);
    // Sessions 10 and 11 would answer without the person, but were given no identity: they name it.
    for (let turn = 0; turn < 2; turn++) {
      const id = await create({ callbackUrl: CALLBACK });
      await approve(id, 'no-ola');
      expect(await readFresh(id)).toMatchObject({
        success: true,
        identity: '03918542174',
        name: 'Ola Nordmann',
      });
    }
  });
});

describe('the control surface', () => {
  it('lists NEXT authentications with provider next, the method and the given identity', async () => {
    const id = await createOk({ method: 'nbid', identity: '17829034034' });
    const list = await json(await fetch(`${sim.url}/__sim/sessions`));
    expect(list).toContainEqual({
      id,
      provider: 'next',
      method: 'nbid',
      methodId: 'nbid',
      appTransactionId: 'abc',
      status: 'Pending',
      nin: '17829034034',
    });
    expect(sim.sessions()).toContainEqual({
      id,
      provider: 'next',
      method: 'nbid',
      methodId: 'nbid',
      appTransactionId: 'abc',
      status: 'Pending',
      nin: '17829034034',
    });
  });

  it('POST /__sim/sessions/:id/complete finishes one; a second time is 409', async () => {
    const id = await createOk({ method: 'sbid' });
    const complete = (body: unknown) =>
      fetch(`${sim.url}/__sim/sessions/${id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await complete({ outcome: 'success', user: 'se-lars' });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id,
      provider: 'next',
      method: 'sbid',
      methodId: 'sbid',
      appTransactionId: 'abc',
      status: 'Completed',
    });
    expect(await readOk(id)).toMatchObject({ success: true, identity: '197208699913' });
    expect((await complete({ outcome: 'abort' })).status).toBe(409);
  });

  it('a user of the wrong country is a 400', async () => {
    const id = await createOk({ method: 'sbid' });
    expect(() => sim.complete(id, 'success', 'no-kari')).toThrow(/cannot use sbid/);
  });
});

describe('faults for provider next', () => {
  it('a status fault answers the API in its own error format, and leaves Signicat and the page alone', async () => {
    const id = await createOk();
    sim.setFaults({ provider: 'next', status: 503 });
    const problem = await expectProblem(await read(id), 503);
    expect(problem.detail).toBe('Simulated failure.');
    expect((await post(payload())).status).toBe(503);
    expect((await fetch(pageUrl(id))).status).toBe(200);
    const signicatToken = await token(sim);
    expect(signicatToken).toEqual(expect.any(String));
  });

  it('a 401 fault is the Basic challenge', async () => {
    sim.setFaults({ provider: 'next', status: 401 });
    const res = await post(payload());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('garbage, and a fault for another provider does not touch NEXT', async () => {
    const id = await createOk();
    sim.setFaults({ provider: 'next', mode: 'garbage' });
    const res = await read(id);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    sim.setFaults({ provider: 'signicat', status: 500 });
    expect((await read(id)).status).toBe(200);
  });

  it('through POST /__sim/faults', async () => {
    const set = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'next', status: 500 }),
    });
    expect(set.status).toBe(200);
    await expectProblem(await post(payload()), 500);
    await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' });
    expect((await post(payload())).status).toBe(201);
  });
});
