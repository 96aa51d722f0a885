import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  authenticationStep,
  bodyErrorResponse,
  type Eid,
  engineOption,
  engineRequest,
  type FastifyRouteOptions,
  failureKind,
  fastifyBodyErrorHandler,
  fastifyFrameworkErrors,
  fastifyRouteBodies,
  freshIdentity,
  guardDecision,
  httpInput,
  type Middleware,
  malformedParamResponse,
  malformedTargetResponse,
  matchRoute,
  maxAgeOption,
  nodeResponseWriter,
  optionsObject,
  ROUTES,
  refusal,
  refuseRenamedRoutes,
  refuseRoutesOption,
  requestPath,
  requireIdentity,
  requireSession,
  routeBodyParsers,
  runRoute,
  type SessionPort,
  sessionMissingMessage,
  UNAUTHENTICATED_BODY,
  writeAtRenewal,
  writeResponse,
} from '../src/adapter/index.js';
import type { EidRequest, EidResponse } from '../src/engine/contract.js';
import {
  createEid,
  EidError,
  type EidSessionData,
  type Identity,
  MemoryStore,
  signicat,
} from '../src/index.js';
import { HTML_ACCEPT, JSON_ACCEPT, setup } from './helpers/engine-browser.js';

const CREDENTIALS = { clientId: 'client', clientSecret: 'secret', accountId: 'account' };

const identity = { provider: 'signicat', method: 'nbid', subject: 's', transactionId: 't' } as Identity;
const help = { adapter: '@eid/test', howTo: 'mount the session library first' };

function memoryPort(initial?: EidSessionData) {
  const calls: string[] = [];
  let eid = initial;
  const port: SessionPort = {
    read: () => eid,
    write(data) {
      calls.push(`write ${data ? Object.keys(data).join(',') : 'undefined'}`);
      eid = data;
    },
    async renew() {
      calls.push('renew');
      eid = undefined;
    },
    async save() {
      calls.push('save');
    },
  };
  return { port, calls, eid: () => eid };
}

describe('engineRequest', () => {
  it('turns an HTTP input into the engine request, with the mount path and every header', () => {
    const { port } = memoryPort({ binding: 'b' });
    const request = engineRequest({
      route: 'start',
      method: 'GET',
      params: { provider: 'signicat', method: 'nbid' },
      query: { returnTo: '/x' },
      headers: { Accept: 'application/json', 'content-type': 'text/plain', 'x-many': ['a', 'b'] },
      ip: '10.0.0.1',
      mountPath: '/api',
      session: port,
    });
    expect(request).toEqual({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'signicat', method: 'nbid' },
      query: { returnTo: '/x' },
      body: undefined,
      headers: {
        accept: 'application/json',
        'content-type': 'text/plain',
        contentType: 'text/plain',
        'x-many': 'a, b',
      },
      session: { binding: 'b' },
      clientIp: '10.0.0.1',
      mountPath: '/api',
    } satisfies EidRequest);
  });

  it('leaves the mount path out at the root', () => {
    const input = { route: 'methods', method: 'GET', headers: {}, session: memoryPort().port } as const;
    expect(engineRequest({ ...input, mountPath: '' }).mountPath).toBeUndefined();
    expect(engineRequest(input).params).toEqual({});
  });
});

