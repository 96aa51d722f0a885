import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { createEid, type EidSessionData } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import {
  linkMobilityNext,
  mapAuthentication,
  NEXT_METHODS,
  next,
  toIdentity,
} from '../src/providers/next/index.js';
import { readCallback } from '../src/providers/next/wire.js';
import type { Provider, ProviderMethod } from '../src/providers/types.js';
import { MemoryStore } from '../src/store/memory.js';
import type { Transaction } from '../src/transaction.js';
import {
  type RecordedRequest,
  type Reply,
  recordedProvider,
  startRecordingServer,
} from './helpers/recording-server.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/next/${name}.json`, import.meta.url), 'utf8'));

const ID = '3f6d2a8e-9b1c-4e57-a0d2-6c8b1f4e9a17';
const credentials = { username: 'demo', password: 'p@55w0rd', partnerId: 'partner-4711' };
const created: Reply = { status: 201, text: '', headers: { location: ID } };

const method = (provider: Provider, id: string): ProviderMethod => {
  const found = provider.methods.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no method ${id}`);
  return found;
};
const transaction = (reference = ID, methodId = 'nbid'): Transaction => ({
  id: 'tx-0123456789abcdefghijk',
  provider: 'next',
  method: methodId,
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

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

const setup = (
  answer: (request: RecordedRequest) => Reply | Promise<Reply>,
  options: Record<string, unknown> = {},
  runtime: { logger?: Logger } = {},
) =>
  recordedProvider(answer, (baseUrl) => linkMobilityNext({ ...credentials, baseUrl, ...options }), runtime);

/** NEXT as a script: POST answers `create`, GET answers `read`. */
function api(read: (request: RecordedRequest) => Reply, create: Reply = created) {
  return (request: RecordedRequest): Reply => (request.method === 'POST' ? create : read(request));
}

const startWith = (provider: Provider, id: string, extra: Record<string, unknown> = {}) =>
  provider.start({
    transactionId: 'tx-1',
    method: method(provider, id),
    callbackUrl: 'https://app.example/auth/eid/callback/next?tx=tx-1',
    webhookUrl: 'https://app.example/auth/eid/webhook/next?tx=tx-1',
    ...extra,
  });

describe('next: requests on the wire', () => {
  it('authenticates with HTTP Basic exactly as the seed encodes demo / p@55w0rd', async () => {
    const { server, provider } = await setup(api(() => ({ status: 200, json: {} })));
    await startWith(provider, 'nbid');
    expect(server.requests[0]!.headers.authorization).toBe('Basic ZGVtbzpwQDU1dzByZA==');
  });

  it('creates an authentication shaped like the documented payload, field by field', async () => {
    const { server, provider } = await setup(
      api(() => ({ status: 200, json: {} })),
      {
        customProperties: { shop: 'web' },
      },
    );
    const started = await startWith(provider, 'nbid', {
      nin: { value: '17829034034', country: 'NO', type: 'TEST' },
    });
    const create = server.requests[0]!;
    expect(create.method).toBe('POST');
    expect(create.path).toBe('/api/authentications');
    expect([...create.query.keys()]).toEqual([]);
    expect(create.headers['content-type']).toBe('application/json');
    expect(create.headers.accept).toBe('application/json');
    const body = JSON.parse(create.body);
    const documented = fixture('create-request');
    expect(Object.keys(body).sort()).toEqual(Object.keys(documented).sort());
    expect(body.partnerId).toBe(documented.partnerId);
    expect(body.method).toBe(documented.method);
    expect(body.identity).toBe(documented.identity);
    expect(body.callbackUrl).toBe(documented.callbackUrl);
    expect(body.customProperties).toEqual(documented.customProperties);
    // The engine's tx stays in the callback URL; NEXT appends id.
    expect(new URL(body.callbackUrl).searchParams.get('tx')).toBe('tx-1');
    // The number to verify is kept as provider state: the identity when the answer has no person data.
    expect(started).toEqual({
      reference: ID,
      redirectUrl: `${server.url}/bankid/partner-4711/${ID}/authenticate`,
      state: { identity: '17829034034' },
    });
  });

  it.each(NEXT_METHODS.map((spec) => [spec.id, spec.country] as const))(
    'sends method %s as is, with the %s personal number in its own format',
    async (id, country) => {
      const { server, provider } = await setup(api(() => ({ status: 200, json: {} })));
      const nin =
        country === 'NO'
          ? { value: '17829034034', country: 'NO', type: 'TEST' }
          : { value: '198503149828', country: 'SE', type: 'PERSONNUMMER' };
      await startWith(provider, id, { nin });
      const body = JSON.parse(server.requests[0]!.body);
      expect(body.method).toBe(id);
      expect(body.identity).toBe(country === 'NO' ? '17829034034' : '198503149828');
    },
  );

  it('leaves identity and customProperties out when there are none', async () => {
    const { server, provider } = await setup(api(() => ({ status: 200, json: {} })));
    await startWith(provider, 'sbid');
    expect(Object.keys(JSON.parse(server.requests[0]!.body)).sort()).toEqual([
      'callbackUrl',
      'method',
      'partnerId',
    ]);
  });

  it.each([
    ['a bare GUID', ID],
    ['a path', `/api/authentications/partner-4711/${ID}`],
    ['an absolute URL', `https://prod-common-identity-api.azurewebsites.net/api/authentications/p/${ID}`],
  ])('reads the id from a Location that is %s', async (_name, location) => {
    const { provider } = await setup(
      api(() => ({ status: 200, json: {} }), { status: 201, text: '', headers: { location } }),
    );
    expect((await startWith(provider, 'nbid')).reference).toBe(ID);
  });

  it.each([
    ['no Location', { status: 201, text: '' }],
    ['a Location without a GUID', { status: 201, text: '', headers: { location: '/api/authentications/x' } }],
  ] as const)('%s is a provider_error', async (_name, reply) => {
    const { provider } = await setup(api(() => ({ status: 200, json: {} }), reply as Reply));
    await expect(startWith(provider, 'nbid')).rejects.toMatchObject({ code: 'provider_error' });
  });

  it('reads GET /api/authentications/{partnerId}/{id} with Basic auth, escaping the path', async () => {
    const { server, provider } = await setup(
      api(() => ({ status: 200, json: fixture('authentication-pending') })),
      {
        partnerId: 'partner/47 11',
      },
    );
    await expect(provider.complete({ transaction: transaction() })).resolves.toEqual({ status: 'pending' });
    const read = server.requests[0]!;
    expect(read.method).toBe('GET');
    expect(read.path).toBe(`/api/authentications/partner%2F47%2011/${ID}`);
    expect(read.headers.authorization).toBe('Basic ZGVtbzpwQDU1dzByZA==');
    expect(read.headers.accept).toBe('application/json');
  });

  it('a password with a colon and non-ASCII characters is sent as UTF-8 user:password', async () => {
    const { server, provider } = await setup(
      api(() => ({ status: 200, json: {} })),
      {
        username: 'bjørn',
        password: 'a:b c',
      },
    );
    await startWith(provider, 'nbid');
    const header = String(server.requests[0]!.headers.authorization);
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe('bjørn:a:b c');
  });
});

