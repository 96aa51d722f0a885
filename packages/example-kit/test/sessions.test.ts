import { describe, expect, it } from 'vitest';
import {
  ExpiringSessionStore,
  expiringSessionCache,
  finalErrorAnswer,
  secondsFromEnv,
} from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const get = (store: ExpiringSessionStore, sid: string) =>
  new Promise((resolve) => store.get(sid, (_error, data) => resolve(data)));

describe('ExpiringSessionStore', () => {
  const data = { cookie: { originalMaxAge: 1000 }, eid: { binding: 'b' } } as never;

  it('keeps a copy of each session and forgets it once idle for its max age', async () => {
    const store = new ExpiringSessionStore(0.15);
    store.set('a', data);
    const read = (await get(store, 'a')) as { eid: { binding: string } };
    expect(read).toEqual(data);
    read.eid.binding = 'changed without save';
    expect(await get(store, 'a')).toEqual(data);
    // Each read renews the entry's life: a session in use stays.
    for (let i = 0; i < 3; i++) {
      await sleep(100);
      expect(await get(store, 'a')).toEqual(data);
    }
    await sleep(250);
    expect(await get(store, 'a')).toBeNull();
  });

  it('touch renews a session it holds and does not bring a destroyed one back', async () => {
    const store = new ExpiringSessionStore(0.15);
    store.set('a', data);
    await sleep(100);
    store.touch('a', data);
    await sleep(100);
    expect(await get(store, 'a')).toEqual(data);
    store.destroy('a');
    store.touch('a', data);
    expect(await get(store, 'a')).toBeNull();
  });

  it('expiringSessionCache is a Map-like cache that forgets idle entries (for @fastify/session)', async () => {
    const cache = expiringSessionCache<{ id: string }>(0.05);
    cache.set('a', { id: 'a' });
    expect(cache.get('a')).toEqual({ id: 'a' });
    await sleep(120);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('finalErrorAnswer', () => {
  it('keeps a client error status as invalid_request and makes anything else a 500, never quoting the error', () => {
    expect(
      finalErrorAnswer(Object.assign(new URIError('Failed to decode param %ZZ'), { status: 400 })),
    ).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: expect.any(String) } },
    });
    expect(finalErrorAnswer({ statusCode: 404 }).status).toBe(404);
    const internal = finalErrorAnswer(new Error('secret internals'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal)).not.toContain('secret');
  });
});

describe('secondsFromEnv', () => {
  it('reads positive seconds and names a bad variable', () => {
    expect(secondsFromEnv({}, 'X', 7)).toBe(7);
    expect(secondsFromEnv({ X: '30' }, 'X', 7)).toBe(30);
    expect(() => secondsFromEnv({ X: 'soon' }, 'X', 7)).toThrow(/X must be a positive number/);
  });
});
