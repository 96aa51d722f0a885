import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isEidError } from '../errors.js';
import type { CreateLimits, TransactionStore } from '../store/types.js';
import type { Transaction } from '../transaction.js';

/** A store under test, and how to remove what the contract left in it (keys, connections). */
export interface StoreUnderTest {
  store: TransactionStore;
  cleanup?: () => Promise<void>;
}

/**
 * The four functions of the test runner that the contract declares its tests with. vitest and Jest have them
 * under these names; with `node:test` pass `{ describe, it, beforeAll: before, afterAll: after }`.
 */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
  beforeAll(body: () => Promise<void>): unknown;
  afterAll(body: () => Promise<void>): unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const token = () => randomBytes(24).toString('base64url');

/** A pending redirect transaction, as the engine stores it after a start. */
function pendingTransaction(overrides: Partial<Transaction> = {}): Transaction {
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
  throw new assert.AssertionError({ message: 'expected a rejection' });
}

/**
 * Equal as stored data: a store may keep transactions as JSON, so a property set to undefined and a missing
 * one are the same.
 */
function equal(actual: unknown, expected: unknown): void {
  const asData = (value: unknown) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  assert.deepStrictEqual(asData(actual), asData(expected));
}

/**
 * Declares the tests of what every `TransactionStore` must do, as `MemoryStore` and `RedisStore` do it (see
 * `TransactionStore` for each method's contract), for the store that `open()` makes. One store serves all
 * tests, each on keys and ids of its own. Times are real (a database expires in real time): the tests wait a
 * few hundred milliseconds here and there, about 3 seconds in all. Assertions use `node:assert`, so any runner
 * reports them.
 *
 * ```ts
 * import { afterAll, beforeAll, describe, it } from 'vitest';
 * import { runStoreContract } from '@eid/core/testing';
 *
 * runStoreContract('MyStore', async () => ({ store: new MyStore() }), { describe, it, beforeAll, afterAll });
 * ```
 */
