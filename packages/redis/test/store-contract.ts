import { randomBytes } from 'node:crypto';
import { type CreateLimits, isEidError, type Transaction, type TransactionStore } from '@eid/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A store under test and how to remove what the tests left in it. */
export interface StoreUnderTest {
  store: TransactionStore;
  cleanup?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const token = () => randomBytes(24).toString('base64url');

/** A pending redirect transaction, as the engine stores it after a start. */
export function pendingTransaction(overrides: Partial<Transaction> = {}): Transaction {
  const now = Date.now();
  return {
    id: token(),
    kind: 'login',
    provider: 'acme',
    method: 'bankid',
    flow: 'redirect',
    status: 'pending',
    version: 1,
    createdAt: now,
    expiresAt: now + 60_000,
    retainUntil: now + 120_000,
    reference: `ref-${token()}`,
    redirectUrl: 'https://idp.example/login',
    returnTo: '/',
    bindingHash: token(),
    addressKey: token(),
    providerState: { verifier: token() },
    ...overrides,
  };
}

const LIMITS: CreateLimits = { perBrowser: 3, perAddress: 2 };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * What every `TransactionStore` must do, as `MemoryStore` does it (packages/core/src/store/types.ts). Declares
 * vitest tests for the store `open()` makes; times are real (Redis expires in real time), waits short.
 */
export function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`TransactionStore contract: ${name}`, () => {
    let store: TransactionStore;
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    describe('create, get, delete', () => {
      it('stores a transaction, gives it back equal, and forgets it on delete', async () => {
        const transaction = pendingTransaction();
        expect(await store.create(transaction)).toEqual({ displaced: [] });
        expect(await store.get(transaction.id)).toEqual(transaction);
        await store.delete(transaction.id);
        expect(await store.get(transaction.id)).toBeUndefined();
        await store.delete(transaction.id); // twice is fine
      });

      it('gives back a copy: changing it changes nothing stored', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        const copy = (await store.get(transaction.id))!;
        copy.status = 'complete';
        copy.providerState!.verifier = 'changed';
        expect(await store.get(transaction.id)).toEqual(transaction);
      });

      it('an unknown id is undefined', async () => {
        expect(await store.get(token())).toBeUndefined();
      });

      it('refuses a second transaction with the same id, keeping the first', async () => {
        const first = pendingTransaction();
        await store.create(first, LIMITS);
        const error = await rejection(store.create({ ...first, reference: 'other' }, LIMITS));
        expect(isEidError(error) && error.code).toBe('invalid_request');
        expect(await store.get(first.id)).toEqual(first);
      });

      it('keeps optional fields and their absence', async () => {
        const { addressKey: _dropped, ...withoutAddress } = pendingTransaction({
          flow: 'headless',
          bindingMessage: 'Blue whale',
          qrData: 'qr',
        });
        await store.create(withoutAddress, LIMITS);
        const stored = await store.get(withoutAddress.id);
        expect(stored).toEqual(withoutAddress);
        expect(stored && 'addressKey' in stored).toBe(false);
      });
    });

