import { describe, expect, it } from 'vitest';
import { TokenCache } from '../src/token-cache.js';

describe('TokenCache', () => {
  it('fetches once for many concurrent callers and reuses the token', async () => {
    let fetches = 0;
    const cache = new TokenCache(async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { accessToken: `t${fetches}`, expiresIn: 600 };
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(await cache.get()).toBe('t1');
    expect(fetches).toBe(1);
  });

  it('renews shortly before expiry', async () => {
    let clock = 0;
    let fetches = 0;
    const cache = new TokenCache(async () => ({ accessToken: `t${++fetches}`, expiresIn: 600 }), {
      renewBeforeSeconds: 30,
      now: () => clock,
    });
    expect(await cache.get()).toBe('t1');
    clock = 569_999;
    expect(await cache.get()).toBe('t1');
    clock = 570_000;
    expect(await cache.get()).toBe('t2');
  });

  it('uses a token shorter-lived than the margin for half its life', async () => {
    let clock = 0;
    let fetches = 0;
    const cache = new TokenCache(async () => ({ accessToken: `t${++fetches}`, expiresIn: 10 }), {
      now: () => clock,
    });
    await cache.get();
    clock = 4_999;
    expect(await cache.get()).toBe('t1');
    clock = 5_000;
    expect(await cache.get()).toBe('t2');
  });

  it('does not cache a failure', async () => {
    let fetches = 0;
    const cache = new TokenCache(async () => {
      fetches++;
      if (fetches === 1) throw new Error('down');
      return { accessToken: 'ok', expiresIn: 600 };
    });
    await expect(cache.get()).rejects.toThrow('down');
    expect(await cache.get()).toBe('ok');
  });

  it('invalidate forgets only the named token', async () => {
    let fetches = 0;
    const cache = new TokenCache(async () => ({ accessToken: `t${++fetches}`, expiresIn: 600 }));
    await cache.get();
    cache.invalidate('something-else');
    expect(await cache.get()).toBe('t1');
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
  });
});
