import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { basic, hiddenFields, type Json, json, userOptions } from './helpers.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CALLBACK = 'https://app.example/auth/eid/callback/next?tx=abc&x=1';
const KARI = '17829034034';
const ANNA = '198503149828';

const TEXT = 'Jeg godtar vilkårene.\n<b>Ingen</b> & "alle".';
const TEXT64 = Buffer.from(TEXT, 'utf8').toString('base64');
/** Two page objects; `/Type /Pages` is not one. */
const PDF = Buffer.from(
  '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>\nendobj\n' +
    '3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n4 0 obj\n<</Type/Page/Parent 2 0 R>>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);
const PDF64 = PDF.toString('base64');

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const auth = () => basic(sim.next.username, sim.next.password);

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    partnerId: sim.next.partnerId,
    method: 'nbid',
    content: TEXT64,
    contentType: 'text/plain',
    callbackUrl: CALLBACK,
    ...overrides,
  };
}

function post(body: unknown, authorization: string | undefined = auth()) {
  return fetch(`${sim.next.baseUrl}/api/signing`, {
    method: 'POST',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function createOk(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await post(payload(overrides));
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return res.headers.get('location')!;
}

function read(id: string, partnerId = sim.next.partnerId) {
  return fetch(`${sim.next.baseUrl}/api/signing/${encodeURIComponent(partnerId)}/${id}`, {
    headers: { authorization: auth() },
  });
}

async function readOk(id: string): Promise<Json> {
  const res = await read(id);
  if (res.status !== 200) throw new Error(`read: ${res.status} ${await res.text()}`);
  return res.json();
}

function download(documentId: string, partnerId = sim.next.partnerId) {
  return fetch(`${sim.next.baseUrl}/api/signing/${encodeURIComponent(partnerId)}/document/${documentId}`, {
    headers: { authorization: auth() },
  });
}

/** The downloaded artefact: the JSON string's base64, decoded. */
async function artefact(documentId: string): Promise<Buffer> {
  const res = await download(documentId);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(await res.text());
  expect(typeof body).toBe('string');
  expect(body).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  return Buffer.from(body, 'base64');
}

const pageUrl = (id: string) => `${sim.next.baseUrl}/bankid/${sim.next.partnerId}/${id}/sign`;

async function page(id: string): Promise<string> {
  const res = await fetch(pageUrl(id));
  expect(res.status).toBe(200);
  return res.text();
}

/** Opens the sign page like a browser, picks a user, presses a button; the POST response, not followed. */
async function submit(id: string, outcome: 'success' | 'abort' | 'error', user?: string): Promise<Response> {
  const html = await page(id);
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

/** Signs as `user` through the page; the signing as GET answers it. */
async function signedBy(id: string, user: string): Promise<Json> {
  const res = await submit(id, 'success', user);
  expect(res.status).toBe(303);
  return readOk(id);
}

/** The text of an XML element, by its local name. */
const element = (xml: string, name: string) =>
  new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml)?.[1];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes);

async function expectProblem(res: Response, status: number): Promise<Json> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json(res);
}

describe('POST /api/signing', () => {
  it('answers 201 with the signing id as a bare GUID in Location and no body', async () => {
    const res = await post(
      payload({ nationalId: KARI, phone: '+47 900 00 000', customProperties: { order: '42' } }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(GUID);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['nbid', 'application/pdf', PDF64],
    ['sbid', 'text/plain', TEXT64],
    ['sbid-mobil', 'application/pdf', PDF64],
  ])('takes %s with %s', async (method, contentType, content) => {
    expect((await post(payload({ method, contentType, content }))).status).toBe(201);
  });

  it('no credentials: 401 with a Basic challenge; another partnerId: 403', async () => {
    const res = await post(payload(), '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Identity API"/);
    expect((await post(payload(), basic(sim.next.username, 'wrong'))).status).toBe(401);
    await expectProblem(await post(payload({ partnerId: 'someone-else' })), 403);
  });

  it.each([
    ['content', 'missing', { content: undefined }],
    ['content', 'empty', { content: '' }],
    ['content', 'not base64', { content: 'not base64!' }],
    ['content', 'base64 without its padding', { content: 'QUJDRA' }],
    ['content', 'URL-safe base64', { content: '-_-_' }],
    ['content', 'a number', { content: 12 }],
    ['content', 'a PDF without %PDF-', { contentType: 'application/pdf', content: TEXT64 }],
    ['content', 'text that is not UTF-8', { content: Buffer.from([0x41, 0xff, 0xfe]).toString('base64') }],
    ['contentType', 'missing', { contentType: undefined }],
    ['contentType', 'another type', { contentType: 'application/msword' }],
    ['contentType', 'with a charset', { contentType: 'text/plain; charset=utf-8' }],
    ['method', 'retired nbid-mobil', { method: 'nbid-mobil' }],
    ['method', 'unknown', { method: 'mitid' }],
    ['nationalId', 'of 12 digits for nbid', { nationalId: ANNA }],
    ['nationalId', 'of 11 digits for sbid', { method: 'sbid', nationalId: KARI }],
    ['nationalId', 'with letters', { nationalId: '1782903403X' }],
    ['nationalId', 'a number', { nationalId: 17829034034 }],
    ['callbackUrl', 'relative', { callbackUrl: '/callback' }],
    ['partnerId', 'missing', { partnerId: undefined }],
    ['customProperties', 'not strings', { customProperties: { a: 1 } }],
    ['phone', 'a number', { phone: 4790000000 }],
  ])('a bad %s (%s): 400 validation problem naming it', async (field, _why, overrides) => {
    const problem = await expectProblem(await post(payload(overrides)), 400);
    expect(problem.title).toBe('One or more validation errors occurred.');
    expect(Object.keys(problem.errors)).toEqual([field]);
    // The number given is never repeated back.
    expect(JSON.stringify(problem)).not.toContain('17829034034');
    expect(JSON.stringify(problem)).not.toContain(ANNA);
  });

  it('a document over 10 MiB: 400 on content; exactly 10 MiB is taken', async () => {
    const limit = 10 * 1024 * 1024;
    const big = Buffer.alloc(limit + 1, 0x61);
    const problem = await expectProblem(await post(payload({ content: big.toString('base64') })), 400);
    expect(Object.keys(problem.errors)).toEqual(['content']);
    const res = await post(payload({ content: big.subarray(0, limit).toString('base64') }));
    expect(res.status).toBe(201);
  });

  it('an unknown endpoint under /api/signing is a 404 problem, after the credentials', async () => {
    await expectProblem(await fetch(`${sim.url}/api/signing`, { headers: { authorization: auth() } }), 404);
    await expectProblem(
      await fetch(`${sim.url}/api/signing/x/y/z`, { headers: { authorization: auth() } }),
      404,
    );
    expect((await fetch(`${sim.url}/api/signing/x/y/z`)).status).toBe(401);
  });
});

describe('GET /api/signing/{partnerId}/{id}', () => {
  it('a new signing is Pending, success false, in this field order', async () => {
    const id = await createOk({ customProperties: { order: '42' } });
    const body = await readOk(id);
    expect(Object.keys(body)).toEqual([
      'id',
      'partnerId',
      'method',
      'contentType',
      'status',
      'success',
      'callbackUrl',
      'customProperties',
      'created',
    ]);
    expect(body).toMatchObject({
      id,
      partnerId: 'sim-partner',
      method: 'nbid',
      contentType: 'text/plain',
      status: 'Pending',
      success: false,
      callbackUrl: CALLBACK,
      customProperties: { order: '42' },
    });
  });

  it('unknown id: 404 problem; another partner: 403', async () => {
    const id = await createOk();
    await expectProblem(await read('00000000-0000-4000-8000-000000000000'), 404);
    await expectProblem(await read(id, 'someone-else'), 403);
  });
});

describe('the sign page', () => {
  it('shows the text, escaped, in a <pre>, and the users of the country', async () => {
    const id = await createOk();
    const html = await page(id);
    expect(html).toContain('<title>Sign with simulated Norwegian BankID (NEXT)</title>');
    expect(html).toMatch(
      /<pre[^>]*>Jeg godtar vilkårene.\n&lt;b&gt;Ingen&lt;\/b&gt; &amp; &quot;alle&quot;.<\/pre>/,
    );
    const users = userOptions(html).map(([user]) => user);
    expect(users.length).toBeGreaterThanOrEqual(2);
    expect(users.every((user) => user.startsWith('no-'))).toBe(true);
    for (const outcome of ['success', 'abort', 'error']) {
      expect(html).toContain(`name="outcome" value="${outcome}"`);
    }
  });

  it('names a PDF by its page count', async () => {
    const id = await createOk({ contentType: 'application/pdf', content: PDF64 });
    expect(await page(id)).toContain('PDF document, 2 pages');
    const one = await createOk({
      contentType: 'application/pdf',
      content: Buffer.from('%PDF-1.4\nno page objects').toString('base64'),
    });
    expect(await page(one)).toContain('PDF document, 1 page');
  });

  it('offers only the person allowed to sign when nationalId is given', async () => {
    const id = await createOk({ nationalId: KARI });
    expect(userOptions(await page(id))).toEqual([['no-kari', 'Kari Nordmann']]);
  });

  it('a nationalId of no test user: the page says no test user may sign, without the number', async () => {
    const id = await createOk({ nationalId: '01010112345' });
    const res = await fetch(pageUrl(id));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/No test user/);
    expect(html).not.toContain('01010112345');
  });

  it('an unknown signing link is 404', async () => {
    expect((await fetch(pageUrl('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
  });
});

describe('signing', () => {
  it('approving: 303 to callbackUrl with id appended; Completed with documentId, signedAt and the signer', async () => {
    const id = await createOk();
    const res = await submit(id, 'success', 'no-ola');
    expect(res.status).toBe(303);
    expect([`${CALLBACK}&id=${id}`, `${CALLBACK}?id=${id}`]).toContain(res.headers.get('location'));
    const body = await readOk(id);
    expect(Object.keys(body)).toEqual([
      'id',
      'partnerId',
      'method',
      'contentType',
      'status',
      'success',
      'documentId',
      'signedAt',
      'nationalId',
      'name',
      'firstName',
      'lastName',
      'dateOfBirth',
      'callbackUrl',
      'created',
      'completed',
    ]);
    expect(body).toMatchObject({
      id,
      status: 'Completed',
      success: true,
      nationalId: '03918542174',
      name: 'Ola Nordmann',
      firstName: 'Ola',
      lastName: 'Nordmann',
      dateOfBirth: '1985-11-03',
    });
    expect(body.documentId).toMatch(GUID);
    expect(body.documentId).not.toBe(id);
    expect(new Date(body.signedAt).toISOString()).toBe(body.signedAt);
    // The page cannot be used again.
    expect((await fetch(pageUrl(id))).status).toBe(400);
  });

  it('nbid + PDF: the download is the original PDF unchanged, with a simulated PAdES signature appended', async () => {
    const id = await createOk({ contentType: 'application/pdf', content: PDF64 });
    const { documentId } = await signedBy(id, 'no-kari');
    const signed = await artefact(documentId);
    expect(signed.length).toBeGreaterThan(PDF.length);
    expect(signed.subarray(0, PDF.length).equals(PDF)).toBe(true);
    const update = signed.subarray(PDF.length).toString('latin1');
    expect(update).toMatch(/^\n% Simulated BankID PAdES signature/);
    expect(update).toMatch(
      /\n5 0 obj\n<< \/Type \/Sig \/Filter \/Adobe\.PPKLite \/SubFilter \/ETSI\.CAdES\.detached \/Name \(Kari Nordmann\) \/M \(D:\d{14}Z\) \/Contents <([0-9a-f]{64})> >>\nendobj\n%%EOF\n$/,
    );
    expect(update).toContain(`<${sha256(PDF).digest('hex')}>`);
    expect(signed.toString('latin1')).not.toContain(KARI);
  });

  it.each([
    ['nbid', 'no-kari', KARI],
    ['sbid', 'se-anna', ANNA],
  ])(
    '%s + text: the download is BankID XML signature whose usrVisibleData is the content sent',
    async (method, user, nin) => {
      const id = await createOk({ method });
      const { documentId } = await signedBy(id, user);
      const xml = (await artefact(documentId)).toString('utf8');
      expect(
        xml.startsWith(
          '<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">',
        ),
      ).toBe(true);
      expect(xml).toContain(
        '<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData">',
      );
      expect(xml).toContain('<usrVisibleData charset="UTF-8" visible="wysiwys">');
      expect(element(xml, 'usrVisibleData')).toBe(TEXT64);
      expect(element(xml, 'usrNonVisibleData')).toBe(sha256(Buffer.from(TEXT, 'utf8')).digest('base64'));
      expect(element(xml, 'funcId')).toBe('Signing');
      expect(xml).toMatch(/<X509Data>/);
      expect(xml).toMatch(
        /<srvInfo><name>[^<]+<\/name><nonce>[^<]+<\/nonce><displayName>[^<]+<\/displayName><\/srvInfo>/,
      );
      expect(xml).not.toContain(nin);
    },
  );

  it('sbid + PDF: BankID XML signature over a summary line, the PDF SHA-256 as usrNonVisibleData', async () => {
    const id = await createOk({ method: 'sbid', contentType: 'application/pdf', content: PDF64 });
    const { documentId } = await signedBy(id, 'se-lars');
    const xml = (await artefact(documentId)).toString('utf8');
    expect(Buffer.from(element(xml, 'usrVisibleData')!, 'base64').toString('utf8')).toBe(
      'Signing a PDF document (2 pages)',
    );
    expect(Buffer.from(element(xml, 'usrNonVisibleData')!, 'base64').equals(sha256(PDF).digest())).toBe(true);
    expect(xml).not.toContain('197208699913');
  });

  it('cancel: Cancelled; fail: Failed with an error; back to the callback with the id either way', async () => {
    const cancelled = await createOk();
    const back = await submit(cancelled, 'abort');
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toContain(cancelled);
    expect(await readOk(cancelled)).toMatchObject({ status: 'Cancelled', success: false });
    const failed = await createOk();
    expect((await submit(failed, 'error')).status).toBe(303);
    const body = await readOk(failed);
    expect(body).toMatchObject({ status: 'Failed', success: false, error: { code: 'eid_error' } });
    expect(body.documentId).toBeUndefined();
  });

  it('someone other than nationalId signs (control surface): Failed identity_mismatch, nothing to download', async () => {
    const id = await createOk({ nationalId: KARI });
    const view = sim.complete(id, 'success', 'no-ola');
    expect(view).toMatchObject({ status: 'Failed' });
    const body = await readOk(id);
    expect(body).toMatchObject({
      status: 'Failed',
      success: false,
      error: {
        code: 'identity_mismatch',
        message: 'The person who signed is not the one allowed to sign.',
      },
    });
    expect(body.documentId).toBeUndefined();
    expect(body.nationalId).toBeUndefined();
    expect(JSON.stringify(body.error)).not.toContain(KARI);
  });

  it('the person allowed to sign signs: Completed', async () => {
    const id = await createOk({ nationalId: KARI });
    expect(sim.complete(id, 'success')).toMatchObject({ status: 'Completed' });
    expect(await readOk(id)).toMatchObject({ status: 'Completed', nationalId: KARI });
  });

  it('downloads: unknown documentId 404, the signing id is no documentId, another partner 403', async () => {
    const id = await createOk();
    const { documentId } = await signedBy(id, 'no-kari');
    // The same artefact each time.
    expect((await artefact(documentId)).equals(await artefact(documentId))).toBe(true);
    await expectProblem(await download('00000000-0000-4000-8000-000000000000'), 404);
    await expectProblem(await download(id), 404);
    await expectProblem(await download(documentId, 'someone-else'), 403);
    expect((await download(documentId.toUpperCase())).status).toBe(200);
  });

  it('expires like authentications: Expired, and the page says so', async () => {
    const short = await startSimulator({ sessionLifetimeSeconds: 0.05 });
    try {
      const authorization = basic(short.next.username, short.next.password);
      const res = await fetch(`${short.url}/api/signing`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ...payload(), partnerId: short.next.partnerId }),
      });
      const id = res.headers.get('location')!;
      await new Promise((resolve) => setTimeout(resolve, 80));
      const body = await (
        await fetch(`${short.url}/api/signing/${short.next.partnerId}/${id}`, { headers: { authorization } })
      ).json();
      expect(body).toMatchObject({ status: 'Expired', success: false });
      const expired = await fetch(`${short.url}/bankid/${short.next.partnerId}/${id}/sign`);
      expect(await expired.text()).toMatch(/expired/);
      expect(() => short.complete(id, 'success')).toThrow(/Expired/);
    } finally {
      await short.close();
    }
  });
});

describe('the control surface', () => {
  it('lists signings with kind sign beside authentications, and finishes them', async () => {
    const id = await createOk({ method: 'sbid-mobil', nationalId: ANNA });
    const expected = {
      id,
      provider: 'next',
      method: 'sbid-mobil',
      methodId: 'sbid-sign',
      kind: 'sign',
      appTransactionId: 'abc',
      status: 'Pending',
      nin: ANNA,
    };
    expect(await json(await fetch(`${sim.url}/__sim/sessions`))).toContainEqual(expected);
    expect(sim.sessions()).toContainEqual(expected);
    expect(await json(await fetch(`${sim.url}/__sim/sessions?transactionId=abc`))).toContainEqual(expected);
    // A login of the same provider still has no kind.
    const login = await fetch(`${sim.next.baseUrl}/api/authentications`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ partnerId: sim.next.partnerId, method: 'nbid', callbackUrl: CALLBACK }),
    });
    const loginId = login.headers.get('location');
    expect(sim.sessions().find((session) => session.id === loginId)).toEqual({
      id: loginId,
      provider: 'next',
      method: 'nbid',
      methodId: 'nbid',
      appTransactionId: 'abc',
      status: 'Pending',
    });
    const complete = (body: unknown) =>
      fetch(`${sim.url}/__sim/sessions/${id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await complete({ outcome: 'success' });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ...expected, status: 'Completed' });
    expect(await readOk(id)).toMatchObject({ status: 'Completed', nationalId: ANNA, firstName: 'Anna' });
    expect((await complete({ outcome: 'abort' })).status).toBe(409);
  });

  it('a user of another country is a 400 that leaves the signing Pending', async () => {
    const id = await createOk({ method: 'sbid' });
    expect(() => sim.complete(id, 'success', 'no-kari')).toThrow(/cannot sign with sbid/);
    expect((await readOk(id)).status).toBe('Pending');
  });
});