    describe('compareAndSet', () => {
      it('writes only over the expected version, and counts the version up', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        expect(await store.compareAndSet(transaction.id, 2, { ...transaction, status: 'failed' })).toBe(
          false,
        );
        expect(await store.get(transaction.id)).toEqual(transaction);

        const claimed = { ...transaction, claimedUntil: Date.now() + 1000 };
        expect(await store.compareAndSet(transaction.id, 1, claimed)).toBe(true);
        expect(await store.get(transaction.id)).toEqual({ ...claimed, version: 2 });
        // The old version lost.
        expect(await store.compareAndSet(transaction.id, 1, { ...transaction, status: 'failed' })).toBe(
          false,
        );
        const finished = { ...claimed, version: 2, status: 'complete' as const, finishedAt: Date.now() };
        expect(await store.compareAndSet(transaction.id, 2, finished)).toBe(true);
        expect(await store.get(transaction.id)).toEqual({ ...finished, version: 3 });
      });

      it('is false for an unknown or deleted transaction, and creates nothing', async () => {
        const transaction = pendingTransaction();
        expect(await store.compareAndSet(transaction.id, 1, transaction)).toBe(false);
        expect(await store.get(transaction.id)).toBeUndefined();
        await store.create(transaction, LIMITS);
        await store.delete(transaction.id);
        expect(await store.compareAndSet(transaction.id, 1, transaction)).toBe(false);
        expect(await store.get(transaction.id)).toBeUndefined();
      });

      it('of many concurrent writers over one version, exactly one wins', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        const writers = Array.from({ length: 25 }, (_, i) => ({ ...transaction, reference: `writer-${i}` }));
        const results = await Promise.all(
          writers.map((next) => store.compareAndSet(transaction.id, 1, next)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.get(transaction.id)).toEqual({ ...writers[winner]!, version: 2 });
      });
    });

    describe('retention', () => {
      it('forgets a transaction past its retainUntil: get is undefined, compareAndSet false', async () => {
        const now = Date.now();
        const transaction = pendingTransaction({ expiresAt: now + 100, retainUntil: now + 300 });
        await store.create(transaction, LIMITS);
        expect(await store.get(transaction.id)).toEqual(transaction);
        await sleep(400);
        expect(await store.get(transaction.id)).toBeUndefined();
        expect(await store.compareAndSet(transaction.id, 1, transaction)).toBe(false);
      });

      it('a write can extend the retention', async () => {
        const now = Date.now();
        const transaction = pendingTransaction({ expiresAt: now + 100, retainUntil: now + 200 });
        await store.create(transaction, LIMITS);
        const kept = { ...transaction, status: 'expired' as const, retainUntil: now + 60_000 };
        expect(await store.compareAndSet(transaction.id, 1, kept)).toBe(true);
        await sleep(300);
        expect(await store.get(transaction.id)).toEqual({ ...kept, version: 2 });
      });
    });

    describe('cap per browser', () => {
      it("past the cap, names the browser's oldest pending transactions and stores the new one", async () => {
        const bindingHash = token();
        const now = Date.now();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const transaction = pendingTransaction({ bindingHash, createdAt: now + i });
          ids.push(transaction.id);
          expect(await store.create(transaction, LIMITS)).toEqual({ displaced: [] });
        }
        // Another browser is not counted.
        expect(await store.create(pendingTransaction(), LIMITS)).toEqual({ displaced: [] });
        const fourth = pendingTransaction({ bindingHash, createdAt: now + 3 });
        expect(await store.create(fourth, LIMITS)).toEqual({ displaced: [ids[0]] });
        expect(await store.get(fourth.id)).toEqual(fourth);

        // The engine cancels the displaced one: then the next start displaces the next oldest only.
        const first = (await store.get(ids[0]!))!;
        expect(await store.compareAndSet(first.id, 1, { ...first, status: 'cancelled' })).toBe(true);
        const fifth = pendingTransaction({ bindingHash, createdAt: now + 4 });
        expect(await store.create(fifth, LIMITS)).toEqual({ displaced: [ids[1]] });
      });

      it('orders by createdAt, whatever the order of creation', async () => {
        const bindingHash = token();
        const now = Date.now();
        const late = pendingTransaction({ bindingHash, createdAt: now + 10 });
        const early = pendingTransaction({ bindingHash, createdAt: now });
        await store.create(late, LIMITS);
        await store.create(early, LIMITS);
        const result = await store.create(pendingTransaction({ bindingHash, createdAt: now + 20 }), {
          perBrowser: 1,
          perAddress: 10,
        });
        expect(result?.displaced).toEqual([early.id, late.id]);
      });

      it('does not count finished, deleted or expired transactions', async () => {
        const bindingHash = token();
        const now = Date.now();
        const finished = pendingTransaction({ bindingHash });
        await store.create(finished, LIMITS);
        await store.compareAndSet(finished.id, 1, { ...finished, status: 'complete' });
        const deleted = pendingTransaction({ bindingHash });
        await store.create(deleted, LIMITS);
        await store.delete(deleted.id);
        await store.create(pendingTransaction({ bindingHash, expiresAt: now + 100 }), LIMITS);
        await sleep(200);
        const limits = { perBrowser: 1, perAddress: 10 };
        expect(await store.create(pendingTransaction({ bindingHash }), limits)).toEqual({ displaced: [] });
      });

      it('without limits, nothing is counted', async () => {
        const bindingHash = token();
        for (let i = 0; i < 4; i++) {
          const result = await store.create(pendingTransaction({ bindingHash }));
          expect(result?.displaced ?? []).toEqual([]);
        }
      });
    });

    describe('cap per client address', () => {
      it('at the cap, stores nothing and rejects rate_limited with when the earliest expires', async () => {
        const addressKey = token();
        const now = Date.now();
        await store.create(pendingTransaction({ addressKey, expiresAt: now + 30_000 }), LIMITS);
        await store.create(pendingTransaction({ addressKey, expiresAt: now + 10_500 }), LIMITS);
        const refused = pendingTransaction({ addressKey });
        const error = await rejection(store.create(refused, LIMITS));
        expect(isEidError(error) && error.code).toBe('rate_limited');
        expect(isEidError(error) && error.status).toBe(429);
        expect(isEidError(error) && error.retryAfterSeconds).toBeGreaterThanOrEqual(10);
        expect(isEidError(error) && error.retryAfterSeconds).toBeLessThanOrEqual(11);
        expect(await store.get(refused.id)).toBeUndefined();
        // The same id can be created once there is room: the refusal stored nothing.
        const error2 = await rejection(store.create(refused, LIMITS));
        expect(isEidError(error2) && error2.code).toBe('rate_limited');
      });

      it('a finished, deleted or expired transaction frees its place; one without address is not counted', async () => {
        const addressKey = token();
        const now = Date.now();
        const a = pendingTransaction({ addressKey });
        const b = pendingTransaction({ addressKey, expiresAt: now + 100 });
        await store.create(a, LIMITS);
        await store.create(b, LIMITS);
        const { addressKey: _none, ...anonymous } = pendingTransaction();
        await store.create(anonymous, LIMITS);
        await sleep(200);
        const c = pendingTransaction({ addressKey });
        await store.create(c, LIMITS);
        expect(isEidError(await rejection(store.create(pendingTransaction({ addressKey }), LIMITS)))).toBe(
          true,
        );
        await store.compareAndSet(a.id, 1, { ...a, status: 'failed' });
        const d = pendingTransaction({ addressKey });
        await store.create(d, LIMITS);
        await store.delete(c.id);
        await store.create(pendingTransaction({ addressKey }), LIMITS);
      });

      it('holds under concurrent starts: exactly the cap gets in', async () => {
        const addressKey = token();
        const starts = Array.from({ length: 12 }, () =>
          store.create(pendingTransaction({ addressKey }), { perBrowser: 5, perAddress: 4 }).then(
            () => 'stored',
            (error: unknown) => (isEidError(error) ? error.code : 'other'),
          ),
        );
        const results = await Promise.all(starts);
        expect(results.filter((r) => r === 'stored')).toHaveLength(4);
        expect(results.filter((r) => r === 'rate_limited')).toHaveLength(8);
      });
    });

    describe('increment', () => {
      it('counts hits in a fixed window that starts with the first, then starts again', async () => {
        const key = `pushes:${token()}`;
        const before = Date.now();
        const first = await store.increment(key, 200);
        expect(first.count).toBe(1);
        expect(first.resetAt).toBeGreaterThanOrEqual(before + 150);
        expect(first.resetAt).toBeLessThanOrEqual(Date.now() + 200);
        const second = await store.increment(key, 200);
        expect(second.count).toBe(2);
        expect(Math.abs(second.resetAt - first.resetAt)).toBeLessThanOrEqual(50);
        // A later hit with another window does not move the end.
        expect((await store.increment(key, 60_000)).resetAt).toBeLessThanOrEqual(first.resetAt + 50);
        await sleep(first.resetAt - Date.now() + 80);
        expect((await store.increment(key, 200)).count).toBe(1);
      });

      it('counts every one of many concurrent hits', async () => {
        const key = `pushes:${token()}`;
        const counts = await Promise.all(Array.from({ length: 30 }, () => store.increment(key, 10_000)));
        expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 30 }, (_, i) => i + 1),
        );
      });
    });

    describe('getKey and swapKey', () => {
      it('swaps only from the expected value, and removes with undefined', async () => {
        const key = `push:${token()}`;
        expect(await store.getKey(key)).toBeUndefined();
        expect(await store.swapKey(key, 'a', 'b', 10_000)).toBe(false);
        expect(await store.getKey(key)).toBeUndefined();
        expect(await store.swapKey(key, undefined, 'a', 10_000)).toBe(true);
        expect(await store.getKey(key)).toBe('a');
        expect(await store.swapKey(key, undefined, 'b', 10_000)).toBe(false);
        expect(await store.swapKey(key, 'x', 'b', 10_000)).toBe(false);
        expect(await store.getKey(key)).toBe('a');
        expect(await store.swapKey(key, 'a', 'b', 10_000)).toBe(true);
        expect(await store.getKey(key)).toBe('b');
        expect(await store.swapKey(key, 'b', undefined, 0)).toBe(true);
        expect(await store.getKey(key)).toBeUndefined();
        expect(await store.swapKey(key, undefined, undefined, 0)).toBe(true);
      });

      it('a value expires after its ttl, and then counts as unset', async () => {
        const key = `push:${token()}`;
        expect(await store.swapKey(key, undefined, 'a', 100)).toBe(true);
        await sleep(200);
        expect(await store.getKey(key)).toBeUndefined();
        expect(await store.swapKey(key, 'a', 'b', 10_000)).toBe(false);
        expect(await store.swapKey(key, undefined, 'c', 10_000)).toBe(true);
        // Swapping the same value in again renews its ttl.
        expect(await store.swapKey(key, 'c', 'c', 100)).toBe(true);
        await sleep(200);
        expect(await store.getKey(key)).toBeUndefined();
      });

      it('of many concurrent swaps from one value, exactly one wins', async () => {
        const key = `push:${token()}`;
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.swapKey(key, undefined, `holder-${i}`, 10_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.getKey(key)).toBe(`holder-${results.indexOf(true)}`);
      });
    });

    describe('recordLogout and isLoggedOut', () => {
      it('holds until its time, and writing it again moves that time', async () => {
        const id = token();
        expect(await store.isLoggedOut(id)).toBe(false);
        await store.recordLogout(id, Date.now() + 300);
        expect(await store.isLoggedOut(id)).toBe(true);
        expect(await store.isLoggedOut(token())).toBe(false);
        await sleep(400);
        expect(await store.isLoggedOut(id)).toBe(false);

        const other = token();
        await store.recordLogout(other, Date.now() + 100);
        await store.recordLogout(other, Date.now() + 60_000);
        await sleep(200);
        expect(await store.isLoggedOut(other)).toBe(true);
        await store.recordLogout(other, Date.now() - 1);
        expect(await store.isLoggedOut(other)).toBe(false);
      });
    });
  });
}
