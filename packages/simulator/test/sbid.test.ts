import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { createOk, createSession, getSessionOk, type Json, json, token } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** BankID's animated QR: `bankid.<qrStartToken>.<seconds>.<HMAC-SHA256 hex>`. */
const QR = /^bankid\.([0-9a-f-]{36})\.(\d+)\.([0-9a-f]{64})$/;

let sim: Simulator;
let accessToken: string;
beforeAll(async () => {
  sim = await startSimulator();
  accessToken = await token(sim);
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A headless Swedish BankID session request as Signicat's headless guide shows it. */
function sbidRequest(
  flow: 'QR' | 'APP_LAUNCH',
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    flow: 'headless',
    allowedProviders: ['sbid'],
    requestedAttributes: ['name', 'firstName', 'lastName', 'nin', 'dateOfBirth'],
    additionalParameters: { sbid_flow: flow, sbid_end_user_ip: '192.0.2.10' },
    externalReference: 'tx-sbid',
    ...overrides,
  };
}

async function expectProblem(res: Response, detail: RegExp): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect((await json(res)).detail).toMatch(detail);
}

function complete(id: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/sessions/${id}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('headless Swedish BankID sessions', () => {
  it('QR: the session carries idpData.qrData and idpData.autoStartToken, no nin needed', async () => {
    const session = await createOk(sim, accessToken, sbidRequest('QR'));
    expect(session).toMatchObject({
      status: 'CREATED',
      allowedProviders: ['sbid'],
      flow: 'headless',
      externalReference: 'tx-sbid',
    });
    expect(Object.keys(session.idpData).sort()).toEqual(['autoStartToken', 'qrData']);
    expect(session.idpData.autoStartToken).toMatch(UUID);
    const [, qrStartToken, seconds] = QR.exec(session.idpData.qrData) ?? [];
    expect(qrStartToken).toMatch(UUID);
    expect(qrStartToken).not.toBe(session.idpData.autoStartToken);
    expect(Number(seconds)).toBeLessThanOrEqual(1);
    expect(session.authenticationUrl).toBeUndefined();
    expect(session.callbackUrls).toBeUndefined();
  });

  it('QR: every GET while CREATED gives the code of that second; the tokens stay', async () => {
    // Only Date is faked: the server's sockets and timers run as usual.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const created = await createOk(sim, accessToken, sbidRequest('QR'));
    const seen: Json[] = [created];
    for (const step of [1200, 1000, 3000]) {
      vi.setSystemTime(Date.now() + step);
      seen.push(await getSessionOk(sim, accessToken, created.id));
    }
    const parsed = seen.map((session) => QR.exec(session.idpData.qrData)!);
    expect(parsed.map((match) => Number(match[2]))).toEqual([0, 1, 2, 5]);
    expect(new Set(parsed.map((match) => match[1])).size).toBe(1);
    expect(new Set(parsed.map((match) => match[3])).size).toBe(4);
    expect(new Set(seen.map((session) => session.idpData.autoStartToken)).size).toBe(1);
    // The same second twice gives the same code: it is a function of the time, not random.
    const again = await getSessionOk(sim, accessToken, created.id);
    expect(again.idpData.qrData).toBe(seen[3].idpData.qrData);
  });

  it('APP_LAUNCH: the session carries the autoStartToken and no QR code', async () => {
    const session = await createOk(sim, accessToken, sbidRequest('APP_LAUNCH'));
    expect(session.idpData).toEqual({ autoStartToken: expect.stringMatching(UUID) });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no sbid_end_user_ip', { sbid_flow: 'QR' }, /sbid_end_user_ip/],
    ['an empty sbid_end_user_ip', { sbid_flow: 'QR', sbid_end_user_ip: '' }, /sbid_end_user_ip/],
    [
      'an sbid_end_user_ip that is no address',
      { sbid_flow: 'QR', sbid_end_user_ip: 'localhost' },
      /sbid_end_user_ip/,
    ],
    ['no sbid_flow', { sbid_end_user_ip: '192.0.2.10' }, /sbid_flow/],
    ['an unknown sbid_flow', { sbid_flow: 'PHONE', sbid_end_user_ip: '192.0.2.10' }, /sbid_flow/],
  ])('refuses %s with a 400 problem naming it', async (_name, additionalParameters, detail) => {
    const before = sim.sessions().length;
    await expectProblem(
      await createSession(sim, accessToken, sbidRequest('QR', { additionalParameters })),
      detail,
    );
    expect(sim.sessions()).toHaveLength(before);
  });

  it('accepts an IPv6 end user address', async () => {
    const additionalParameters = { sbid_flow: 'APP_LAUNCH', sbid_end_user_ip: '2001:db8::1' };
    expect(
      (await createOk(sim, accessToken, sbidRequest('APP_LAUNCH', { additionalParameters }))).status,
    ).toBe('CREATED');
  });

  it('is listed by /__sim/sessions with method sbid and the externalReference', async () => {
    const created = await createOk(sim, accessToken, sbidRequest('QR', { externalReference: 'tx-listed' }));
    const list = await json(await fetch(`${sim.url}/__sim/sessions`));
    expect(list).toContainEqual({
      id: created.id,
      provider: 'signicat',
      method: 'sbid',
      methodId: 'sbid-qr',
      status: 'CREATED',
      appTransactionId: 'tx-listed',
      externalReference: 'tx-listed',
    });
  });

  it('/__sim/sessions/:id/complete with a Swedish test user finishes it; the QR code is gone', async () => {
    const created = await createOk(sim, accessToken, sbidRequest('QR'));
    const res = await complete(created.id, { outcome: 'success', user: 'se-lars' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: created.id, method: 'sbid', status: 'SUCCESS' });
    const done = await getSessionOk(sim, accessToken, created.id);
    expect(done).toMatchObject({
      status: 'SUCCESS',
      provider: 'sbid',
      subject: {
        idpId: '197208699913',
        name: 'Lars Svensson',
        nin: {
          value: '197208699913',
          issuingCountry: expect.stringMatching(/^(SE|SWE)$/),
          type: 'SAMORDNINGSNUMMER',
        },
      },
    });
    expect(done.idpData).toBeUndefined();
  });

  it('without a user, the first Swedish test user logs in', async () => {
    const created = await createOk(sim, accessToken, sbidRequest('APP_LAUNCH'));
    expect((await complete(created.id, { outcome: 'success' })).status).toBe(200);
    expect((await getSessionOk(sim, accessToken, created.id)).subject.name).toBe('Anna Andersson');
  });

  it('refuses a Norwegian test user, and aborts like the other flows', async () => {
    const created = await createOk(sim, accessToken, sbidRequest('QR'));
    expect((await complete(created.id, { outcome: 'success', user: 'no-kari' })).status).toBe(400);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('CREATED');
    expect((await complete(created.id, { outcome: 'abort' })).status).toBe(200);
    const aborted = await getSessionOk(sim, accessToken, created.id);
    expect(aborted).toMatchObject({ status: 'ABORT', provider: 'sbid' });
    expect(aborted.idpData).toBeUndefined();
  });
});

describe('headless session status while the user is at the eID', () => {
  it('CREATED at the first poll, WAITING_FOR_USER (with the QR code still) after it, then SUCCESS', async () => {
    const created = await createOk(sim, accessToken, sbidRequest('QR'));
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('CREATED');
    const waiting = await getSessionOk(sim, accessToken, created.id);
    expect(waiting.status).toBe('WAITING_FOR_USER');
    expect(waiting.idpData.qrData).toMatch(/^bankid\./);
    expect((await complete(created.id, { outcome: 'success' })).status).toBe(200);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('SUCCESS');
  });
});
