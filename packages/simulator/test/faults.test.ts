import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type Simulator, startSimulator } from '../src/index.js';
import { basic, createOk, json, redirectRequest, token } from './helpers.js';

let sim: Simulator;
let accessToken: string;
let sessionId: string;
beforeAll(async () => {
  sim = await startSimulator();
  accessToken = await token(sim);
  sessionId = (await createOk(sim, accessToken, redirectRequest())).id;
});
afterEach(() => {
  sim.clearFaults();
});
afterAll(async () => {
  await sim.close();
});

function getSession(signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.url}/auth/rest/sessions/${sessionId}?signicat-accountId=a-sim-account`, {
    headers: { authorization: `Bearer ${accessToken}` },
    ...(signal ? { signal } : {}),
  });
}

function tokenRequest(): Promise<Response> {
  return fetch(`${sim.url}/auth/open/connect/token`, {
    method: 'POST',
    headers: {
      authorization: basic('sim-client', 'sim-secret'),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=signicat-api',
  });
}

function postFaults(body: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('faults', () => {
  it('timeout: never answers; the client gives up through its own AbortSignal', async () => {
    sim.setFaults({ mode: 'timeout' });
    const started = Date.now();
    await expect(getSession(AbortSignal.timeout(300))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('reset: destroys the socket', async () => {
    sim.setFaults({ mode: 'reset' });
    await expect(getSession()).rejects.toThrow(TypeError);
  });

  it('garbage: 200 with a JSON content type and a body that is not JSON', async () => {
    sim.setFaults({ mode: 'garbage' });
    const res = await getSession();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('status: answers that status with problem JSON', async () => {
    sim.setFaults({ status: 500 });
    const res = await getSession();
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(res)).toMatchObject({ status: 500, title: 'Internal Server Error' });
  });

  it('status applies to the token endpoint too', async () => {
    sim.setFaults({ status: 503 });
    const res = await tokenRequest();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('latency: delays, then answers normally', async () => {
    sim.setFaults({ latencyMs: 250 });
    const started = Date.now();
    const res = await getSession();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(res.status).toBe(200);
    expect((await json(res)).id).toBe(sessionId);
  });

  it('latency combines with status', async () => {
    sim.setFaults({ latencyMs: 150, status: 502 });
    const started = Date.now();
    expect((await getSession()).status).toBe(502);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rate 0 never fires', async () => {
    sim.setFaults({ status: 500, rate: 0 });
    for (let i = 0; i < 20; i++) expect((await getSession()).status).toBe(200);
  });

  it('rate 0.5 fires on some requests and not on others', async () => {
    sim.setFaults({ status: 500, rate: 0.5 });
    const statuses = new Set<number>();
    for (let i = 0; i < 60 && statuses.size < 2; i++) statuses.add((await getSession()).status);
    expect([...statuses].sort()).toEqual([200, 500]);
  });

  it('provider filter: a fault for another provider leaves Signicat alone; one for signicat hits it', async () => {
    sim.setFaults({ provider: 'zignsec', status: 500 });
    expect((await getSession()).status).toBe(200);
    sim.setFaults({ provider: 'signicat', status: 500 });
    expect((await getSession()).status).toBe(500);
  });

  it('never applies to /__sim or the end-user page', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    sim.setFaults({ status: 500 });
    expect((await fetch(`${sim.url}/__sim/sessions`)).status).toBe(200);
    expect((await fetch(`${sim.url}/__sim/users`)).status).toBe(200);
    expect((await fetch(created.authenticationUrl)).status).toBe(200);
  });

  it('POST /__sim/faults sets faults (one or a list), DELETE clears them', async () => {
    const res = await postFaults([{ provider: 'signicat', status: 429 }, { latencyMs: 10 }]);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual([{ provider: 'signicat', status: 429 }, { latencyMs: 10 }]);
    const limited = await getSession();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await getSession()).status).toBe(200);
    expect((await postFaults({ mode: 'garbage' })).status).toBe(200);
    expect((await getSession()).headers.get('content-length')).not.toBeNull();
  });

  it('refuses invalid faults with 400 naming the field, and setFaults throws', async () => {
    const invalid: unknown[] = [
      { mode: 'explode' },
      { status: 200 },
      { rate: 2, status: 500 },
      { latency: 100 },
      { latencyMs: -1 },
      {},
      { status: 500, mode: 'reset' },
      'timeout',
    ];
    for (const fault of invalid) {
      const res = await postFaults(fault);
      expect(res.status, JSON.stringify(fault)).toBe(400);
      expect((await json(res)).error.message).toEqual(expect.any(String));
    }
    expect(() => sim.setFaults({ mode: 'explode' } as unknown as Fault)).toThrow(/mode/);
  });
});

describe('close()', () => {
  it('closes sockets held by a timeout fault', async () => {
    const held = await startSimulator();
    const heldToken = await token(held);
    held.setFaults({ mode: 'timeout' });
    const pending = fetch(`${held.url}/auth/rest/sessions/x`, {
      headers: { authorization: `Bearer ${heldToken}` },
    });
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await held.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('failed');
  });

  it('closes while a latency fault is pending', async () => {
    const slow = await startSimulator();
    slow.setFaults({ latencyMs: 60_000 });
    const outcome = fetch(`${slow.url}/auth/open/connect/token`, { method: 'POST' }).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await slow.close();
    expect(await outcome).toBe('failed');
  });
});