describe('next: the callback id must be the transaction reference', () => {
  it('finds the transaction id even when NEXT concatenates "?id=" to a URL that has a query', () => {
    const provider = next(credentials);
    expect(provider.transactionIdFromCallback?.({ tx: `abc?id=${ID}` })).toBe('abc');
    expect(provider.transactionIdFromCallback?.({ tx: 'abc', id: ID })).toBe('abc');
    expect(provider.transactionIdFromCallback?.({ id: ID })).toBeUndefined();
  });

  it('reads the callback query once: tx and every id, separate or concatenated after "?"', () => {
    expect(readCallback({ tx: `abc?id=${ID}` })).toEqual({ transactionId: 'abc', authenticationIds: [ID] });
    expect(readCallback({ tx: 'abc', id: ID })).toEqual({ transactionId: 'abc', authenticationIds: [ID] });
    // A query of the app's own after tx: the concatenation lands in that value.
    expect(readCallback({ tx: 'abc', x: `1?id=${ID}` })).toEqual({
      transactionId: 'abc',
      authenticationIds: [ID],
    });
    expect(readCallback({ tx: `?id=${ID}` })).toEqual({ transactionId: undefined, authenticationIds: [ID] });
    expect(readCallback({})).toEqual({ transactionId: undefined, authenticationIds: [] });
  });

  it('the concatenated form completes the login; two ids that disagree are transaction_not_found', async () => {
    const { server, provider } = await setup(
      api(() => ({ status: 200, json: fixture('authentication-success-nbid') })),
    );
    const result = await provider.complete({
      transaction: transaction(),
      callbackQuery: { tx: `tx?id=${ID.toUpperCase()}` },
    });
    expect(result.status).toBe('complete');
    const forged = '00000000-0000-4000-8000-000000000000';
    await expect(
      provider.complete({ transaction: transaction(), callbackQuery: { tx: `tx?id=${ID}`, id: forged } }),
    ).rejects.toMatchObject({ code: 'transaction_not_found' });
    expect(server.requests).toHaveLength(1);
  });

  it('a callback whose id differs is transaction_not_found, without asking NEXT', async () => {
    const { server, provider } = await setup(
      api(() => ({ status: 200, json: fixture('authentication-success-nbid') })),
    );
    const forged = '00000000-0000-4000-8000-000000000000';
    await expect(
      provider.complete({ transaction: transaction(), callbackQuery: { tx: 'tx', id: forged } }),
    ).rejects.toMatchObject({ code: 'transaction_not_found' });
    await expect(
      provider.complete({ transaction: transaction(), callbackQuery: { tx: 'tx' } }),
    ).rejects.toMatchObject({ code: 'transaction_not_found' });
    expect(server.requests).toHaveLength(0);
  });

  it('the matching id (GUID case aside) completes the login', async () => {
    const { provider } = await setup(
      api(() => ({ status: 200, json: fixture('authentication-success-nbid') })),
    );
    const result = await provider.complete({
      transaction: transaction(),
      callbackQuery: { tx: 'tx', id: ID.toUpperCase() },
    });
    expect(result.status).toBe('complete');
  });

  it('an answer about another authentication is refused', async () => {
    const { provider } = await setup(
      api(() => ({
        status: 200,
        json: { ...fixture('authentication-success-nbid'), id: 'b2c41e07-5d3a-4f8e-9c61-0a7e2d9b4f35' },
      })),
    );
    await expect(
      provider.complete({ transaction: transaction(), callbackQuery: { id: ID } }),
    ).rejects.toMatchObject({ code: 'provider_error' });
  });
});