export function runStoreContract(name: string, open: () => Promise<StoreUnderTest>, test: TestRunner): void {
  test.describe(`TransactionStore contract: ${name}`, () => {
    let store: TransactionStore;
    let cleanup: (() => Promise<void>) | undefined;
    test.beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    test.afterAll(async () => {
      await cleanup?.();
    });

    test.describe('create, get, delete', () => {
      test.it('stores a transaction, gives it back equal, and forgets it on delete', async () => {
        const transaction = pendingTransaction();
        equal(await store.create(transaction), { displaced: [] });
        equal(await store.get(transaction.id), transaction);
        await store.delete(transaction.id);
        assert.strictEqual(await store.get(transaction.id), undefined);
        await store.delete(transaction.id); // twice is fine
      });

      test.it('gives back a copy or a frozen value: changing it changes nothing stored', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        const copy = (await store.get(transaction.id))!;
        // A frozen value refuses the change (TypeError in strict code); a copy takes it without telling the store.
        const attempt = (change: () => void) => {
          try {
            change();
          } catch (error) {
            if (!(error instanceof TypeError)) throw error;
          }
        };
        attempt(() => {
          copy.status = 'complete';
        });
        attempt(() => {
          copy.providerState!.verifier = 'changed';
        });
        equal(await store.get(transaction.id), transaction);
        // What the caller handed to create() is not kept either: changing it afterwards changes nothing stored.
        const mine = pendingTransaction();
        await store.create(mine, LIMITS);
        mine.returnTo = '/changed';
        assert.strictEqual((await store.get(mine.id))?.returnTo, '/');
      });

      test.it('an unknown id is undefined', async () => {
        assert.strictEqual(await store.get(token()), undefined);
      });

      test.it('refuses a second transaction with the same id, keeping the first', async () => {
        const first = pendingTransaction();
        await store.create(first, LIMITS);
        const error = await rejection(store.create({ ...first, reference: 'other' }, LIMITS));
        assert.strictEqual(isEidError(error) && error.code, 'invalid_request');
        equal(await store.get(first.id), first);
      });

      test.it('keeps optional fields and their absence', async () => {
        const { addressKey: _dropped, ...withoutAddress } = pendingTransaction({
          flow: 'headless',
          bindingMessage: 'Blue whale',
          qrData: 'qr',
        });
        await store.create(withoutAddress, LIMITS);
        const stored = await store.get(withoutAddress.id);
        equal(stored, withoutAddress);
        assert.strictEqual(stored && 'addressKey' in stored, false);
      });
    });

    test.describe('compareAndSet', () => {
      test.it('writes only over the expected version, and counts the version up', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        assert.strictEqual(
          await store.compareAndSet(transaction.id, 2, { ...transaction, status: 'failed' }),
          false,
        );
        equal(await store.get(transaction.id), transaction);

        const claimed = { ...transaction, claimedUntil: Date.now() + 1000 };
        assert.strictEqual(await store.compareAndSet(transaction.id, 1, claimed), true);
        equal(await store.get(transaction.id), { ...claimed, version: 2 });
        // The old version lost.
        assert.strictEqual(
          await store.compareAndSet(transaction.id, 1, { ...transaction, status: 'failed' }),
          false,
        );
        const finished = { ...claimed, version: 2, status: 'complete' as const, finishedAt: Date.now() };
        assert.strictEqual(await store.compareAndSet(transaction.id, 2, finished), true);
        equal(await store.get(transaction.id), { ...finished, version: 3 });
      });

      test.it('is false for an unknown or deleted transaction, and creates nothing', async () => {
        const transaction = pendingTransaction();
        assert.strictEqual(await store.compareAndSet(transaction.id, 1, transaction), false);
        assert.strictEqual(await store.get(transaction.id), undefined);
        await store.create(transaction, LIMITS);
        await store.delete(transaction.id);
        assert.strictEqual(await store.compareAndSet(transaction.id, 1, transaction), false);
        assert.strictEqual(await store.get(transaction.id), undefined);
      });

      test.it('of many concurrent writers over one version, exactly one wins', async () => {
        const transaction = pendingTransaction();
        await store.create(transaction, LIMITS);
        const writers = Array.from({ length: 25 }, (_, i) => ({ ...transaction, reference: `writer-${i}` }));
        const results = await Promise.all(
          writers.map((next) => store.compareAndSet(transaction.id, 1, next)),
        );
        assert.strictEqual(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);
        equal(await store.get(transaction.id), { ...writers[winner]!, version: 2 });
      });
    });

    test.describe('retention', () => {
      test.it(
        'forgets a transaction past its retainUntil: get is undefined, compareAndSet false',
        async () => {
          const now = Date.now();
          const transaction = pendingTransaction({ expiresAt: now + 100, retainUntil: now + 300 });
          await store.create(transaction, LIMITS);
          equal(await store.get(transaction.id), transaction);
          await sleep(400);
          assert.strictEqual(await store.get(transaction.id), undefined);
          assert.strictEqual(await store.compareAndSet(transaction.id, 1, transaction), false);
        },
      );

      test.it('a write can extend the retention', async () => {
        const now = Date.now();
        const transaction = pendingTransaction({ expiresAt: now + 100, retainUntil: now + 200 });
        await store.create(transaction, LIMITS);
        const kept = { ...transaction, status: 'expired' as const, retainUntil: now + 60_000 };
        assert.strictEqual(await store.compareAndSet(transaction.id, 1, kept), true);
        await sleep(300);
        equal(await store.get(transaction.id), { ...kept, version: 2 });
      });
    });

    test.describe('cap per browser', () => {
      test.it(
        "past the cap, names the browser's oldest pending transactions and stores the new one",
        async () => {
          const bindingHash = token();
          const now = Date.now();
          const ids: string[] = [];
          for (let i = 0; i < 3; i++) {
            const transaction = pendingTransaction({ bindingHash, createdAt: now + i });
            ids.push(transaction.id);
            equal(await store.create(transaction, LIMITS), { displaced: [] });
          }
          // Another browser is not counted.
          equal(await store.create(pendingTransaction(), LIMITS), { displaced: [] });
          const fourth = pendingTransaction({ bindingHash, createdAt: now + 3 });
          equal(await store.create(fourth, LIMITS), { displaced: [ids[0]] });
          equal(await store.get(fourth.id), fourth);

          // The engine cancels the displaced one: then the next start displaces the next oldest only.
          const first = (await store.get(ids[0]!))!;
          assert.strictEqual(await store.compareAndSet(first.id, 1, { ...first, status: 'cancelled' }), true);
          const fifth = pendingTransaction({ bindingHash, createdAt: now + 4 });
          equal(await store.create(fifth, LIMITS), { displaced: [ids[1]] });
        },
      );

      test.it('orders by createdAt, whatever the order of creation', async () => {
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
        equal(result?.displaced, [early.id, late.id]);
      });

      test.it('does not count finished, deleted or expired transactions', async () => {
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
        equal(await store.create(pendingTransaction({ bindingHash }), limits), { displaced: [] });
      });

      test.it('without limits, nothing is counted', async () => {
        const bindingHash = token();
        for (let i = 0; i < 4; i++) {
          const result = await store.create(pendingTransaction({ bindingHash }));
          equal(result?.displaced ?? [], []);
        }
      });
    });

    test.describe('cap per client address', () => {
      test.it(
        'at the cap, stores nothing and rejects rate_limited with when the earliest expires',
        async () => {
          const addressKey = token();
          const now = Date.now();
          await store.create(pendingTransaction({ addressKey, expiresAt: now + 30_000 }), LIMITS);
          await store.create(pendingTransaction({ addressKey, expiresAt: now + 10_500 }), LIMITS);
          const refused = pendingTransaction({ addressKey });
          const error = await rejection(store.create(refused, LIMITS));
          assert.strictEqual(isEidError(error) && error.code, 'rate_limited');
          assert.strictEqual(isEidError(error) && error.status, 429);
          const retryAfter = isEidError(error) ? (error.retryAfterSeconds ?? 0) : 0;
          assert.ok(
            retryAfter >= 10 && retryAfter <= 11,
            `retryAfterSeconds ${retryAfter}, expected 10 or 11`,
          );
          assert.strictEqual(await store.get(refused.id), undefined);
          // The same id can be created once there is room: the refusal stored nothing.
          const error2 = await rejection(store.create(refused, LIMITS));
          assert.strictEqual(isEidError(error2) && error2.code, 'rate_limited');
        },
      );

      test.it(
        'a finished, deleted or expired transaction frees its place; one without address is not counted',
        async () => {
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
          const refused = await rejection(store.create(pendingTransaction({ addressKey }), LIMITS));
          assert.strictEqual(isEidError(refused) && refused.code, 'rate_limited');
          await store.compareAndSet(a.id, 1, { ...a, status: 'failed' });
          const d = pendingTransaction({ addressKey });
          await store.create(d, LIMITS);
          await store.delete(c.id);
          await store.create(pendingTransaction({ addressKey }), LIMITS);
        },
      );

      test.it('holds under concurrent starts: exactly the cap gets in', async () => {
        const addressKey = token();
        const starts = Array.from({ length: 12 }, () =>
          store.create(pendingTransaction({ addressKey }), { perBrowser: 5, perAddress: 4 }).then(
            () => 'stored',
            (error: unknown) => (isEidError(error) ? error.code : 'other'),
          ),
        );
        const results = await Promise.all(starts);
        assert.strictEqual(results.filter((r) => r === 'stored').length, 4);
        assert.strictEqual(results.filter((r) => r === 'rate_limited').length, 8);
      });
    });

    test.describe('increment', () => {
      test.it('counts hits in a fixed window that starts with the first, then starts again', async () => {
        const key = `pushes:${token()}`;
        const before = Date.now();
        const first = await store.increment(key, 200);
        assert.strictEqual(first.count, 1);
        assert.ok(
          first.resetAt >= before + 150 && first.resetAt <= Date.now() + 200,
          'resetAt is the window from now',
        );
        const second = await store.increment(key, 200);
        assert.strictEqual(second.count, 2);
        assert.ok(Math.abs(second.resetAt - first.resetAt) <= 50, 'a second hit keeps the end of the window');
        // A later hit with another window does not move the end.
        const later = await store.increment(key, 60_000);
        assert.ok(later.resetAt <= first.resetAt + 50, 'a later hit with another window keeps the end');
        await sleep(first.resetAt - Date.now() + 80);
        assert.strictEqual((await store.increment(key, 200)).count, 1);
      });

      test.it('counts every one of many concurrent hits', async () => {
        const key = `pushes:${token()}`;
        const counts = await Promise.all(Array.from({ length: 30 }, () => store.increment(key, 10_000)));
        equal(
          counts.map((c) => c.count).sort((a, b) => a - b),
          Array.from({ length: 30 }, (_, i) => i + 1),
        );
      });
    });

    test.describe('getKey and swapKey', () => {
      test.it('swaps only from the expected value, and removes with undefined', async () => {
        const key = `push:${token()}`;
        assert.strictEqual(await store.getKey(key), undefined);
        assert.strictEqual(await store.swapKey(key, 'a', 'b', 10_000), false);
        assert.strictEqual(await store.getKey(key), undefined);
        assert.strictEqual(await store.swapKey(key, undefined, 'a', 10_000), true);
        assert.strictEqual(await store.getKey(key), 'a');
        assert.strictEqual(await store.swapKey(key, undefined, 'b', 10_000), false);
        assert.strictEqual(await store.swapKey(key, 'x', 'b', 10_000), false);
        assert.strictEqual(await store.getKey(key), 'a');
        assert.strictEqual(await store.swapKey(key, 'a', 'b', 10_000), true);
        assert.strictEqual(await store.getKey(key), 'b');
        assert.strictEqual(await store.swapKey(key, 'b', undefined, 0), true);
        assert.strictEqual(await store.getKey(key), undefined);
        assert.strictEqual(await store.swapKey(key, undefined, undefined, 0), true);
      });

      test.it('a value expires after its ttl, and then counts as unset', async () => {
        const key = `push:${token()}`;
        assert.strictEqual(await store.swapKey(key, undefined, 'a', 100), true);
        await sleep(200);
        assert.strictEqual(await store.getKey(key), undefined);
        assert.strictEqual(await store.swapKey(key, 'a', 'b', 10_000), false);
        assert.strictEqual(await store.swapKey(key, undefined, 'c', 10_000), true);
        // Swapping the same value in again renews its ttl.
        assert.strictEqual(await store.swapKey(key, 'c', 'c', 100), true);
        await sleep(200);
        assert.strictEqual(await store.getKey(key), undefined);
      });

      test.it('of many concurrent swaps from one value, exactly one wins', async () => {
        const key = `push:${token()}`;
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.swapKey(key, undefined, `holder-${i}`, 10_000)),
        );
        assert.strictEqual(results.filter(Boolean).length, 1);
        assert.strictEqual(await store.getKey(key), `holder-${results.indexOf(true)}`);
      });
    });

    test.describe('recordLogout and isLoggedOut', () => {
      test.it('holds until its time, and writing it again moves that time', async () => {
        const id = token();
        assert.strictEqual(await store.isLoggedOut(id), false);
        await store.recordLogout(id, Date.now() + 300);
        assert.strictEqual(await store.isLoggedOut(id), true);
        assert.strictEqual(await store.isLoggedOut(token()), false);
        await sleep(400);
        assert.strictEqual(await store.isLoggedOut(id), false);

        const other = token();
        await store.recordLogout(other, Date.now() + 100);
        await store.recordLogout(other, Date.now() + 60_000);
        await sleep(200);
        assert.strictEqual(await store.isLoggedOut(other), true);
        await store.recordLogout(other, Date.now() - 1);
        assert.strictEqual(await store.isLoggedOut(other), false);
      });
    });
  });
}
