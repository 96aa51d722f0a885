import { describe, expect, it, onTestFinished } from 'vitest';
import { EidError } from '../src/errors.js';
import {
  bankIdNorway,
  createEid,
  type EidSessionData,
  idporten,
  linkMobilityNext,
  next,
  signicat,
  zignsec,
} from '../src/index.js';
import type { Logger } from '../src/logger.js';
import {
  absoluteUrl,
  compactIdentity,
  createTransport,
  defineProvider,
  enabledMethods,
  issuerUrl,
  methodFinder,
  oneOf,
  type Provider,
  type ProviderIdentity,
  projectMethods,
  requireOptions,
  requireString,
  restClient,
  statusMapper,
  upstreamError,
} from '../src/provider-kit/index.js';
import { type RecordedRequest, type Reply, startRecordingServer } from './helpers/recording-server.js';

const FACTORY = 'acme()';

function capture(): { logger: Logger; lines: Array<{ level: string; obj: Record<string, unknown> }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object) => lines.push({ level, obj: obj as Record<string, unknown> });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

interface AcmeSession {
  id: string;
  status: string;
  url?: string;
  user?: { sub: string; name: string };
}

const ACME_METHODS = [
  { id: 'card', flow: 'redirect', purpose: 'login', label: 'Acme card', country: 'NO', product: 'c1' },
] as const;

const mapAcme = statusMapper<AcmeSession>('Acme', 'status', (session) => session.status, {
  waiting: () => ({ status: 'pending' }),
  done: (session) => ({
    status: 'complete',
    identity: compactIdentity({
      subject: session.user?.sub ?? '',
      name: session.user?.name,
    }) as ProviderIdentity,
    source: session,
  }),
});

/** A provider written the way a provider author would, with the kit only. */
function acme(options: {
  baseUrl: string;
  apiKey: string;
  profile?: (s: AcmeSession, i: ProviderIdentity) => ProviderIdentity;
}): Provider {
  requireOptions(FACTORY, options);
  const apiKey = requireString(FACTORY, options, 'apiKey');
  const baseUrl = absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, 'https://api.acme.example');
  const methods = enabledMethods(FACTORY, ACME_METHODS, undefined);
  const method = methodFinder('Acme', methods);
  const provider = defineProvider<AcmeSession>({
    id: 'acme',
    name: 'Acme',
    methods: projectMethods(methods),
    profile: options.profile,
    async start(context) {
      const session = await api.sendJson<AcmeSession>({
        method: 'POST',
        path: '/sessions',
        json: { product: method(context.method.id).product, returnUrl: context.callbackUrl },
        what: 'session request',
      });
      return { reference: session.id, redirectUrl: session.url ?? '' };
    },
    async complete({ transaction }, runtime) {
      const session = await api.sendJson<AcmeSession>({
        method: 'GET',
        path: `/sessions/${transaction.reference}`,
        what: 'session request',
      });
      const result = mapAcme(session, transaction, runtime.logger);
      return result.status === 'complete' ? { ...result, source: session } : result;
    },
  });
  const api = restClient({
    provider: { id: 'acme', name: 'Acme' },
    baseUrl,
    runtime: provider.runtime,
    authorization: () => `Key ${apiKey}`,
    errors: { credentials: 'Acme rejected the API key. Check `apiKey`.' },
  });
  return provider;
}

async function broker(answer: (request: RecordedRequest) => Reply) {
  const server = await startRecordingServer(answer);
  onTestFinished(() => server.close());
  return server;
}

