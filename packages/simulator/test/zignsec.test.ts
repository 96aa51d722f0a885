import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { canonical, hiddenFields, type Json, json, userOptions } from './helpers.js';

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

const TARGET = 'https://app.example/auth/eid/callback/zignsec';

function setup(
  selector: string,
  parameters: Record<string, string>,
  token: string | null = sim.zignsec.token,
): Promise<Response> {
  return fetch(`${sim.zignsec.baseUrl}/v2/eid/${selector}`, {
    method: 'POST',
    headers: {
      ...(token === null ? {} : { authorization: token }),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(parameters).toString(),
  });
}

function setupV3(path: string, body: unknown, token = sim.zignsec.token): Promise<Response> {
  return fetch(`${sim.zignsec.baseUrl}/v3/eid/${path}`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function setupOk(selector: string, parameters: Record<string, string> = {}): Promise<Json> {
  const res = await setup(selector, { target: TARGET, relaystate: 'tx-1', ...parameters });
  if (res.status !== 200) throw new Error(`setup: ${res.status} ${await res.text()}`);
  return json(res);
}

function result(id: string, version = 'v2', token = sim.zignsec.token): Promise<Response> {
  return fetch(`${sim.zignsec.baseUrl}/${version}/eid/${id}`, { headers: { authorization: token } });
}

async function resultOk(id: string): Promise<Json> {
  const res = await result(id);
  if (res.status !== 200) throw new Error(`result: ${res.status}`);
  return canonical(await json(res));
}

/** Opens the page, picks a user and presses a button like a browser; returns the POST response. */
async function approve(
  redirectUrl: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
  pick?: (options: [string, string][]) => string,
): Promise<Response> {
  const html = await (await fetch(redirectUrl)).text();
  const form = new URLSearchParams(hiddenFields(html));
  const options = userOptions(html);
  form.set('user', pick ? pick(options) : options[0]![0]);
  form.set('outcome', outcome);
  return fetch(redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/** A webhook receiver on an ephemeral port. */
async function receiver() {
  const received: { headers: IncomingMessage['headers']; body: string; at: number }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
    res.writeHead(200).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?tx=abc`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('zignsec: setup', () => {
  it('answers a documented sbid-another setup with id, empty errors and redirect_url', async () => {
    const created = await setupOk('sbid-another', { PersonalNumber: '198503149828', language: 'sv' });
    expect(Object.keys(created).sort()).toEqual(['errors', 'id', 'redirect_url']);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.errors).toEqual([]);
    expect(created.redirect_url).toBe(`${sim.url}/v2/Hosted/${created.id}`);
  });

  it.each<[string, string | null]>([
    ['a wrong token', '00000000-e2a2-4968-b651-5352305c9fb0'],
    ['a scheme word', `Bearer ${'00000000-sim0-4968-b651-5352305c9fb0'}`],
    ['no Authorization', null],
  ])('refuses %s with 401 INVALID_APPID', async (_name, token) => {
    const res = await setup('sbid', { target: TARGET }, token);
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({ errors: [{ code: 'INVALID_APPID', description: 'Invalid AppID' }] });
    expect((await result('00000000-0000-0000-0000-000000000000', 'v2', 'wrong')).status).toBe(401);
  });

  it('takes JSON as well, with names in any case', async () => {
    const res = await fetch(`${sim.url}/v2/eid/dk`, {
      method: 'POST',
      headers: { authorization: sim.zignsec.token, 'content-type': 'application/json' },
      body: JSON.stringify({ personalNumber: '1206882278', Target: TARGET, RelayState: 'r' }),
    });
    expect(res.status).toBe(200);
    const { id } = await json(res);
    expect(sim.sessions().find((s) => s.id === id)).toMatchObject({ method: 'dk', nin: '1206882278' });
  });

  it('shows the QR code only for requirement.AutoStartTokenRequired=Yes; a top-level one is no parameter', async () => {
    const post = (body: unknown) =>
      fetch(`${sim.url}/v2/eid/sbid`, {
        method: 'POST',
        headers: { authorization: sim.zignsec.token, 'content-type': 'application/json' },
        body: JSON.stringify({ target: TARGET, ...(body as object) }),
      });
    const page = async (res: Response) => (await fetch((await json(res)).redirect_url)).text();
    expect(await page(await post({ requirement: { AutoStartTokenRequired: 'Yes' } }))).toMatch(
      /scan the QR code/,
    );
    expect(await page(await post({ AutoStartTokenRequired: 'Yes' }))).not.toMatch(/scan the QR code/);
    expect(await page(await post({ requirement: { AutoStartTokenRequired: 'No' } }))).not.toMatch(/QR/);
    for (const requirement of ['Yes', { AutoStartTokenRequired: 'Maybe' }]) {
      const refused = await post({ requirement });
      expect(refused.status).toBe(400);
      expect((await json(refused)).errors[0].code).toBe('INVALID_REQUEST');
    }
  });

  it.each<[string, string, Record<string, string>, number, string]>([
    ['a DK number of 9 digits', 'dk', { PersonalNumber: '120688227' }, 400, 'INVALID_PERSONALNUMBER'],
    ['a SE number of 10 digits', 'sbid', { PersonalNumber: '8503149828' }, 400, 'INVALID_PERSONALNUMBER'],
    ['a relative target', 'sbid', { target: '/callback' }, 400, 'INVALID_TARGET'],
    ['a bad targetError', 'sbid', { targetError: 'javascript:alert(1)' }, 400, 'INVALID_TARGETERROR'],
    ['a bad webhook', 'sbid', { webhook: 'not a url' }, 400, 'INVALID_WEBHOOK'],
    ['a bad login_hint', 'nbid_oidc', { login_hint: 'BIX:123' }, 400, 'INVALID_REQUEST'],
    ['the retired BIM login_hint', 'nbid_oidc', { login_hint: 'BIM' }, 400, 'INVALID_REQUEST'],
    ['the retired NemID', 'nemid', {}, 400, 'MISSING_CONFIG'],
    ['the retired BankID på mobil', 'nbid_mobile', {}, 400, 'MISSING_CONFIG'],
    ['a bad Scope', 'nbid', { Scope: 'nnin everything' }, 400, 'INVALID_REQUEST'],
    ['a bad language', 'sbid', { language: 'swedish' }, 400, 'INVALID_REQUEST'],
    ['an unknown selector', 'nonsense', {}, 400, 'INVALID_REQUEST'],
    ['a country without config', 'de', {}, 400, 'MISSING_CONFIG'],
    ['a v3 product on v2', 'swissid', {}, 400, 'INVALID_REQUEST'],
  ])('refuses %s with %d %s', async (_name, selector, parameters, status, code) => {
    const res = await setup(selector, parameters);
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body.errors).toEqual([{ code, description: expect.any(String) }]);
  });

  it('answers Smart-ID, a product this account lacks, with MISSING_CONFIG', async () => {
    const res = await setupV3('smartid/auth', {
      countryCode: 'EE',
      identifierType: 'PersonalNumber',
      identifier: '48805140222',
    });
    expect(res.status).toBe(400);
    expect((await json(res)).errors[0].code).toBe('MISSING_CONFIG');
  });

  it('names the field, not the number, in an INVALID_PERSONALNUMBER description (ZignSec echoes it)', async () => {
    const body = await json(await setup('dk', { PersonalNumber: '163721743' }));
    expect(body.errors[0].description).toBe('PersonalNumber is an invalid Danish CPR Number (DDMMYYCCCC).');
  });

  it('refuses other content types with 415', async () => {
    const res = await fetch(`${sim.url}/v2/eid/sbid`, {
      method: 'POST',
      headers: { authorization: sim.zignsec.token, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(415);
    expect((await json(res)).errors[0].code).toBe('INVALID_REQUEST');
  });

  it('sets up SwissID with the documented JSON example body', async () => {
    const res = await setupV3('swissid', {
      scopes: 'openid profile email phone',
      webhook: '',
      target: TARGET,
      targetError: '',
      relayState: 'my-session-id',
      environment: 'Test',
      language: 'en',
      acrValues: 'qoa1',
    });
    expect(res.status).toBe(200);
    const created = await json(res);
    const back = await approve(created.redirect_url);
    expect(new URL(back.headers.get('location')!).searchParams.get('relaystate')).toBe('my-session-id');
  });
});

describe('zignsec: result and page', () => {
  it('answers in every documented shape, in turn, each saying the same', async () => {
    const raw: Json[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await setupOk('sbid');
      sim.complete(created.id, 'success', 'se-anna');
      raw.push(await json(await result(created.id)));
    }
    const shapeOf = (body: Json) =>
      'Id' in body
        ? 'pascal-case'
        : 'State' in body
          ? 'top-level-state'
          : body.identity === undefined
            ? 'identity-under-result'
            : 'countryCode' in body.identity
              ? 'camel-case'
              : 'envelope';
    expect(new Set(raw.map(shapeOf)).size).toBe(5);
    const pascal = raw.find((body) => shapeOf(body) === 'pascal-case')!;
    expect(pascal.Result).toEqual({ Identity: { State: 'Finished' } });
    const camel = raw.find((body) => shapeOf(body) === 'camel-case')!;
    expect(camel.result).toEqual({ identity: { state: 'finished' } });
    expect(camel.identity.personalNumber).toBe('198503149828');
    const under = raw.find((body) => shapeOf(body) === 'identity-under-result')!;
    expect(under.result.identity).toMatchObject({ state: 'FINISHED', PersonalNumber: '198503149828' });
    const top = raw.find((body) => shapeOf(body) === 'top-level-state')!;
    expect(top.State).toBe('FINISHED');
    expect(top.result).toBeUndefined();
    const said = raw.map((body) => {
      const { id: _id, ...rest } = canonical(body);
      return { ...rest, identity: { ...rest.identity, IdentificationDate: 'x' }, BankIDSE: 'x' };
    });
    for (const body of said) expect(body).toEqual(said[0]);
  });

  it('a new session is PENDING, errors empty, no identity', async () => {
    const created = await setupOk('sbid');
    expect(await resultOk(created.id)).toEqual({
      id: created.id,
      errors: [],
      result: { identity: { state: 'PENDING' } },
      method: 'sbid',
    });
  });

  it('an unknown session is 404 SESSION_NOT_FOUND', async () => {
    const res = await result('5d1c7b9e-3f0a-4c35-9d43-6a2f1e0b8c71');
    expect(res.status).toBe(404);
    expect((await json(res)).errors[0].code).toBe('SESSION_NOT_FOUND');
  });

  it('approving sends the browser to target with relaystate; the result is FINISHED with the identity', async () => {
    const created = await setupOk('sbid-another', {
      relaystate: 'tx-approve',
      targetError: `${TARGET}?failed=1`,
    });
    const back = await approve(
      created.redirect_url,
      'success',
      (options) => options.find(([id]) => id === 'se-anna')![0],
    );
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`${TARGET}?relaystate=tx-approve&service=eIDBasic`);
    const body = await resultOk(created.id);
    expect(body.errors).toBeUndefined();
    expect(body.result).toEqual({ identity: { state: 'FINISHED' } });
    expect(body.method).toBe('sbid-another');
    expect(body.identity).toEqual({
      CountryCode: 'SE',
      FirstName: 'Anna',
      LastName: 'Andersson',
      FullName: 'Anna Andersson',
      PersonalNumber: '198503149828',
      DateOfBirth: '1985-03-14',
      Age: expect.any(Number),
      IdProviderName: 'BankIDSE',
      IdentificationDate: expect.stringMatching(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}[+-]\d{2}:\d{2}$/,
      ),
      IdProviderRequestId: '',
      IdProviderPersonId: '',
      CustomerPersonId: '',
    });
    expect(body.BankIDSE).toEqual({ signature: expect.any(String), ocspResponse: expect.any(String) });
    expect(body.LookupPersonAddress).toBeUndefined();
  });

  it('cancel and fail go to targetError, ERROR with the error code', async () => {
    for (const [outcome, code] of [
      ['abort', 'USER_CANCEL'],
      ['error', 'ID_PROVIDER_ERROR'],
    ] as const) {
      const created = await setupOk('dk', { targetError: `${TARGET}?e=1` });
      const back = await approve(created.redirect_url, outcome);
      expect(back.headers.get('location')).toBe(`${TARGET}?e=1&relaystate=tx-1&service=eIDBasic`);
      const body = await resultOk(created.id);
      expect(body).toMatchObject({ result: { identity: { state: 'ERROR' } }, errors: [{ code }] });
      expect(body.identity).toBeUndefined();
    }
  });

  it('a finished session cannot be approved again', async () => {
    const created = await setupOk('fbid');
    await approve(created.redirect_url);
    const again = await fetch(created.redirect_url);
    expect(again.status).toBe(400);
  });

  it.each([
    ['sbid', 'se-'],
    ['fbid', 'fi-'],
    ['nbid_oidc', 'no-'],
    ['nbid', 'no-'],
    ['nbid_pep', 'no-'],
    ['se', 'se-'],
    ['no', 'no-'],
    ['dk', 'dk-'],
    ['fi', 'fi-'],
  ])('the %s page lists only its country (%s)', async (selector, prefix) => {
    const created = await setupOk(selector);
    const html = await (await fetch(created.redirect_url)).text();
    expect(html).toMatch(/<form method="post">/);
    const options = userOptions(html);
    expect(options.length).toBeGreaterThanOrEqual(2);
    expect(options.every(([id]) => id.startsWith(prefix))).toBe(true);
  });

  it('SwissID returns no personal number and a SwissID person key', async () => {
    const created = await json(await setupV3('swissid', { target: TARGET }));
    await approve(created.redirect_url);
    const body = canonical(await json(await result(created.id, 'v3')));
    expect(body.identity).toMatchObject({
      CountryCode: 'CH',
      FullName: 'Lena Meier',
      PersonalNumber: '',
      IdProviderName: 'SwissID',
      IdProviderPersonId: expect.stringMatching(/.{16,}/),
    });
  });

  it('Norwegian BankID returns the number only with the nnin scope or a prefilled number', async () => {
    const plain = await setupOk('nbid');
    await approve(plain.redirect_url);
    expect((await resultOk(plain.id)).identity).toMatchObject({
      PersonalNumber: '',
      IdProviderName: 'BankIDNO',
      IdProviderPersonId: '9578-6000-4-2595757',
    });
    const scoped = await setupOk('nbid_pep', { Scope: 'nnin address' });
    await approve(scoped.redirect_url);
    expect((await resultOk(scoped.id)).identity.PersonalNumber).toBe('17829034034');
  });

  it('nbid_oidc login_hint BID:<nin> locks the page to that person', async () => {
    const hinted = await setupOk('nbid_oidc', { login_hint: 'BID:03918542174' });
    expect(userOptions(await (await fetch(hinted.redirect_url)).text())).toEqual([
      ['no-ola', 'Ola Nordmann'],
    ]);
  });

  it('the Danish eID gives a person key, and the CPR only after a given PersonalNumber matched', async () => {
    const plain = await setupOk('dk');
    await approve(plain.redirect_url);
    expect((await resultOk(plain.id)).identity).toMatchObject({
      PersonalNumber: '',
      IdProviderName: 'MitID',
      IdProviderPersonId: expect.stringMatching(/^9208-2002-2-\d{12}$/),
    });
    const matched = await setupOk('dk', { PersonalNumber: '2901034209' });
    const html = await (await fetch(matched.redirect_url)).text();
    expect(userOptions(html)).toEqual([['dk-soren', 'Søren Nielsen']]);
    await approve(matched.redirect_url);
    expect((await resultOk(matched.id)).identity.PersonalNumber).toBe('2901034209');
  });

  it('LookupPersonAddress=true adds the address block for Swedish BankID', async () => {
    const created = await setupOk('sbid', { LookupPersonAddress: 'true' });
    await approve(created.redirect_url);
    expect((await resultOk(created.id)).LookupPersonAddress).toMatchObject({
      City: expect.any(String),
      PersonalNumber: expect.stringMatching(/^\d{12}$/),
    });
  });

  it('a session not finished in time ends in ERROR EXPIRED_TRANSACTION', async () => {
    const short = await startSimulator({ sessionLifetimeSeconds: 0.05 });
    try {
      const res = await fetch(`${short.zignsec.baseUrl}/v2/eid/sbid`, {
        method: 'POST',
        headers: { authorization: short.zignsec.token, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      const { id } = await json(res);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const body = canonical(
        await json(
          await fetch(`${short.zignsec.baseUrl}/v2/eid/${id}`, {
            headers: { authorization: short.zignsec.token },
          }),
        ),
      );
      expect(body).toMatchObject({
        result: { identity: { state: 'ERROR' } },
        errors: [{ code: 'EXPIRED_TRANSACTION' }],
      });
    } finally {
      await short.close();
    }
  });
});

describe('zignsec: webhook', () => {
  it('POSTs the result body, signed with the token, before the browser is sent back', async () => {
    const hook = await receiver();
    try {
      const created = await setupOk('sbid', { webhook: hook.url });
      const back = await approve(created.redirect_url);
      const redirectedAt = Date.now();
      expect(back.status).toBe(303);
      expect(hook.received).toHaveLength(1);
      const [delivery] = hook.received;
      expect(delivery!.at).toBeLessThanOrEqual(redirectedAt);
      expect(delivery!.headers['content-type']).toBe('application/json');
      const mac = createHmac('sha256', sim.zignsec.token).update(delivery!.body).digest();
      expect([mac.toString('hex'), mac.toString('base64')]).toContain(
        delivery!.headers['x-zignsec-hmac-sha256'],
      );
      expect(canonical(JSON.parse(delivery!.body))).toEqual(await resultOk(created.id));
    } finally {
      await hook.close();
    }
  });

  it('a session finished through /__sim/sessions/:id/complete is pushed too', async () => {
    const hook = await receiver();
    try {
      const created = await setupOk('nbid', { webhook: hook.url });
      const res = await fetch(`${sim.url}/__sim/sessions/${created.id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'abort' }),
      });
      expect(await json(res)).toMatchObject({
        id: created.id,
        provider: 'zignsec',
        method: 'nbid',
        status: 'ERROR',
      });
      await expect.poll(() => hook.received.length).toBe(1);
      expect(canonical(JSON.parse(hook.received[0]!.body))).toMatchObject({
        id: created.id,
        errors: [{ code: 'USER_CANCEL' }],
      });
    } finally {
      await hook.close();
    }
  });

  it('an unreachable webhook is ignored; the login still finishes', async () => {
    const created = await setupOk('sbid', { webhook: 'http://127.0.0.1:9/unreachable' });
    const back = await approve(created.redirect_url);
    expect(back.status).toBe(303);
    expect((await resultOk(created.id)).result.identity.state).toBe('FINISHED');
  });
});