describe('runRoute', () => {
  it('runs the engine and commits a logout renewing the session before the response', async () => {
    const eid = createEid({ baseUrl: 'http://127.0.0.1:1', providers: [signicat(CREDENTIALS)] });
    const session = memoryPort({ identity });
    const outcome = await runRoute(eid, {
      route: 'logout',
      method: 'POST',
      headers: { accept: 'application/json' },
      session: session.port,
    });
    expect(outcome.response).toEqual({ type: 'empty', status: 204 });
    expect(session.calls).toEqual(['renew', 'write undefined', 'save']);
    await eid.close();
  });

  it('answers without touching the session when the engine changes nothing', async () => {
    const eid = createEid({ baseUrl: 'http://127.0.0.1:1', providers: [signicat(CREDENTIALS)] });
    const session = memoryPort();
    const outcome = await runRoute(eid, {
      route: 'session',
      method: 'GET',
      headers: { accept: 'application/json' },
      session: session.port,
    });
    expect(outcome.response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(session.calls).toEqual([]);
    await eid.close();
  });
});

describe('requireSession', () => {
  it('refuses a missing or unrenewable session with invalid_config naming the fix', () => {
    for (const request of [{}, { session: {} }, { session: null }]) {
      let thrown: unknown;
      try {
        requireSession(request, help);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EidError);
      expect(thrown).toMatchObject({ code: 'invalid_config', message: sessionMissingMessage(help) });
    }
    expect(sessionMissingMessage(help)).toMatch(
      /^@eid\/test needs a session: mount the session library first/,
    );
  });

  it('gives the port of a session that can regenerate', () => {
    const session = { eid: { identity }, regenerate: () => {}, save: () => {} };
    expect(requireSession({ session }, help).read()).toEqual({ identity });
  });
});

describe('requireIdentity', () => {
  const store = new MemoryStore();
  const eid = createEid({ baseUrl: 'http://127.0.0.1:1', providers: [signicat(CREDENTIALS)], store });
  const loggedIn = { ...identity, transactionId: 'L'.repeat(43) };
  const anonymous = memoryPort().port;
  it.each([
    ['a login', memoryPort({ identity: loggedIn }).port, false, undefined, { identity: loggedIn }],
    [
      'a JSON client',
      anonymous,
      false,
      '/login',
      { response: { type: 'json', status: 401, body: UNAUTHENTICATED_BODY } },
    ],
    [
      'a page without redirectTo',
      anonymous,
      true,
      undefined,
      { response: { type: 'json', status: 401, body: UNAUTHENTICATED_BODY } },
    ],
    [
      'a page with redirectTo',
      anonymous,
      true,
      '/login',
      { response: { type: 'redirect', status: 303, location: '/login' } },
    ],
  ])('answers %s', async (_name, session, page, redirectTo, expected) => {
    expect(await requireIdentity({ eid, session, page, redirectTo })).toEqual(expected);
  });

  it('refuses a login that was logged out from a copy of the session, and logs this session out too', async () => {
    const copy = memoryPort({ identity: loggedIn, binding: 'b' });
    await store.recordLogout(loggedIn.transactionId, Date.now() + 60_000);
    expect(await requireIdentity({ eid, session: copy.port, page: true, redirectTo: '/login' })).toEqual({
      response: { type: 'redirect', status: 303, location: '/login' },
    });
    expect(copy.calls).toEqual(['renew', 'write undefined', 'save']);
    expect(copy.eid()).toBeUndefined();
  });

  it('refuses an identity without a transaction id the engine could have given', async () => {
    const forged = memoryPort({ identity: { ...identity, transactionId: 'x' } });
    expect(await requireIdentity({ eid, session: forged.port, page: false })).toMatchObject({
      response: { status: 401 },
    });
  });

  it('with maxAge (seconds), a login older than that by authenticatedAt counts as none', async () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const at = (iso: string) => memoryPort({ identity: { ...identity, authenticatedAt: iso } }).port;
    // An engine that has recorded no logout: only the age decides here.
    const live = { sessionIdentity: async (data: EidSessionData | undefined) => data?.identity };
    const check = (session: SessionPort, maxAge?: number) =>
      requireIdentity({ eid: live, session, page: true, redirectTo: '/login', maxAge, now: () => now });
    expect(await check(at('2026-01-01T11:00:00Z'), 3600)).toMatchObject({ identity: expect.any(Object) });
    expect(await check(at('2026-01-01T10:59:59Z'), 3600)).toEqual({
      response: { type: 'redirect', status: 303, location: '/login' },
    });
    expect(await check(at('2026-01-01T00:00:00Z'))).toMatchObject({ identity: expect.any(Object) });
    expect(await check(at('not a time'), 3600)).toMatchObject({ response: { status: 303 } });
    // A login dated in the future (a clock gone wrong, or a forged session) does not count either.
    expect(await check(at('2026-01-01T12:05:00Z'), 3600)).toMatchObject({ response: { status: 303 } });
    expect(freshIdentity(undefined, 10, now)).toBeUndefined();
  });

  it('maxAgeOption takes positive seconds and names the call otherwise', () => {
    expect(maxAgeOption(undefined, 'requireEid()')).toBeUndefined();
    expect(maxAgeOption(0.5, 'requireEid()')).toBe(0.5);
    for (const bad of [0, -1, Number.NaN, '3600', Number.POSITIVE_INFINITY]) {
      expect(() => maxAgeOption(bad, 'requireEid(options)')).toThrowError(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringMatching(/^requireEid\(options\): `maxAge`/),
        }),
      );
    }
  });

  it('has one 401 body', () => {
    expect(UNAUTHENTICATED_BODY).toEqual({
      error: { code: 'unauthenticated', message: 'Log in with an eID first.' },
    });
  });
});

