import { type AddressInfo, createServer } from 'node:net';
import { isEidError, type Transaction } from '@eid/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore, RedisStore } from '../src/index.js';
import { closedPort, deleteKeys, pendingTransaction, REDIS_URL, redisProxy, testPrefix } from './helpers.js';

const prefix = testPrefix('outage');
afterAll(() => deleteKeys(prefix));

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected a rejection');
}

/** Every operation of the store, each with fresh arguments. */
function everyOperation(
  store: RedisStore,
  transaction: Transaction,
): Array<[string, () => Promise<unknown>]> {
  return [
    ['create', () => store.create(pendingTransaction(), { perBrowser: 5, perAddress: 5 })],
    ['get', () => store.get(transaction.id)],
    ['compareAndSet', () => store.compareAndSet(transaction.id, 1, transaction)],
    ['delete', () => store.delete(transaction.id)],
    ['increment', () => store.increment('pushes:x', 1000)],
    ['getKey', () => store.getKey('push:x')],
    ['swapKey', () => store.swapKey('push:x', undefined, 'y', 1000)],
    ['recordLogout', () => store.recordLogout(transaction.id, Date.now() + 1000)],
    ['isLoggedOut', () => store.isLoggedOut(transaction.id)],
  ];
}

async function expectUnavailable(store: RedisStore, transaction: Transaction, withinMs: number) {
  for (const [name, operation] of everyOperation(store, transaction)) {
    const { error, ms } = await failure(operation());
    expect({ name, code: isEidError(error) && error.code }).toEqual({ name, code: 'provider_unavailable' });
    expect(isEidError(error) && error.status).toBe(503);
    expect(ms, name).toBeLessThan(withinMs);
  }
}

/** Waits until the store answers again. */
async function recovered(store: RedisStore, id: string, withinMs = 8000): Promise<Transaction | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await store.get(id);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('start-up', () => {
  it('fails with a clear error naming the URL without its password when nothing listens', async () => {
    const port = await closedPort();
    const url = `redis://:s3cret-pw@127.0.0.1:${port}/3`;
    const { error, ms } = await failure(createRedisStore({ url, prefix, connectTimeoutMs: 500 }));
    expect(isEidError(error) && error.code).toBe('invalid_config');
    const message = (error as Error).message;
    expect(message).toContain(`127.0.0.1:${port}/3`);
    expect(message).toContain('cannot reach Redis');
    expect(message).not.toContain('s3cret');
    expect(JSON.stringify(error)).not.toContain('s3cret');
    expect(ms).toBeLessThan(2000);
  });

  it('stops trying after a failed start-up', async () => {
    // A server that hangs up on every connection, counting them.
    let attempts = 0;
    const server = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 });
      await expect(store.ready()).rejects.toThrow(/cannot reach Redis/);
      const after = attempts;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(attempts).toBe(after);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails within the connect timeout when Redis accepts but never answers', async () => {
    const proxy = await redisProxy();
    proxy.freeze(true);
    try {
      const store = new RedisStore({ url: proxy.url, prefix, connectTimeoutMs: 400 });
      const { error, ms } = await failure(store.ready());
      expect(isEidError(error) && error.code).toBe('invalid_config');
      expect(ms).toBeLessThan(1500);
      // Start-up failed: the store stops trying.
      await vi.waitFor(() => expect(store.client.status).toBe('end'), { timeout: 1000 });
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a configuration without exactly one of url and client, or with a URL of another scheme', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isEidError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code(() => new RedisStore({}))).toBe('invalid_config');
    expect(code(() => new RedisStore({ url: 'http://127.0.0.1:6379' }))).toBe('invalid_config');
    expect(code(() => new RedisStore({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 0 }))).toBe(
      'invalid_config',
    );
  });
});

describe('a Redis outage', () => {
  it('answers provider_unavailable (503) promptly while Redis is gone, then recovers by itself', async () => {
    const proxy = await redisProxy();
    const logger = { warn: vi.fn(), info: vi.fn() };
    const store = await createRedisStore({ url: proxy.url, prefix, commandTimeoutMs: 300, logger });
    try {
      const transaction = pendingTransaction();
      await store.create(transaction, { perBrowser: 5, perAddress: 5 });
      await proxy.stop();
      await expectUnavailable(store, transaction, 500);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expectUnavailable(store, transaction, 300);

      await proxy.start();
      expect(await recovered(store, transaction.id)).toEqual(transaction);
      expect(await store.compareAndSet(transaction.id, 1, { ...transaction, status: 'cancelled' })).toBe(
        true,
      );
      // Reported once per outage, without keys or values.
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.info).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(transaction.id);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it('answers provider_unavailable after the command timeout when Redis hangs, and goes on when it answers', async () => {
    const proxy = await redisProxy();
    const store = await createRedisStore({ url: proxy.url, prefix, commandTimeoutMs: 300 });
    try {
      const transaction = pendingTransaction();
      await store.create(transaction);
      proxy.freeze(true);
      const { error, ms } = await failure(store.get(transaction.id));
      expect(isEidError(error) && error.code).toBe('provider_unavailable');
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(1000);
      proxy.freeze(false);
      expect(await recovered(store, transaction.id)).toEqual(transaction);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it('with a client of your own (offline queue on), fails fast too and leaves the client open at close', async () => {
    const proxy = await redisProxy();
    const client = new Redis(proxy.url, { retryStrategy: () => 50 });
    client.on('error', () => {});
    const store = new RedisStore({ client, prefix, commandTimeoutMs: 300 });
    try {
      await store.ready();
      const transaction = pendingTransaction();
      await store.create(transaction);
      await proxy.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expectUnavailable(store, transaction, 500);
      await proxy.start();
      expect(await recovered(store, transaction.id)).toEqual(transaction);
      await store.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await proxy.stop();
    }
  });
});

describe('a client of your own', () => {
  it('is connected by ready() when it was made lazy', async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const store = new RedisStore({ client, prefix });
      await store.ready();
      expect(client.status).toBe('ready');
      expect(await store.isLoggedOut('nobody')).toBe(false);
    } finally {
      client.disconnect();
    }
  });
});
