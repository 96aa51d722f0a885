import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EidRequest } from '../src/engine/contract.js';
import type { Identity } from '../src/identity.js';
import { createEid, linkMobilityNext, zignsec } from '../src/index.js';
import type { Provider } from '../src/providers/types.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT } from './helpers/engine-browser.js';
import { type Reply, startRecordingServer } from './helpers/recording-server.js';

const read = (provider: string, name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${provider}/${name}.json`, import.meta.url), 'utf8'));

const TEXT = 'Jeg godtar vilkårene.\nI accept the terms.';
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n%%EOF\n', 'latin1');
const SIGNING_ID = '5b0e7c2a-1d4f-4a8b-9e63-2f7c0d1a8b45';
const ZIGNSEC_ID = '7e2b9d4c-0a1f-4e63-8b57-c3d9a1f0e248';

const loggedIn = (country: 'NO' | 'SE'): Identity => ({
  provider: 'any',
  method: 'any',
  subject: 'person-1',
  nin:
    country === 'NO'
      ? { value: '01819012365', country: 'NO', type: 'TEST' }
      : { value: '198503149828', country: 'SE', type: 'PERSONNUMMER' },
  authenticatedAt: '2026-12-04T09:00:00.000Z',
  transactionId: 'login-transaction-id-000000000000000000',
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function engine(
  provider: (baseUrl: string) => Provider,
  answer: (path: string, method: string) => Reply,
  country: 'NO' | 'SE',
  options: { restrictSigner?: boolean; bigPdf?: Buffer } = {},
) {
  const server = await startRecordingServer((request) => answer(request.path, request.method));
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [provider(server.url)],
    signing: {
      document: (id) =>
        id === 'text'
          ? { title: 'Terms', contentType: 'text/plain', content: TEXT }
          : id === 'pdf'
            ? { title: 'Contract', contentType: 'application/pdf', content: options.bigPdf ?? PDF }
            : undefined,
      ...(options.restrictSigner === undefined ? {} : { restrictSigner: options.restrictSigner }),
    },
  });
  closers.push(async () => {
    await eid.close();
    await server.close();
  });
  const one = browser(eid);
  one.jar.session = { identity: loggedIn(country) };
  /** The browser back from the provider at the callback, as a page. */
  const back = (providerId: string, query: Record<string, string>) =>
    one.call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: providerId },
      query,
      headers: HTML_ACCEPT,
    });
  const person = { ...one, back };
  const sign = (providerId: string, method: string, documentId: string) =>
    person.call({
      route: 'sign',
      httpMethod: 'POST',
      params: { provider: providerId, method },
      body: { documentId, returnTo: '/agreements' },
      headers: JSON_ACCEPT,
    } as EidRequest);
  return { server, eid, person, sign };
}

const bodyOf = (outcome: { response: unknown }) =>
  (outcome.response as { body: Record<string, unknown> & { transactionId: string; redirectUrl: string } })
    .body;

describe('LinkMobility NEXT signing, on the wire', () => {
  const credentials = { username: 'demo', password: 'p@55w0rd', partnerId: 'partner-4711' };
  let signing = read('next', 'signing-pending');
  const answer = (path: string, method: string): Reply => {
    if (method === 'POST') return { status: 201, text: '', headers: { location: SIGNING_ID } };
    if (path === `/api/signing/partner-4711/${SIGNING_ID}`) return { status: 200, json: signing };
    if (path === '/api/signing/partner-4711/document/a8c3f1e2-6b7d-4c90-8e15-3d2f9a0b7c64') {
      return { status: 200, json: read('next', 'signing-document') };
    }
    return { status: 404, json: { title: 'Not Found', status: 404 } };
  };

  it('creates the signing as documented, sends the browser to its sign page, reads the result and downloads the document', async () => {
    signing = read('next', 'signing-pending');
    const { server, eid, person, sign } = await engine(
      (baseUrl) => linkMobilityNext({ ...credentials, baseUrl }),
      answer,
      'NO',
    );
    const started = bodyOf(await sign('next', 'nbid-sign', 'text'));
    expect(started.redirectUrl).toBe(`${server.url}/bankid/partner-4711/${SIGNING_ID}/sign`);
    const create = server.requests[0]!;
    expect(create.path).toBe('/api/signing');
    expect(create.headers.authorization).toBe('Basic ZGVtbzpwQDU1dzByZA==');
    const expected = read('next', 'signing-create-request');
    expected.callbackUrl = expected.callbackUrl.replace('TRANSACTION_ID', started.transactionId);
    expect(JSON.parse(create.body)).toEqual(expected);

    signing = read('next', 'signing-success');
    const back = await person.back('next', { tx: started.transactionId, id: SIGNING_ID });
    expect(back.error).toBeUndefined();
    expect(back.response).toMatchObject({ location: `/agreements?signed=${started.transactionId}` });
    const result = await eid.signature(started.transactionId);
    const xml = Buffer.from(read('next', 'signing-document'), 'base64');
    expect(result).toMatchObject({
      provider: 'next',
      method: 'nbid-sign',
      signedAt: '2026-12-04T09:30:00.000Z',
      signer: { nin: { value: '01819012365', country: 'NO' }, name: 'Kari Nordmann' },
      document: {
        id: 'text',
        contentType: 'text/plain',
        sha256: createHash('sha256').update(TEXT).digest('hex'),
      },
      evidence: { format: 'xmldsig', contentType: 'application/xml', size: xml.length },
    });
    expect(Buffer.from((await eid.signatureEvidence(started.transactionId))!).equals(xml)).toBe(true);
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /api/signing',
      `GET /api/signing/partner-4711/${SIGNING_ID}`,
      'GET /api/signing/partner-4711/document/a8c3f1e2-6b7d-4c90-8e15-3d2f9a0b7c64',
    ]);
  });

  it('fails a successful signing without a documentId as provider_error', async () => {
    signing = { ...read('next', 'signing-success'), documentId: undefined };
    const { person, sign } = await engine(
      (baseUrl) => linkMobilityNext({ ...credentials, baseUrl }),
      answer,
      'NO',
    );
    const { transactionId } = bodyOf(await sign('next', 'nbid-sign', 'pdf'));
    const back = await person.back('next', { tx: transactionId, id: SIGNING_ID });
    expect(back.response).toMatchObject({ location: '/agreements?error=provider_error' });
  });

  it('a signing NEXT failed because another person signed (identity_mismatch) is signer_mismatch', async () => {
    signing = {
      ...read('next', 'signing-pending'),
      status: 'Failed',
      error: { code: 'identity_mismatch', message: 'The person who signed is not the one allowed to sign.' },
    };
    const { person, sign } = await engine(
      (baseUrl) => linkMobilityNext({ ...credentials, baseUrl }),
      answer,
      'NO',
    );
    const { transactionId } = bodyOf(await sign('next', 'nbid-sign', 'text'));
    const back = await person.back('next', { tx: transactionId, id: SIGNING_ID });
    expect(back.response).toMatchObject({ location: '/agreements?error=signer_mismatch' });
  });

  it('downloads a signed document larger than the 1 MiB any other provider answer may be (a 3 MiB PDF)', async () => {
    const big = Buffer.concat([PDF, Buffer.alloc(3 * 1024 * 1024, 0x20)]);
    signing = read('next', 'signing-pending');
    const bigAnswer = (path: string, method: string): Reply =>
      path === '/api/signing/partner-4711/document/a8c3f1e2-6b7d-4c90-8e15-3d2f9a0b7c64'
        ? { status: 200, json: Buffer.concat([big, Buffer.from('%% signed')]).toString('base64') }
        : answer(path, method);
    const { eid, person, sign } = await engine(
      (baseUrl) => linkMobilityNext({ ...credentials, baseUrl }),
      bigAnswer,
      'NO',
      { bigPdf: big },
    );
    const { transactionId } = bodyOf(await sign('next', 'nbid-sign', 'pdf'));
    signing = read('next', 'signing-success');
    const back = await person.back('next', { tx: transactionId, id: SIGNING_ID });
    expect(back.response).toMatchObject({ location: `/agreements?signed=${transactionId}` });
    expect((await eid.signature(transactionId))?.evidence).toMatchObject({
      format: 'pades',
      size: big.length + 9,
    });
  });

  it('refuses a Swedish signing for a person logged in with a Norwegian number, before NEXT is asked', async () => {
    const { server, sign } = await engine(
      (baseUrl) => linkMobilityNext({ ...credentials, baseUrl }),
      answer,
      'NO',
    );
    expect((await sign('next', 'sbid-sign', 'text')).response).toMatchObject({
      status: 403,
      body: { error: { code: 'signer_mismatch' } },
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('ZignSec sbid-sign, on the wire', () => {
  const token = '00000000-aaaa-4bbb-8ccc-000000000000';
  let result: unknown = { id: ZIGNSEC_ID, result: { identity: { state: 'PENDING' } } };
  const answer = (path: string, method: string): Reply => {
    if (method === 'POST') {
      return {
        status: 200,
        json: {
          id: ZIGNSEC_ID,
          errors: [],
          redirect_url: `https://test.zignsec.com/v2/Hosted?id=${ZIGNSEC_ID}`,
        },
      };
    }
    if (path === `/v2/eid/${ZIGNSEC_ID}`) return { status: 200, json: result };
    return { status: 404, json: { errors: [{ code: 'NOT_FOUND' }] } };
  };

  it('sets up the signing with the text as userVisibleData and its hash, and keeps the XML signature and OCSP response', async () => {
    const { server, eid, person, sign } = await engine(
      (baseUrl) => zignsec({ token, baseUrl }),
      answer,
      'SE',
    );
    const started = bodyOf(await sign('zignsec', 'sbid-sign', 'text'));
    expect(started.redirectUrl).toBe(`https://test.zignsec.com/v2/Hosted?id=${ZIGNSEC_ID}`);
    const setup = server.requests[0]!;
    expect(setup.path).toBe('/v2/eid/sbid-sign');
    expect(setup.headers.authorization).toBe(token);
    const expected = read('zignsec', 'sign-setup-request');
    expected.relaystate = started.transactionId;
    expect(JSON.parse(setup.body)).toEqual(expected);

    result = read('zignsec', 'sign-result-finished');
    const back = await person.back('zignsec', { relaystate: started.transactionId, service: 'eIDBasic' });
    expect(back.response).toMatchObject({ location: `/agreements?signed=${started.transactionId}` });
    const finished = read('zignsec', 'sign-result-finished');
    expect(await eid.signature(started.transactionId)).toMatchObject({
      signer: { nin: { value: '198503149828', country: 'SE' } },
      evidence: { format: 'xmldsig', ocspResponse: finished.BankIDSE.ocspResponse },
    });
    const xml = Buffer.from((await eid.signatureEvidence(started.transactionId))!).toString('utf8');
    expect(xml).toContain(
      `<usrVisibleData charset="UTF-8" visible="wysiwys">${expected.userVisibleData}</usrVisibleData>`,
    );
  });

  it('signs a PDF by its hash, naming it in the visible text', async () => {
    const { server, sign } = await engine((baseUrl) => zignsec({ token, baseUrl }), answer, 'SE');
    await sign('zignsec', 'sbid-sign', 'pdf');
    const body = JSON.parse(server.requests[0]!.body);
    const hex = createHash('sha256').update(PDF).digest('hex');
    expect(Buffer.from(body.userVisibleData, 'base64').toString('utf8')).toBe(
      `Contract\nPDF document, SHA-256 ${hex}`,
    );
    expect(body.userNonVisibleData).toBe(createHash('sha256').update(PDF).digest('base64'));
  });

  it("a signing BankID refused for another person's BankID (CERTIFICATE_ERR) is signer_mismatch", async () => {
    const { person, sign } = await engine((baseUrl) => zignsec({ token, baseUrl }), answer, 'SE');
    const { transactionId } = bodyOf(await sign('zignsec', 'sbid-sign', 'text'));
    result = {
      id: ZIGNSEC_ID,
      errors: [
        {
          code: 'CERTIFICATE_ERR',
          description: 'The BankID used does not meet the requirements of the order.',
        },
      ],
      result: { identity: { state: 'ERROR' } },
    };
    const back = await person.back('zignsec', { relaystate: transactionId });
    expect(back.response).toMatchObject({ location: '/agreements?error=signer_mismatch' });
  });

  it('is not offered when the app lets anyone sign: ZignSec must be told the PersonalNumber', async () => {
    const { eid, server, sign } = await engine((baseUrl) => zignsec({ token, baseUrl }), answer, 'SE', {
      restrictSigner: false,
    });
    expect(eid.methods().some((method) => method.method === 'sbid-sign')).toBe(false);
    expect((await sign('zignsec', 'sbid-sign', 'text')).response).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_method' } },
    });
    expect(server.requests).toHaveLength(0);
  });

  it('fails a finished signing without a signature as provider_error', async () => {
    const { person, sign } = await engine((baseUrl) => zignsec({ token, baseUrl }), answer, 'SE');
    const { transactionId } = bodyOf(await sign('zignsec', 'sbid-sign', 'text'));
    result = { ...read('zignsec', 'sign-result-finished'), BankIDSE: undefined };
    const back = await person.back('zignsec', { relaystate: transactionId });
    expect(back.response).toMatchObject({ location: '/agreements?error=provider_error' });
  });
});
