import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid } from '../src/index.js';
import { mapSessionStatus, signicat, toIdentity } from '../src/providers/signicat/index.js';
import type { Provider, ProviderMethod } from '../src/providers/types.js';
import type { Transaction } from '../src/transaction.js';
import { type RecordedRequest, type Reply, recordedProvider } from './helpers/recording-server.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/signicat/${name}.json`, import.meta.url), 'utf8'));

const credentials = { clientId: 'client id', clientSecret: 's3cret:&', accountId: 'a-sdge-test' };
const method = (provider: Provider, id: string): ProviderMethod => {
  const found = provider.methods.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no method ${id}`);
  return found;
};
const transaction = (reference: string): Transaction => ({
  id: 'tx-0123456789abcdefghijk',
  provider: 'signicat',
  method: 'nbid',
  flow: 'redirect',
  status: 'pending',
  version: 1,
  createdAt: 0,
  expiresAt: Date.now() + 60_000,
  retainUntil: Date.now() + 120_000,
  reference,
  returnTo: '/',
  bindingHash: 'x',
});

const tokenReply: Reply = {
  status: 200,
  json: { access_token: 'token-1', token_type: 'Bearer', expires_in: 600, scope: 'signicat-api' },
};

const setup = (
  answer: (request: RecordedRequest) => Reply | Promise<Reply>,
  options: Record<string, unknown> = {},
) => recordedProvider(answer, (baseUrl) => signicat({ ...credentials, baseUrl, ...options }));

function sessionApi(session: (request: RecordedRequest) => Reply) {
  return (request: RecordedRequest): Reply =>
    request.path === '/auth/open/connect/token' ? tokenReply : session(request);
}

describe('signicat: requests on the wire', () => {
  it('fetches a client-credentials token with HTTP Basic, form-encoded, scope signicat-api', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({ status: 200, json: fixture('idporten-create-response') })),
    );
    await provider.start({
      transactionId: 'tx',
      method: method(provider, 'idporten'),
      callbackUrl: 'https://app.example/cb?tx=tx',
      webhookUrl: 'https://app.example/wh',
    });
    const token = server.requests[0]!;
    expect(token.method).toBe('POST');
    expect(token.path).toBe('/auth/open/connect/token');
    expect(token.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const basic = Buffer.from(String(token.headers.authorization).replace(/^Basic /, ''), 'base64').toString(
      'utf8',
    );
    const [id, secret] = basic.split(':').map(decodeURIComponent);
    expect({ id, secret }).toEqual({ id: 'client id', secret: 's3cret:&' });
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'signicat-api',
    });
  });

  it('creates an ID-porten redirect session shaped like the documented request', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({ status: 200, json: fixture('idporten-create-response') })),
      {
        requestedLoa: 'substantial',
      },
    );
    const started = await provider.start({
      transactionId: 'tx-1',
      method: method(provider, 'idporten'),
      callbackUrl: 'https://app.example/auth/eid/callback/signicat?tx=tx-1',
      webhookUrl: 'https://app.example/wh',
      lang: 'nb',
    });
    const create = server.requests[1]!;
    expect(create.method).toBe('POST');
    expect(create.path).toBe('/auth/rest/sessions');
    expect(create.query.get('signicat-accountId')).toBe('a-sdge-test');
    expect(create.headers.authorization).toBe('Bearer token-1');
    expect(create.headers['content-type']).toBe('application/json');
    const body = JSON.parse(create.body);
    const documented = fixture('idporten-create-request');
    expect(body.flow).toBe(documented.flow);
    expect(body.language).toBe(documented.language);
    expect(body.requestedLoa).toBe(documented.requestedLoa);
    expect(body.allowedProviders).toEqual(documented.allowedProviders);
    expect([...body.requestedAttributes].sort()).toEqual([...documented.requestedAttributes].sort());
    expect(Object.keys(body.callbackUrls).sort()).toEqual(['abort', 'error', 'success']);
    for (const outcome of ['success', 'abort', 'error']) {
      const url = new URL(body.callbackUrls[outcome]);
      expect(url.origin + url.pathname).toBe('https://app.example/auth/eid/callback/signicat');
      expect(url.searchParams.get('tx')).toBe('tx-1');
      expect(url.searchParams.get('outcome')).toBe(outcome);
    }
    expect(body.prefilledInput).toBeUndefined();
    expect(started).toEqual({
      reference: '9f2af253-292b-4c92-b6b5-271c5cecc6b3',
      redirectUrl: 'https://example.signicat.com/broker/sp/external-service/login?messageId=1d3bba8b-4ec',
      expiresAt: new Date('2026-01-08T09:08:52.0303673+00:00'),
    });
  });

  it('creates a headless Safe Conversation session with nbid_auth_type PHONE and the prefilled nin', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({ status: 200, json: fixture('headless-create-response') })),
    );
    const started = await provider.start({
      transactionId: 'tx-2',
      method: method(provider, 'nbid-phone'),
      callbackUrl: 'https://app.example/cb?tx=tx-2',
      webhookUrl: 'https://app.example/wh',
      nin: { value: '17029012345', country: 'NO', type: 'BIRTH' },
    });
    const body = JSON.parse(server.requests[1]!.body);
    const documented = fixture('headless-create-request');
    expect(body.flow).toBe('headless');
    expect(body.allowedProviders).toEqual(documented.allowedProviders);
    expect(body.additionalParameters).toEqual(documented.additionalParameters);
    expect(body.prefilledInput).toEqual(documented.prefilledInput);
    expect(body.requestedAttributes).toEqual(expect.arrayContaining(documented.requestedAttributes));
    expect(body.callbackUrls).toBeUndefined();
    expect(started.bindingMessage).toBe('Snedig redning');
    expect(started.reference).toBe('425cbb48--...');
  });

  it('polls GET /auth/rest/sessions/{id} and cancels with POST …/cancel', async () => {
    const { server, provider } = await setup(
      sessionApi((request) =>
        request.path.endsWith('/cancel')
          ? { status: 200, json: { id: 'abc', status: 'CANCELLED' } }
          : { status: 200, json: { ...fixture('headless-create-response'), id: 'abc' } },
      ),
    );
    const result = await provider.complete({ transaction: transaction('abc') });
    expect(result).toEqual({ status: 'pending', bindingMessage: 'Snedig redning' });
    await provider.cancel?.(transaction('abc'));
    expect(server.requests.slice(1).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /auth/rest/sessions/abc',
      'POST /auth/rest/sessions/abc/cancel',
    ]);
  });

  it('fetches one token for many concurrent requests and reuses it', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({ status: 200, json: fixture('idporten-create-response') })),
    );
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        provider.start({
          transactionId: `t${i}`,
          method: method(provider, 'nbid'),
          callbackUrl: 'https://app.example/cb',
          webhookUrl: 'https://app.example/wh',
        }),
      ),
    );
    await provider.start({
      transactionId: 'again',
      method: method(provider, 'nbid'),
      callbackUrl: 'https://app.example/cb',
      webhookUrl: 'https://app.example/wh',
    });
    expect(server.requests.filter((r) => r.path === '/auth/open/connect/token')).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === '/auth/rest/sessions')).toHaveLength(11);
  });

  it('fetches a new token once when the API answers 401 to a stale one', async () => {
    let tokens = 0;
    let rejected = false;
    const { server, provider } = await setup((request) => {
      if (request.path === '/auth/open/connect/token') {
        tokens++;
        return {
          status: 200,
          json: { access_token: `token-${tokens}`, token_type: 'Bearer', expires_in: 600 },
        };
      }
      if (!rejected) {
        rejected = true;
        return { status: 401, json: { title: 'Unauthorized', status: 401 } };
      }
      return { status: 200, json: fixture('idporten-create-response') };
    });
    await provider.start({
      transactionId: 't',
      method: method(provider, 'nbid'),
      callbackUrl: 'https://app.example/cb',
      webhookUrl: 'https://app.example/wh',
    });
    expect(tokens).toBe(2);
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer token-2');
  });
});

describe('signicat: documented responses mapped to Identity', () => {
  it('maps the headless SUCCESS example to the identity of DESIGN section 3', () => {
    const identity = toIdentity(fixture('headless-success'));
    expect(identity).toMatchObject({
      subject: '9578-6000-4-2595757',
      nin: { value: '17029012345', country: 'NO', type: 'BIRTH' },
      name: 'Kari Nordmann',
      firstName: 'Kari',
      lastName: 'Nordmann',
      dateOfBirth: '1990-02-17',
      loa: 'substantial',
      extra: { idp: 'nbid', signicatSubjectId: 'fOthqpBQyuYxNPyuj...' },
    });
    expect(Number.isNaN(Date.parse(identity.authenticatedAt))).toBe(false);
  });

  it('maps the ID-porten SUCCESS example, keeping provider and environment', () => {
    const identity = toIdentity(fixture('idporten-success'));
    // ID-porten's idpId is the national identity number: the subject is Signicat's pseudonymous subject.id.
    expect(identity.subject).toBe('-vMrFZU-H7D1n3NoTugvJT9afALzSTdOEDUXII42Hqw=');
    expect(identity.extra).toMatchObject({ idpId: '17029012345' });
    expect(identity.nin).toEqual({ value: '17029012345', country: 'NO', type: 'BIRTH' });
    expect(identity.dateOfBirth).toBeUndefined();
    expect(identity.extra).toMatchObject({
      idp: 'idporten',
      idportenIdp: 'MinID',
      idportenLoa: 'idporten-loa-substantial',
      idportenSub: 'oRNX8JRKQ0LfKJpy...',
      environment: { ipAddress: '192.0.2.2' },
    });
  });

  it('types a number that validates with our own parser (a synthetic test number here), and leaves out absent fields', () => {
    const identity = toIdentity({
      id: 's',
      status: 'SUCCESS',
      subject: { idpId: 'p1', nin: { value: '01819012365', issuingCountry: 'NO', type: 'BIRTH' }, name: '' },
    });
    expect(identity.nin).toEqual({ value: '01819012365', country: 'NO', type: 'TEST' });
    expect('name' in identity).toBe(false);
    expect('loa' in identity).toBe(false);
  });

  it('refuses a SUCCESS without a subject', () => {
    expect(() => toIdentity({ id: 's', status: 'SUCCESS' })).toThrow(
      expect.objectContaining({ code: 'provider_error' }),
    );
  });

  it.each([
    ['CREATED', 'pending', undefined],
    ['ABORT', 'failed', 'user_cancelled'],
    ['ERROR', 'failed', 'provider_error'],
    ['CANCELLED', 'cancelled', undefined],
    ['SOMETHING_NEW', 'failed', 'provider_error'],
  ])('maps status %s to %s', (status, expected, code) => {
    const result = mapSessionStatus({ id: 'x', status, error: { code: 'userError' } }, { id: 't' });
    expect(result.status).toBe(expected);
    if (code) expect(result.status === 'failed' && result.error.code).toBe(code);
  });

  it('SUCCESS maps to complete, through the profile hook', () => {
    const result = mapSessionStatus(
      fixture('headless-success'),
      { id: 't' },
      undefined,
      (_session, identity) => ({
        ...identity,
        extra: { ...identity.extra, kept: true },
      }),
    );
    expect(result.status === 'complete' && result.identity.extra).toMatchObject({ kept: true });
  });
});

describe('signicat: headless Swedish BankID (QR code, app launch)', () => {
  const QR_START = '67df3917-fa0d-44e5-b327-edcc928297f8';
  /** A CREATED sbid session as the headless guide describes it; `qrData` as BankID animates it. */
  const created = (id: string, seconds = 0, extra: Record<string, unknown> = {}) => ({
    id,
    accountId: 'a-sdge-test',
    status: 'CREATED',
    idpData: {
      qrData: `bankid.${QR_START}.${seconds}.${String(seconds).padStart(2, '0').repeat(32)}`,
      autoStartToken: '7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6',
    },
    allowedProviders: ['sbid'],
    flow: 'headless',
    requestedAttributes: ['dateOfBirth', 'firstName', 'lastName', 'name', 'nin', 'idpId'],
    sessionLifetime: 1200,
    expiresAt: '2026-06-29T11:08:34.9495067+00:00',
    ...extra,
  });
  const startSbid = (provider: Provider, id: 'sbid-qr' | 'sbid-app', endUserIp?: string) =>
    provider.start({
      transactionId: 'tx-se',
      method: method(provider, id),
      callbackUrl: 'https://app.example/cb?tx=tx-se',
      webhookUrl: 'https://app.example/wh',
      ...(endUserIp ? { endUserIp } : {}),
    });

  it('offers sbid-qr and sbid-app as headless SE methods that need no nin', () => {
    const provider = signicat({ ...credentials, methods: ['sbid-qr', 'sbid-app'] });
    expect(provider.methods).toEqual([
      {
        id: 'sbid-qr',
        flow: 'headless',
        purpose: 'login',
        label: 'Swedish BankID with a QR code',
        country: 'SE',
      },
      {
        id: 'sbid-app',
        flow: 'headless',
        purpose: 'login',
        label: 'Swedish BankID on this device',
        country: 'SE',
      },
    ]);
  });

  it('creates a QR session field by field: sbid, headless, sbid_flow QR and the end user IP', async () => {
    const { server, provider } = await setup(sessionApi(() => ({ status: 200, json: created('se-1') })));
    const started = await startSbid(provider, 'sbid-qr', '192.0.2.10');
    const create = server.requests[1]!;
    expect(`${create.method} ${create.path}`).toBe('POST /auth/rest/sessions');
    expect(create.query.get('signicat-accountId')).toBe('a-sdge-test');
    expect(create.headers.authorization).toBe('Bearer token-1');
    expect(create.headers['content-type']).toBe('application/json');
    const body = JSON.parse(create.body);
    expect(Object.keys(body).sort()).toEqual(
      ['additionalParameters', 'allowedProviders', 'externalReference', 'flow', 'requestedAttributes'].sort(),
    );
    expect(body.flow).toBe('headless');
    expect(body.allowedProviders).toEqual(['sbid']);
    expect(body.additionalParameters).toEqual({ sbid_flow: 'QR', sbid_end_user_ip: '192.0.2.10' });
    expect([...body.requestedAttributes].sort()).toEqual(
      ['dateOfBirth', 'firstName', 'idpId', 'lastName', 'name', 'nin'].sort(),
    );
    expect(body.externalReference).toBe('tx-se');
    expect(started).toEqual({
      reference: 'se-1',
      qrData: `bankid.${QR_START}.0.${'00'.repeat(32)}`,
      autoStartToken: '7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6',
      expiresAt: new Date('2026-06-29T11:08:34.9495067+00:00'),
    });
  });

  it('creates an app-launch session with sbid_flow APP_LAUNCH and hands back the autoStartToken', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({
        status: 200,
        json: created('se-2', 0, { idpData: { autoStartToken: '0b8a2d1c-5e4f-4a3b-9c8d-7e6f5a4b3c2d' } }),
      })),
    );
    const started = await startSbid(provider, 'sbid-app', '2001:db8::7');
    expect(JSON.parse(server.requests[1]!.body).additionalParameters).toEqual({
      sbid_flow: 'APP_LAUNCH',
      sbid_end_user_ip: '2001:db8::7',
    });
    expect(started.autoStartToken).toBe('0b8a2d1c-5e4f-4a3b-9c8d-7e6f5a4b3c2d');
    expect(started.qrData).toBeUndefined();
  });

  it('refuses to start without the end user IP, naming the trust-proxy setting, before calling Signicat', async () => {
    const { server, provider } = await setup(sessionApi(() => ({ status: 200, json: created('se-3') })));
    const error = await startSbid(provider, 'sbid-qr').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EidError);
    expect(error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/trust ?proxy/i) });
    expect(server.requests).toHaveLength(0);
  });

  it.each<['sbid-qr' | 'sbid-app', string]>([
    ['sbid-qr', 'qrData'],
    ['sbid-app', 'autoStartToken'],
  ])('%s: a created session without %s is a provider_error', async (id, field) => {
    const { provider } = await setup(
      sessionApi(() => ({ status: 200, json: created('se-4', 0, { idpData: {} }) })),
    );
    await expect(startSbid(provider, id, '192.0.2.10')).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringContaining(field),
    });
  });

  it('every poll of a CREATED session carries the QR data of that second', async () => {
    let polls = 0;
    const { provider } = await setup(sessionApi(() => ({ status: 200, json: created('se-5', ++polls) })));
    const first = await provider.complete({ transaction: transaction('se-5') });
    const second = await provider.complete({ transaction: transaction('se-5') });
    expect(first).toEqual({ status: 'pending', qrData: `bankid.${QR_START}.1.${'01'.repeat(32)}` });
    expect(second).toEqual({ status: 'pending', qrData: `bankid.${QR_START}.2.${'02'.repeat(32)}` });
  });

  it('maps a SUCCESS with a Swedish personnummer to an SE identity', () => {
    const identity = toIdentity({
      id: 'se-6',
      status: 'SUCCESS',
      provider: 'sbid',
      loa: 'substantial',
      subject: {
        id: 'pairwise-se',
        idpId: '198503149828',
        name: 'Anna Andersson',
        firstName: 'Anna',
        lastName: 'Andersson',
        dateOfBirth: '1985-03-14',
        nin: { value: '198503149828', issuingCountry: 'SE', type: 'PERSON' },
      },
    });
    expect(identity).toMatchObject({
      // Swedish BankID's idpId is the personnummer: the subject is Signicat's subject.id, idpId kept in extra.
      subject: 'pairwise-se',
      nin: { value: '198503149828', country: 'SE', type: 'PERSONNUMMER' },
      name: 'Anna Andersson',
      firstName: 'Anna',
      lastName: 'Andersson',
      dateOfBirth: '1985-03-14',
      loa: 'substantial',
      extra: { idp: 'sbid', signicatSubjectId: 'pairwise-se', idpId: '198503149828' },
    });
  });

  it('through the engine: the client IP reaches Signicat, the start answer has the QR and the token, polls refresh the QR', async () => {
    let polls = 0;
    const { server, provider } = await setup(
      sessionApi((request) =>
        request.method === 'POST'
          ? { status: 200, json: created('se-7') }
          : { status: 200, json: created('se-7', ++polls) },
      ),
    );
    // The engine polls a provider at most once a second per transaction: a clock steps past that.
    let clock = Date.now();
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider], now: () => clock });
    const started = await eid.handle({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'signicat', method: 'sbid-qr' },
      body: { returnTo: '/profile' },
      headers: { accept: 'application/json' },
      clientIp: '::ffff:192.0.2.44',
    });
    expect(JSON.parse(server.requests[1]!.body).additionalParameters.sbid_end_user_ip).toBe('192.0.2.44');
    expect(started.response).toMatchObject({
      status: 200,
      body: {
        status: 'pending',
        qrData: `bankid.${QR_START}.0.${'00'.repeat(32)}`,
        autoStartToken: '7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6',
      },
    });
    const { transactionId } = (started.response as { body: { transactionId: string } }).body;
    const binding = started.session?.kind === 'bind' ? started.session.binding : undefined;
    // The token is shown to the starting browser once; the stored transaction does not keep it.
    expect(JSON.stringify(await eid.store.get(transactionId))).not.toContain('7c40b5c9');
    for (const seconds of [1, 2]) {
      clock += 1000;
      const status = await eid.handle({
        route: 'status',
        httpMethod: 'GET',
        params: { transactionId },
        headers: { accept: 'application/json' },
        session: { binding },
      });
      expect(status.response).toEqual({
        type: 'json',
        status: 200,
        body: {
          transactionId,
          status: 'pending',
          qrData: `bankid.${QR_START}.${seconds}.${String(seconds).padStart(2, '0').repeat(32)}`,
          retryAfterMs: 1000,
        },
      });
    }
    await eid.close();
  });

  it('through the engine: a client IP that is not an address is not sent, and the start is refused', async () => {
    const { server, provider } = await setup(sessionApi(() => ({ status: 200, json: created('se-8') })));
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider] });
    const outcome = await eid.handle({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'signicat', method: 'sbid-app' },
      body: {},
      headers: { accept: 'application/json' },
      clientIp: 'not-an-ip, 192.0.2.1',
    });
    expect(outcome.error?.code).toBe('invalid_request');
    expect(outcome.response).toMatchObject({ status: 400 });
    expect(server.requests).toHaveLength(0);
    await eid.close();
  });
});

describe('signicat: upstream failures become EidError codes', () => {
  const start = (provider: Provider) =>
    provider.start({
      transactionId: 't',
      method: method(provider, 'nbid'),
      callbackUrl: 'https://app.example/cb',
      webhookUrl: 'https://app.example/wh',
    });

  it.each<[string, Reply, string]>([
    [
      '400 problem',
      { status: 400, json: { title: 'Bad Request', detail: 'nin 17029012345 is wrong', status: 400 } },
      'provider_error',
    ],
    ['403', { status: 403, json: { title: 'Forbidden' } }, 'provider_error'],
    ['429', { status: 429, json: { title: 'Too Many Requests' } }, 'rate_limited'],
    ['500', { status: 500, text: 'oops' }, 'provider_error'],
    ['503', { status: 503, text: 'down' }, 'provider_unavailable'],
    ['malformed JSON', { status: 200, text: '{"id": ' }, 'provider_error'],
    ['JSON without id', { status: 200, json: { hello: 1 } }, 'provider_error'],
    ['no authenticationUrl', { status: 200, json: { id: 'x', status: 'CREATED' } }, 'provider_error'],
    ['timeout', 'hang', 'provider_unavailable'],
    ['connection reset', 'reset', 'provider_unavailable'],
  ])('%s -> %s', async (_name, reply, code) => {
    const { provider } = await setup(sessionApi(() => reply));
    const error = await start(provider).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EidError);
    expect((error as EidError).code).toBe(code);
    expect((error as EidError).message).not.toMatch(/17029012345/);
  });

  it('401 twice: the credentials are wrong', async () => {
    const { provider } = await setup(sessionApi(() => ({ status: 401, json: { title: 'Unauthorized' } })));
    await expect(start(provider)).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/clientId/),
    });
  });

  it('a refused token request is a provider_error naming the credentials', async () => {
    const { provider } = await setup(() => ({ status: 401, json: { error: 'invalid_client' } }));
    await expect(start(provider)).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/credentials/),
    });
  });

  it('retries an idempotent poll once after a connection reset', async () => {
    let polls = 0;
    const { provider } = await setup(
      sessionApi(() => {
        polls++;
        return polls === 1 ? 'reset' : { status: 200, json: { id: 'abc', status: 'CREATED' } };
      }),
    );
    await expect(provider.complete({ transaction: transaction('abc') })).resolves.toEqual({
      status: 'pending',
    });
    expect(polls).toBe(2);
  });

  it('a session answer for another id is refused', async () => {
    const { provider } = await setup(
      sessionApi(() => ({ status: 200, json: { id: 'other', status: 'SUCCESS' } })),
    );
    await expect(provider.complete({ transaction: transaction('abc') })).rejects.toMatchObject({
      code: 'provider_error',
    });
  });
});

describe('signicat: configuration', () => {
  it.each(['clientId', 'clientSecret', 'accountId'])('names a missing %s', (field) => {
    expect(() => signicat({ ...credentials, [field]: '' })).toThrow(new RegExp(`\`${field}\``));
  });

  it('refuses unknown methods, a bad baseUrl and a bad requestedLoa', () => {
    expect(() => signicat({ ...credentials, methods: ['nbid', 'bogus' as never] })).toThrow(
      /unknown method "bogus"/,
    );
    expect(() => signicat({ ...credentials, baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => signicat({ ...credentials, requestedLoa: 'max' as never })).toThrow(/requestedLoa/);
  });

  it('offers only the chosen methods', () => {
    const provider = signicat({ ...credentials, methods: ['nbid-phone'] });
    expect(provider.methods).toEqual([
      {
        id: 'nbid-phone',
        flow: 'headless',
        purpose: 'verify',
        label: 'Norwegian BankID by phone (call centre)',
        country: 'NO',
        requiresNin: true,
      },
    ]);
  });
});

