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
  /** Releases connections or timers, where the store has any. */
  close?(): Promise<void>;
}
