import { describe, expect, it, onTestFinished } from 'vitest';
import type { EidOutcome } from '../src/engine/contract.js';
import { createEid, type EidOptions } from '../src/index.js';
import { defineProvider, restClient } from '../src/provider-kit/index.js';
import type { Provider } from '../src/providers/types.js';
import { MemoryStore } from '../src/store/memory.js';
import { type RecordedRequest, type Reply, startRecordingServer } from './helpers/recording-server.js';

/** A broker's provider written with the kit: a start is one POST to `{baseUrl}/{id}/sessions`. */
function kitProvider(id: string, baseUrl: string): Provider {
  const provider = defineProvider({
    id,
    name: 'Broker',
    methods: [{ id: 'card', flow: 'redirect', purpose: 'login', label: 'Card', country: 'NO' }],
    async start() {
      const session = await api.sendJson<{ id: string; url: string }>({
        method: 'POST',
        path: `/${id}/sessions`,
        json: {},
        what: 'session request',
      });
      return { reference: session.id, redirectUrl: session.url };
    },
    async complete() {
      return { status: 'pending' };
    },
  });
  const api = restClient({
    provider: { id, name: 'Broker' },
    baseUrl: new URL(baseUrl),
    runtime: provider.runtime,
    authorization: () => 'Key k',
    errors: { credentials: 'Check the key.' },
  });
  return provider;
}

async function setup(answer: (request: RecordedRequest) => Reply, options: Partial<EidOptions> = {}) {
  const server = await startRecordingServer(answer);
  const clock = { now: 1_000_000 };
  const logs: Array<{ level: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object) => logs.push({ level, obj: obj as Record<string, unknown> });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [kitProvider('acme', server.url), kitProvider('other', server.url)],
    now: () => clock.now,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    http: { breaker: { failures: 3, openSeconds: 30 } },
    ...options,
  });
  onTestFinished(async () => {
    await eid.close();
    await server.close();
  });
  const start = (provider: string): Promise<EidOutcome> =>
    eid.handle({
      route: 'start',
      httpMethod: 'POST',
      params: { provider, method: 'card' },
      body: {},
      headers: { accept: 'application/json' },
      session: undefined,
    });
  return { eid, server, clock, logs, start };
}

const healthy: Reply = { status: 201, json: { id: 's-1', url: 'https://broker.example/s-1' } };

describe('a broker that keeps failing', () => {
  it('opens its breaker: starts answer 503 provider_unavailable with Retry-After without calling it; it recovers by itself', async () => {
    let up = false;
    const { eid, server, clock, start, logs } = await setup((request) =>
      up || request.path.startsWith('/other') ? healthy : { status: 502 },
    );
    for (let i = 0; i < 3; i++) {
      expect((await start('acme')).response).toMatchObject({ status: 503 });
    }
    expect(server.requests).toHaveLength(3);
    const fast = await start('acme');
    expect(fast.response).toMatchObject({
      type: 'json',
      status: 503,
      body: { error: { code: 'provider_unavailable' } },
      headers: { 'retry-after': '30' },
    });
    expect(server.requests).toHaveLength(3);
    // Another provider is not affected.
    expect((await start('other')).response).toMatchObject({ status: 200 });
    expect(await eid.health()).toEqual({
      ok: true,
      store: 'ok',
      providers: { acme: { breaker: 'open' }, other: { breaker: 'closed' } },
    });
    // The breaker logs its state with the provider's id, nothing personal.
    expect(logs.find((log) => log.obj.breaker === 'open')).toMatchObject({
      level: 'warn',
      obj: { provider: 'acme', breaker: 'open' },
    });
    clock.now += 30_000;
    expect((await eid.health()).providers.acme).toEqual({ breaker: 'half-open' });
    up = true;
    expect((await start('acme')).response).toMatchObject({ status: 200 });
    expect((await eid.health()).providers.acme).toEqual({ breaker: 'closed' });
  });

  it('a broker answering 429 with a long Retry-After: the start answers 429 rate_limited with it', async () => {
    const { start, server } = await setup(() => ({ status: 429, headers: { 'retry-after': '90' } }));
    expect((await start('acme')).response).toMatchObject({
      status: 429,
      body: { error: { code: 'rate_limited' } },
      headers: { 'retry-after': '90' },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('http.breaker and http.retries are checked at createEid', async () => {
    const base = { baseUrl: 'https://shop.example', providers: [kitProvider('acme', 'http://127.0.0.1:1')] };
    expect(() => createEid({ ...base, http: { breaker: { failures: 0 } } })).toThrow(
      /http\.breaker\.failures/,
    );
    expect(() => createEid({ ...base, http: { breaker: { openSeconds: -1 } } })).toThrow(
      /http\.breaker\.openSeconds/,
    );
    expect(() => createEid({ ...base, http: { retries: { attempts: 0 } } })).toThrow(
      /http\.retries\.attempts/,
    );
    expect(() => createEid({ ...base, http: { retries: 3 as never } })).toThrow(/http\.retries/);
    for (const connections of [0, 1.5, 5000, '8']) {
      expect(() => createEid({ ...base, http: { connections: connections as number } })).toThrow(
        /`http\.connections` must be a whole number from 1 to 4096/,
      );
    }
    const off = createEid({
      ...base,
      http: { breaker: false, retries: { attempts: 1, backoffMs: 0 }, connections: 8 },
    });
    await off.close();
  });
});

describe('eid.health()', () => {
  it('all closed and the store ok on a fresh engine', async () => {
    const { eid } = await setup(() => healthy);
    expect(await eid.health()).toEqual({
      ok: true,
      store: 'ok',
      providers: { acme: { breaker: 'closed' }, other: { breaker: 'closed' } },
    });
  });

  it('a store that fails or does not answer within a second is unreachable, and not ok', async () => {
    class FailingStore extends MemoryStore {
      mode: 'throw' | 'hang' = 'throw';
      override get(id: string) {
        if (id !== 'health-probe') return super.get(id);
        return this.mode === 'throw'
          ? Promise.reject(new Error('ECONNREFUSED'))
          : new Promise<never>(() => {});
      }
    }
    const store = new FailingStore();
    const { eid } = await setup(() => healthy, { store });
    expect(await eid.health()).toMatchObject({ ok: false, store: 'unreachable' });
    store.mode = 'hang';
    const started = Date.now();
    expect(await eid.health()).toMatchObject({ ok: false, store: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