describe('signicat: the Authentication REST API as the public SDKs show it', () => {
  const jwt = (claims: Record<string, unknown>) =>
    ['{"alg":"RS256","typ":"JWT"}', JSON.stringify(claims)]
      .map((part) => Buffer.from(part).toString('base64url'))
      .concat('c2lnbmF0dXJl')
      .join('.');

  it.each([
    ['waiting-for-user', 'pending', undefined],
    ['expired', 'failed', 'transaction_expired'],
    ['invalid', 'failed', 'provider_error'],
  ])('status fixture %s maps to %s', (name, expected, code) => {
    const result = mapSessionStatus(fixture(name), { id: 't' });
    expect(result.status).toBe(expected);
    if (code) expect(result.status === 'failed' && result.error.code).toBe(code);
  });

  it('INVALID with a problem-details error names only its safe code', () => {
    const result = mapSessionStatus(fixture('invalid'), { id: 't' });
    expect(result.status === 'failed' && result.error.message).toMatch(/\(invalid_account_id\)/);
  });

  it('accepts an alpha-3 issuingCountry (NOR) and keeps the BankID PID as the nbid subject', () => {
    const identity = toIdentity(fixture('nbid-success-alpha3'));
    expect(identity.nin).toEqual({ value: '01819012365', country: 'NO', type: 'TEST' });
    expect(identity.subject).toBe('9578-6000-4-48855');
    expect(identity.extra).toMatchObject({
      idpId: '9578-6000-4-48855',
      signicatSubjectId: '9578-6000-4-48855',
    });
  });

  it.each([
    ['SWE', '198503149828', 'SE'],
    ['se', '198503149828', 'SE'],
    ['DNK', '0101901234', 'DK'],
    ['FIN', '010190-123A', 'FI'],
  ])('reads issuingCountry %s', (issuingCountry, value, country) => {
    const identity = toIdentity({
      id: 's',
      status: 'SUCCESS',
      subject: { id: 'pseudonym', idpId: 'pid', nin: { value, issuingCountry } },
    });
    expect(identity.nin?.country).toBe(country);
  });

  it('never makes the number the subject: an idpId equal to the stated nin gives subject.id', () => {
    const identity = toIdentity({
      id: 's',
      status: 'SUCCESS',
      provider: 'ftn',
      subject: { id: 'pseudonym', idpId: '01819012365', nin: { value: '01819012365', issuingCountry: 'NO' } },
    });
    expect(identity.subject).toBe('pseudonym');
  });

  it('refuses an ID-porten SUCCESS without subject.id rather than fall back to the number', () => {
    const session = fixture('idporten-success');
    delete session.subject.id;
    expect(() => toIdentity(session)).toThrow(expect.objectContaining({ code: 'provider_error' }));
  });

  it('sends signicat-accountId on every call when the access token names an account', async () => {
    const token = jwt({ account_id: 'a-spge-fromtoken', scope: 'signicat-api' });
    const { server, provider } = await setup((request) => {
      if (request.path === '/auth/open/connect/token') {
        return { status: 200, json: { access_token: token, token_type: 'Bearer', expires_in: 600 } };
      }
      return { status: 200, json: { ...fixture('idporten-create-response'), id: 'abc' } };
    });
    await provider.start({
      transactionId: 't',
      method: method(provider, 'nbid'),
      callbackUrl: 'https://app.example/cb?tx=t',
      webhookUrl: 'https://app.example/wh',
    });
    await provider.complete({ transaction: transaction('abc') });
    await provider.cancel?.(transaction('abc'));
    const calls = server.requests.slice(1);
    expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /auth/rest/sessions',
      'GET /auth/rest/sessions/abc',
      'POST /auth/rest/sessions/abc/cancel',
    ]);
    for (const call of calls) expect(call.query.get('signicat-accountId')).toBe('a-spge-fromtoken');
  });

  it('with an opaque token (or one without account_id), only the create call names the configured account', async () => {
    const { server, provider } = await setup(
      sessionApi(() => ({ status: 200, json: { ...fixture('idporten-create-response'), id: 'abc' } })),
    );
    await provider.complete({ transaction: transaction('abc') });
    expect(server.requests[1]!.query.has('signicat-accountId')).toBe(false);
  });

  it('reads a problem-details body: a safe code is named, the detail never shown', async () => {
    const { provider } = await setup(
      sessionApi(() => ({ status: 400, json: fixture('problem-invalid-account') })),
    );
    const error = await provider.complete({ transaction: transaction('abc') }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'provider_error',
      message: expect.stringMatching(/invalid_account_id.*accountId/),
    });
    expect((error as Error).message).not.toMatch(/unexpected accountId was sent/);
  });

  it('a problem code that could carry a number is not shown', async () => {
    const { provider } = await setup(
      sessionApi(() => ({
        status: 400,
        json: { title: 'Bad Request', detail: 'x', code: 'nin_17029012345' },
      })),
    );
    const error = (await provider
      .complete({ transaction: transaction('abc') })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).not.toMatch(/17029012345|nin_/);
  });

  async function redirectLogin(sessionId: (reference: string) => string | undefined) {
    const { server, provider } = await setup(
      sessionApi((request) =>
        request.method === 'POST'
          ? { status: 200, json: { ...fixture('idporten-create-response'), id: 'abc' } }
          : { status: 200, json: { ...fixture('idporten-success'), id: 'abc' } },
      ),
    );
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider] });
    const started = await eid.handle({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'signicat', method: 'idporten' },
      body: { returnTo: '/profile' },
      headers: { accept: 'application/json' },
    });
    const binding = started.session?.kind === 'bind' ? started.session.binding : undefined;
    // Back as Signicat sends the browser: the success callback URL with sessionId appended.
    const success = new URL(JSON.parse(server.requests[1]!.body).callbackUrls.success);
    const query = Object.fromEntries(success.searchParams);
    const appended = sessionId('abc');
    const outcome = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'signicat' },
      query: appended === undefined ? query : { ...query, sessionId: appended },
      headers: { accept: 'application/json' },
      session: { binding },
    });
    await eid.close();
    return { outcome, polls: server.requests.filter((r) => r.method === 'GET').length };
  }

  it('accepts the sessionId Signicat appends to the callback URL', async () => {
    const { outcome } = await redirectLogin((reference) => reference);
    expect(outcome.session).toMatchObject({
      kind: 'login',
      identity: { subject: '-vMrFZU-H7D1n3NoTugvJT9afALzSTdOEDUXII42Hqw=' },
    });
  });

  it('a callback whose sessionId is another session logs nobody in', async () => {
    const { outcome, polls } = await redirectLogin(() => 'someone-elses-session');
    expect(outcome.session?.kind).not.toBe('login');
    expect(outcome.error?.code).toBe('provider_error');
    expect(polls).toBe(0);
  });

  it('finds the transaction when sessionId was glued on with a second "?"', () => {
    const { provider } = { provider: signicat({ ...credentials, baseUrl: 'https://api.example' }) };
    expect(provider.transactionIdFromCallback?.({ tx: 'tx-1?sessionId=abc', outcome: 'success' })).toBe(
      'tx-1',
    );
  });
});