describe('guardDecision', () => {
  const login = { provider: 'acme', method: 'bankid' };
  const loggedIn = { ...identity, transactionId: 'L'.repeat(43), authenticatedAt: new Date().toISOString() };
  const unauthenticated = { type: 'json', status: 401, body: UNAUTHENTICATED_BODY };
  /** A request to the protected page `/orders?page=2`, without a login unless `session` holds one. */
  const guarded = (session: SessionPort, over: { page?: boolean; method?: string } = {}) => ({
    session,
    page: over.page ?? true,
    method: over.method ?? 'GET',
    url: '/orders?page=2',
    headers: over.page === false ? JSON_ACCEPT : HTML_ACCEPT,
    ip: '203.0.113.9',
    mountPath: '/api',
  });
  const where = 'requireEid(test)';

  it('lets a live login through with its identity', async () => {
    const { eid } = setup();
    const session = memoryPort({ identity: loggedIn }).port;
    expect(await guardDecision(eid, guarded(session), { where, login })).toEqual({ identity: loggedIn });
  });

  it('refuses a login older than maxAge as none: the page gets the login, an API request the 401', async () => {
    const { eid, state } = setup();
    const old = { ...loggedIn, authenticatedAt: '2026-01-01T10:00:00Z' };
    const now = () => Date.parse('2026-01-01T12:00:00Z');
    const session = memoryPort({ identity: old }).port;
    expect(await guardDecision(eid, guarded(session), { where, maxAge: 3 * 3600, now })).toEqual({
      identity: old,
    });
    expect(
      await guardDecision(eid, guarded(session, { page: false }), { where, login, maxAge: 3600, now }),
    ).toEqual({ response: unauthenticated, loginStarted: false });
    expect(state.starts).toHaveLength(0);
  });

  it('reads the session as it is when the adapter checked the login live already (checkedLive)', async () => {
    const { eid } = setup();
    // A transaction id the engine never gives: sessionIdentity would refuse it.
    const forged = { ...identity, transactionId: 'x' };
    const session = memoryPort({ identity: forged }).port;
    expect(await guardDecision(eid, { ...guarded(session), checkedLive: true }, { where })).toEqual({
      identity: forged,
    });
    expect(await guardDecision(eid, guarded(session), { where })).toEqual({
      response: unauthenticated,
      loginStarted: false,
    });
  });

  it('starts `login` for a page GET without a login: to the provider, bound, back to the page', async () => {
    const { eid, state, store } = setup();
    const browser = memoryPort();
    const decision = await guardDecision(eid, guarded(browser.port), { where, login, redirectTo: '/login' });
    expect(decision).toEqual({
      response: { type: 'redirect', status: 302, location: 'https://idp.example/login?session=ref-1' },
      loginStarted: true,
    });
    expect(browser.eid()?.binding).toEqual(expect.any(String));
    const callbackUrl = new URL(state.starts[0]!.callbackUrl);
    expect(callbackUrl.pathname).toBe('/api/auth/eid/callback/acme');
    expect(await store.get(callbackUrl.searchParams.get('tx')!)).toMatchObject({
      returnTo: '/orders?page=2',
    });
  });

  it('answers an API request 401 JSON, starting nothing', async () => {
    const { eid, state } = setup();
    const request = guarded(memoryPort().port, { page: false });
    expect(await guardDecision(eid, request, { where, login, redirectTo: '/login' })).toEqual({
      response: unauthenticated,
      loginStarted: false,
    });
    expect(state.starts).toHaveLength(0);
  });

  it('sends a page without `login` to redirectTo (303), and without redirectTo answers 401', async () => {
    const { eid } = setup();
    const session = memoryPort().port;
    expect(await guardDecision(eid, guarded(session), { where, redirectTo: '/login' })).toEqual({
      response: { type: 'redirect', status: 303, location: '/login' },
      loginStarted: false,
    });
    expect(await guardDecision(eid, guarded(session), { where })).toEqual({
      response: unauthenticated,
      loginStarted: false,
    });
  });

  it('answers a page POST with the 401 or redirectTo, never a login', async () => {
    const { eid, state } = setup();
    const post = guarded(memoryPort().port, { method: 'POST' });
    expect(await guardDecision(eid, post, { where, login })).toEqual({
      response: unauthenticated,
      loginStarted: false,
    });
    expect(await guardDecision(eid, post, { where, login, redirectTo: '/login' })).toEqual({
      response: { type: 'redirect', status: 303, location: '/login' },
      loginStarted: false,
    });
    expect(state.starts).toHaveLength(0);
  });

  it('checks `login` when a page first needs it, naming the guard', async () => {
    const { eid } = setup();
    const headless = { provider: 'acme', method: 'phone' };
    const api = guarded(memoryPort().port, { page: false });
    expect(await guardDecision(eid, api, { where, login: headless })).toMatchObject({ loginStarted: false });
    await expect(guardDecision(eid, guarded(memoryPort().port), { where, login: headless })).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/^requireEid\(test\): `login` must name a redirect login method/),
      }),
    );
  });
});

