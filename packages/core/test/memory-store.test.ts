import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.js';
import type { Transaction } from '../src/transaction.js';

const tx = (id: string, now: number, overrides: Partial<Transaction> = {}): Transaction => ({
  id,
  provider: 'acme',
  method: 'bankid',
  flow: 'redirect',
  status: 'pending',
  version: 1,
  createdAt: now,
  expiresAt: now + 1000,
  retainUntil: now + 2000,
  reference: `ref-${id}`,
  returnTo: '/',
  bindingHash: 'hash',
  ...overrides,
});

describe('MemoryStore', () => {
  it('creates, reads copies, and refuses a duplicate id', async () => {
    const store = new MemoryStore();
    await store.create(tx('a', Date.now()));
    const read = await store.get('a');
    read!.status = 'complete';
    expect((await store.get('a'))?.status).toBe('pending');
    await expect(store.create(tx('a', Date.now()))).rejects.toThrow(/exists/);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('compare-and-set succeeds only against the stored version, and bumps it', async () => {
    const store = new MemoryStore();
    const original = tx('a', Date.now());
    await store.create(original);
    expect(await store.compareAndSet('a', 1, { ...original, status: 'complete' })).toBe(true);
    expect(await store.get('a')).toMatchObject({ status: 'complete', version: 2 });
    expect(await store.compareAndSet('a', 1, { ...original, status: 'failed' })).toBe(false);
    expect((await store.get('a'))?.status).toBe('complete');
    expect(await store.compareAndSet('missing', 1, original)).toBe(false);
  });

  it('of many concurrent transitions from one version, exactly one wins', async () => {
    const store = new MemoryStore();
    const original = tx('a', Date.now());
    await store.create(original);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.compareAndSet('a', 1, { ...original, reference: `winner-${i}` }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets entries after retainUntil', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ now: () => clock });
    await store.create(tx('a', clock));
    clock += 1999;
    expect(await store.get('a')).toBeDefined();
    clock += 1;
    expect(await store.get('a')).toBeUndefined();
    expect(await store.compareAndSet('a', 1, tx('a', clock))).toBe(false);
  });

  it('is bounded: forgotten entries go first, then finished ones, oldest first', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ maxEntries: 3, now: () => clock });
    await store.create(tx('old', clock, { retainUntil: clock + 10 }));
    await store.create(tx('done-1', clock, { status: 'complete' }));
    await store.create(tx('done-2', clock, { status: 'failed' }));
    clock += 11;
    await store.create(tx('live-1', clock));
    expect(store.size).toBe(3);
    expect(await store.get('old')).toBeUndefined();
    await store.create(tx('live-2', clock));
    expect(await store.get('done-1')).toBeUndefined();
    expect(await store.get('done-2')).toBeDefined();
    expect(store.size).toBe(3);
  });

  it('never evicts a login in progress: when all entries are live, new ones are refused', async () => {
    const clock = 1_000_000;
    const store = new MemoryStore({ maxEntries: 3, now: () => clock });
    for (const id of ['a', 'b', 'c']) await store.create(tx(id, clock));
    await expect(store.create(tx('flood', clock))).rejects.toMatchObject({ code: 'rate_limited' });
    for (const id of ['a', 'b', 'c']) expect((await store.get(id))?.status).toBe('pending');
  });

  it('a pending login past its expiry may make room', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ maxEntries: 2, now: () => clock });
    await store.create(tx('stale', clock, { expiresAt: clock + 5, retainUntil: clock + 10_000 }));
    await store.create(tx('live', clock, { expiresAt: clock + 100_000, retainUntil: clock + 200_000 }));
    clock += 6;
    await store.create(tx('new', clock, { expiresAt: clock + 100_000, retainUntil: clock + 200_000 }));
    expect(await store.get('stale')).toBeUndefined();
    expect(await store.get('live')).toBeDefined();
  });

  it('a flood of creates never grows past the cap', async () => {
    const store = new MemoryStore({ maxEntries: 100 });
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      await store.create(tx(`t${i}`, Date.now())).catch(() => refused++);
    }
    expect(store.size).toBe(100);
    expect(refused).toBe(4900);
  });

  it('refuses a bad cap', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/);
  });

  it('remembers a logout until its time, moves it when recorded again, and sweeps expired ones', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ now: () => clock, maxEntries: 1 });
    expect(await store.isLoggedOut('a')).toBe(false);
    await store.recordLogout('a', clock + 100);
    expect(await store.isLoggedOut('a')).toBe(true);
    clock += 100;
    expect(await store.isLoggedOut('a')).toBe(false);
    await store.recordLogout('b', clock + 100);
    await store.recordLogout('b', clock + 200);
    clock += 150;
    expect(await store.isLoggedOut('b')).toBe(true);
    // Logouts do not count against maxEntries: transactions are still taken.
    await store.create(tx('t', clock));
    // Thousands of logouts that have passed are swept as new ones come in.
    for (let index = 0; index < 3000; index++) await store.recordLogout(`old-${index}`, clock + 1);
    clock += 10;
    for (let index = 0; index < 3000; index++) await store.recordLogout(`new-${index}`, clock + 1000);
    expect(await store.isLoggedOut('new-0')).toBe(true);
    expect(await store.isLoggedOut('old-0')).toBe(false);
  });
});
