import type { Transaction } from '../transaction.js';

/** A fixed-window counter after one more hit: `count` hits since the window began, which ends at `resetAt`. */
export interface WindowCount {
  count: number;
  /** Epoch ms. */
  resetAt: number;
}

/**
 * Caps on pending transactions that `create` applies in the same atomic step as the insert. A transaction is
 * pending while its `status` is `pending` and its `expiresAt` is in the future.
 */
export interface CreateLimits {
  /**
   * Most pending transactions of one browser (same `bindingHash`), the new one included. Past it the browser's
   * oldest are named in `CreateResult.displaced` (the engine cancels them); the new one is stored.
   */
  perBrowser: number;
  /**
   * Most pending transactions of one client address (same `addressKey`; a transaction without one is not
   * counted). When they are reached, `create` stores nothing and rejects with EidError `rate_limited` whose
   * `retryAfterSeconds` says when the earliest of them expires.
   */
  perAddress: number;
}

/** What `create` did besides storing the transaction. */
export interface CreateResult {
  /** Ids of the same browser's oldest pending transactions, past `limits.perBrowser`: the engine cancels them. */
  displaced: string[];
}

/**
 * Where transactions live between requests. Small on purpose, so other engines are easy to add:
 * every state change goes through `compareAndSet`, which must be atomic across processes, and so must the
 * counting and inserting of `create` (in Redis, e.g., one script over a sorted set per browser and per address).
 *
 * Besides transactions, the engine keeps two kinds of small keyed records (its keys are its own, e.g.
 * `push:<hmac>`; a store may prefix them): counters (`increment`) and values swapped atomically (`getKey`,
 * `swapKey`). Both expire by themselves. They serve the push limits: one pending push per national identity
 * number, and so many per window (the number itself is never a key, only its HMAC).
 */
export interface TransactionStore {
  /**
   * Stores a new transaction; rejects if the id exists. With `limits` (the engine always passes them), the
   * caps are checked and the insert made in one atomic step; a store that ignores them leaves a flood of
   * starts to its own global bound (see MemoryStore's `maxEntries`), which should be the last line, not the first.
   */
  create(transaction: Transaction, limits?: CreateLimits): Promise<CreateResult | undefined>;
  /** The transaction, or undefined when unknown or past `retainUntil`. */
  get(id: string): Promise<Transaction | undefined>;
  /**
   * Replaces the transaction with `next` only if the stored one still has `expectedVersion`.
   * Returns false when another request changed it first (or it is gone). `bindingHash` and `addressKey`
   * never change after `create`.
   */
  compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean>;
  delete(id: string): Promise<void>;
  /**
   * Counts one more hit on `key` in a fixed window of `windowMs` that starts with the first hit (Redis: `INCR`,
   * then `PEXPIRE key windowMs NX`, and `PTTL`, in one transaction).
   */
  increment(key: string, windowMs: number): Promise<WindowCount>;
  /** The value under `key`, or undefined when unset or expired. */
  getKey(key: string): Promise<string | undefined>;
  /**
   * Sets `key` to `next` for `ttlMs` (or removes it when `next` is undefined), only if it holds `expected` now
   * (undefined: unset or expired). Returns false, changing nothing, when it holds something else. Atomic.
   */
  swapKey(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number,
  ): Promise<boolean>;
  /**
   * Remembers that the login of transaction `transactionId` (the `transactionId` of the identity in a session) was
   * logged out, until `until` (milliseconds since the epoch), so that no copy of that session counts as logged in
   * again. One atomic write with an expiry, e.g. Redis `SET <prefix>logout:<id> 1 PXAT <until>`; writing it again
   * moves `until`.
   */
  recordLogout(transactionId: string, until: number): Promise<void>;
  /** True while a logout recorded by `recordLogout` for this transaction holds (until its `until`). */
  isLoggedOut(transactionId: string): Promise<boolean>;
  /** Releases connections or timers, where the store has any. */
  close?(): Promise<void>;
}
