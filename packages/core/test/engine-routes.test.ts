import { describe, expect, it } from 'vitest';
import type { EidRequest } from '../src/engine/contract.js';
import { createEid, type EidOptions } from '../src/index.js';
import type { Provider } from '../src/providers/types.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

const JSON_ACCEPT = { accept: 'application/json' };

/** A provider without pushes, so the webhook route may be disabled. */
function withoutPushes(): { provider: Provider; state: ReturnType<typeof scriptedProvider>['state'] } {
  const { provider, state } = scriptedProvider();
  const { webhook: _unused, ...rest } = provider;
  return { provider: rest, state };
}

function engine(options: Partial<EidOptions> = {}) {
  const { provider, state } = scriptedProvider();
  const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider], ...options });
  const start = (extra: Partial<EidRequest> = {}) =>
    eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'acme', method: 'bankid' },
      headers: JSON_ACCEPT,
      ...extra,
    });
  return { eid, state, start };
}

const withoutQuery = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
};

describe('createEid called wrongly', () => {
  it.each<[string, unknown]>([
    ['no argument', undefined],
    ['null', null],
    ['a string', 'https://shop.example'],
  ])('%s is invalid_config naming `options`', (_name, options) => {
    expect(() => createEid(options as never)).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    expect(() => createEid(options as never)).toThrow(/`options`/);
  });

  it.each<[string, Partial<EidOptions>, RegExp]>([
    ['baseUrl with a query', { baseUrl: 'https://shop.example/app?x=1' }, /`baseUrl`/],
    ['baseUrl with a fragment', { baseUrl: 'https://shop.example/app#top' }, /`baseUrl`/],
    ['baseUrl with credentials', { baseUrl: 'https://user:pw@shop.example' }, /`baseUrl`/],
    ['http not an object', { http: 'fast' as never }, /`http`/],
    ['http.timeouts not an object', { http: { timeouts: 5 as never } }, /`http\.timeouts`/],
    ['a negative timeout', { http: { timeouts: { connect: -1 } } }, /`http\.timeouts\.connect`/],
  ])('names the bad field: %s', (_name, options, message) => {
    const { provider } = scriptedProvider();
    expect(() => createEid({ baseUrl: 'https://shop.example', providers: [provider], ...options })).toThrow(
      message,
    );
  });
});

describe('baseUrl with a path, and the adapter mount path', () => {
  it('a baseUrl path is honoured in the URLs given to providers and in eid.baseUrl', async () => {
    const { eid, state, start } = engine({ baseUrl: 'https://shop.example/app' });
    expect(eid.baseUrl).toBe('https://shop.example/app');
    expect(engine({ baseUrl: 'https://shop.example/app/' }).eid.baseUrl).toBe('https://shop.example/app');
    expect(engine({ baseUrl: 'https://shop.example/' }).eid.baseUrl).toBe('https://shop.example');
    expect(eid.prefix).toBe('/auth/eid');
    await start();
    const { callbackUrl, webhookUrl, transactionId } = state.starts[0]!;
    expect(callbackUrl).toBe(`https://shop.example/app/auth/eid/callback/acme?tx=${transactionId}`);
    expect(webhookUrl).toBe(`https://shop.example/app/auth/eid/webhook/acme?tx=${transactionId}`);
  });

  it('the mount path goes between the baseUrl path and the prefix', async () => {
    const { state, start } = engine({ baseUrl: 'https://shop.example/app' });
    await start({ mountPath: '/api' });
    expect(withoutQuery(state.starts[0]!.callbackUrl)).toBe(
      'https://shop.example/app/api/auth/eid/callback/acme',
    );
    await start({ mountPath: '/' });
    expect(withoutQuery(state.starts[1]!.callbackUrl)).toBe(
      'https://shop.example/app/auth/eid/callback/acme',
    );
  });

  it('the callback brings the browser back through the mounted route', async () => {
    const { eid, state, start } = engine({ baseUrl: 'https://shop.example', prefix: '/' });
    const started = await start({ mountPath: '/login' });
    expect(withoutQuery(state.starts[0]!.callbackUrl)).toBe('https://shop.example/login/callback/acme');
    const binding = (started.session as { binding: string }).binding;
    state.result = { status: 'complete', identity: KARI };
    const back = await eid.handle({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: Object.fromEntries(new URL(state.starts[0]!.callbackUrl).searchParams),
      session: { binding },
      mountPath: '/login',
    });
    expect(back.session?.kind).toBe('login');
  });

  it.each<[string, unknown]>([
    ['without a leading slash', 'api'],
    ['with a query', '/api?x=1'],
    ['with a fragment', '/api#x'],
    ['with dot segments', '/api/../admin'],
    ['with encoded dot segments', '/%2e%2e'],
    ['with an encoded dot segment in capitals', '/api/%2E%2E/admin'],
    ['with an encoded slash', '/a%2Fb'],
    ['too long', `/${'a'.repeat(600)}`],
    ['not a string', 42],
  ])('a mount path %s is invalid_config naming mountPath, and nothing starts', async (_name, mountPath) => {
    const { state, start } = engine();
    const outcome = await start({ mountPath: mountPath as string });
    expect(outcome.response).toMatchObject({ status: 500, body: { error: { code: 'invalid_config' } } });
    expect(outcome.error?.message).toMatch(/mountPath/);
    expect(state.starts).toHaveLength(0);
  });
});

