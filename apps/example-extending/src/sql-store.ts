/**
 * A TransactionStore on SQL, as docs/extending.md walks through it. It runs on sql.js (SQLite compiled to
 * WebAssembly, in memory) so that the example needs no database server; the statements are the ones a
 * Postgres or MySQL store would run. What makes a store correct is not the database but that every method is
 * atomic: here each runs its statements synchronously in one SQL transaction, so no other call interleaves.
 * On a server database, run the same statements in one transaction (`SERIALIZABLE`, or `SELECT … FOR UPDATE`
 * on the rows that `create` counts) or as the single conditional statements shown.
 */

import type { CreateLimits, CreateResult, Transaction, TransactionStore, WindowCount } from '@eid/core';
import { EidError } from '@eid/core';
import initSqlJs, { type Database, type SqlValue } from 'sql.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS eid_transactions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    address_key TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    retain_until INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS eid_transactions_by_browser ON eid_transactions (binding_hash, status);
  CREATE INDEX IF NOT EXISTS eid_transactions_by_address ON eid_transactions (address_key, status);
  CREATE INDEX IF NOT EXISTS eid_transactions_by_retention ON eid_transactions (retain_until);
  CREATE TABLE IF NOT EXISTS eid_keys (key TEXT PRIMARY KEY, value TEXT, hits INTEGER, expires_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS eid_logouts (transaction_id TEXT PRIMARY KEY, until INTEGER NOT NULL);
`;

export class SqlStore implements TransactionStore {
  readonly #db: Database;
  readonly #now: () => number;

  private constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  static async open(options: { now?: () => number } = {}): Promise<SqlStore> {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.exec(SCHEMA);
    return new SqlStore(db, options.now ?? Date.now);
  }

  async create(transaction: Transaction, limits?: CreateLimits): Promise<CreateResult> {
    return this.#atomic((now) => {
      // Rows past their retention are gone for every reader; sweeping them here keeps the table small.
      this.#run('DELETE FROM eid_transactions WHERE retain_until <= ?', [now]);
      if (this.#rows('SELECT 1 FROM eid_transactions WHERE id = ?', [transaction.id]).length > 0) {
        throw new EidError('invalid_request', 'A transaction with this id exists already.');
      }
      let displaced: string[] = [];
      if (limits) {
        const pending = "status = 'pending' AND expires_at > ?";
        if (transaction.addressKey !== undefined) {
          const fromAddress = this.#rows(
            `SELECT expires_at FROM eid_transactions WHERE address_key = ? AND ${pending} ORDER BY expires_at`,
            [transaction.addressKey, now],
          );
          if (fromAddress.length >= limits.perAddress) {
            const firstFree = Number(fromAddress[0]![0]);
            throw new EidError(
              'rate_limited',
              'Too many logins are in progress from this network address. Try again later.',
              { retryAfterSeconds: Math.max(1, Math.ceil((firstFree - now) / 1000)) },
            );
          }
        }
        const fromBrowser = this.#rows(
          `SELECT id FROM eid_transactions WHERE binding_hash = ? AND ${pending} ORDER BY created_at`,
          [transaction.bindingHash, now],
        );
        const excess = fromBrowser.length + 1 - limits.perBrowser;
        if (excess > 0) displaced = fromBrowser.slice(0, excess).map((row) => String(row[0]));
      }
      this.#run(
        `INSERT INTO eid_transactions
           (id, version, status, binding_hash, address_key, created_at, expires_at, retain_until, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          transaction.id,
          transaction.version,
          transaction.status,
          transaction.bindingHash,
          transaction.addressKey ?? null,
          transaction.createdAt,
          transaction.expiresAt,
          transaction.retainUntil,
          JSON.stringify(transaction),
        ],
      );
      return { displaced };
    });
  }

  async get(id: string): Promise<Transaction | undefined> {
    const [row] = this.#rows('SELECT data FROM eid_transactions WHERE id = ? AND retain_until > ?', [
      id,
      this.#now(),
    ]);
    // Parsed anew on each read: callers get a copy, never the stored value.
    return row ? (JSON.parse(String(row[0])) as Transaction) : undefined;
  }

  async compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean> {
    // One conditional UPDATE is the compare-and-set: of two writers over one version, one changes a row.
    const written = { ...next, version: expectedVersion + 1 };
    return this.#atomic(
      (now) =>
        this.#run(
          `UPDATE eid_transactions SET version = ?, status = ?, expires_at = ?, retain_until = ?, data = ?
           WHERE id = ? AND version = ? AND retain_until > ?`,
          [
            written.version,
            written.status,
            written.expiresAt,
            written.retainUntil,
            JSON.stringify(written),
            id,
            expectedVersion,
            now,
          ],
        ) === 1,
    );
  }

  async delete(id: string): Promise<void> {
    this.#run('DELETE FROM eid_transactions WHERE id = ?', [id]);
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    return this.#atomic((now) => {
      // The window starts with the first hit; a hit after its end starts a new one.
      this.#run(
        `INSERT INTO eid_keys (key, value, hits, expires_at) VALUES (?, NULL, 1, ?)
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN expires_at > ? AND hits IS NOT NULL THEN hits + 1 ELSE 1 END,
           value = NULL,
           expires_at = CASE WHEN expires_at > ? AND hits IS NOT NULL THEN expires_at ELSE excluded.expires_at END`,
        [key, now + windowMs, now, now],
      );
      const [row] = this.#rows('SELECT hits, expires_at FROM eid_keys WHERE key = ?', [key]);
      return { count: Number(row![0]), resetAt: Number(row![1]) };
    });
  }

  async getKey(key: string): Promise<string | undefined> {
    return this.#value(key, this.#now());
  }

  async swapKey(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number,
  ): Promise<boolean> {
    return this.#atomic((now) => {
      if (this.#value(key, now) !== expected) return false;
      if (next === undefined) this.#run('DELETE FROM eid_keys WHERE key = ?', [key]);
      else {
        this.#run(
          `INSERT INTO eid_keys (key, value, hits, expires_at) VALUES (?, ?, NULL, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, hits = NULL, expires_at = excluded.expires_at`,
          [key, next, now + ttlMs],
        );
      }
      return true;
    });
  }

  async recordLogout(transactionId: string, until: number): Promise<void> {
    // Written again, the record's end moves (a later logout of the same login keeps it longer).
    this.#run(
      `INSERT INTO eid_logouts (transaction_id, until) VALUES (?, ?)
       ON CONFLICT (transaction_id) DO UPDATE SET until = excluded.until`,
      [transactionId, until],
    );
  }

  async isLoggedOut(transactionId: string): Promise<boolean> {
    const rows = this.#rows('SELECT 1 FROM eid_logouts WHERE transaction_id = ? AND until > ?', [
      transactionId,
      this.#now(),
    ]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  /** A string value that has not expired (a counter's row holds none). */
  #value(key: string, now: number): string | undefined {
    const [row] = this.#rows(
      'SELECT value FROM eid_keys WHERE key = ? AND expires_at > ? AND value IS NOT NULL',
      [key, now],
    );
    return row ? String(row[0]) : undefined;
  }

  /** Runs `work` in one SQL transaction: all its statements or none, with no other call in between. */
  #atomic<T>(work: (now: number) => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work(this.#now());
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #rows(sql: string, params: SqlValue[]): SqlValue[][] {
    return this.#db.exec(sql, params)[0]?.values ?? [];
  }

  /** Runs a statement; the number of rows it changed. */
  #run(sql: string, params: SqlValue[]): number {
    this.#db.run(sql, params);
    return this.#db.getRowsModified();
  }
}