describe('bodyErrorResponse', () => {
  const tooLarge = { error: { code: 'invalid_request', message: 'The request body is too large.' } };
  const unreadable = {
    error: { code: 'invalid_request', message: 'The request body could not be read: send JSON or a form.' },
  };
  it.each([
    ['body-parser: too large', { status: 413, type: 'entity.too.large' }, 413, tooLarge],
    ['body-parser: malformed JSON', { status: 400, type: 'entity.parse.failed' }, 400, unreadable],
    ['body-parser: charset', { status: 415, type: 'charset.unsupported' }, 415, unreadable],
    ['Fastify: too large', { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 413, tooLarge],
    ['Fastify: bad JSON', { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 400, unreadable],
    ['Fastify: media type', { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 415, unreadable],
  ])('maps %s to the contract error', (_name, error, status, body) => {
    expect(bodyErrorResponse(Object.assign(new Error('{"nin":"01819012365"'), error))).toEqual({
      type: 'json',
      status,
      body,
    });
  });

  it.each([
    ['a plain error', new Error('boom')],
    ['a 5xx parser error', { status: 500, type: 'stream.not.readable' }],
    ['a Fastify error of another kind', { code: 'FST_ERR_NOT_FOUND', statusCode: 404 }],
    ['a Fastify parser 5xx', { code: 'FST_ERR_CTP_INSTANCE_ALREADY_STARTED', statusCode: 500 }],
    ['not an object', 'nope'],
  ])('leaves %s alone', (_name, error) => {
    expect(bodyErrorResponse(error)).toBeUndefined();
  });
});

describe('fastifyBodyErrorHandler', () => {
  const invalidMediaType = Object.assign(new Error('x'), {
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    statusCode: 415,
  });

  it('answers parser errors with the contract, and logs out whatever the body of a logout', async () => {
    const ran: string[] = [];
    const sent: unknown[] = [];
    const run = async () => void ran.push('run');
    const send = (_reply: string, response: unknown) => void sent.push(response);
    expect(await fastifyBodyErrorHandler('start', run, send)(invalidMediaType, 'req', 'reply')).toBe('reply');
    expect(sent).toEqual([bodyErrorResponse(invalidMediaType)]);
    await fastifyBodyErrorHandler('logout', run, send)(invalidMediaType, 'req', 'reply');
    expect(ran).toEqual(['run']);
    const other = new Error('boom');
    await expect(fastifyBodyErrorHandler('start', run, send)(other, 'req', 'reply')).rejects.toBe(other);
  });
});

describe('writeResponse', () => {
  it.each([
    [{ type: 'redirect', status: 302, location: '/x' } as const, 'redirect 302 /x'],
    [{ type: 'json', status: 400, body: { a: 1 } } as const, 'json 400 {"a":1}'],
    [{ type: 'empty', status: 204 } as const, 'empty 204'],
  ])('writes %o with cache-control: no-store', (response, written) => {
    const headers: string[] = [];
    const result = writeResponse(response, {
      header: (name, value) => void headers.push(`${name}: ${value}`),
      redirect: (status, location) => `redirect ${status} ${location}`,
      json: (status, body) => `json ${status} ${JSON.stringify(body)}`,
      empty: (status) => `empty ${status}`,
      file: (status, body) => `file ${status} ${body.length}`,
    });
    expect(result).toBe(written);
    expect(headers).toEqual(['cache-control: no-store']);
  });

  it('writes a file download with its type, an attachment name (RFC 6266 for non-ASCII) and nosniff', () => {
    const headers: string[] = [];
    const result = writeResponse(
      {
        type: 'file',
        status: 200,
        contentType: 'application/pdf',
        fileName: 'Avtale-ø.pdf',
        body: new Uint8Array(3),
      },
      {
        header: (name, value) => void headers.push(`${name}: ${value}`),
        redirect: () => 'redirect',
        json: () => 'json',
        empty: () => 'empty',
        file: (status, body) => `file ${status} ${body.length}`,
      },
    );
    expect(result).toBe('file 200 3');
    expect(headers).toEqual([
      'cache-control: no-store',
      'content-type: application/pdf',
      `content-disposition: attachment; filename="Avtale-_.pdf"; filename*=UTF-8''Avtale-%C3%B8.pdf`,
      'x-content-type-options: nosniff',
    ]);
  });

  it("writes a JSON answer's own headers (Retry-After)", () => {
    const headers: string[] = [];
    writeResponse(
      { type: 'json', status: 429, body: {}, headers: { 'retry-after': '30' } },
      {
        header: (name, value) => void headers.push(`${name}: ${value}`),
        redirect: () => undefined,
        json: () => undefined,
        empty: () => undefined,
        file: () => undefined,
      },
    );
    expect(headers).toEqual(['cache-control: no-store', 'retry-after: 30']);
  });

  it('nodeResponseWriter writes each answer to a Node response as a client reads it', async () => {
    const responses: EidResponse[] = [
      { type: 'redirect', status: 303, location: 'https://idp.example/auth?a=1&b=%C3%B8' },
      { type: 'json', status: 200, body: { name: 'Kari Ø', n: 1 } },
      { type: 'json', status: 429, body: {}, headers: { 'retry-after': '30' } },
      { type: 'empty', status: 204 },
      {
        type: 'file',
        status: 200,
        contentType: 'application/pdf',
        fileName: 'a.pdf',
        body: new Uint8Array([37, 80, 68]),
      },
    ];
    const server = createServer((req, res) => {
      writeResponse(responses[Number(req.url?.slice(1))]!, nodeResponseWriter(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const get = (index: number) => fetch(`http://127.0.0.1:${port}/${index}`, { redirect: 'manual' });
      const moved = await get(0);
      expect(moved.status).toBe(303);
      expect(moved.headers.get('location')).toBe('https://idp.example/auth?a=1&b=%C3%B8');
      expect(moved.headers.get('cache-control')).toBe('no-store');
      expect(await moved.text()).toBe('');
      const json = await get(1);
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(json.headers.get('content-length')).toBe(String(Buffer.byteLength('{"name":"Kari Ø","n":1}')));
      expect(await json.json()).toEqual({ name: 'Kari Ø', n: 1 });
      const limited = await get(2);
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '30']);
      const empty = await get(3);
      expect([empty.status, await empty.text()]).toEqual([204, '']);
      const file = await get(4);
      expect(file.headers.get('content-type')).toBe('application/pdf');
      expect(file.headers.get('content-disposition')).toBe('attachment; filename="a.pdf"');
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([37, 80, 68]));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('malformed percent-encoding in route parameters', () => {
  const eid = { prefix: '/auth/eid', routes: ROUTES } as unknown as Eid;
  const BAD = {
    type: 'json',
    status: 400,
    body: { error: { code: 'invalid_request', message: expect.any(String) } },
  };

  it.each([
    ['/auth/eid/status/%E0%A4%A', ''],
    ['/auth/eid/callback/%ZZ', ''],
    ['/auth/eid/start/%ZZ/nbid', ''],
    ['/auth/eid/start/signicat/%', ''],
    ['/auth/eid/cancel/%C0', ''],
    ['/auth/eid/webhook/%ZZ', ''],
    ['/api/auth/eid/status/%E0%A4%A', '/api'],
  ])('%s answers 400 invalid_request', (path, mountPath) => {
    expect(malformedParamResponse(eid, path, mountPath)).toEqual(BAD);
  });

  it.each([
    ['/auth/eid/status/abc%20def', ''],
    ['/auth/eid/status/%E2%82%AC', ''],
    ['/auth/eid/unknown/%ZZ', ''],
    ['/auth/eid/status/%ZZ/extra', ''],
    ['/elsewhere/%ZZ', ''],
    ['/auth/eid/status/%ZZ', '/api'],
  ])('%s is left to the framework', (path, mountPath) => {
    expect(malformedParamResponse(eid, path, mountPath)).toBeUndefined();
  });

  it('malformedTargetResponse reads the request target as it came in: query kept apart, no percent sign let through', () => {
    expect(malformedTargetResponse(eid, '/auth/eid/status/%ZZ?x=1')).toEqual(BAD);
    expect(malformedTargetResponse(eid, '/api/auth/eid/callback/%ZZ', '/api')).toEqual(BAD);
    expect(malformedTargetResponse(eid, '/auth/eid/status/abc?bad=%ZZ')).toBeUndefined();
    // Spaces and other characters the URL parser would escape are no malformed escapes.
    expect(malformedTargetResponse(eid, '/auth/eid/status/a b')).toBeUndefined();
    expect(malformedTargetResponse(eid, '/auth/eid/status/abc')).toBeUndefined();
    expect(malformedTargetResponse(eid, '//%')).toBeUndefined();
  });

  it("fastifyFrameworkErrors answers Fastify's FST_ERR_BAD_URL as the contract does, without quoting the URL", () => {
    const sent: unknown[] = [];
    const reply = {
      code: (status: number) => sent.push(status),
      header: (name: string, value: string) => sent.push(`${name}: ${value}`),
      send: (payload?: unknown) => sent.push(payload),
    };
    fastifyFrameworkErrors({ code: 'FST_ERR_BAD_URL' }, {}, reply);
    expect(sent).toEqual([400, 'cache-control: no-store', BAD.body]);
    const other = Object.assign(new Error('x'), { code: 'FST_ERR_ASYNC_CONSTRAINT' });
    sent.length = 0;
    fastifyFrameworkErrors(other, {}, reply);
    expect(sent).toEqual([other]);
  });
});

describe('adapter options', () => {
  const eid = { handle: async () => ({}), prefix: '/auth/eid' };
  it('names a missing engine', () => {
    for (const value of [undefined, null, {}, { handle: () => {} }, 'eid']) {
      expect(() => engineOption(value, 'eidRouter(eid)')).toThrow(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringMatching(/^eidRouter\(eid\): `eid` is required/),
        }),
      );
    }
    expect(engineOption(eid, 'x')).toBe(eid);
  });

  it('points the routes option at createEid({ routes })', () => {
    expect(() => refuseRoutesOption({ routes: { methods: '/x' } }, 'eidRouter(eid, options)')).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/`routes`.*createEid\(\{ routes \}\)/),
      }),
    );
    expect(() => refuseRoutesOption({}, 'x')).not.toThrow();
    expect(() => refuseRoutesOption({ path: '/a' }, 'x', { path: 'use the prefix' })).toThrow(
      'x: the `path` option is gone; use the prefix.',
    );
    expect(() => refuseRoutesOption(undefined, 'x')).not.toThrow();
  });

  it('wants options as an object', () => {
    expect(optionsObject(undefined, 'x')).toEqual({});
    expect(() => optionsObject(7 as never, 'eidPlugin')).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: 'eidPlugin: `options` must be an object.' }),
    );
  });
});

