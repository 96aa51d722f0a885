import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { canonical, hiddenFields, type Json, json, userOptions } from './helpers.js';

const TARGET = 'https://app.example/auth/eid/callback/zignsec';
const ANNA = '198503149828';
const LARS = '197208699913';
const TEXT = 'Jag godkänner avtalet.\r\nRad två: <b>fet</b> & "citat".';
const VISIBLE = Buffer.from(TEXT, 'utf8').toString('base64');
const HIDDEN = createHash('sha256').update('the document').digest('base64');

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

function setup(parameters: Record<string, string>, token = sim.zignsec.token): Promise<Response> {
  return fetch(`${sim.zignsec.baseUrl}/v2/eid/sbid-sign`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(parameters).toString(),
  });
}

const signParameters = (overrides: Record<string, string> = {}): Record<string, string> => ({
  target: TARGET,
  relaystate: 'tx-sign',
  PersonalNumber: ANNA,
  userVisibleData: VISIBLE,
  userNonVisibleData: HIDDEN,
  ...overrides,
});

async function setupOk(overrides: Record<string, string> = {}): Promise<Json> {
  const res = await setup(signParameters(overrides));
  if (res.status !== 200) throw new Error(`setup: ${res.status} ${await res.text()}`);
  return json(res);
}

function without(name: string): Record<string, string> {
  const { [name]: _left, ...rest } = signParameters();
  return rest;
}

async function refusal(parameters: Record<string, string>): Promise<{ status: number; body: Json }> {
  const res = await setup(parameters);
  return { status: res.status, body: await json(res) };
}

async function resultOk(id: string): Promise<Json> {
  const res = await fetch(`${sim.zignsec.baseUrl}/v2/eid/${id}`, {
    headers: { authorization: sim.zignsec.token },
  });
  if (res.status !== 200) throw new Error(`result: ${res.status}`);
  return canonical(await json(res));
}

