/**
 * (4) Memory per pending login in MemoryStore: N logins started through the engine's start route (each from a
 * browser of its own, so the caps per browser do not drop any), the heap measured after a full GC before and after.
 * The provider answers as Signicat does (a session id and an authentication URL of the same length) without a
 * network call, so only what the engine keeps is counted. Needs `node --expose-gc`.
 */
import { createEid, MemoryStore } from '@eid/core';
import type { Provider } from '@eid/core/provider-kit';

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('Run with node --expose-gc: memory is measured after a full GC.');
  collect();
  collect();
};

/** A provider that answers a start the way Signicat's API does, without a network. */
function signicatShapedProvider(): Provider {
  let serial = 0;
  return {
    specificationVersion: 'v1',
    id: 'signicat',
    name: 'Signicat',
    methods: [{ id: 'nbid', flow: 'redirect', purpose: 'login', label: 'Norwegian BankID', country: 'NO' }],
    async start() {
      const id = `9d3d5f4e-1c2b-4f7a-8e6d-${String(++serial).padStart(12, '0')}`;
      return {
        reference: id,
        redirectUrl: `https://example.signicat.com/auth/rest/sessions/${id}/authenticate?messageId=7c1d1f0e-5b44-4c36-9a3e-2b8f2d8c0a11`,
      };
    },
    async complete() {
      return { status: 'pending' };
    },
  };
}

export interface MemoryFigure {
  pending: number;
  bytesPerTransaction: number;
}

export async function measurePendingMemory(pending: number): Promise<MemoryFigure> {
  const store = new MemoryStore({ maxEntries: pending + 10 });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [signicatShapedProvider()],
    store,
    transactionTtlSeconds: 3600,
  });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < pending; i++) {
    const outcome = await eid.handle({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'signicat', method: 'nbid' },
      query: { returnTo: '/profile' },
      headers: { accept: 'text/html' },
    });
    if (outcome.error) throw outcome.error;
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  await eid.close();
  return { pending, bytesPerTransaction: Math.round((after - before) / pending) };
}