describe('zignsec: control surface and faults', () => {
  it('lists sessions with provider zignsec, the selector and the state', async () => {
    const created = await setupOk('sbid-another', { PersonalNumber: '197208699913' });
    const listed = (await json(await fetch(`${sim.url}/__sim/sessions`))) as Json[];
    expect(listed.find((s) => s.id === created.id)).toEqual({
      id: created.id,
      provider: 'zignsec',
      method: 'sbid-another',
      methodId: 'sbid-another',
      appTransactionId: 'tx-1',
      status: 'PENDING',
      nin: '197208699913',
    });
    expect(sim.complete(created.id, 'success')).toMatchObject({ status: 'FINISHED' });
    expect((await resultOk(created.id)).identity.FirstName).toBe('Lars');
    expect(() => sim.complete(created.id, 'success')).toThrow();
  });

  it('refuses a test user of another country', async () => {
    const created = await setupOk('sbid');
    expect(() => sim.complete(created.id, 'success', 'no-kari')).toThrow(/cannot log in/);
  });

  it('faults for zignsec answer in its error format; other providers and the page are untouched', async () => {
    const created = await setupOk('sbid');
    const res = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'zignsec', status: 503 }),
    });
    expect(res.status).toBe(200);
    const failed = await result(created.id);
    expect(failed.status).toBe(503);
    expect(await json(failed)).toEqual({
      errors: [{ code: 'INTERNAL_ERROR', description: 'Simulated failure.' }],
    });
    expect((await fetch(created.redirect_url)).status).toBe(200);
    sim.setFaults({ provider: 'signicat', status: 500 });
    expect((await result(created.id)).status).toBe(200);
    sim.setFaults({ provider: 'zignsec', mode: 'garbage' });
    const garbage = await result(created.id);
    expect(garbage.headers.get('content-type')).toMatch(/json/);
    await expect(garbage.json()).rejects.toThrow();
  });

  it('takes its own token', async () => {
    const custom = await startSimulator({ zignsec: { token: 'my-own-token' } });
    try {
      expect(custom.zignsec).toEqual({ token: 'my-own-token', baseUrl: custom.url });
      const res = await fetch(`${custom.url}/v2/eid/sbid`, {
        method: 'POST',
        headers: { authorization: 'my-own-token', 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(res.status).toBe(200);
    } finally {
      await custom.close();
    }
    await expect(startSimulator({ zignsec: { token: 'has space' } })).rejects.toThrow(/zignsec.token/);
  });
});