describe('failureKind', () => {
  it.each([
    ['user_cancelled', 'refusal'],
    ['unauthenticated', 'request'],
    ['provider_error', 'infrastructure'],
    ['provider_unavailable', 'infrastructure'],
    ['rate_limited', 'infrastructure'],
    ['unknown_provider', 'request'],
    ['already_used', 'request'],
  ] as const)('%s is a %s', (code, kind) => {
    expect(failureKind(new EidError(code, 'x'))).toBe(kind);
  });
});

describe('matchRoute', () => {
  const eid = { prefix: '/auth/eid', routes: ROUTES };
  it.each([
    [
      'GET',
      '/auth/eid/start/signicat/nbid',
      '',
      { route: 'start', params: { provider: 'signicat', method: 'nbid' } },
    ],
    [
      'POST',
      '/api/auth/eid/start/signicat/nbid',
      '/api',
      { route: 'start', params: { provider: 'signicat', method: 'nbid' } },
    ],
    ['GET', '/auth/eid/callback/sign%20icat', '', { route: 'callback', params: { provider: 'sign icat' } }],
    ['POST', '/auth/eid/logout', '', { route: 'logout', params: {} }],
  ])('%s %s (mounted at %o)', (method, path, mountPath, expected) => {
    expect(matchRoute(eid, method, path, mountPath)).toEqual(expected);
  });

  it.each([
    ['GET', '/auth/eid/logout', ''],
    ['GET', '/auth/eid/start/signicat', ''],
    ['GET', '/auth/eid/callback/%E0%A4%A', ''],
    ['GET', '/other/methods', ''],
    ['GET', '/auth/eid/methods', '/api'],
  ])('matches no route for %s %s (mounted at %o)', (method, path, mountPath) => {
    expect(matchRoute(eid, method, path, mountPath)).toBeUndefined();
  });
});

