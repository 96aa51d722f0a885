import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedStores } from '../src/shared-stores.js';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `eid-kit-test-${randomBytes(4).toString('hex')}:`;
const SESSION_SECRET = 'a'.repeat(40);
// Database 7, to show the number in the URL is honoured.
const url = `${REDIS.replace(/\/\d*$/, '')}/7`;
const probe = new Redis(url);

afterAll(async () => {
  const keys = await probe.keys(`${prefix}*`);
  if (keys.length) await probe.del(...keys);
  probe.disconnect();
});

describe('sharedStores', () => {
  it('without REDIS_URL: nothing, the apps keep their in-memory stores', async () => {
    expect(await sharedStores({}, 60)).toEqual({});
  });

  it('with REDIS_URL but no SESSION_SECRET: refuses to start, saying what to set', async () => {
    await expect(sharedStores({ REDIS_URL: url }, 60)).rejects.toThrow(/SESSION_SECRET.*EID_SECRET/s);
  });

  it('puts transactions and sessions in the database of the URL, under REDIS_PREFIX, with one secret for all processes', async () => {
    const env = { REDIS_URL: url, REDIS_PREFIX: prefix, SESSION_SECRET };
    const a = await sharedStores(env, 60);
    const b = await sharedStores(env, 60);
    try {
      expect(a.secret).toBe(b.secret);
      expect(a.secret!.length).toBeGreaterThanOrEqual(32);
      expect(
        await sharedStores({ ...env, EID_SECRET: 'e'.repeat(32) }, 60).then(async (c) => {
          await c.store?.close?.();
          return c.secret;
        }),
      ).toBe('e'.repeat(32));
      await new Promise<void>((resolve, reject) =>
        a.sessionStore!.set('sid-1', { cookie: { originalMaxAge: 60_000 } } as never, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      const read = await new Promise((resolve, reject) =>
        b.sessionStore!.get('sid-1', (error, data) => (error ? reject(error) : resolve(data))),
      );
      expect(read).toMatchObject({ cookie: { originalMaxAge: 60_000 } });
      expect(await probe.ttl(`${prefix}sess:sid-1`)).toBeGreaterThan(0);
      expect(await probe.exists(`${prefix}sess:sid-1`)).toBe(1);
    } finally {
      await a.store?.close?.();
      await b.store?.close?.();
    }
  });
});
