import { afterEach, describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { HttpClient, headerValue } from '../src/http.js';
import { type Reply, startRecordingServer } from './helpers/recording-server.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

async function setup(answer: () => Reply, maxBodyBytes?: number) {
  const server = await startRecordingServer(answer);
  const http = new HttpClient({
    name: 'Acme',
    timeouts: { connect: 200, headers: 200, body: 200 },
    maxBodyBytes,
  });
  closers.push(async () => {
    await http.close();
    await server.close();
  });
  return { server, http };
}

describe('HttpClient', () => {
  it('sends method, path, query, headers and body, and returns status, headers and text', async () => {
    const { server, http } = await setup(() => ({
      status: 201,
      json: { ok: true },
      headers: { location: '/x/1' },
    }));
    const response = await http.requestJson<{ ok: boolean }>({
      method: 'POST',
      url: `${server.url}/api/things?a=1`,
      headers: { 'content-type': 'application/json', 'x-test': 'yes' },
      body: '{"b":2}',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ ok: true });
    expect(headerValue(response.headers, 'Location')).toBe('/x/1');
    const recorded = server.requests[0]!;
    expect([
      recorded.method,
      recorded.path,
      recorded.query.get('a'),
      recorded.headers['x-test'],
      recorded.body,
    ]).toEqual(['POST', '/api/things', '1', 'yes', '{"b":2}']);
  });

  it('a server that never answers is provider_unavailable, with "in time"', async () => {
    const { http, server } = await setup(() => 'hang');
    const error = await http.request({ method: 'POST', url: `${server.url}/slow` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EidError);
    expect(error).toMatchObject({ code: 'provider_unavailable', message: expect.stringMatching(/in time/) });
  });

  it('a refused connection is provider_unavailable', async () => {
    const http = new HttpClient({ name: 'Acme', timeouts: { connect: 200 } });
    closers.push(() => http.close());
    await expect(http.request({ method: 'GET', url: 'http://127.0.0.1:1/' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/could not be reached/),
    });
  });

  it('retries an idempotent request once, never a POST', async () => {
    const get = await setup(() => 'reset');
    await expect(
      get.http.request({ method: 'GET', url: `${get.server.url}/`, idempotent: true }),
    ).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(get.server.requests).toHaveLength(2);
    const post = await setup(() => 'reset');
    await expect(post.http.request({ method: 'POST', url: `${post.server.url}/` })).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(post.server.requests).toHaveLength(1);
  });

  it('malformed JSON is provider_error', async () => {
    const { http, server } = await setup(() => ({ status: 200, text: '<html>' }));
    await expect(http.requestJson({ method: 'GET', url: server.url })).rejects.toMatchObject({
      code: 'provider_error',
      message: 'Acme sent a response that is not valid JSON.',
    });
  });

  it('an oversized body is provider_error', async () => {
    const { http, server } = await setup(() => ({ status: 200, text: 'x'.repeat(5000) }), 1000);
    await expect(http.request({ method: 'GET', url: server.url })).rejects.toMatchObject({
      code: 'provider_error',
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
