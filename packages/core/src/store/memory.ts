import { EidError } from '../errors.js';
import type { Transaction } from '../transaction.js';
import type { CreateLimits, CreateResult, TransactionStore, WindowCount } from './types.js';

/** A keyed record: a counter's hits or a swapped value, until `expiresAt` (epoch ms). */
interface KeyEntry {
  value: string | number;
  expiresAt: number;
}

/** Expired logout records are swept when there are this many, or twice as many as after the last sweep. */
const LOGOUT_SWEEP_MIN = 1024;

export interface MemoryStoreOptions {
  /**
   * Most transactions held at once. Past it, expired and finished ones make room; when every entry is a
   * live login, new ones are refused (`rate_limited`) rather than evicting someone's login. Default 10 000.
   * The last line: the engine's caps per browser and per client address (`createEid({ pendingTransactions })`)
   * keep one client from filling it. The keyed records (push limits) are capped at the same number: past it,
   * expired ones go, then the oldest.
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
  /**
   * Ids of pending transactions by `bindingHash` and by `addressKey`, for the caps of `create`: an id leaves them when
   * its transaction settles or goes, so that counting is proportional to the logins in progress, not to the finished
   * ones kept for replays (a whole office behind one address finishes thousands).
   */
  readonly #byBrowser = new Map<string, Set<string>>();
  readonly #byAddress = new Map<string, Set<string>>();
  readonly #keys = new Map<string, KeyEntry>();
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

  async create(transaction: Transaction, limits?: CreateLimits): Promise<CreateResult> {
    // Counting and inserting happen in one synchronous step: concurrent starts cannot both see room.
    if (this.#entries.has(transaction.id)) {
      throw new EidError('invalid_request', 'A transaction with this id exists already.');
    }
    const now = this.#now();
    let displaced: string[] = [];
    if (limits) {
      const { addressKey } = transaction;
      const fromAddress = addressKey === undefined ? [] : this.#pending(this.#byAddress, addressKey, now);
      if (fromAddress.length >= limits.perAddress) {
        const firstFree = Math.min(...fromAddress.map((entry) => entry.expiresAt));
        throw new EidError(
          'rate_limited',
          'Too many logins are in progress from this network address. Finish or cancel one, or try again later.',
          { retryAfterSeconds: Math.max(1, Math.ceil((firstFree - now) / 1000)) },
        );
      }
      const browsers = this.#pending(this.#byBrowser, transaction.bindingHash, now);
      const excess = browsers.length + 1 - limits.perBrowser;
      if (excess > 0) {
        displaced = browsers
          .sort((a, b) => a.createdAt - b.createdAt)
          .slice(0, excess)
          .map((entry) => entry.id);
      }
    }
    if (this.#entries.size >= this.#maxEntries) this.#makeRoom();
    this.#entries.set(transaction.id, frozenCopy(transaction));
    this.#index(this.#byBrowser, transaction.bindingHash, transaction.id);
    if (transaction.addressKey !== undefined) {
      this.#index(this.#byAddress, transaction.addressKey, transaction.id);
    }
    return { displaced };
  }

  async get(id: string): Promise<Transaction | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.retainUntil <= this.#now()) {
      this.#remove(id);
      return undefined;
    }
    // Frozen when written: a reader cannot change the stored transaction, so reads (every status poll) copy nothing.
    return entry;
  }

  async compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean> {
    // Check and write happen in one synchronous step: no other request can interleave.
    const entry = this.#entries.get(id);
    if (!entry || entry.retainUntil <= this.#now() || entry.version !== expectedVersion) return false;
    this.#entries.set(id, frozenCopy({ ...next, version: expectedVersion + 1 }));
    // Only pending transactions count against the caps, and none turns pending again: the indexes let go of it.
    if (next.status !== 'pending') {
      this.#unindex(this.#byBrowser, entry.bindingHash, id);
      this.#unindex(this.#byAddress, entry.addressKey, id);
    }
    return true;
  }

  async delete(id: string): Promise<void> {
    this.#remove(id);
  }

  /** The live pending transactions under `key` of an index. */
  #pending(index: Map<string, Set<string>>, key: string, now: number): Transaction[] {
    const found: Transaction[] = [];
    for (const id of index.get(key) ?? []) {
      const entry = this.#entries.get(id);
      if (entry && entry.status === 'pending' && entry.expiresAt > now) found.push(entry);
    }
    return found;
  }

  #index(index: Map<string, Set<string>>, key: string, id: string): void {
    const ids = index.get(key);
    if (ids) ids.add(id);
    else index.set(key, new Set([id]));
  }

  #unindex(index: Map<string, Set<string>>, key: string | undefined, id: string): void {
    if (key === undefined) return;
    const ids = index.get(key);
    ids?.delete(id);
    if (ids?.size === 0) index.delete(key);
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#unindex(this.#byBrowser, entry.bindingHash, id);
    this.#unindex(this.#byAddress, entry.addressKey, id);
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
      if (entry.retainUntil <= now) this.#remove(id);
    }
    // Still full: finished or expired transactions go, oldest first (Map keeps insertion order). They are
    // kept only to recognise replays; a login still in progress is never dropped.
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size < this.#maxEntries) return;
      if (entry.status !== 'pending' || entry.expiresAt <= now) this.#remove(id);
    }
    if (this.#entries.size >= this.#maxEntries) {
      throw new EidError('rate_limited', 'Too many logins are in progress right now. Try again in a minute.');
    }
  }
}

/** What `frozenCopy` made: deep-frozen, so a later write may share it as it is rather than copy it again. */
const deepFrozen = new WeakSet<object>();

/**
 * A deep copy that nobody can change: what the store keeps and hands out. Transactions are JSON-shaped (the shared
 * stores keep them as JSON), so plain objects and arrays are copied and frozen in one walk, several times cheaper than
 * `structuredClone` and a second walk to freeze; anything else is cloned whole. A part that is the store's own already
 * (a transition writes `{ ...read, status }`: the read's nested values) is shared, not copied.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || deepFrozen.has(value)) return value;
  let copy: object;
  if (Array.isArray(value)) copy = Object.freeze(value.map(frozenCopy));
  else {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) copy = deepFreeze(structuredClone(value));
    else {
      const fields: Record<string, unknown> = {};
      for (const key of Object.keys(value)) fields[key] = frozenCopy((value as Record<string, unknown>)[key]);
      copy = Object.freeze(fields);
    }
  }
  deepFrozen.add(copy);
  return copy as T;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}