/** Opens the page, keeps its only user and presses a button, like a browser; the POST response. */
async function press(redirectUrl: string, outcome: 'success' | 'abort' | 'error'): Promise<Response> {
  const html = await (await fetch(redirectUrl)).text();
  const form = new URLSearchParams(hiddenFields(html));
  form.set('user', userOptions(html)[0]![0]);
  form.set('outcome', outcome);
  return fetch(redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/** The text of an XML element, by its local name. */
const element = (xml: string, name: string) =>
  new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml)?.[1];

describe('zignsec sbid-sign: setup', () => {
  it('answers id, empty errors and redirect_url; the control surface lists it as a signing', async () => {
    const created = await setupOk();
    expect(Object.keys(created).sort()).toEqual(['errors', 'id', 'redirect_url']);
    expect(created.errors).toEqual([]);
    expect(created.redirect_url).toBe(`${sim.url}/v2/Hosted/${created.id}`);
    expect(sim.sessions().find((session) => session.id === created.id)).toEqual({
      id: created.id,
      provider: 'zignsec',
      method: 'sbid-sign',
      methodId: 'sbid-sign',
      kind: 'sign',
      appTransactionId: 'tx-sign',
      status: 'PENDING',
      nin: ANNA,
    });
  });

  it('takes JSON with names in any case, as the public Go client sends them', async () => {
    const res = await fetch(`${sim.url}/v2/eid/sbid-sign`, {
      method: 'POST',
      headers: { authorization: sim.zignsec.token, 'content-type': 'application/json' },
      body: JSON.stringify({ personalnumber: ANNA, UserVisibleData: VISIBLE, target: TARGET }),
    });
    expect(res.status).toBe(200);
  });

  it('refuses a wrong token with 401 INVALID_APPID', async () => {
    const res = await setup(signParameters(), 'wrong');
    expect(res.status).toBe(401);
    expect((await json(res)).errors[0].code).toBe('INVALID_APPID');
  });

  it('PersonalNumber is required, and must be a Swedish one; the number is not repeated', async () => {
    for (const parameters of [without('PersonalNumber'), signParameters({ PersonalNumber: '8503149828' })]) {
      const { status, body } = await refusal(parameters);
      expect(status).toBe(400);
      expect(body.errors).toEqual([{ code: 'INVALID_PERSONALNUMBER', description: expect.any(String) }]);
      expect(body.errors[0].description).not.toContain('8503149828');
    }
  });

  it.each<[string, Record<string, string>]>([
    ['userVisibleData missing', without('userVisibleData')],
    [
      'userVisibleData over 40 000 base64 characters (valid base64)',
      signParameters({ userVisibleData: `${'QUFB'.repeat(10_000)}QQ==` }),
    ],
    [
      'userVisibleData of 40 001 characters',
      signParameters({ userVisibleData: `${'QUFB'.repeat(10_000)}Q` }),
    ],
    ['userVisibleData not base64', signParameters({ userVisibleData: 'not base64!' })],
    ['userVisibleData without padding', signParameters({ userVisibleData: 'QUJDRA' })],
    [
      'userVisibleData not UTF-8',
      signParameters({ userVisibleData: Buffer.from([0xc3, 0x28]).toString('base64') }),
    ],
    [
      'userNonVisibleData over 200 000 characters',
      signParameters({ userNonVisibleData: 'QUFB'.repeat(50_001) }),
    ],
    ['userNonVisibleData not base64', signParameters({ userNonVisibleData: 'no#' })],
  ])('refuses %s with 400 INVALID_REQUEST', async (_name, parameters) => {
    const { status, body } = await refusal(parameters);
    expect(status).toBe(400);
    expect(body).toEqual({ errors: [{ code: 'INVALID_REQUEST', description: expect.any(String) }] });
  });

  it('takes userVisibleData of exactly 40 000 base64 characters, and no userNonVisibleData', async () => {
    const visible = Buffer.alloc(30_000, 'a').toString('base64');
    expect(visible).toHaveLength(40_000);
    const { userNonVisibleData: _left, ...parameters } = signParameters({ userVisibleData: visible });
    expect((await setup(parameters)).status).toBe(200);
  });
});

describe('zignsec sbid-sign: the page', () => {
  it('shows the text to sign, escaped, newlines kept, and only the PersonalNumber holder', async () => {
    const created = await setupOk();
    const res = await fetch(created.redirect_url);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Sign with simulated Swedish BankID (ZignSec)</h1>');
    expect(html).toContain(
      '<pre class="document" data-testid="sim-document">Jag godkänner avtalet.\r\nRad två: &lt;b&gt;fet&lt;/b&gt; &amp; &quot;citat&quot;.</pre>',
    );
    expect(userOptions(html)).toEqual([['se-anna', 'Anna Andersson']]);
  });

  it('a PersonalNumber of no test user: no test user can sign, and the number is not shown', async () => {
    const created = await setupOk({ PersonalNumber: '199001019999' });
    const res = await fetch(created.redirect_url);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/No test user of the simulator can sign this/);
    expect(html).not.toContain('199001019999');
    expect(() => sim.complete(created.id, 'success')).toThrow(/No test user/);
  });
});

