import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EidOptions, EidRequest, SignResult } from '../src/engine/contract.js';
import type { EidEvent } from '../src/engine/events.js';
import { EidError } from '../src/errors.js';
import type { Identity } from '../src/identity.js';
import { createEid } from '../src/index.js';
import { MemoryStore } from '../src/store/memory.js';
import { browser, HTML_ACCEPT, JSON_ACCEPT } from './helpers/engine-browser.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

const AGREEMENT = 'I agree to the terms.\nSigned in Bergen.';
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n%%EOF\n', 'latin1');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** The person logged in (a login of the app, as a real one would put it in the session). */
const LOGGED_IN: Identity = {
  provider: 'acme',
  method: 'bankid',
  ...KARI,
  transactionId: 'kari-login-transaction-id-00000000000000',
};

const XML = Buffer.from('<Signature>simulated</Signature>', 'utf8');
const signedBy = (identity = KARI) => ({
  status: 'complete' as const,
  identity,
  evidence: { format: 'xmldsig', contentType: 'application/xml', content: XML },
  signedAt: new Date('2026-12-04T10:00:00.000Z'),
});

function engine(
  options: Partial<EidOptions> = {},
  signing: Partial<NonNullable<EidOptions['signing']>> = {},
) {
  const { provider, state } = scriptedProvider();
  const signed: SignResult[] = [];
  const events: EidEvent[] = [];
  const asked: { documentId: string; identity: Identity }[] = [];
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [provider],
    store: new MemoryStore(),
    events: { listener: (event) => void events.push(event) },
    signing: {
      document: (documentId, { identity }) => {
        asked.push({ documentId, identity });
        if (documentId === 'agreement')
          return { title: 'Loan agreement', contentType: 'text/plain', content: AGREEMENT };
        if (documentId === 'scan')
          return { title: 'Scanned contract', contentType: 'application/pdf', content: PDF };
        if (documentId === 'long')
          return { title: 'Long', contentType: 'text/plain', content: 'x'.repeat(1001) };
        return undefined;
      },
      onSigned: (result) => void signed.push(result),
      ...signing,
    },
    ...options,
  });
  const person = () => {
    const one = browser(eid);
    one.jar.session = { identity: LOGGED_IN };
    return one;
  };
  return { eid, state, signed, events, asked, person };
}

type Browser = ReturnType<typeof browser>;
const sign = (
  who: Browser,
  body: Record<string, unknown>,
  method = 'sign',
  headers: EidRequest['headers'] = JSON_ACCEPT,
) => who.call({ route: 'sign', httpMethod: 'POST', params: { provider: 'acme', method }, body, headers });
const download = (who: Browser, transactionId: string) =>
  who.call({ route: 'signature', httpMethod: 'GET', params: { transactionId }, headers: HTML_ACCEPT });
const bodyOf = (outcome: { response: unknown }) =>
  (outcome.response as { body: Record<string, unknown> & { transactionId: string } }).body;
const locationOf = (outcome: { response: unknown }) => (outcome.response as { location?: string }).location;