describe('authenticationStep and refusal', () => {
  const eid = createEid({ baseUrl: 'http://127.0.0.1:1', providers: [signicat(CREDENTIALS)] });
  const page = { type: 'redirect', status: 303, location: '/?error=x' } as const;
  const json = { type: 'json', status: 400, body: {} } as const;

  it('logs in with where the browser goes next', () => {
    const login = { kind: 'login', identity, binding: 'b-2' } as const;
    const redirect = { type: 'redirect', status: 303, location: '/profile' } as const;
    expect(authenticationStep(eid, { response: redirect, session: login })).toEqual({
      step: 'login',
      identity,
      binding: 'b-2',
      returnTo: '/profile',
      response: redirect,
    });
    const answer = { type: 'json', status: 200, body: { returnTo: '/x' } } as const;
    expect(authenticationStep(eid, { response: answer, session: login })).toMatchObject({ returnTo: '/x' });
    const providerLogout = { provider: 'idporten', idTokenHint: 'h.p.s' };
    expect(authenticationStep(eid, { response: redirect, session: { ...login, providerLogout } })).toEqual({
      step: 'login',
      identity,
      binding: 'b-2',
      providerLogout,
      returnTo: '/profile',
      response: redirect,
    });
  });

  it('answers, refuses or reports trouble by the error, with the app failure page for pages', () => {
    expect(authenticationStep(eid, { response: json })).toEqual({ step: 'answer', response: json });
    const cancelled = new EidError('user_cancelled', 'The login was cancelled.');
    expect(authenticationStep(eid, { response: page, error: cancelled }, '/login')).toEqual({
      step: 'refuse',
      refusal: {
        code: 'user_cancelled',
        message: 'The login was cancelled.',
        response: { type: 'redirect', status: 303, location: '/login?error=user_cancelled' },
      },
    });
    const down = new EidError('provider_unavailable', 'down');
    expect(authenticationStep(eid, { response: json, error: down }, '/login')).toEqual({
      step: 'error',
      error: down,
      response: json,
    });
    const unknown = new EidError('unknown_provider', 'x');
    expect(authenticationStep(eid, { response: page, error: unknown })).toEqual({
      step: 'answer',
      response: page,
    });
  });

  it('refuses a user the app does not accept, as the login would have been answered', () => {
    expect(refusal(eid, page, '/login')).toEqual({
      code: 'unauthenticated',
      message: 'This app does not accept this eID login.',
      response: { type: 'redirect', status: 303, location: '/login?error=unauthenticated' },
    });
    expect(refusal(eid, json, '/login', 'Not a customer.')).toMatchObject({
      message: 'Not a customer.',
      response: { type: 'json', status: 401 },
    });
  });
});