describe('zignsec sbid-sign: the result', () => {
  it('FINISHED: the Swedish BankID identity, and BankIDSE with the XML signature over what was sent', async () => {
    const created = await setupOk();
    const back = await press(created.redirect_url, 'success');
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`${TARGET}?relaystate=tx-sign&service=eIDBasic`);
    const body = await resultOk(created.id);
    expect(body.result).toEqual({ identity: { state: 'FINISHED' } });
    expect(body.method).toBe('sbid-sign');
    expect(body.identity).toMatchObject({
      CountryCode: 'SE',
      FullName: 'Anna Andersson',
      PersonalNumber: ANNA,
      IdProviderName: 'BankIDSE',
    });
    expect(Object.keys(body.BankIDSE)).toEqual(['signature', 'ocspResponse']);
    const { signature, ocspResponse } = body.BankIDSE;
    const xml = Buffer.from(signature, 'base64').toString('utf8');
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">',
      ),
    ).toBe(true);
    expect(xml).toContain(
      '<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData">',
    );
    expect(element(xml, 'usrVisibleData')).toBe(VISIBLE);
    expect(Buffer.from(element(xml, 'usrVisibleData')!, 'base64').toString('utf8')).toBe(TEXT);
    expect(element(xml, 'usrNonVisibleData')).toBe(HIDDEN);
    expect(element(xml, 'funcId')).toBe('Signing');
    expect(xml).toMatch(/<X509Data>/);
    expect(xml).not.toContain(ANNA);
    // Made once: every read answers the same signature.
    expect((await resultOk(created.id)).BankIDSE).toEqual(body.BankIDSE);
    const covers = createHash('sha1').update(signature).digest('hex');
    expect(Buffer.from(ocspResponse, 'base64').toString('utf8')).toBe(
      `simulated OCSP response for ${covers}`,
    );
  });

  it('without userNonVisibleData the signature has no usrNonVisibleData', async () => {
    const { userNonVisibleData: _left, ...parameters } = signParameters();
    const created = await json(await setup(parameters));
    expect(sim.complete(created.id, 'success')).toMatchObject({ status: 'FINISHED' });
    const xml = Buffer.from((await resultOk(created.id)).BankIDSE.signature, 'base64').toString('utf8');
    expect(element(xml, 'usrVisibleData')).toBe(VISIBLE);
    expect(xml).not.toContain('usrNonVisibleData');
  });

  it('cancel and fail end as a Swedish BankID login does: ERROR USER_CANCEL / ID_PROVIDER_ERROR, to targetError', async () => {
    for (const [outcome, code] of [
      ['abort', 'USER_CANCEL'],
      ['error', 'ID_PROVIDER_ERROR'],
    ] as const) {
      const created = await setupOk({ targetError: `${TARGET}?e=1` });
      const back = await press(created.redirect_url, outcome);
      expect(back.headers.get('location')).toBe(`${TARGET}?e=1&relaystate=tx-sign&service=eIDBasic`);
      const body = await resultOk(created.id);
      expect(body).toMatchObject({ result: { identity: { state: 'ERROR' } }, errors: [{ code }] });
      expect(body.identity).toBeUndefined();
      expect(body.BankIDSE).toBeUndefined();
    }
  });

  it('someone other than PersonalNumber signs (control surface): ERROR CERTIFICATE_ERR, no identity', async () => {
    const created = await setupOk();
    expect(sim.complete(created.id, 'success', 'se-lars')).toMatchObject({ status: 'ERROR', kind: 'sign' });
    const body = await resultOk(created.id);
    expect(body).toMatchObject({
      result: { identity: { state: 'ERROR' } },
      errors: [{ code: 'CERTIFICATE_ERR', description: expect.any(String) }],
    });
    expect(body.identity).toBeUndefined();
    expect(body.BankIDSE).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain(LARS);
    expect(() => sim.complete(created.id, 'success')).toThrow(/already ERROR/);
  });

  it('a forged page answer naming someone else: ERROR CERTIFICATE_ERR as well', async () => {
    const created = await setupOk();
    const html = await (await fetch(created.redirect_url)).text();
    const form = new URLSearchParams({ ...hiddenFields(html), user: 'se-lars', outcome: 'success' });
    const back = await fetch(created.redirect_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(back.status).toBe(303);
    expect((await resultOk(created.id)).errors).toEqual([
      { code: 'CERTIFICATE_ERR', description: expect.any(String) },
    ]);
  });

  it('a user of another country is refused (400), the signing stays PENDING', async () => {
    const created = await setupOk();
    expect(() => sim.complete(created.id, 'success', 'no-kari')).toThrow(/cannot log in/);
    expect((await resultOk(created.id)).result.identity.state).toBe('PENDING');
  });

  it('pushes the signed result to the webhook', async () => {
    const received: string[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const created = await setupOk({ webhook });
      expect((await press(created.redirect_url, 'success')).status).toBe(303);
      expect(received).toHaveLength(1);
      const pushed = canonical(JSON.parse(received[0]!));
      expect(pushed).toEqual(await resultOk(created.id));
      expect(pushed.BankIDSE.signature).toEqual(expect.any(String));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