describe('signing', () => {
  it('lists sign methods with what they sign only when signing is on', async () => {
    const on = engine();
    const methods = bodyOf(
      await on.eid.handle({ route: 'methods', httpMethod: 'GET', params: {} }),
    ) as unknown as {
      method: string;
      purpose: string;
      signs?: string[];
    }[];
    expect(methods.filter((method) => method.purpose === 'sign')).toEqual([
      expect.objectContaining({ method: 'sign', signs: ['text/plain', 'application/pdf'] }),
      expect.objectContaining({ method: 'sign-text', signs: ['text/plain'] }),
    ]);
    const off = createEid({ baseUrl: 'https://shop.example', providers: [scriptedProvider().provider] });
    const listed = bodyOf(
      await off.handle({ route: 'methods', httpMethod: 'GET', params: {} }),
    ) as unknown as {
      purpose: string;
    }[];
    expect(listed.some((method) => method.purpose === 'sign')).toBe(false);
    const refused = await off.handle({
      route: 'sign',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'sign' },
      headers: JSON_ACCEPT,
    });
    expect(refused.response).toMatchObject({ status: 404, body: { error: { code: 'invalid_request' } } });
  });

  it('signs a text document: provider, callback to returnTo?signed=, status, download, eid.signature, onSigned once', async () => {
    const { eid, state, signed, events, asked, person } = engine();
    const kari = person();
    const started = await sign(kari, { documentId: 'agreement', returnTo: '/agreements?tab=1' });
    const { transactionId, redirectUrl } = bodyOf(started);
    expect(redirectUrl).toBe('https://idp.example/sign?session=sign-1');
    expect(asked).toEqual([{ documentId: 'agreement', identity: LOGGED_IN }]);
    // The provider got the document's bytes and the only person allowed to sign.
    const given = state.signs[0]!;
    expect(Buffer.from(given.document.content).toString('utf8')).toBe(AGREEMENT);
    expect(given.document).toMatchObject({
      id: 'agreement',
      title: 'Loan agreement',
      sha256: sha256(AGREEMENT),
    });
    expect(given.signer).toEqual(KARI.nin);
    expect(given.callbackUrl).toBe(`https://shop.example/auth/eid/callback/acme?tx=${transactionId}`);
    // Nothing of the document is kept in the transaction but its hash and title.
    const stored = await eid.store.get(transactionId);
    expect(JSON.stringify(stored)).not.toContain('I agree');
    expect(JSON.stringify(stored)).not.toContain(KARI.nin.value);

    state.result = signedBy();
    const back = await kari.callback({ tx: transactionId }, HTML_ACCEPT);
    expect(back.session).toBeUndefined();
    expect(locationOf(back)).toBe(`/agreements?tab=1&signed=${transactionId}`);
    expect(kari.jar.session?.identity).toEqual(LOGGED_IN);

    const expected = {
      transactionId,
      provider: 'acme',
      method: 'sign',
      signer: expect.objectContaining({ subject: KARI.subject, nin: KARI.nin, transactionId }),
      signedAt: '2026-12-04T10:00:00.000Z',
      document: {
        id: 'agreement',
        title: 'Loan agreement',
        contentType: 'text/plain',
        sha256: sha256(AGREEMENT),
      },
      evidence: {
        format: 'xmldsig',
        contentType: 'application/xml',
        size: XML.length,
        sha256: sha256(XML),
        fileName: 'Loan-agreement-signed.xml',
      },
    };
    expect(bodyOf(await kari.status(transactionId))).toMatchObject({
      status: 'complete',
      signature: expected,
    });
    expect(await eid.signature(transactionId)).toMatchObject(expected);
    expect(Buffer.from((await eid.signatureEvidence(transactionId))!).equals(XML)).toBe(true);
    const file = await download(kari, transactionId);
    expect(file.response).toMatchObject({
      type: 'file',
      status: 200,
      contentType: 'application/xml',
      fileName: 'Loan-agreement-signed.xml',
    });
    expect(Buffer.from((file.response as { body: Uint8Array }).body).equals(XML)).toBe(true);

    // A reload of the callback: the same answer, from the store; onSigned and the events fired once.
    const again = await kari.callback({ tx: transactionId }, HTML_ACCEPT);
    expect(locationOf(again)).toBe(`/agreements?tab=1&signed=${transactionId}`);
    expect(state.completes).toBe(1);
    expect(signed).toEqual([expect.objectContaining(expected)]);
    expect(events.map((event) => event.type)).toEqual(['sign.started', 'sign.succeeded']);
    expect(JSON.stringify(events)).not.toContain(KARI.nin.value);
  });

  it('signs a PDF and answers JSON callers with the signature', async () => {
    const { state, person } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'scan' }));
    expect(state.signs[0]!.document).toMatchObject({ contentType: 'application/pdf', sha256: sha256(PDF) });
    state.result = {
      ...signedBy(),
      evidence: { format: 'pades', contentType: 'application/pdf', content: PDF },
    };
    const back = await kari.callback({ tx: transactionId }, JSON_ACCEPT);
    expect(bodyOf(back)).toMatchObject({
      transactionId,
      status: 'complete',
      returnTo: '/',
      signature: { evidence: { format: 'pades', fileName: 'Scanned-contract-signed.pdf' } },
    });
  });

  it('fails a signature by someone else than the logged-in person with signer_mismatch, back at returnTo', async () => {
    const { eid, state, signed, events, person } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement', returnTo: '/agreements' }));
    state.result = signedBy({
      ...KARI,
      subject: 'acme-43',
      nin: { value: '17829034034', country: 'NO', type: 'TEST' },
    });
    const back = await kari.callback({ tx: transactionId }, HTML_ACCEPT);
    expect(locationOf(back)).toBe('/agreements?error=signer_mismatch');
    expect(await eid.signature(transactionId)).toBeUndefined();
    expect(signed).toEqual([]);
    expect(bodyOf(await kari.status(transactionId))).toMatchObject({
      status: 'failed',
      error: { code: 'signer_mismatch' },
    });
    expect((await download(kari, transactionId)).response).toMatchObject({ status: 409 });
    expect(events.map((event) => [event.type, event.code])).toEqual([
      ['sign.started', undefined],
      ['sign.failed', 'signer_mismatch'],
    ]);
    // A reload tells the same.
    expect(locationOf(await kari.callback({ tx: transactionId }, HTML_ACCEPT))).toBe(
      '/agreements?error=signer_mismatch',
    );
  });

  it('lets anyone sign when the app lifts the restriction', async () => {
    const { eid, state, person } = engine({}, { restrictSigner: false });
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement' }));
    expect(state.signs[0]!.signer).toBeUndefined();
    state.result = signedBy({ ...KARI, nin: { value: '17829034034', country: 'NO', type: 'TEST' } });
    await kari.callback({ tx: transactionId });
    expect((await eid.signature(transactionId))?.signer.nin?.value).toBe('17829034034');
  });

  it('a cancelled signing goes back to returnTo with ?error=user_cancelled', async () => {
    const { state, person } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement', returnTo: '/a' }));
    state.result = { status: 'cancelled' };
    expect(locationOf(await kari.callback({ tx: transactionId }))).toBe('/a?error=user_cancelled');
  });

  it('a completion without evidence fails with provider_error', async () => {
    const { state, person } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement', returnTo: '/a' }));
    state.result = { status: 'complete', identity: KARI };
    expect(locationOf(await kari.callback({ tx: transactionId }))).toBe('/a?error=provider_error');
  });

  it.each([
    ['nobody logged in', {}, undefined, 401, 'unauthenticated'],
    ['a document the resolver refuses', { documentId: 'someone-elses' }, 'sign', 404, 'document_not_found'],
    ['no documentId', { documentId: undefined }, 'sign', 400, 'invalid_request'],
    ['a documentId that is not a short id', { documentId: 'a b' }, 'sign', 400, 'invalid_request'],
    ['a PDF to a text-only method', { documentId: 'scan' }, 'sign-text', 400, 'invalid_request'],
    ['a text longer than the method signs', { documentId: 'long' }, 'sign', 413, 'invalid_request'],
    [
      'an open redirect',
      { documentId: 'agreement', returnTo: '//evil.example' },
      'sign',
      400,
      'invalid_return_to',
    ],
    ['a login method', { documentId: 'agreement' }, 'bankid', 404, 'unknown_method'],
  ])('refuses %s before the provider is asked', async (_case, body, method, status, code) => {
    const { state, person, eid, events } = engine();
    const who = method === undefined ? browser(eid) : person();
    const outcome = await sign(who, { documentId: 'agreement', ...body }, method ?? 'sign');
    expect(outcome.response).toMatchObject({ status, body: { error: { code } } });
    expect(state.signs).toEqual([]);
    expect(outcome.session).toBeUndefined();
    if (method !== 'bankid' && method !== undefined)
      expect(events.at(-1)).toMatchObject({ type: 'sign.failed', code });
  });

  it('a provider that fails to start the signing leaves nothing behind: 502, no transaction, sign.failed', async () => {
    const { eid, state, person, events } = engine();
    state.startError = new EidError('provider_error', 'Acme refused the signing.');
    const outcome = await sign(person(), { documentId: 'agreement' });
    expect(outcome.response).toMatchObject({ status: 502, body: { error: { code: 'provider_error' } } });
    expect((eid.store as MemoryStore).size).toBe(0);
    expect(events).toEqual([expect.objectContaining({ type: 'sign.failed', code: 'provider_error' })]);
  });

  it('a form post refused goes back to the page with ?error=', async () => {
    const { person } = engine();
    const outcome = await sign(
      person(),
      { documentId: 'nope', returnTo: '/agreements' },
      'sign',
      HTML_ACCEPT,
    );
    expect(locationOf(outcome)).toBe('/agreements?error=document_not_found');
  });

  it('refuses a document larger than signing.maxBytes', async () => {
    const { person } = engine({}, { maxBytes: 10 });
    const outcome = await sign(person(), { documentId: 'agreement' });
    expect(outcome.response).toMatchObject({ status: 413, body: { error: { code: 'invalid_request' } } });
  });

  it('refuses text given as bytes that are not UTF-8, as invalid_config', async () => {
    const { person } = engine(
      {},
      {
        document: () => ({ title: 'Bad', contentType: 'text/plain', content: new Uint8Array([0xff, 0xfe]) }),
      },
    );
    expect((await sign(person(), { documentId: 'agreement' })).response).toMatchObject({
      status: 500,
      body: { error: { code: 'invalid_config' } },
    });
  });

  it("refuses the app's resolver returning something that is not a document, as invalid_config", async () => {
    const { person } = engine(
      {},
      { document: () => ({ title: '', contentType: 'text/plain', content: 'x' }) },
    );
    expect((await sign(person(), { documentId: 'agreement' })).response).toMatchObject({
      status: 500,
      body: { error: { code: 'invalid_config' } },
    });
  });

  it('another browser learns nothing of a signing: status, download and callback are not found', async () => {
    const { state, person, eid } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement' }));
    state.result = signedBy();
    await kari.callback({ tx: transactionId });
    const stranger = person();
    stranger.jar.session = { ...stranger.jar.session, binding: 'another-binding' };
    expect((await stranger.status(transactionId)).response).toMatchObject({ status: 404 });
    expect((await download(stranger, transactionId)).response).toMatchObject({ status: 404 });
    expect((await download(browser(eid), transactionId)).response).toMatchObject({ status: 404 });
  });

  it('a callback in another browser stops the pending signing (a relayed signing link)', async () => {
    const { state, person } = engine();
    const kari = person();
    const { transactionId } = bodyOf(await sign(kari, { documentId: 'agreement', returnTo: '/a' }));
    state.result = signedBy();
    const stranger = person();
    stranger.jar.session = { ...stranger.jar.session, binding: 'another-binding' };
    expect((await stranger.callback({ tx: transactionId }, JSON_ACCEPT)).response).toMatchObject({
      status: 404,
    });
    expect(locationOf(await kari.callback({ tx: transactionId }))).toBe('/a?error=browser_mismatch');
  });

  it('checks the signing option at createEid', () => {
    const make = (signing: unknown) =>
      createEid({
        baseUrl: 'https://shop.example',
        providers: [scriptedProvider().provider],
        signing,
      } as EidOptions);
    expect(() => make({})).toThrow(/signing.document/);
    expect(() => make({ document: () => undefined, maxBytes: 0 })).toThrow(/signing.maxBytes/);
    expect(() => make({ document: () => undefined, restrictSigner: 'yes' })).toThrow(
      /signing.restrictSigner/,
    );
    expect(() => make({ document: () => undefined, onSigned: 1 })).toThrow(/signing.onSigned/);
  });
});
