import { createHash } from 'node:crypto';
import {
  type CreateLimits,
  type CreateResult,
  EidError,
  isEidError,
  type Logger,
  type Transaction,
  type TransactionStore,
  type WindowCount,
} from '@eid/core';
import { Redis, type RedisOptions } from 'ioredis';
import { COMPARE_AND_SET, CREATE, DELETE, INCREMENT, SWAP_KEY } from './scripts.js';

export interface RedisStoreOptions {
  /**
   * Where Redis is, e.g. `redis://:password@127.0.0.1:6379/2` (`rediss://` for TLS; the database number is
   * honoured). The store then owns its connection: it reconnects by itself and `close()` ends it.
   */
  url?: string;
  /**
   * A connection of your own instead of `url` (ioredis `Redis`, standalone or Sentinel; not Cluster). The store
   * neither reconfigures nor closes it. Its operations still fail fast while it is not ready.
   */
  client?: Redis;
  /** Put before every key the store writes. Default `eid:`. */
  prefix?: string;
  /** How long `ready()` (and `createRedisStore`) wait for Redis at start-up. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Longest wait for one operation; past it the operation fails with `provider_unavailable`. Default 2000 ms. */
  commandTimeoutMs?: number;
  /**
   * Where connection trouble is reported (message only, never a key or value). Default: nowhere; the store
   * handles the client's `error` events either way, so an outage never crashes the process.
   */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Clock for transaction times (epoch ms); must be the engine's. Redis expires keys in real time. */
  now?: () => number;
  /** More ioredis options for the connection made from `url`. */
  redisOptions?: RedisOptions;
}

/** One Lua script, run by its SHA-1 (`EVALSHA`), loaded by `EVAL` when the server does not know it yet. */
interface Script {
  lua: string;
  sha: string;
}

const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const SCRIPTS = {
  create: script(CREATE),
  compareAndSet: script(COMPARE_AND_SET),
  delete: script(DELETE),
  increment: script(INCREMENT),
  swapKey: script(SWAP_KEY),
};

/** The URL as it may be shown: without password. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable Redis URL)';
  }
}

/** An error without what ioredis may attach (the command and its arguments, which can hold transaction data). */
function plainCause(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const plain = new Error(message.length > 200 ? `${message.slice(0, 200)}…` : message);
  plain.name = error instanceof Error ? error.name : 'Error';
  return plain;
}

const unavailable = (cause?: unknown) =>
  new EidError(
    'provider_unavailable',
    'The login store (Redis) cannot be reached right now. Try again in a moment.',
    cause === undefined ? {} : { cause: plainCause(cause) },
  );

/**
 * A `TransactionStore` on Redis, for apps served by more than one process. Every change is one Lua script, so
 * it is atomic across processes: the caps of `create`, `compareAndSet`, `swapKey`, `increment`. Keys (under
 * `prefix`): `tx:<id>` (hash), `browser:<bindingHash>` and `address:<addressKey>` (sorted sets of pending ids by
 * `expiresAt`), `key:<engine key>` (push limits; the engine passes only HMACs there) and `logout:<id>`. All
 * expire by themselves: a transaction at its `retainUntil`, an index with its last pending transaction.
 *
 * During a Redis outage every operation rejects at once (or after `commandTimeoutMs`) with EidError
 * `provider_unavailable` (503); the connection comes back by itself.
 */
