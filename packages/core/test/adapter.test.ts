import { describe, expect, it } from 'vitest';
import {
  bodyErrorResponse,
  engineOption,
  engineRequest,
  failureKind,
  fastifyBodyErrorHandler,
  optionsObject,
  refuseRoutesOption,
  requireIdentity,
  requireSession,
  runRoute,
  type SessionPort,
  sessionMissingMessage,
  UNAUTHENTICATED_BODY,
  writeResponse,
} from '../src/adapter/index.js';
import {
  createEid,
  EidError,
  type EidRequest,
  type EidSessionData,
  type Identity,
  signicat,
} from '../src/index.js';

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
  const anonymous = memoryPort().port;
  it.each([
    ['a login', memoryPort({ identity }).port, false, undefined, { identity }],
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
  ])('answers %s', (_name, session, page, redirectTo, expected) => {
    expect(requireIdentity({ session, page, redirectTo })).toEqual(expected);
  });

  it('has one 401 body', () => {
    expect(UNAUTHENTICATED_BODY).toEqual({
      error: { code: 'unauthenticated', message: 'Log in with an eID first.' },
    });
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
    });
    expect(result).toBe(written);
    expect(headers).toEqual(['cache-control: no-store']);
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
