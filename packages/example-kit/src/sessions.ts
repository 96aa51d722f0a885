import session from 'express-session';
import { LRUCache } from 'lru-cache';

/**
 * How long an idle session lives, in seconds: the life of its entry in the server's store, renewed with every
 * request, and the session cookie's max age, counted from the session's last change. Override with `SESSION_MAX_AGE_SECONDS`.
 */
export const SESSION_MAX_AGE_SECONDS = 60 * 60;
/**
 * How long an eID login counts, in seconds from the identity's `authenticatedAt`, however active the session:
 * `requireEid({ maxAge })` / `EidGuard({ maxAge })`. Override with `LOGIN_MAX_AGE_SECONDS`.
 */
export const LOGIN_MAX_AGE_SECONDS = 8 * 60 * 60;
/** Most sessions a process keeps; past it, the least recently used go first. */
const MAX_SESSIONS = 10_000;

/**
 * Sessions in memory that expire, bounded: an LRU cache (lru-cache) whose entries are forgotten `maxAgeSeconds`
 * after their last use, and stale ones purged every minute. express-session's and @fastify/session's own
 * MemoryStore keep every session until it is asked for again, so a session nobody comes back for stays forever.
 * One process only: a real app uses a shared store (Redis, a database) with the same expiry.
 */
export function expiringSessionCache<V extends object | string>(maxAgeSeconds: number): LRUCache<string, V> {
  const cache = new LRUCache<string, V>({
    max: MAX_SESSIONS,
    ttl: maxAgeSeconds * 1000,
    // A session in use stays alive: the store's life is renewed on each read, as the cookie's is on each response.
    updateAgeOnGet: true,
  });
  setInterval(() => cache.purgeStale(), 60_000).unref();
  return cache;
}

type Callback = (error?: unknown) => void;

/**
 * An express-session store over `expiringSessionCache`: sessions are kept as JSON (each request gets its own
 * copy, as with a real store) and forgotten once idle for `maxAgeSeconds`.
 */
export class ExpiringSessionStore extends session.Store {
  readonly #cache: LRUCache<string, string>;

  constructor(maxAgeSeconds: number) {
    super();
    this.#cache = expiringSessionCache<string>(maxAgeSeconds);
  }

  override get(sid: string, callback: (error: unknown, data?: session.SessionData | null) => void): void {
    const json = this.#cache.get(sid);
    callback(null, json === undefined ? null : (JSON.parse(json) as session.SessionData));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#cache.set(sid, JSON.stringify(data));
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#cache.delete(sid);
    callback?.();
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    if (this.#cache.has(sid)) this.#cache.set(sid, JSON.stringify(data));
    callback?.();
  }
}

/** A positive number of seconds from `env[name]`, or `fallback`; anything else is refused with the name. */
export function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds.`);
  return value;
}