describe('a provider written with the kit', () => {
  it('logs in through createEid, the broker seeing the authorised calls and the profile hook applied once', async () => {
    let status = 'waiting';
    const server = await broker((request) =>
      request.method === 'POST'
        ? { status: 201, json: { id: 's-1', status: 'waiting', url: 'https://acme.example/login/s-1' } }
        : { status: 200, json: { id: 's-1', status, user: { sub: 'acme-42', name: 'Kari' } } },
    );
    let profiled = 0;
    const provider = acme({
      baseUrl: server.url,
      apiKey: 'k-1',
      profile: (session, identity) => {
        profiled++;
        return { ...identity, extra: { acmeSession: session.id } };
      },
    });
    const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider] });
    onTestFinished(() => eid.close());
    let session: EidSessionData | undefined;
    const call = async (request: Parameters<typeof eid.handle>[0]) => {
      const outcome = await eid.handle({ ...request, session });
      if (outcome.session?.kind === 'bind') session = { ...session, binding: outcome.session.binding };
      if (outcome.session?.kind === 'login') session = { identity: outcome.session.identity };
      return outcome;
    };

    const started = await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'acme', method: 'card' },
    });
    expect(started.response).toMatchObject({ type: 'redirect', location: 'https://acme.example/login/s-1' });
    const created = server.requests[0]!;
    expect([created.method, created.path, created.headers.authorization]).toEqual([
      'POST',
      '/sessions',
      'Key k-1',
    ]);
    const returnUrl = new URL(JSON.parse(created.body).returnUrl);
    expect(returnUrl.pathname).toBe('/auth/eid/callback/acme');

    status = 'done';
    const done = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: Object.fromEntries(returnUrl.searchParams),
    });
    expect(done.response).toMatchObject({ type: 'redirect', status: 303 });
    expect(session?.identity).toMatchObject({
      provider: 'acme',
      subject: 'acme-42',
      name: 'Kari',
      extra: { acmeSession: 's-1' },
    });
    expect(profiled).toBe(1);
    expect(server.requests.map((request) => [request.method, request.path])).toEqual([
      ['POST', '/sessions'],
      ['GET', '/sessions/s-1'],
    ]);
  });

  it('an unknown status word is a provider_error naming the provider', () => {
    const result = mapAcme({ id: 's', status: 'exploded' }, { id: 't' });
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'provider_error', message: 'Acme reported a status this library does not know.' },
    });
  });

  it('a status word that names a property of every object is unknown too, not a lookup on the prototype', () => {
    for (const status of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(mapAcme({ id: 's', status }, { id: 't' })).toMatchObject({
        status: 'failed',
        error: { code: 'provider_error' },
      });
    }
  });

  it('a profile hook that throws fails the login instead of leaving it pending', async () => {
    const server = await broker((request) =>
      request.method === 'GET'
        ? { status: 200, json: { id: 's-1', status: 'done', user: { sub: 'acme-42', name: 'Kari' } } }
        : { status: 200, json: { id: 's-1', url: 'https://acme.example/s-1' } },
    );
    const refusing = acme({
      baseUrl: server.url,
      apiKey: 'k-1',
      profile: () => {
        throw new EidError('unauthenticated', 'This app takes no Acme card users.');
      },
    });
    const transaction = { id: 't', reference: 's-1' } as Parameters<Provider['complete']>[0]['transaction'];
    expect(await refusing.complete({ transaction })).toMatchObject({
      status: 'failed',
      error: { code: 'unauthenticated', message: 'This app takes no Acme card users.' },
    });
    const broken = acme({
      baseUrl: server.url,
      apiKey: 'k-1',
      profile: () => {
        throw new TypeError('oops');
      },
    });
    expect(await broken.complete({ transaction })).toMatchObject({
      status: 'failed',
      error: { code: 'provider_error', message: 'The profile hook of Acme failed.' },
    });
    await Promise.all([refusing.close?.(), broken.close?.()]);
  });

  it('once attached, logs through the given logger and calls out through the given transport, which close() leaves open', async () => {
    const server = await broker(() => ({ status: 503, text: 'down' }));
    const provider = acme({ baseUrl: server.url, apiKey: 'k-1' });
    const { logger, lines } = capture();
    const transport = createTransport({ logger });
    onTestFinished(() => transport.close());
    provider.attach?.({ logger, transport });
    const context = {
      transactionId: 't',
      method: provider.methods[0]!,
      callbackUrl: 'https://x/cb',
      webhookUrl: 'https://x/wh',
    };
    await expect(provider.start(context)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(lines.map(({ level, obj }) => [level, obj.provider, obj.status])).toEqual([
      ['debug', 'Acme', 503],
      ['warn', 'acme', 503],
    ]);
    await provider.close?.();
    const reply = await transport.request({
      provider: 'Acme',
      method: 'GET',
      url: `${server.url}/still-open`,
    });
    expect(reply.status).toBe(503);
  });

  it('unattached, uses a transport of its own that close() ends', async () => {
    const server = await broker(() => ({
      status: 201,
      json: { id: 's', status: 'waiting', url: 'https://a/b' },
    }));
    const provider = acme({ baseUrl: server.url, apiKey: 'k-1' });
    const context = {
      transactionId: 't',
      method: provider.methods[0]!,
      callbackUrl: 'https://x/cb',
      webhookUrl: 'https://x/wh',
    };
    await expect(provider.start(context)).resolves.toMatchObject({ reference: 's' });
    await provider.close?.();
    // A closed provider opens a fresh transport on its next call rather than failing.
    await expect(provider.start(context)).resolves.toMatchObject({ reference: 's' });
    await provider.close?.();
  });
});

