import type { Transaction } from '../transaction.js';

/**
 * Where transactions live between requests. Small on purpose, so other engines are easy to add:
 * every state change goes through `compareAndSet`, which must be atomic across processes.
 */
export interface TransactionStore {
  /** Stores a new transaction; rejects if the id exists. */
  create(transaction: Transaction): Promise<void>;
  /** The transaction, or undefined when unknown or past `retainUntil`. */
  get(id: string): Promise<Transaction | undefined>;
  /**
   * Replaces the transaction with `next` only if the stored one still has `expectedVersion`.
   * Returns false when another request changed it first (or it is gone).
   */
  compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean>;
  delete(id: string): Promise<void>;
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