describe('next: responses mapped to Identity', () => {
  it('maps the Norwegian success example to the identity of docs/http-contract.md §3', () => {
    const identity = toIdentity(fixture('authentication-success-nbid'), 'NO');
    expect(identity).toEqual({
      subject: '17829034034',
      nin: { value: '17829034034', country: 'NO', type: 'TEST' },
      name: 'Kari Nordmann',
      firstName: 'Kari',
      lastName: 'Nordmann',
      dateOfBirth: '1990-02-17',
      authenticatedAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(identity.authenticatedAt))).toBe(false);
  });

  it('maps the Swedish success example, reading the date of birth from the personnummer', () => {
    const identity = toIdentity(fixture('authentication-success-sbid'), 'SE');
    expect(identity).toMatchObject({
      subject: '198503149828',
      nin: { value: '198503149828', country: 'SE', type: 'PERSONNUMMER' },
      name: 'Anna Andersson',
      dateOfBirth: '1985-03-14',
    });
    expect('loa' in identity).toBe(false);
  });

  it('reads nationalId or ssn when identity is absent, builds the name, leaves out empty fields', () => {
    const identity = toIdentity(
      { success: true, nationalId: '03918542174', firstName: 'Ola', lastName: 'Nordmann', name: '' },
      'NO',
    );
    expect(identity).toMatchObject({ subject: '03918542174', name: 'Ola Nordmann' });
    expect(toIdentity({ success: true, ssn: '198503149828' }, 'SE').subject).toBe('198503149828');
    expect('name' in toIdentity({ success: true, ssn: '198503149828', name: ' ' }, 'SE')).toBe(false);
  });

  it('keeps a number that does not validate, typed by the country, and logs that (never the number)', () => {
    const logs: unknown[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (obj: object) => logs.push(obj) };
    const identity = toIdentity({ success: true, identity: '17029012345' }, 'NO', logger);
    expect(identity.nin).toEqual({ value: '17029012345', country: 'NO', type: 'BIRTH' });
    expect('dateOfBirth' in identity).toBe(false);
    expect(JSON.stringify(logs)).not.toMatch(/17029012345/);
  });

  it('success without a personal number is a provider_error', () => {
    expect(() => toIdentity({ success: true, name: 'X' }, 'NO')).toThrow(
      expect.objectContaining({ code: 'provider_error' }),
    );
  });

  it.each(['authentication-success-documented', 'authentication-success-no-person'])(
    '%s: no person data, the identity is the number NEXT was asked to verify',
    (name) => {
      const result = mapAuthentication(fixture(name), {
        transaction: { id: 't' },
        country: 'NO',
        requested: '17829034034',
      });
      expect(result).toEqual({
        status: 'complete',
        identity: {
          subject: '17829034034',
          nin: { value: '17829034034', country: 'NO', type: 'TEST' },
          dateOfBirth: '1990-02-17',
          authenticatedAt: expect.any(String),
        },
      });
      const swedish = toIdentity(fixture(name), 'SE', undefined, '198503149828');
      expect(swedish).toMatchObject({ subject: '198503149828', dateOfBirth: '1985-03-14' });
    },
  );

  it('no person data and no number asked for: a provider_error saying what to do, without personal data', () => {
    for (const name of ['authentication-success-documented', 'authentication-success-no-person']) {
      let error: unknown;
      try {
        mapAuthentication(fixture(name), { transaction: { id: 't' }, country: 'NO' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(EidError);
      expect(error).toMatchObject({ code: 'provider_error', message: expect.stringMatching(/\(nin\)/) });
      expect((error as Error).message).not.toMatch(/\d{6}/);
    }
  });

  it('person data that names someone else than the number asked for is a provider_error', () => {
    const answer = fixture('authentication-success-nbid');
    expect(() => toIdentity(answer, 'NO', undefined, '03918542174')).toThrow(
      expect.objectContaining({ code: 'provider_error', message: expect.not.stringMatching(/\d{6}/) }),
    );
    // The same person in another spelling (SE 10 digits with separator) is the same number.
    expect(
      toIdentity({ success: true, identity: '850314-9828' }, 'SE', undefined, '198503149828').subject,
    ).toBe('198503149828');
    expect(toIdentity(answer, 'NO', undefined, '17829034034').name).toBe('Kari Nordmann');
  });

  const context = { transaction: { id: 't' }, country: 'NO' as const };
  it.each<[string, Record<string, unknown>, boolean, string, string | undefined]>([
    ['success true', { success: true, identity: '17829034034' }, false, 'complete', undefined],
    ['Pending', fixture('authentication-pending'), false, 'pending', undefined],
    ['Pending at the callback', fixture('authentication-pending'), true, 'pending', undefined],
    ['Cancelled', fixture('authentication-cancelled'), true, 'failed', 'user_cancelled'],
    ['aborted', { success: false, status: 'aborted' }, true, 'failed', 'user_cancelled'],
    ['Failed', fixture('authentication-failed'), true, 'failed', 'provider_error'],
    ['Expired', { success: false, status: 'Expired' }, false, 'failed', 'transaction_expired'],
    ['Completed without success', { success: false, status: 'Completed' }, true, 'failed', 'provider_error'],
    ['an unknown status', { success: false, status: 'Sideways' }, false, 'failed', 'provider_error'],
    ['success false, no status, polling', { success: false }, false, 'pending', undefined],
    ['success false, no status, at the callback', { success: false }, true, 'failed', 'provider_error'],
    ['no success field at the callback', {}, true, 'failed', 'provider_error'],
  ])('%s -> %s', (_name, authentication, fromCallback, status, code) => {
    const result = mapAuthentication(authentication, { ...context, fromCallback });
    expect(result.status).toBe(status);
    if (code) expect(result.status === 'failed' && result.error.code).toBe(code);
  });

  it('names a well-formed provider error code, and the profile hook adjusts the identity', () => {
    const failed = mapAuthentication(fixture('authentication-failed'), context);
    expect(failed.status === 'failed' && failed.error.message).toMatch(/bankid_error/);
    const done = mapAuthentication(fixture('authentication-success-nbid'), {
      ...context,
      profile: (authentication, identity) => ({
        ...identity,
        extra: { authenticationId: authentication.id },
      }),
    });
    expect(done.status === 'complete' && done.identity.extra).toEqual({ authenticationId: ID });
  });
});

describe('next: upstream failures become EidError codes', () => {
  it.each<[string, Reply, string, RegExp?]>([
    [
      '400 validation problem',
      { status: 400, json: fixture('validation-problem') },
      'provider_error',
      /Identity/,
    ],
    [
      '401',
      { status: 401, text: '', headers: { 'www-authenticate': 'Basic realm="NEXT"' } },
      'provider_error',
      /username and password/,
    ],
    ['403', { status: 403, json: { title: 'Forbidden', status: 403 } }, 'provider_error', /partnerId/],
    ['404', { status: 404, json: { title: 'Not Found', status: 404 } }, 'provider_error'],
    ['409', { status: 409, json: { title: 'Conflict', status: 409 } }, 'provider_error', /HTTP 409/],
    ['415', { status: 415, json: { title: 'Unsupported Media Type', status: 415 } }, 'provider_error'],
    ['429', { status: 429, json: { title: 'Too Many Requests' } }, 'rate_limited'],
    ['500', { status: 500, text: 'oops' }, 'provider_error', /HTTP 500/],
    ['502', { status: 502, text: 'bad gateway' }, 'provider_unavailable'],
    ['503', { status: 503, text: 'down' }, 'provider_unavailable'],
    ['504', { status: 504, text: 'gateway timeout' }, 'provider_unavailable'],
    ['200 instead of 201 without Location', { status: 200, json: { id: ID } }, 'provider_error'],
    ['timeout', 'hang', 'provider_unavailable', /in time/],
    ['connection reset', 'reset', 'provider_unavailable'],
  ])('creating: %s -> %s', async (_name, reply, code, message) => {
    const { provider } = await setup(() => reply);
    const error = await startWith(provider, 'nbid', {
      nin: { value: '17829034034', country: 'NO', type: 'TEST' },
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EidError);
    expect((error as EidError).code).toBe(code);
    if (message) expect((error as EidError).message).toMatch(message);
    expect((error as EidError).message).not.toMatch(/17829034034/);
  });

  it.each<[string, Reply, string]>([
    ['401', { status: 401, text: '' }, 'provider_error'],
    ['404', { status: 404, json: { title: 'Not Found', status: 404 } }, 'provider_error'],
    ['500', { status: 500, json: { title: 'Internal Server Error' } }, 'provider_error'],
    ['503', { status: 503, text: '' }, 'provider_unavailable'],
    ['malformed JSON', { status: 200, text: '{"success": tr' }, 'provider_error'],
    ['a JSON array', { status: 200, json: [] }, 'provider_error'],
    ['a JSON string', { status: 200, json: 'ok' }, 'provider_error'],
    ['timeout', 'hang', 'provider_unavailable'],
  ])('reading: %s -> %s', async (_name, reply, code) => {
    const { provider } = await setup(() => reply);
    await expect(
      provider.complete({ transaction: transaction(), callbackQuery: { id: ID } }),
    ).rejects.toMatchObject({ code });
  });

  it('retries the read once after a connection reset', async () => {
    let reads = 0;
    const { provider } = await setup(
      api(() => {
        reads++;
        return reads === 1 ? 'reset' : { status: 200, json: fixture('authentication-pending') };
      }),
    );
    await expect(provider.complete({ transaction: transaction() })).resolves.toEqual({ status: 'pending' });
    expect(reads).toBe(2);
  });

  it('never retries the create (it is not idempotent)', async () => {
    const { server, provider } = await setup(() => 'reset');
    await expect(startWith(provider, 'nbid')).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(server.requests).toHaveLength(1);
  });

  it('logs problem bodies redacted: no personal number reaches the log', async () => {
    const logs: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (obj: object, msg?: string) => logs.push(JSON.stringify(obj) + (msg ?? '')),
    };
    const { provider } = await setup(
      () => ({ status: 400, json: fixture('validation-problem') }),
      {},
      { logger },
    );
    await startWith(provider, 'nbid', { nin: { value: '17829034034', country: 'NO', type: 'TEST' } }).catch(
      () => undefined,
    );
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toMatch(/17829034034/);
  });
});

describe('next: configuration', () => {
  it.each(['username', 'password', 'partnerId'])('names a missing %s', (field) => {
    expect(() => next({ ...credentials, [field]: '' })).toThrow(new RegExp(`\`${field}\``));
    expect(() => next({ ...credentials, [field]: undefined } as never)).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });

  it('refuses a colon in the username, a bad baseUrl, unknown methods and bad customProperties', () => {
    expect(() => next({ ...credentials, username: 'a:b' })).toThrow(/`username`/);
    expect(() => next({ ...credentials, baseUrl: 'not a url' })).toThrow(/`baseUrl`/);
    expect(() => next({ ...credentials, baseUrl: 'ftp://x.example' })).toThrow(/`baseUrl`/);
    expect(() => next({ ...credentials, methods: ['nbid', 'bogus' as never] })).toThrow(
      /unknown method "bogus"/,
    );
    expect(() => next({ ...credentials, methods: [] })).toThrow(/`methods`/);
    expect(() => next({ ...credentials, customProperties: { a: 1 } as never })).toThrow(/`customProperties`/);
  });

  it('refuses the retired BankID på mobil (nbid-mobil) with the reason', () => {
    expect(() => next({ ...credentials, methods: ['nbid-mobil' as never] })).toThrow(
      /`nbid-mobil` is no longer offered: BankID på mobil \(BIM\) was switched off by BankID Norway on 1 September 2024/,
    );
  });

  it('offers the documented methods still working, all redirect, or only the chosen ones', () => {
    expect(next(credentials).methods).toEqual([
      { id: 'nbid', flow: 'redirect', purpose: 'login', label: 'Norwegian BankID', country: 'NO' },
      { id: 'sbid', flow: 'redirect', purpose: 'login', label: 'Swedish BankID', country: 'SE' },
      { id: 'sbid-mobil', flow: 'redirect', purpose: 'login', label: 'Swedish Mobile BankID', country: 'SE' },
      // Signing (`POST /api/signing`), listed only in apps that sign.
      expect.objectContaining({
        id: 'nbid-sign',
        purpose: 'sign',
        country: 'NO',
        signing: { contentTypes: ['application/pdf', 'text/plain'] },
      }),
      expect.objectContaining({ id: 'sbid-sign', purpose: 'sign', country: 'SE' }),
    ]);
    const provider = next({ ...credentials, methods: ['sbid-mobil'] });
    expect(provider.id).toBe('next');
    expect(provider.methods.map((m) => m.id)).toEqual(['sbid-mobil']);
  });
});

describe('next through the engine', () => {
  async function engine(options: { logger?: Logger } = {}) {
    let authentication: Record<string, unknown> = fixture('authentication-pending');
    const server = await startRecordingServer((request) =>
      request.method === 'POST' ? created : { status: 200, json: authentication },
    );
    const store = new MemoryStore();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [next({ ...credentials, baseUrl: server.url })],
      store,
      ...options,
    });
    closers.push(async () => {
      await eid.close();
      await server.close();
    });
    let session: EidSessionData | undefined;
    const call = async (request: Parameters<typeof eid.handle>[0]) => {
      const outcome = await eid.handle({ ...request, session });
      if (outcome.session?.kind === 'bind') session = { ...session, binding: outcome.session.binding };
      if (outcome.session?.kind === 'login') session = { identity: outcome.session.identity };
      return outcome;
    };
    return {
      server,
      store,
      call,
      session: () => session,
      answer: (name: string) => {
        authentication = fixture(name);
      },
    };
  }

  it('a callback with a forged id writes no identity; the genuine one then logs in', async () => {
    const { server, store, call, session, answer } = await engine();
    const started = await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'next', method: 'nbid' },
      query: { returnTo: '/account' },
    });
    expect(started.response).toMatchObject({
      type: 'redirect',
      location: `${server.url}/bankid/partner-4711/${ID}/authenticate`,
    });
    const callbackUrl = new URL(JSON.parse(server.requests[0]!.body).callbackUrl);
    expect(callbackUrl.pathname).toBe('/auth/eid/callback/next');
    const tx = callbackUrl.searchParams.get('tx')!;
    answer('authentication-success-nbid');

    const forged = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'next' },
      query: { tx, id: 'b2c41e07-5d3a-4f8e-9c61-0a7e2d9b4f35' },
    });
    expect(forged.error?.code).toBe('transaction_not_found');
    expect(forged.response).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=transaction_not_found',
    });
    expect(forged.session).toBeUndefined();
    expect(session()?.identity).toBeUndefined();
    expect((await store.get(tx))?.status).toBe('pending');
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(0);

    const genuine = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'next' },
      query: { tx, id: ID },
    });
    expect(genuine.response).toEqual({ type: 'redirect', status: 303, location: '/account' });
    expect(session()?.identity).toMatchObject({
      provider: 'next',
      method: 'nbid',
      subject: '17829034034',
      name: 'Kari Nordmann',
      transactionId: tx,
    });
  });

  it('the callback with "?id=" concatenated to tx logs in; without person data the number asked for is the identity', async () => {
    const logs: string[] = [];
    const logger = {
      debug: (obj: object, msg?: string) => logs.push(JSON.stringify([obj, msg])),
      info: (obj: object, msg?: string) => logs.push(JSON.stringify([obj, msg])),
      warn: (obj: object, msg?: string) => logs.push(JSON.stringify([obj, msg])),
      error: (obj: object, msg?: string) => logs.push(JSON.stringify([obj, msg])),
    };
    const { server, store, call, session, answer } = await engine({ logger });
    await call({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'next', method: 'nbid' },
      body: { returnTo: '/account', nin: '17829034034' },
    });
    const callbackUrl = JSON.parse(server.requests[0]!.body).callbackUrl as string;
    const tx = new URL(callbackUrl).searchParams.get('tx')!;
    expect((await store.get(tx))?.providerState).toEqual({ identity: '17829034034' });
    answer('authentication-success-documented');
    // What the browser brings when NEXT appends "?id=" to a URL that already has "?tx=".
    const query = Object.fromEntries(new URL(`${callbackUrl}?id=${ID}`).searchParams);
    expect(query).toEqual({ tx: `${tx}?id=${ID}` });
    const outcome = await call({ route: 'callback', httpMethod: 'GET', params: { provider: 'next' }, query });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/account' });
    expect(session()?.identity).toMatchObject({
      provider: 'next',
      method: 'nbid',
      subject: '17829034034',
      nin: { value: '17829034034', country: 'NO' },
      transactionId: tx,
    });
    expect(logs.join('\n')).not.toMatch(/17829034034/);
  });

  it('without person data and without a number to verify, the login fails with provider_error', async () => {
    const { server, call, session, answer } = await engine();
    await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'next', method: 'nbid' },
      query: {},
    });
    const tx = new URL(JSON.parse(server.requests[0]!.body).callbackUrl).searchParams.get('tx')!;
    answer('authentication-success-documented');
    const outcome = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'next' },
      query: { tx, id: ID },
    });
    expect(outcome.error?.code).toBe('provider_error');
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: '/?error=provider_error' });
    expect(session()?.identity).toBeUndefined();
  });

  it.each([
    ['authentication-cancelled', 'user_cancelled', 'failed'],
    ['authentication-failed', 'provider_error', 'failed'],
    ['authentication-pending', 'provider_error', 'pending'],
  ])('NEXT reporting %s sends the browser to the failure page with %s', async (name, code, status) => {
    const { server, store, call, session, answer } = await engine();
    await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'next', method: 'sbid' },
      query: {},
    });
    const tx = new URL(JSON.parse(server.requests[0]!.body).callbackUrl).searchParams.get('tx')!;
    answer(name);
    const outcome = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'next' },
      query: { tx, id: ID },
    });
    expect(outcome.response).toEqual({ type: 'redirect', status: 303, location: `/?error=${code}` });
    expect(session()?.identity).toBeUndefined();
    expect((await store.get(tx))?.status).toBe(status);
  });
});
