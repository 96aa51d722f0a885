import { afterEach, describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { headerValue, parseJson } from '../src/http.js';
import { createTransport } from '../src/transport.js';
import { type Reply, startRecordingServer } from './helpers/recording-server.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

async function setup(answer: () => Reply, maxResponseBytes?: number) {
  const server = await startRecordingServer(answer);
  const logs: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const sink = (level: string) => (obj: object, msg?: string) =>
    logs.push({ level, obj: obj as Record<string, unknown>, ...(msg ? { msg } : {}) });
  const transport = createTransport({
    timeouts: { connect: 200, headers: 200, body: 200 },
    logger: { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') },
    ...(maxResponseBytes ? { maxResponseBytes } : {}),
  });
  closers.push(async () => {
    await transport.close();
    await server.close();
  });
  const http = {
    request: (request: Omit<Parameters<typeof transport.request>[0], 'provider'>) =>
      transport.request({ ...request, provider: 'Acme' }),
  };
  return { server, http, transport, logs };
}

describe('transport', () => {
  it('sends method, path, query, headers and body, and returns status, headers and text', async () => {
    const { server, http, logs } = await setup(() => ({
      status: 201,
      json: { ok: true },
      headers: { location: '/x/1' },
    }));
    const response = await http.request({
      method: 'POST',
      url: `${server.url}/api/things?a=1`,
      headers: { 'content-type': 'application/json', 'x-test': 'yes' },
      body: '{"b":2}',
    });
    expect(response.status).toBe(201);
    expect(parseJson(response.text, 'Acme')).toEqual({ ok: true });
    expect(headerValue(response.headers, 'Location')).toBe('/x/1');
    const recorded = server.requests[0]!;
    expect([
      recorded.method,
      recorded.path,
      recorded.query.get('a'),
      recorded.headers['x-test'],
      recorded.body,
    ]).toEqual(['POST', '/api/things', '1', 'yes', '{"b":2}']);
    expect(logs).toEqual([
      {
        level: 'debug',
        obj: { provider: 'Acme', method: 'POST', path: '/api/things', status: 201, ms: expect.any(Number) },
        msg: 'provider request',
      },
    ]);
  });

  it('a server that never answers is provider_unavailable, with "in time", logged at warn', async () => {
    const { http, server, logs } = await setup(() => 'hang');
    const error = await http.request({ method: 'POST', url: `${server.url}/slow` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EidError);
    expect(error).toMatchObject({ code: 'provider_unavailable', message: expect.stringMatching(/in time/) });
    expect(logs.map(({ level, obj }) => [level, obj.provider, obj.path])).toEqual([
      ['warn', 'Acme', '/slow'],
    ]);
  });

  it('a refused connection is provider_unavailable', async () => {
    const transport = createTransport({ timeouts: { connect: 200 } });
    closers.push(() => transport.close());
    await expect(
      transport.request({ provider: 'Acme', method: 'GET', url: 'http://127.0.0.1:1/' }),
    ).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/could not be reached/),
    });
  });

  it('retries a read up to its attempts (3 by default), never a POST', async () => {
    const get = await setup(() => 'reset');
    await expect(
      get.http.request({ method: 'GET', url: `${get.server.url}/`, idempotent: true }),
    ).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(get.server.requests).toHaveLength(3);
    const post = await setup(() => 'reset');
    await expect(post.http.request({ method: 'POST', url: `${post.server.url}/` })).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(post.server.requests).toHaveLength(1);
  });

  it('retries a read that timed out, up to its attempts', async () => {
    const { http, server } = await setup(() => 'hang');
    await expect(http.request({ method: 'GET', url: `${server.url}/slow` })).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/in time/),
    });
    expect(server.requests).toHaveLength(3);
  });

  it('malformed JSON is provider_error', async () => {
    const { http, server } = await setup(() => ({ status: 200, text: '<html>' }));
    const response = await http.request({ method: 'GET', url: server.url });
    expect(() => parseJson(response.text, 'Acme')).toThrow(
      expect.objectContaining({
        code: 'provider_error',
        message: 'Acme sent a response that is not valid JSON.',
      }),
    );
  });

  it('an oversized body is provider_error', async () => {
    const { http, server } = await setup(() => ({ status: 200, text: 'x'.repeat(5000) }), 1000);
    await expect(http.request({ method: 'GET', url: server.url })).rejects.toMatchObject({
      code: 'provider_error',
      message: 'Acme sent a response larger than allowed.',
    });
  });

  it('keeps one pool per origin: sequential requests reuse its connections', async () => {
    const { http, server } = await setup(() => ({ status: 200, json: {} }));
    for (let i = 0; i < 20; i++) await http.request({ method: 'GET', url: `${server.url}/p?i=${i}` });
    expect(server.requests).toHaveLength(20);
    // Kept alive and reused: undici may open a second connection while the first is being released, no more.
    const reused = server.connections;
    expect(reused).toBeLessThanOrEqual(2);
    // A second origin (the same server by another name) gets a pool, and so a connection, of its own.
    await http.request({ method: 'GET', url: server.url.replace('127.0.0.1', 'localhost') });
    expect(server.connections).toBe(reused + 1);
  });
});

