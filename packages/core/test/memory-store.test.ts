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
  it('creates, reads frozen values (no copy per read), and refuses a duplicate id', async () => {
    const store = new MemoryStore();
    await store.create(tx('a', Date.now()));
    const read = await store.get('a');
    expect(Object.isFrozen(read)).toBe(true);
    expect(() => {
      read!.status = 'complete';
    }).toThrow(TypeError);
    expect((await store.get('a'))?.status).toBe('pending');
    expect(await store.get('a')).toBe(read);
    await expect(store.create(tx('a', Date.now()))).rejects.toThrow(/exists/);
    expect(await store.get('missing')).toBeUndefined();
  });

  it("keeps a frozen deep copy: nested values, arrays and a non-plain value are the writer's no longer", async () => {
    const store = new MemoryStore();
    const written = tx('a', Date.now(), {
      providerState: { steps: [{ at: 1 }], nested: { deep: 'x' }, when: new Date(5) } as never,
    });
    await store.create(written);
    const state = written.providerState as unknown as {
      steps: { at: number }[];
      nested: { deep: string };
      when: Date;
    };
    state.steps[0]!.at = 2;
    state.nested.deep = 'changed';
    const read = (await store.get('a'))!.providerState as unknown as typeof state;
    expect(read.steps).toEqual([{ at: 1 }]);
    expect(read.nested).toEqual({ deep: 'x' });
    expect(read.when).toEqual(new Date(5));
    expect(read.when).not.toBe(state.when);
    for (const value of [read, read.steps, read.steps[0], read.nested, read.when]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    // A transition shares what it kept of the stored value, and copies what it brings.
    const stored = (await store.get('a'))!;
    const brought = { deep: 'new' };
    await store.compareAndSet('a', 1, {
      ...stored,
      providerState: { ...stored.providerState, brought } as never,
    });
    const next = (await store.get('a'))!.providerState as unknown as typeof state & {
      brought: { deep: string };
    };
    expect(next.steps).toBe(read.steps);
    expect(next.nested).toBe(read.nested);
    expect(next.brought).toEqual(brought);
    expect(next.brought).not.toBe(brought);
    brought.deep = 'changed';
    expect(next.brought.deep).toBe('new');
    expect(Object.isFrozen(next.brought)).toBe(true);
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

  describe('create with limits (pending transactions per browser and per address)', () => {
    const limits = { perBrowser: 2, perAddress: 3 };

    it("names the browser's oldest pending transactions past perBrowser, and stores the new one", async () => {
      let clock = 1_000_000;
      const store = new MemoryStore({ now: () => clock });
      expect(await store.create(tx('a', clock, { bindingHash: 'alice' }), limits)).toEqual({ displaced: [] });
      clock += 1;
      await store.create(tx('b', clock, { bindingHash: 'alice' }), limits);
      await store.create(tx('bob', clock, { bindingHash: 'bob' }), limits);
      clock += 1;
      expect(await store.create(tx('c', clock, { bindingHash: 'alice' }), limits)).toEqual({
        displaced: ['a'],
      });
      expect(store.size).toBe(4);
      // Finished or expired ones do not count.
      const a = (await store.get('a'))!;
      await store.compareAndSet('a', 1, { ...a, status: 'cancelled' });
      expect(await store.create(tx('d', clock, { bindingHash: 'alice' }), limits)).toEqual({
        displaced: ['b'],
      });
    });

    it('refuses past perAddress with rate_limited and a Retry-After until the first of them expires', async () => {
      let clock = 1_000_000;
      const store = new MemoryStore({ now: () => clock });
      for (const [id, ttl] of [
        ['a', 30_000],
        ['b', 10_500],
        ['c', 60_000],
      ] as const) {
        await store.create(
          tx(id, clock, { bindingHash: id, addressKey: 'net', expiresAt: clock + ttl }),
          limits,
        );
      }
      const refused = store.create(tx('d', clock, { bindingHash: 'd', addressKey: 'net' }), limits);
      await expect(refused).rejects.toMatchObject({
        code: 'rate_limited',
        status: 429,
        retryAfterSeconds: 11,
      });
      expect(await store.get('d')).toBeUndefined();
      // Without an address, or from another, nothing is counted.
      await store.create(tx('e', clock, { bindingHash: 'e' }), limits);
      await store.create(tx('f', clock, { bindingHash: 'f', addressKey: 'other' }), limits);
      // Once one expires, there is room again.
      clock += 10_501;
      await store.create(
        tx('g', clock, { bindingHash: 'g', addressKey: 'net', expiresAt: clock + 1000 }),
        limits,
      );
    });

    it('without limits nothing is refused; expired and forgotten entries do not count', async () => {
      let clock = 1_000_000;
      const store = new MemoryStore({ now: () => clock, maxEntries: 2 });
      for (let i = 0; i < 5; i++) {
        await store.create(
          tx(`t${i}`, clock, { addressKey: 'net', expiresAt: clock + 5, retainUntil: clock + 10 }),
        );
        clock += 11;
      }
      expect(store.size).toBeLessThanOrEqual(2);
      // The forgotten ones no longer count toward the address.
      await store.create(tx('x', clock, { addressKey: 'net', bindingHash: 'x' }), {
        perBrowser: 5,
        perAddress: 1,
      });
    });

    it('a settled transaction stops counting for its address and browser, and a failed write changes no count', async () => {
      const store = new MemoryStore();
      const now = Date.now();
      const one = { perBrowser: 1, perAddress: 1 };
      await store.create(tx('a', now, { bindingHash: 'alice', addressKey: 'net' }), one);
      const a = (await store.get('a'))!;
      // A stale write (wrong version) settles nothing: the address is still taken.
      expect(await store.compareAndSet('a', 7, { ...a, status: 'complete' })).toBe(false);
      await expect(
        store.create(tx('b', now, { bindingHash: 'bob', addressKey: 'net' }), one),
      ).rejects.toMatchObject({ code: 'rate_limited' });
      // A write that keeps it pending keeps it counted.
      expect(await store.compareAndSet('a', 1, { ...a, reference: 'moved' })).toBe(true);
      await expect(
        store.create(tx('b', now, { bindingHash: 'bob', addressKey: 'net' }), one),
      ).rejects.toMatchObject({ code: 'rate_limited' });
      expect(await store.compareAndSet('a', 2, { ...a, status: 'complete' })).toBe(true);
      expect(await store.create(tx('b', now, { bindingHash: 'alice', addressKey: 'net' }), one)).toEqual({
        displaced: [],
      });
      // Kept for replays all the same.
      expect((await store.get('a'))?.status).toBe('complete');
    });

    it('of many concurrent creates from one address, no more than perAddress are stored', async () => {
      const store = new MemoryStore();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.create(tx(`t${i}`, Date.now(), { bindingHash: `b${i}`, addressKey: 'net' }), limits),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
      expect(store.size).toBe(3);
    });
  });

  it('counts hits in a fixed window that starts with the first hit', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ now: () => clock });
    expect(await store.increment('pushes:a', 60_000)).toEqual({ count: 1, resetAt: 1_060_000 });
    clock += 30_000;
    expect(await store.increment('pushes:a', 60_000)).toEqual({ count: 2, resetAt: 1_060_000 });
    expect(await store.increment('pushes:b', 60_000)).toEqual({ count: 1, resetAt: 1_090_000 });
    clock += 30_000;
    expect(await store.increment('pushes:a', 60_000)).toEqual({ count: 1, resetAt: 1_120_000 });
  });

  it('swaps a keyed value only from the expected one, and forgets it after its ttl', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ now: () => clock });
    expect(await store.getKey('push:a')).toBeUndefined();
    expect(await store.swapKey('push:a', 'x', 'y', 1000)).toBe(false);
    expect(await store.swapKey('push:a', undefined, 'tx-1', 1000)).toBe(true);
    expect(await store.swapKey('push:a', undefined, 'tx-2', 1000)).toBe(false);
    expect(await store.getKey('push:a')).toBe('tx-1');
    expect(await store.swapKey('push:a', 'tx-1', 'tx-2', 1000)).toBe(true);
    expect(await store.getKey('push:a')).toBe('tx-2');
    expect(await store.swapKey('push:a', 'tx-2', undefined, 0)).toBe(true);
    expect(await store.getKey('push:a')).toBeUndefined();
    await store.swapKey('push:a', undefined, 'tx-3', 1000);
    clock += 1000;
    expect(await store.getKey('push:a')).toBeUndefined();
    expect(await store.swapKey('push:a', undefined, 'tx-4', 1000)).toBe(true);
    // A counter is not a value to swap.
    await store.increment('pushes:a', 1000);
    expect(await store.getKey('pushes:a')).toBeUndefined();
  });

  it('of many concurrent swaps from one value, exactly one wins', async () => {
    const store = new MemoryStore();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.swapKey('push:a', undefined, `tx-${i}`, 1000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps at most maxEntries keyed records: expired ones go first, then the oldest', async () => {
    let clock = 1_000_000;
    const store = new MemoryStore({ now: () => clock, maxEntries: 2 });
    await store.swapKey('push:a', undefined, 'a', 10);
    await store.swapKey('push:b', undefined, 'b', 1000);
    clock += 10;
    await store.swapKey('push:c', undefined, 'c', 1000);
    expect([await store.getKey('push:b'), await store.getKey('push:c')]).toEqual(['b', 'c']);
    await store.swapKey('push:d', undefined, 'd', 1000);
    expect(await store.getKey('push:b')).toBeUndefined();
    expect([await store.getKey('push:c'), await store.getKey('push:d')]).toEqual(['c', 'd']);
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
