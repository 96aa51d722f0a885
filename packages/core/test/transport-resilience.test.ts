import { afterEach, describe, expect, it } from 'vitest';
import { upstreamError } from '../src/provider-kit/rest.js';
import { oidcError } from '../src/providers/oidc/errors.js';
import { createTransport, retryAfterSeconds, type TransportOptions } from '../src/transport.js';
import { type RecordedRequest, type Reply, startRecordingServer } from './helpers/recording-server.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

type Log = { level: string; obj: Record<string, unknown>; msg?: string };

/** A scripted upstream and a transport on a fake clock whose waits are recorded, not slept. */
async function setup(
  answer: (request: RecordedRequest) => Reply | Promise<Reply>,
  options: TransportOptions = {},
) {
  const server = await startRecordingServer(answer);
  const clock = { now: 1_000_000 };
  const waits: number[] = [];
  const logs: Log[] = [];
  const sink = (level: string) => (obj: object, msg?: string) =>
    logs.push({ level, obj: obj as Record<string, unknown>, ...(msg ? { msg } : {}) });
  const transport = createTransport({
    timeouts: { connect: 200, headers: 200, body: 200 },
    logger: { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') },
    now: () => clock.now,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 1,
    ...options,
  });
  closers.push(async () => {
    await transport.close();
    await server.close();
  });
  const acme = transport.forProvider('acme');
  const call = (method: 'GET' | 'POST', path = '/') =>
    acme.request({ provider: 'Acme', method, url: `${server.url}${path}` });
  return { server, transport, acme, call, clock, waits, logs };
}

/** Answers each request with the next reply of the script, the last one for ever after. */
function script(...replies: Reply[]) {
  let index = 0;
  return () => replies[Math.min(index++, replies.length - 1)]!;
}

const failed = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('retries: reads only, bounded, with backoff', () => {
  it('a read is sent again after a 5xx or a 429 and the good answer returned; the waits grow exponentially', async () => {
    const { call, server, waits } = await setup(
      script({ status: 502 }, { status: 429 }, { status: 200, json: {} }),
    );
    expect((await call('GET')).status).toBe(200);
    expect(server.requests).toHaveLength(3);
    // Full jitter (random 1 here): base 100 ms, then 200 ms.
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after `attempts` and returns the last answer; each wait is at most 2 s', async () => {
    const { call, server, waits } = await setup(() => ({ status: 500 }), {
      retries: { attempts: 6, backoffMs: 1_000 },
      breaker: false,
    });
    expect((await call('GET')).status).toBe(500);
    expect(server.requests).toHaveLength(6);
    expect(waits).toEqual([1_000, 2_000, 2_000, 2_000, 2_000]);
  });

  it('the jitter spreads a wait over [0, base × 2^n]', async () => {
    const { call, waits } = await setup(script('reset', 'reset', { status: 200 }), { random: () => 0.25 });
    await call('GET');
    expect(waits).toEqual([25, 50]);
  });

  it('a POST is never retried: not after a connection failure, a 5xx, a 429', async () => {
    for (const reply of ['reset', { status: 503 }, { status: 429 }] as Reply[]) {
      const { call, server, waits } = await setup(() => reply);
      await failed(call('POST'));
      expect(server.requests).toHaveLength(1);
      expect(waits).toEqual([]);
    }
  });

  it('a 4xx refusal of a read is not retried', async () => {
    const { call, server } = await setup(() => ({ status: 404 }));
    expect((await call('GET')).status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });

  it('attempts: 1 turns retries off', async () => {
    const { call, server } = await setup(() => 'reset', { retries: { attempts: 1 } });
    await expect(call('GET')).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('a short one on 429 or 503 is waited out before the read is retried', async () => {
    const { call, server, waits } = await setup(
      script(
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 503, headers: { 'retry-after': '2' } },
        { status: 200 },
      ),
    );
    expect((await call('GET')).status).toBe(200);
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('a long one is not waited: the answer comes back at once, and the error carries it for the client', async () => {
    const { call, server, waits } = await setup(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const response = await call('GET');
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    const error = upstreamError(
      { id: 'acme', name: 'Acme' },
      response,
      'session request',
      { credentials: '' },
      {
        debug() {},
        info() {},
        warn() {},
        error() {},
      },
    );
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 120 });
  });

  it('a 503 with Retry-After to a POST fails with provider_unavailable carrying it; the cap is configurable', async () => {
    const { call } = await setup(() => ({ status: 503, headers: { 'retry-after': '7' } }));
    const response = await call('POST');
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    expect(
      upstreamError({ id: 'acme', name: 'Acme' }, response, 'x', { credentials: '' }, quiet),
    ).toMatchObject({
      code: 'provider_unavailable',
      status: 503,
      retryAfterSeconds: 7,
    });
    const capped = await setup(script({ status: 503, headers: { 'retry-after': '7' } }, { status: 200 }), {
      retries: { maxRetryAfterSeconds: 10 },
    });
    expect((await capped.call('GET')).status).toBe(200);
    expect(capped.waits).toEqual([7_000]);
  });

  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds(['5'], now)).toBe(5);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(retryAfterSeconds('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
  });
});

describe('circuit breaker', () => {
  const options: TransportOptions = { retries: { attempts: 1 }, breaker: { failures: 3, openSeconds: 30 } };

  it('opens after N failures in a row and then fails fast without reaching the network, with Retry-After', async () => {
    const { call, server, transport, clock, logs } = await setup(
      script({ status: 500 }, 'reset', 'hang'),
      options,
    );
    for (let i = 0; i < 3; i++) await failed(call('POST'));
    expect(server.requests).toHaveLength(3);
    expect(transport.breakers()).toEqual({ acme: 'open' });
    const error = await failed(call('POST'));
    expect(error).toMatchObject({ code: 'provider_unavailable', status: 503, retryAfterSeconds: 30 });
    clock.now += 10_000;
    expect(await failed(call('GET'))).toMatchObject({ retryAfterSeconds: 20 });
    expect(server.requests).toHaveLength(3);
    const opened = logs.filter((log) => log.obj.breaker === 'open');
    expect(opened).toEqual([
      {
        level: 'warn',
        obj: expect.objectContaining({ provider: 'acme', breaker: 'open', failures: 3 }),
        msg: expect.any(String),
      },
    ]);
  });

  it('4xx refusals are answers, not failures: the breaker stays closed', async () => {
    const { call, server, transport } = await setup(() => ({ status: 400 }), options);
    for (let i = 0; i < 10; i++) await call('POST');
    expect(server.requests).toHaveLength(10);
    expect(transport.breakers()).toEqual({ acme: 'closed' });
  });

  it('a success between failures starts the count again; failures further apart than the window do not add up', async () => {
    const { call, transport, clock } = await setup(
      script(
        { status: 500 },
        { status: 500 },
        { status: 200 },
        { status: 500 },
        { status: 500 },
        { status: 500 },
      ),
      { ...options, breaker: { failures: 3, openSeconds: 30, windowSeconds: 60 } },
    );
    for (let i = 0; i < 5; i++) await call('POST');
    expect(transport.breakers()).toEqual({ acme: 'closed' });
    clock.now += 61_000;
    await call('POST');
    expect(transport.breakers()).toEqual({ acme: 'closed' });
  });

  it('half-opens after the open period: one trial call goes through, success closes it', async () => {
    let healthy = false;
    const { call, server, transport, clock, logs } = await setup(
      () => (healthy ? { status: 200 } : { status: 503 }),
      options,
    );
    for (let i = 0; i < 3; i++) await call('POST');
    clock.now += 30_000;
    expect(transport.breakers()).toEqual({ acme: 'half-open' });
    healthy = true;
    expect((await call('POST')).status).toBe(200);
    expect(server.requests).toHaveLength(4);
    expect(transport.breakers()).toEqual({ acme: 'closed' });
    expect((await call('POST')).status).toBe(200);
    expect(logs.filter((log) => log.obj.breaker).map((log) => [log.level, log.obj.breaker])).toEqual([
      ['warn', 'open'],
      ['info', 'half-open'],
      ['info', 'closed'],
    ]);
  });

  it('a failed trial opens it again for the whole period', async () => {
    const { call, server, transport, clock } = await setup(() => ({ status: 500 }), options);
    for (let i = 0; i < 3; i++) await call('POST');
    clock.now += 30_000;
    await call('POST');
    expect(server.requests).toHaveLength(4);
    expect(transport.breakers()).toEqual({ acme: 'open' });
    expect(await failed(call('POST'))).toMatchObject({ code: 'provider_unavailable', retryAfterSeconds: 30 });
    expect(server.requests).toHaveLength(4);
  });

  it('half-open lets one trial through at a time: concurrent calls fail fast', async () => {
    let release: () => void = () => {};
    let healthy = false;
    const { call, server, clock } = await setup(async () => {
      if (!healthy) return { status: 500 };
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { status: 200 };
    }, options);
    for (let i = 0; i < 3; i++) await call('POST');
    clock.now += 30_000;
    healthy = true;
    const trial = call('POST');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await failed(call('POST'))).toMatchObject({ code: 'provider_unavailable', retryAfterSeconds: 1 });
    release();
    expect((await trial).status).toBe(200);
    expect(server.requests).toHaveLength(4);
  });

  it('each retry of a read counts; an opening breaker stops the retries', async () => {
    const { call, server, transport } = await setup(() => 'reset', {
      breaker: { failures: 2, openSeconds: 30 },
    });
    await expect(call('GET')).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(server.requests).toHaveLength(2);
    expect(transport.breakers()).toEqual({ acme: 'open' });
  });

  it('one breaker per provider: an open one does not touch another provider, even one of the same name', async () => {
    const { server, transport } = await setup(
      (request) => (request.path.startsWith('/broken') ? { status: 502 } : { status: 200 }),
      options,
    );
    const broken = transport.forProvider('broken');
    const fine = transport.forProvider('fine');
    const send = (view: typeof broken, path: string) =>
      view.request({ provider: 'Same Name', method: 'POST', url: `${server.url}${path}` });
    for (let i = 0; i < 3; i++) await send(broken, '/broken');
    await expect(send(broken, '/broken')).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect((await send(fine, '/fine')).status).toBe(200);
    expect(transport.breakers()).toEqual({ broken: 'open', fine: 'closed' });
  });

  it('covers openid-client calls (fetchFor): reads retried, the breaker applied', async () => {
    const { server, transport, waits } = await setup(
      script({ status: 503 }, { status: 200, json: { ok: 1 } }),
      {
        breaker: { failures: 2, openSeconds: 30 },
      },
    );
    const fetchAcme = transport.forProvider('acme').fetchFor('Acme');
    const response = await fetchAcme(`${server.url}/.well-known/openid-configuration`);
    expect(await response.json()).toEqual({ ok: 1 });
    expect(waits).toEqual([100]);
    const failing = await setup(() => ({ status: 500 }), {
      ...options,
      breaker: { failures: 2, openSeconds: 30 },
    });
    const post = failing.transport.forProvider('acme').fetchFor('Acme');
    for (let i = 0; i < 2; i++)
      expect((await post(`${failing.server.url}/token`, { method: 'POST' })).status).toBe(500);
    await expect(post(`${failing.server.url}/token`, { method: 'POST' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryAfterSeconds: 30,
    });
    expect(failing.server.requests).toHaveLength(2);
  });

  it('breaker: false turns it off', async () => {
    const { call, server, transport } = await setup(() => ({ status: 500 }), { ...options, breaker: false });
    for (let i = 0; i < 10; i++) await call('POST');
    expect(server.requests).toHaveLength(10);
    expect(transport.breakers()).toEqual({});
  });
});

describe("an OpenID Connect provider's Retry-After", () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const refused = (status: number, retryAfter?: string) =>
    Object.assign(new Error('server responded with an error'), {
      name: 'ResponseBodyError',
      status,
      cause: new Response('{}', { status, headers: retryAfter ? { 'retry-after': retryAfter } : {} }),
    });

  it('is passed on with rate_limited (429) and provider_unavailable (503)', () => {
    const op = { id: 'idporten', name: 'ID-porten' };
    expect(oidcError(refused(429, '45'), op, 'token request', quiet)).toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 45,
    });
    expect(oidcError(refused(503, '12'), op, 'token request', quiet)).toMatchObject({
      code: 'provider_unavailable',
      retryAfterSeconds: 12,
    });
    expect(oidcError(refused(500, '12'), op, 'token request', quiet).retryAfterSeconds).toBeUndefined();
    expect(oidcError(refused(503), op, 'token request', quiet).retryAfterSeconds).toBeUndefined();
  });
});

describe('connections per provider origin', () => {
  /** Calls held open until released, counting how many the server has at once. */
  async function heldCalls(options: TransportOptions, calls: number) {
    let open = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const { call } = await setup(
      () =>
        new Promise<Reply>((resolve) => {
          most = Math.max(most, ++open);
          releases.push(() => {
            open--;
            resolve({ status: 200, json: {} });
          });
        }),
      options,
    );
    const answers = Array.from({ length: calls }, () => call('POST'));
    // Let every call that can reach the server get there (no new one for 100 ms), then release them; again.
    let answered = 0;
    while (answered < calls) {
      let seen = -1;
      while (seen !== releases.length) {
        seen = releases.length;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const waiting = releases.splice(0);
      answered += waiting.length;
      for (const release of waiting) release();
    }
    await Promise.all(answers);
    return most;
  }

  it('at most `connections` calls are open at once; the rest wait for one and are answered', async () => {
    expect(await heldCalls({ connections: 3 }, 12)).toBe(3);
  });

  it('the default opens more than the 32 it once had', async () => {
    expect(await heldCalls({}, 100)).toBe(100);
  });
});