describe('writeAtRenewal', () => {
  it('writes into the session that comes out of the next regenerate, and the old one', async () => {
    const request: { session: Record<string, unknown> } = { session: {} };
    const before = request.session;
    before.regenerate = (done: (error?: unknown) => void) => {
      request.session = { fresh: true };
      done();
    };
    writeAtRenewal(request, { eid: { identity } });
    expect(before.eid).toBeUndefined();
    await new Promise<void>((resolve) =>
      (before.regenerate as (done: () => void) => void).call(before, resolve),
    );
    expect(request.session).toEqual({ fresh: true, eid: { identity } });
    expect(before.eid).toEqual({ identity });
  });

  it('writes at once into a session that cannot regenerate', () => {
    const request = { session: {} as Record<string, unknown> };
    writeAtRenewal(request, { returnTo: '/x' });
    expect(request.session).toEqual({ returnTo: '/x' });
  });
});

describe('httpInput', () => {
  it('takes the fields every framework names alike', () => {
    const session = memoryPort().port;
    const req = {
      method: 'POST',
      params: { a: '1' },
      query: { q: '2' },
      body: { b: 3 },
      headers: {},
      ip: '::1',
    };
    expect(httpInput('cancel', req, session, '/api')).toEqual({
      route: 'cancel',
      ...req,
      mountPath: '/api',
      session,
      // The framework's request itself, for the app's hooks (authorizeVerify).
      raw: req,
    });
  });
});