describe('transport.fetchFor (openid-client)', () => {
  it('answers like fetch over the same connections, and logs the request', async () => {
    const { server, transport, logs } = await setup(() => ({ status: 200, json: { ok: 1 } }));
    const fetchAcme = transport.fetchFor('Acme');
    for (let i = 0; i < 5; i++) {
      const response = await fetchAcme(`${server.url}/j`, { method: 'GET' });
      expect(await response.json()).toEqual({ ok: 1 });
    }
    await transport.request({ provider: 'Acme', method: 'GET', url: `${server.url}/r` });
    expect(server.connections).toBeLessThanOrEqual(2);
    expect(logs[0]).toMatchObject({ level: 'debug', obj: { provider: 'Acme', method: 'GET', path: '/j' } });
  });

  it("openid-client's calls (redirect: 'manual') reach the server as fetch sends them: method, path, headers, form body", async () => {
    const { server, transport } = await setup(() => ({
      status: 200,
      json: { access_token: 'at' },
      headers: { 'x-answer': 'yes' },
    }));
    const fetchAcme = transport.fetchFor('Acme');
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'c ø' });
    const init = {
      method: 'POST',
      headers: { accept: 'application/json', authorization: 'Basic abc' },
      body: form,
    };
    const direct = await fetchAcme(`${server.url}/token?x=1`, { ...init, redirect: 'manual' });
    const viaFetch = await fetchAcme(`${server.url}/token?x=1`, init);
    expect(await direct.json()).toEqual({ access_token: 'at' });
    expect(await viaFetch.json()).toEqual({ access_token: 'at' });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('x-answer')).toBe('yes');
    expect(server.requests).toHaveLength(2);
    // The first went straight through the agent: none of the browser headers fetch adds.
    expect(server.requests[0]!.headers['sec-fetch-mode']).toBeUndefined();
    expect(server.requests[1]!.headers['sec-fetch-mode']).toBe('cors');
    for (const sent of server.requests) {
      expect(sent).toMatchObject({ method: 'POST', path: '/token', body: form.toString() });
      expect(sent.query.get('x')).toBe('1');
      expect(sent.headers).toMatchObject({
        accept: 'application/json',
        authorization: 'Basic abc',
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
        'content-length': String(Buffer.byteLength(form.toString())),
      });
    }
  });

  it('a direct call keeps a set content type and answers a redirect unfollowed and an empty 204', async () => {
    const { server, transport } = await setup(() =>
      server.requests.length === 1 ? { status: 302, headers: { location: '/elsewhere' } } : { status: 204 },
    );
    const fetchAcme = transport.fetchFor('Acme');
    const moved = await fetchAcme(`${server.url}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ a: '1' }),
      redirect: 'manual',
    });
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe('/elsewhere');
    expect(server.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const empty = await fetchAcme(`${server.url}/b`, { redirect: 'manual' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    expect(server.requests).toHaveLength(2);
  });

  it('an aborted direct call is provider_unavailable', async () => {
    const { server, transport } = await setup(() => 'hang');
    const controller = new AbortController();
    const call = transport.fetchFor('Acme')(`${server.url}/slow`, {
      method: 'POST',
      body: 'x',
      redirect: 'manual',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(server.requests).toHaveLength(1);
  });

  it('a silent server, a refused connection and an oversized body become EidErrors naming the provider, by either path', async () => {
    for (const init of [undefined, { redirect: 'manual' } as const]) {
      const hang = await setup(() => 'hang');
      await expect(hang.transport.fetchFor('Acme')(`${hang.server.url}/`, init)).rejects.toMatchObject({
        code: 'provider_unavailable',
        message: 'Acme did not answer in time. Try again in a moment.',
      });
      await expect(hang.transport.fetchFor('Acme')('http://127.0.0.1:1/', init)).rejects.toMatchObject({
        code: 'provider_unavailable',
        message: 'Acme could not be reached. Try again in a moment.',
      });
      const big = await setup(() => ({ status: 200, text: 'x'.repeat(5000) }), 1000);
      await expect(big.transport.fetchFor('Acme')(`${big.server.url}/`, init)).rejects.toMatchObject({
        code: 'provider_error',
        message: 'Acme sent a response larger than allowed.',
      });
    }
  });
});
