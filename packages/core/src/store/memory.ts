import { EidError } from '../errors.js';
import type { Transaction } from '../transaction.js';
import type { TransactionStore } from './types.js';

/** Expired logout records are swept when there are this many, or twice as many as after the last sweep. */
const LOGOUT_SWEEP_MIN = 1024;

export interface MemoryStoreOptions {
  /**
   * Most transactions held at once. Past it, expired and finished ones make room; when every entry is a
   * live login, new ones are refused (`rate_limited`) rather than evicting someone's login. Default 10 000.
   */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * The default store: one process, bounded and expiring. A flood of starts cannot grow it past
 * `maxEntries`, and cannot push out logins in progress. Use a shared store when more than one process
 * serves the app.
 */
export class MemoryStore implements TransactionStore {
  readonly #entries = new Map<string, Transaction>();
  /** Logged-out logins: transaction id -> until when. Apart from `maxEntries`: each needs a finished login. */
  readonly #logouts = new Map<string, number>();
  #sweepLogoutsAt = LOGOUT_SWEEP_MIN;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new EidError('invalid_config', 'MemoryStore: maxEntries must be a positive integer.');
    }
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  async create(transaction: Transaction): Promise<void> {
    if (this.#entries.has(transaction.id)) {
      throw new EidError('invalid_request', 'A transaction with this id exists already.');
    }
    if (this.#entries.size >= this.#maxEntries) this.#makeRoom();
    this.#entries.set(transaction.id, structuredClone(transaction));
  }

  async get(id: string): Promise<Transaction | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.retainUntil <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return structuredClone(entry);
  }

  async compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean> {
    // Check and write happen in one synchronous step: no other request can interleave.
    const entry = this.#entries.get(id);
    if (!entry || entry.retainUntil <= this.#now() || entry.version !== expectedVersion) return false;
    this.#entries.set(id, structuredClone({ ...next, version: expectedVersion + 1 }));
    return true;
  }

  async delete(id: string): Promise<void> {
    this.#entries.delete(id);
  }

  async recordLogout(transactionId: string, until: number): Promise<void> {
    // Re-inserted, so that the Map's order stays close to the order of expiry.
    this.#logouts.delete(transactionId);
    this.#logouts.set(transactionId, until);
    if (this.#logouts.size >= this.#sweepLogoutsAt) {
      const now = this.#now();
      for (const [id, end] of this.#logouts) if (end <= now) this.#logouts.delete(id);
      this.#sweepLogoutsAt = Math.max(LOGOUT_SWEEP_MIN, this.#logouts.size * 2);
    }
  }

  async isLoggedOut(transactionId: string): Promise<boolean> {
    const until = this.#logouts.get(transactionId);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#logouts.delete(transactionId);
    return false;
  }

  #makeRoom(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (entry.retainUntil <= now) this.#entries.delete(id);
    }
    // Still full: finished or expired transactions go, oldest first (Map keeps insertion order). They are
    // kept only to recognise replays; a login still in progress is never dropped.
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size < this.#maxEntries) return;
      if (entry.status !== 'pending' || entry.expiresAt <= now) this.#entries.delete(id);
    }
    if (this.#entries.size >= this.#maxEntries) {
      throw new EidError('rate_limited', 'Too many logins are in progress right now. Try again in a minute.');
    }
  }
}