describe('routeBodyParsers', () => {
  const eid = { prefix: '/auth/eid', routes: ROUTES, webhookPreCheck: () => undefined } as unknown as Eid;
  function run(method: string, url: string, parse: (limit: number) => Middleware[], mountPath = '') {
    const seen: unknown[] = [];
    const middleware = routeBodyParsers(
      eid,
      () => mountPath,
      parse,
      (_res, response) => seen.push(response),
    );
    middleware({ method, originalUrl: url }, {}, (error) => seen.push(error ?? 'next'));
    return seen;
  }

  it('runs the parsers made with the route limit, under the mount path, and leaves other paths alone', () => {
    const limits: number[] = [];
    const parse = (limit: number): Middleware[] => {
      limits.push(limit);
      return [(_req, _res, next) => next(), (_req, _res, next) => next()];
    };
    expect(run('POST', '/api/auth/eid/webhook/signicat?x=1', parse, '/api')).toEqual(['next']);
    expect(limits).toContain(1024 * 1024);
    expect(run('POST', '/elsewhere', () => [(_req, _res, next) => next(new Error('ran'))])).toEqual(['next']);
    // A GET (a page of the app, or one of the contract's GET routes) goes on without a parser or a URL parse.
    expect(run('GET', '/auth/eid/session', () => [(_req, _res, next) => next(new Error('ran'))])).toEqual([
      'next',
    ]);
  });

  it('passes a request target that is not a URL path to the app untouched instead of throwing', () => {
    const ran = () => [
      (_req: unknown, _res: unknown, next: (error?: unknown) => void) => next(new Error('ran')),
    ];
    expect(run('POST', '//%', ran)).toEqual(['next']);
    expect(requestPath('//%')).toBeUndefined();
    expect(requestPath('/auth/eid/logout?x=1')).toBe('/auth/eid/logout');
  });

  it('answers a route parameter with malformed percent-encoding with 400 before any parser', () => {
    const ran = () => [
      (_req: unknown, _res: unknown, next: (error?: unknown) => void) => next(new Error('ran')),
    ];
    expect(run('POST', '/auth/eid/cancel/%ZZ', ran)).toEqual([
      expect.objectContaining({
        status: 400,
        body: { error: expect.objectContaining({ code: 'invalid_request' }) },
      }),
    ]);
    expect(run('GET', '/api/auth/eid/status/%E0%A4%A', ran, '/api')).toEqual([
      expect.objectContaining({ status: 400 }),
    ]);
  });

  it("refuses a webhook with the engine's pre-check before any parser reads its body", () => {
    const checked: unknown[] = [];
    const refusal = { type: 'json', status: 401, body: { error: { code: 'unauthenticated' } } } as const;
    const engine = {
      prefix: '/auth/eid',
      routes: ROUTES,
      webhookPreCheck: (request: unknown) => {
        checked.push(request);
        return (request as { query: { token?: unknown } }).query.token === 'good'
          ? undefined
          : { response: refusal };
      },
    } as unknown as Eid;
    const seen: unknown[] = [];
    const parsed: string[] = [];
    const middleware = routeBodyParsers(
      engine,
      () => '',
      () => [
        (_req, _res, next) => {
          parsed.push('parsed');
          next();
        },
      ],
      (_res, response) => seen.push(response),
    );
    const headers = { 'content-type': 'application/json' };
    middleware({ method: 'POST', originalUrl: '/auth/eid/webhook/zignsec?tx=1&token=bad', headers }, {}, () =>
      seen.push('next'),
    );
    expect(seen).toEqual([refusal]);
    expect(parsed).toEqual([]);
    expect(checked[0]).toMatchObject({
      httpMethod: 'POST',
      params: { provider: 'zignsec' },
      query: { tx: '1', token: 'bad' },
      headers: { 'content-type': 'application/json' },
    });
    middleware(
      { method: 'POST', originalUrl: '/auth/eid/webhook/zignsec?tx=1&token=good', headers },
      {},
      () => seen.push('next'),
    );
    expect(parsed).toEqual(['parsed']);
    expect(seen).toEqual([refusal, 'next']);
    middleware(
      { method: 'POST', originalUrl: '/auth/eid/webhook/zignsec?token=good&token=x', headers },
      {},
      () => seen.push('next'),
    );
    expect(checked[2]).toMatchObject({ query: { token: ['good', 'x'] } });
  });

  it('answers parser errors as the contract does and passes other errors on', () => {
    const tooLarge = Object.assign(new Error('x'), { status: 413, type: 'entity.too.large' });
    expect(run('POST', '/auth/eid/logout', () => [(_req, _res, next) => next(tooLarge)])).toEqual([
      bodyErrorResponse(tooLarge),
    ]);
    const other = new Error('boom');
    expect(run('POST', '/auth/eid/logout', () => [(_req, _res, next) => next(other)])).toEqual([other]);
  });
});

describe('fastifyRouteBodies', () => {
  it('gives the POST routes under the mount path their limit and the body-error handler', () => {
    const eid = { prefix: '/auth/eid', routes: ROUTES } as unknown as Eid;
    const hook = fastifyRouteBodies(
      eid,
      () => '/api',
      async () => {},
      () => {},
    );
    const webhook: FastifyRouteOptions = { method: 'POST', url: '/api/auth/eid/webhook/:provider' };
    hook(webhook);
    expect(webhook.bodyLimit).toBe(1024 * 1024);
    expect(typeof webhook.errorHandler).toBe('function');
    // The webhook's token is checked on request, before Fastify reads the body.
    expect(webhook.onRequest).toEqual([expect.any(Function)]);
    const other: FastifyRouteOptions = { method: 'POST', url: '/auth/eid/webhook/:provider' };
    hook(other);
    expect(other).toEqual({ method: 'POST', url: '/auth/eid/webhook/:provider' });
  });
});

describe('refuseRenamedRoutes', () => {
  it('accepts disabled routes and names a renamed one', () => {
    expect(() => refuseRenamedRoutes({ routes: ROUTES.slice(1) }, 'X', 'do y')).not.toThrow();
    const renamed = ROUTES.map((route) =>
      route.name === 'callback' ? { ...route, path: '/back/:provider' } : route,
    );
    expect(() => refuseRenamedRoutes({ routes: renamed }, 'X', 'do y')).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/^X serves the default route paths; `callback` is renamed.*do y\.$/),
      }),
    );
  });
});

describe('acceptsPage', () => {
  it('is a page when HTML is asked for ahead of JSON, in one header or several', async () => {
    const { acceptsPage } = await import('../src/adapter/index.js');
    expect(acceptsPage('text/html,application/xhtml+xml,*/*;q=0.8')).toBe(true);
    expect(acceptsPage(['text/html', 'application/json'])).toBe(true);
    expect(acceptsPage('application/json, text/html')).toBe(false);
    expect(acceptsPage('application/json')).toBe(false);
    expect(acceptsPage(undefined)).toBe(false);
  });
});
