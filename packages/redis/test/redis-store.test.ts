import { isEidError } from '@eid/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore, redactRedisUrl } from '../src/index.js';
import { deleteKeys, pendingTransaction, REDIS_URL, testPrefix } from './helpers.js';

const prefix = testPrefix('layout');
let store: RedisStore;
let other: RedisStore;
let redis: Redis;

beforeAll(async () => {
  store = await createRedisStore({ url: REDIS_URL, prefix });
  // A second process's store: its own connection, the same keys.
  other = await createRedisStore({ url: REDIS_URL, prefix });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await store.close();
  await other.close();
  redis.disconnect();
  await deleteKeys(prefix);
});

const keysOf = async (pattern: string) => (await redis.keys(`${prefix}${pattern}`)).sort();

describe('RedisStore keys', () => {
  it('keeps a transaction and its indexes under the prefix, expiring with retainUntil and expiresAt', async () => {
    const now = Date.now();
    const transaction = pendingTransaction({ expiresAt: now + 60_000, retainUntil: now + 300_000 });
    await store.create(transaction, { perBrowser: 5, perAddress: 5 });
    const tx = `${prefix}tx:${transaction.id}`;
    const browser = `${prefix}browser:${transaction.bindingHash}`;
    const address = `${prefix}address:${transaction.addressKey}`;
    expect(await redis.exists(tx, browser, address)).toBe(3);
    expect(await redis.pttl(tx)).toBeGreaterThan(290_000);
    expect(await redis.pttl(tx)).toBeLessThanOrEqual(300_000);
    expect(await redis.pttl(browser)).toBeGreaterThan(50_000);
    expect(await redis.pttl(browser)).toBeLessThanOrEqual(60_000);
    expect(Number(await redis.zscore(address, transaction.id))).toBe(transaction.expiresAt);

    // Finished, it leaves the indexes (which then expire as empty sets do: they are gone).
    const done = { ...transaction, status: 'complete' as const, retainUntil: now + 120_000 };
    expect(await store.compareAndSet(transaction.id, 1, done)).toBe(true);
    expect(await redis.exists(browser, address)).toBe(0);
    expect(await redis.pttl(tx)).toBeLessThanOrEqual(120_000);
  });

  it('puts no national identity number in a key, and never a key outside the prefix', async () => {
    const transaction = pendingTransaction();
    await store.create(transaction, { perBrowser: 5, perAddress: 5 });
    const complete = {
      ...transaction,
      status: 'complete' as const,
      identity: {
        provider: 'acme',
        subject: 'acme-42',
        name: 'Kari Nordmann',
        nin: { value: '01819012365', country: 'NO' as const, type: 'TEST' as const },
      } as unknown as NonNullable<typeof transaction.identity>,
    };
    await store.compareAndSet(transaction.id, 1, complete);
    await store.increment('pushes:hmac-of-number', 1000);
    await store.swapKey('push:hmac-of-number', undefined, transaction.id, 1000);
    await store.recordLogout(transaction.id, Date.now() + 1000);
    expect(await redis.keys('*01819012365*')).toEqual([]);
    const ours = [transaction.id, transaction.bindingHash, transaction.addressKey!, 'hmac-of-number'];
    const written = (await redis.keys('*')).filter((key) => ours.some((part) => key.includes(part)));
    expect(written.length).toBeGreaterThanOrEqual(4);
    for (const key of written) expect(key.startsWith(prefix)).toBe(true);
    expect(await keysOf('key:*')).toEqual([
      `${prefix}key:push:hmac-of-number`,
      `${prefix}key:pushes:hmac-of-number`,
    ]);
    expect(await redis.pttl(`${prefix}logout:${transaction.id}`)).toBeGreaterThan(0);
    // The identity is kept only inside the transaction, which expires.
    expect(await redis.pttl(`${prefix}tx:${transaction.id}`)).toBeGreaterThan(0);
  });

  it('stores under another prefix are apart', async () => {
    const elsewhere = await createRedisStore({ url: REDIS_URL, prefix: `${prefix}other:` });
    try {
      const transaction = pendingTransaction();
      await store.create(transaction);
      expect(await elsewhere.get(transaction.id)).toBeUndefined();
    } finally {
      await elsewhere.close();
    }
  });
});

describe('two processes on one Redis', () => {
  it('see each other’s transactions and share the caps', async () => {
    const addressKey = 'shared-address-hash';
    const limits = { perBrowser: 5, perAddress: 2 };
    const first = pendingTransaction({ addressKey });
    await store.create(first, limits);
    expect(await other.get(first.id)).toEqual(first);
    await other.create(pendingTransaction({ addressKey }), limits);
    const error = await store.create(pendingTransaction({ addressKey }), limits).catch((e: unknown) => e);
    expect(isEidError(error) && error.code).toBe('rate_limited');
  });

  it('of compare-and-sets racing from both, exactly one wins', async () => {
    const transaction = pendingTransaction();
    await store.create(transaction);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? store : other).compareAndSet(transaction.id, 1, { ...transaction, reference: `w${i}` }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('loads its scripts again after Redis forgot them (EVALSHA falls back to EVAL)', async () => {
    // SCRIPT FLUSH only empties the script cache; every client of this Redis falls back the same way.
    await redis.script('FLUSH');
    const transaction = pendingTransaction();
    await store.create(transaction);
    expect(await store.compareAndSet(transaction.id, 1, transaction)).toBe(true);
  });
});

describe('redactRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://user:pw@redis.internal:6380/2')).toBe(
      'redis://user:***@redis.internal:6380/2',
    );
    expect(redactRedisUrl('rediss://redis.internal')).toBe('rediss://redis.internal');
    expect(redactRedisUrl('not a url')).not.toContain('not a url');
  });
});