describe('createEid({ routes })', () => {
  it('eid.routes lists the routes as renamed, the disabled ones left out', () => {
    const { provider } = withoutPushes();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [provider],
      routes: { callback: '/return/:provider', webhook: false, session: '/me/' },
    });
    expect(eid.routes.map((route) => `${route.method} ${route.path}`)).toEqual([
      'GET /methods',
      'GET /start/:provider/:method',
      'POST /start/:provider/:method',
      'GET /return/:provider',
      'GET /status/:transactionId',
      'POST /cancel/:transactionId',
      'GET /me',
      'POST /logout',
    ]);
    expect(eid.routes.find((route) => route.name === 'cancel')?.bodyLimit).toBe(16 * 1024);
  });

  it('a renamed callback is the URL the provider sends the browser back to', async () => {
    const { eid, state, start } = engine({
      baseUrl: 'https://shop.example/app',
      routes: { callback: '/return/:provider', webhook: '/push/:provider/in' },
    });
    await start({ mountPath: '/api' });
    expect(withoutQuery(state.starts[0]!.callbackUrl)).toBe(
      'https://shop.example/app/api/auth/eid/return/acme',
    );
    expect(withoutQuery(state.starts[0]!.webhookUrl)).toBe(
      'https://shop.example/app/api/auth/eid/push/acme/in',
    );
    expect(eid.routes.find((route) => route.name === 'callback')?.path).toBe('/return/:provider');
  });

  it('a disabled route is not served even if an adapter passes it on', async () => {
    const { provider } = withoutPushes();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [provider],
      routes: { methods: false },
    });
    const outcome = await eid.handle({ route: 'methods', httpMethod: 'GET', params: {} });
    expect(outcome.response).toMatchObject({ status: 404, body: { error: { code: 'invalid_request' } } });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['not an object', 'callback' as never, /`routes`/],
    ['an unknown route', { login: '/login' }, /`routes\.login`/],
    ['a path without a leading slash', { callback: 'return/:provider' }, /`routes\.callback`/],
    ['a path with a query', { session: '/me?x' }, /`routes\.session`/],
    ['a path with dot segments', { session: '/../me' }, /`routes\.session`/],
    [
      'a callback that drops :provider',
      { callback: '/return' },
      /`routes\.callback` must keep the route's parameters \(:provider\)/,
    ],
    ['a webhook that drops :provider', { webhook: '/push' }, /`routes\.webhook`/],
    ['a status that renames its parameter', { status: '/status/:id' }, /`routes\.status`/],
    ['a route that gains a parameter', { session: '/session/:who' }, /`routes\.session`/],
    ['a value that is neither a path nor false', { session: true }, /`routes\.session`/],
    ['start disabled', { start: false }, /`routes\.start` cannot be disabled/],
    ['callback disabled with a redirect login', { callback: false }, /`routes\.callback`.*redirect/],
    ['status disabled with a headless login', { status: false }, /`routes\.status`.*headless/],
    ['webhook disabled with a provider that pushes', { webhook: false }, /`routes\.webhook`.*Acme eID/],
    ['two routes on one path', { session: '/methods' }, /`routes\.session`.*methods/],
  ])('refuses %s, naming the route', (_name, routes, message) => {
    const { provider } = scriptedProvider();
    const create = () =>
      createEid({ baseUrl: 'https://shop.example', providers: [provider], routes: routes as never });
    expect(create).toThrow(message);
    expect(create).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });

  it('callback and status may be disabled when no provider needs them', () => {
    const { provider } = withoutPushes();
    const headlessOnly: Provider = {
      ...provider,
      methods: provider.methods.filter((m) => m.flow === 'headless'),
    };
    const redirectOnly: Provider = {
      ...provider,
      methods: provider.methods.filter((m) => m.flow === 'redirect'),
    };
    const names = (eid: { routes: readonly { name: string }[] }) => eid.routes.map((route) => route.name);
    expect(
      names(
        createEid({
          baseUrl: 'https://shop.example',
          providers: [headlessOnly],
          routes: { callback: false },
        }),
      ),
    ).not.toContain('callback');
    expect(
      names(
        createEid({ baseUrl: 'https://shop.example', providers: [redirectOnly], routes: { status: false } }),
      ),
    ).not.toContain('status');
  });
});