describe('the upstream error table', () => {
  const acmeName = { id: 'acme', name: 'Acme' };
  const messages = {
    credentials: 'Check `apiKey`.',
    refine: (status: number) => (status === 409 ? new EidError('invalid_request', 'conflict') : undefined),
  };
  it.each([
    [400, 'provider_error', 'Acme answered HTTP 400 to the session request.'],
    [401, 'provider_error', 'Check `apiKey`.'],
    [403, 'provider_error', 'Check `apiKey`.'],
    [404, 'provider_error', 'Acme answered HTTP 404 to the session request.'],
    [409, 'invalid_request', 'conflict'],
    [429, 'rate_limited', 'Acme is limiting requests. Try again shortly.'],
    [500, 'provider_error', 'Acme answered HTTP 500 to the session request.'],
    [502, 'provider_unavailable', 'Acme is unavailable (HTTP 502). Try again in a moment.'],
    [503, 'provider_unavailable', 'Acme is unavailable (HTTP 503). Try again in a moment.'],
    [504, 'provider_unavailable', 'Acme is unavailable (HTTP 504). Try again in a moment.'],
  ])('%i -> %s', (status, code, message) => {
    const { logger, lines } = capture();
    const error = upstreamError(
      acmeName,
      { status, text: '{"detail":"x"}' },
      'session request',
      messages,
      logger,
    );
    expect(error).toMatchObject({ code, message });
    expect(lines).toEqual([
      { level: 'warn', obj: { provider: 'acme', what: 'session request', status, problem: { detail: 'x' } } },
    ]);
  });

  it('a 403 with its own message', () => {
    const error = upstreamError(
      acmeName,
      { status: 403, text: '' },
      'x',
      { credentials: 'a', forbidden: 'b' },
      capture().logger,
    );
    expect(error.message).toBe('b');
  });
});

describe('option checks', () => {
  const fails = (run: () => unknown, field: RegExp) =>
    expect(run).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringMatching(field) }),
    );

  it('name the factory and the field', () => {
    fails(() => requireOptions(FACTORY, undefined), /^acme\(\): `options`/);
    fails(() => requireOptions(FACTORY, 'x'), /`options`/);
    fails(() => requireOptions(FACTORY, []), /`options`/);
    fails(() => requireString(FACTORY, { a: ' ' }, 'a'), /^acme\(\): `a` is required/);
    fails(
      () => absoluteUrl(FACTORY, 'baseUrl', 'nope', 'https://x.example'),
      /`baseUrl`.*https:\/\/x\.example/,
    );
    fails(() => absoluteUrl(FACTORY, 'baseUrl', 'ftp://x.example', 'https://x.example'), /`baseUrl`/);
    fails(() => oneOf(FACTORY, 'level', 'max', ['low', 'high']), /`level` must be "low" or "high"/);
    fails(() => enabledMethods(FACTORY, ACME_METHODS, []), /`methods` must list at least one/);
    fails(
      () => enabledMethods(FACTORY, ACME_METHODS, ['card', 'cash']),
      /unknown method "cash" in `methods`; known: card/,
    );
    fails(() => issuerUrl(FACTORY, 'http://op.example', 'https://op.example'), /`issuer`/);
    // Options providers had before the engine gave them its logger and transport: refused, not ignored.
    fails(
      () => requireOptions(FACTORY, { logger: {} }),
      /`logger` is no longer a provider option.*createEid/,
    );
    fails(() => requireOptions(FACTORY, { timeouts: {} }), /`timeouts` is no longer a provider option/);
  });

  it('pass what is right', () => {
    expect(absoluteUrl(FACTORY, 'baseUrl', undefined, 'https://x.example').href).toBe('https://x.example/');
    expect(oneOf(FACTORY, 'level', undefined, ['low'])).toBeUndefined();
    expect(enabledMethods(FACTORY, ACME_METHODS, ['card'])).toHaveLength(1);
    expect(issuerUrl(FACTORY, 'http://127.0.0.1:9/op', 'https://op.example').host).toBe('127.0.0.1:9');
    expect(() => methodFinder('Acme', ACME_METHODS)('cash')).toThrow(
      expect.objectContaining({
        code: 'unknown_method',
        message: 'Acme does not offer the method "cash" here.',
      }),
    );
  });
});

describe('every factory called without options', () => {
  const factories: Array<[string, (options?: unknown) => unknown]> = [
    ['signicat()', signicat as (options?: unknown) => unknown],
    ['zignsec()', zignsec as (options?: unknown) => unknown],
    ['linkMobilityNext()', linkMobilityNext as (options?: unknown) => unknown],
    ['linkMobilityNext()', next as (options?: unknown) => unknown],
    ['bankIdNorway()', bankIdNorway as (options?: unknown) => unknown],
    ['idporten()', idporten as (options?: unknown) => unknown],
  ];
  it.each(factories)('%s throws invalid_config naming `options`', (name, factory) => {
    for (const given of [undefined, null, 'x', 42]) {
      expect(() => factory(given)).toThrow(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringContaining(`${name}: \`options\``),
        }),
      );
    }
    expect(() => (factory as () => unknown)()).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });
});