describe('signicat: checkClientEnvironment (the client that authenticated against the browser finishing)', () => {
  const UA = fixture('idporten-success').environment.userAgent as string;
  const success = (environment: Record<string, string> | null) => {
    const { environment: _documented, ...session } = fixture('idporten-success');
    return { ...session, id: 'abc', ...(environment ? { environment } : {}) };
  };
  const finish = async (
    options: Record<string, unknown>,
    client: { ip?: string; userAgent?: string } | undefined,
    environment: Record<string, string> | null = { ipAddress: '192.0.2.2', userAgent: UA },
    flow: 'redirect' | 'headless' = 'redirect',
  ) => {
    const { provider } = await setup(
      sessionApi(() => ({ status: 200, json: success(environment) })),
      options,
    );
    return provider.complete({
      transaction: { ...transaction('abc'), flow },
      ...(client ? { client } : {}),
    });
  };
  const code = (result: Awaited<ReturnType<typeof finish>>) =>
    result.status === 'failed' ? result.error.code : result.status;

  it('is off by default: a login finished from anywhere completes', async () => {
    expect(await finish({}, { ip: '198.51.100.7', userAgent: 'curl/8' })).toMatchObject({
      status: 'complete',
    });
  });

  it('ip: the same address completes, another one is browser_mismatch', async () => {
    expect(code(await finish({ checkClientEnvironment: 'ip' }, { ip: '192.0.2.2', userAgent: 'x' }))).toBe(
      'complete',
    );
    const refused = await finish({ checkClientEnvironment: 'ip' }, { ip: '198.51.100.7', userAgent: UA });
    expect(code(refused)).toBe('browser_mismatch');
    if (refused.status === 'failed') expect(refused.error.message).not.toMatch(/192\.0|198\.51/);
  });

  it('ip+userAgent: the user agent must match too', async () => {
    const check = { checkClientEnvironment: 'ip+userAgent' };
    expect(code(await finish(check, { ip: '192.0.2.2', userAgent: UA }))).toBe('complete');
    expect(code(await finish(check, { ip: '192.0.2.2', userAgent: 'Mozilla/5.0 (attacker)' }))).toBe(
      'browser_mismatch',
    );
    expect(code(await finish(check, { ip: '192.0.2.2' }))).toBe('browser_mismatch');
  });

  it('compares addresses in one spelling: IPv4-mapped IPv6 and IPv6 zero compression', async () => {
    const check = { checkClientEnvironment: 'ip' };
    expect(code(await finish(check, { ip: '::ffff:192.0.2.2' }))).toBe('complete');
    const v6 = { ipAddress: '2001:DB8:0:0::1', userAgent: UA };
    expect(code(await finish(check, { ip: '2001:db8::1' }, v6))).toBe('complete');
    expect(code(await finish(check, { ip: '2001:db8::2' }, v6))).toBe('browser_mismatch');
  });

  it('fails rather than guess when either side has no address', async () => {
    const check = { checkClientEnvironment: 'ip' };
    const noEnvironment = await finish(check, { ip: '192.0.2.2' }, null);
    expect(code(noEnvironment)).toBe('provider_error');
    const noClientIp = await finish(check, { userAgent: UA });
    expect(code(noClientIp)).toBe('invalid_config');
    if (noClientIp.status === 'failed') expect(noClientIp.error.message).toMatch(/trust proxy/);
  });

  it('does not check headless logins (the eID runs on a phone)', async () => {
    expect(
      code(
        await finish({ checkClientEnvironment: 'ip' }, undefined, { ipAddress: '203.0.113.9' }, 'headless'),
      ),
    ).toBe('complete');
  });

  it('refuses an unknown check', () => {
    expect(() =>
      signicat({ ...credentials, checkClientEnvironment: 'userAgent' as unknown as 'ip' }),
    ).toThrowError(/checkClientEnvironment/);
  });

  it('through the engine: the callback hands Signicat its client address and user agent', async () => {
    const { server, provider } = await setup(
      sessionApi((request) =>
        request.method === 'POST'
          ? { status: 200, json: { ...fixture('idporten-create-response'), id: 'abc' } }
          : { status: 200, json: success({ ipAddress: '192.0.2.2', userAgent: UA }) },
      ),
      { checkClientEnvironment: 'ip+userAgent' },
    );
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider] });
    const start = async () => {
      const started = await eid.handle({
        route: 'start',
        httpMethod: 'POST',
        params: { provider: 'signicat', method: 'idporten' },
        body: { returnTo: '/profile' },
        headers: { accept: 'application/json' },
      });
      const binding = started.session?.kind === 'bind' ? started.session.binding : undefined;
      const creates = server.requests.filter((request) => request.method === 'POST' && request.body);
      const callback = new URL(JSON.parse(creates.at(-1)!.body).callbackUrls.success);
      return { binding, query: Object.fromEntries(callback.searchParams) };
    };
    const callback = (login: Awaited<ReturnType<typeof start>>, clientIp: string, userAgent: string) =>
      eid.handle({
        route: 'callback',
        httpMethod: 'GET',
        params: { provider: 'signicat' },
        query: login.query,
        headers: { accept: 'application/json', 'user-agent': userAgent },
        clientIp,
        session: { binding: login.binding },
      });
    const genuine = await callback(await start(), '::ffff:192.0.2.2', UA);
    expect(genuine.session?.kind).toBe('login');
    const relayed = await callback(await start(), '198.51.100.7', UA);
    expect(relayed.session).toBeUndefined();
    expect(relayed.error?.code).toBe('browser_mismatch');
    await eid.close();
  });
});