export class RedisStore implements TransactionStore {
  readonly client: Redis;
  readonly prefix: string;
  readonly #owned: boolean;
  readonly #label: string;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #now: () => number;
  readonly #logger: RedisStoreOptions['logger'];
  #closed = false;
  #ready: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    if (!options || (options.url === undefined) === (options.client === undefined)) {
      throw new EidError('invalid_config', 'RedisStore: pass exactly one of `url` and `client`.');
    }
    this.prefix = options.prefix ?? 'eid:';
    if (typeof this.prefix !== 'string') {
      throw new EidError('invalid_config', 'RedisStore: `prefix` must be a string.');
    }
    this.#connectTimeoutMs = positive(options.connectTimeoutMs ?? 5000, 'connectTimeoutMs');
    this.#commandTimeoutMs = positive(options.commandTimeoutMs ?? 2000, 'commandTimeoutMs');
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
      this.#label = 'the given Redis client';
    } else {
      const url = options.url!;
      if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
        throw new EidError(
          'invalid_config',
          'RedisStore: `url` must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.',
        );
      }
      this.#label = redactRedisUrl(url);
      this.#owned = true;
      this.client = new Redis(url, {
        lazyConnect: true,
        // Fail fast while disconnected instead of queueing: the engine answers 503 and the browser retries.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        // A command cut off by a dropped connection has already been answered 503: never send it again later.
        autoResendUnfulfilledCommands: false,
        connectTimeout: this.#connectTimeoutMs,
        commandTimeout: this.#commandTimeoutMs,
        // Reconnect for ever, backing off up to 2 s.
        retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
        ...options.redisOptions,
      });
    }
    this.client.on('error', this.#onError);
    this.client.on('ready', this.#onReady);
  }

  /** Reported once per outage, not per reconnect attempt. */
  #down = false;
  readonly #onError = (error: Error) => {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#logger?.warn({ redis: this.#label, err: plainCause(error) }, 'Redis store: connection lost');
  };
  readonly #onReady = () => {
    if (!this.#down) return;
    this.#down = false;
    this.#logger?.info({ redis: this.#label }, 'Redis store: connection back');
  };

  /**
   * Resolves when Redis answers; rejects with EidError `invalid_config`, naming the URL without its password,
   * when it cannot be reached within `connectTimeoutMs`. Call it at start-up (`createRedisStore` does).
   */
  ready(): Promise<void> {
    this.#ready ??= this.#connect().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #connect(): Promise<void> {
    const failure = (cause?: unknown) =>
      new EidError(
        'invalid_config',
        `RedisStore: cannot reach Redis at ${this.#label} within ${this.#connectTimeoutMs} ms` +
          `${cause instanceof Error ? ` (${plainCause(cause).message})` : ''}. Is it running, and is the URL right?`,
        cause === undefined ? {} : { cause: plainCause(cause) },
      );
    let timer: NodeJS.Timeout | undefined;
    let lastError: unknown;
    const remember = (error: unknown) => {
      lastError = error;
    };
    this.client.on('error', remember);
    try {
      await Promise.race([
        (async () => {
          // A lazy client (ours always is) connects now.
          if (this.client.status === 'wait') await this.client.connect();
          else if (this.client.status !== 'ready') {
            await new Promise<void>((resolve) => this.client.once('ready', () => resolve()));
          }
          await this.client.ping();
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(failure(lastError)), this.#connectTimeoutMs);
        }),
      ]);
    } catch (error) {
      // An owned connection that never came up stops trying: start-up failed, the app will not run.
      if (this.#owned) this.client.disconnect();
      throw isEidError(error) ? error : failure(error);
    } finally {
      clearTimeout(timer);
      this.client.off('error', remember);
    }
  }

  #key(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  #indexKeys(transaction: Pick<Transaction, 'bindingHash' | 'addressKey'>): [string, string] {
    return [
      this.#key('browser', transaction.bindingHash),
      transaction.addressKey === undefined ? '' : this.#key('address', transaction.addressKey),
    ];
  }

  /** Runs one command with the store's outage rules: not ready or too slow is `provider_unavailable`. */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new EidError('invalid_config', 'RedisStore: used after close().');
    if (this.client.status !== 'ready') throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(unavailable(new Error('Command timed out'))),
            this.#commandTimeoutMs,
          );
          timer.unref();
        }),
      ]);
    } catch (error) {
      throw isEidError(error) ? error : unavailable(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** EVALSHA, or EVAL when the server has not seen the script yet (after a restart, or a SCRIPT FLUSH). */
  #eval(which: keyof typeof SCRIPTS, keys: string[], args: Array<string | number>): Promise<unknown> {
    const { lua, sha } = SCRIPTS[which];
    return this.#run(async () => {
      try {
        return await this.client.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await this.client.eval(lua, keys.length, ...keys, ...args);
      }
    });
  }

  async create(transaction: Transaction, limits?: CreateLimits): Promise<CreateResult> {
    const now = this.#now();
    const [browser, address] = this.#indexKeys(transaction);
    const reply = (await this.#eval(
      'create',
      [this.#key('tx', transaction.id), browser, address, this.#key('tx', '')],
      [
        transaction.id,
        JSON.stringify(transaction),
        transaction.version,
        transaction.status,
        transaction.createdAt,
        transaction.expiresAt,
        transaction.retainUntil,
        now,
        limits ? Math.max(1, limits.perBrowser) : 0,
        limits ? limits.perAddress : 0,
      ],
    )) as string[];
    if (reply[0] === 'exists') {
      throw new EidError('invalid_request', 'A transaction with this id exists already.');
    }
    if (reply[0] === 'rate_limited') {
      throw new EidError(
        'rate_limited',
        'Too many logins are in progress from this network address. Finish or cancel one, or try again later.',
        { retryAfterSeconds: Math.max(1, Math.ceil((Number(reply[1]) - now) / 1000)) },
      );
    }
    return { displaced: reply.slice(1) };
  }

  async get(id: string): Promise<Transaction | undefined> {
    const json = await this.#run(() => this.client.hget(this.#key('tx', id), 'd'));
    if (json === null) return undefined;
    const transaction = JSON.parse(json) as Transaction;
    return transaction.retainUntil <= this.#now() ? undefined : transaction;
  }

  async compareAndSet(id: string, expectedVersion: number, next: Transaction): Promise<boolean> {
    const stored = { ...next, id, version: expectedVersion + 1 };
    const reply = await this.#eval(
      'compareAndSet',
      [this.#key('tx', id), ...this.#indexKeys(next)],
      [
        id,
        String(expectedVersion),
        JSON.stringify(stored),
        String(stored.version),
        stored.status,
        stored.createdAt,
        stored.expiresAt,
        stored.retainUntil,
        this.#now(),
      ],
    );
    return reply === 1;
  }

  async delete(id: string): Promise<void> {
    const key = this.#key('tx', id);
    const fields = await this.#run(() => this.client.hget(key, 'd'));
    if (fields === null) return;
    const transaction = JSON.parse(fields) as Transaction;
    await this.#eval('delete', [key, ...this.#indexKeys(transaction)], [id]);
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.#now();
    const ms = Math.max(1, Math.ceil(windowMs));
    const [count, left] = (await this.#eval('increment', [this.#key('key', key)], [ms])) as [number, number];
    return { count, resetAt: now + left };
  }

  async getKey(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.client.get(this.#key('key', key)))) ?? undefined;
  }

  async swapKey(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number,
  ): Promise<boolean> {
    const reply = await this.#eval(
      'swapKey',
      [this.#key('key', key)],
      [
        expected === undefined ? '0' : '1',
        expected ?? '',
        next === undefined ? '0' : '1',
        next ?? '',
        Math.ceil(ttlMs),
      ],
    );
    return reply === 1;
  }

  async recordLogout(transactionId: string, until: number): Promise<void> {
    const key = this.#key('logout', transactionId);
    const ttl = Math.ceil(until - this.#now());
    await this.#run<unknown>(() =>
      ttl >= 1 ? this.client.set(key, String(until), 'PX', ttl) : this.client.del(key),
    );
  }

  async isLoggedOut(transactionId: string): Promise<boolean> {
    const until = await this.#run(() => this.client.get(this.#key('logout', transactionId)));
    return until !== null && Number(until) > this.#now();
  }

  /** Ends the connection the store made from `url` (a given `client` is left to its owner). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.client.off('ready', this.#onReady);
    if (!this.#owned) {
      this.client.off('error', this.#onError);
      return;
    }
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
    // Late socket errors after quit still find a handler.
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new EidError(
      'invalid_config',
      `RedisStore: \`${name}\` must be a positive number of milliseconds.`,
    );
  }
  return value;
}

/**
 * A `RedisStore` that has reached Redis: rejects with EidError `invalid_config`, naming the URL without its
 * password, when Redis cannot be reached within `connectTimeoutMs`, so a misconfigured app fails at start-up.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  await store.ready();
  return store;
}
