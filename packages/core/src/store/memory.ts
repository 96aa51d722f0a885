import { EidError } from '../errors.js';
import type { Transaction } from '../transaction.js';
import type { TransactionStore, WindowCount } from './types.js';

/** A keyed record: a counter's hits or a swapped value, until `expiresAt` (epoch ms). */
interface KeyEntry {
  value: string | number;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /**
   * Most transactions held at once. Past it, expired and finished ones make room; when every entry is a
   * live login, new ones are refused (`rate_limited`) rather than evicting someone's login. Default 10 000.
   * The keyed records (push limits) are capped at the same number: past it, expired ones go, then the oldest.
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
  readonly #keys = new Map<string, KeyEntry>();
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

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.#now();
    const entry = this.#live(key, now);
    if (entry && typeof entry.value === 'number') {
      entry.value++;
      return { count: entry.value, resetAt: entry.expiresAt };
    }
    this.#setKey(key, { value: 1, expiresAt: now + windowMs }, now);
    return { count: 1, resetAt: now + windowMs };
  }

  async getKey(key: string): Promise<string | undefined> {
    const value = this.#live(key, this.#now())?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async swapKey(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number,
  ): Promise<boolean> {
    // Read, compare and write in one synchronous step, like compareAndSet.
    const now = this.#now();
    const current = this.#live(key, now)?.value;
    if ((typeof current === 'string' ? current : undefined) !== expected) return false;
    if (next === undefined) this.#keys.delete(key);
    else this.#setKey(key, { value: next, expiresAt: now + ttlMs }, now);
    return true;
  }

  #live(key: string, now: number): KeyEntry | undefined {
    const entry = this.#keys.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#keys.delete(key);
      return undefined;
    }
    return entry;
  }

  #setKey(key: string, entry: KeyEntry, now: number): void {
    this.#keys.delete(key);
    if (this.#keys.size >= this.#maxEntries) {
      for (const [name, held] of this.#keys) if (held.expiresAt <= now) this.#keys.delete(name);
      // Still full (a flood of numbers): the oldest records go, which at worst forgets a limit early.
      for (const name of this.#keys.keys()) {
        if (this.#keys.size < this.#maxEntries) break;
        this.#keys.delete(name);
      }
    }
    this.#keys.set(key, entry);
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
