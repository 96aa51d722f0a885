import { createHmac } from 'node:crypto';
import type { TransactionStore } from '@eid/core';
import { createRedisStore } from '@eid/redis';
import RedisSessionStore from 'connect-redis';
import type session from 'express-session';

/** Put before every Redis key of an example app (`REDIS_PREFIX` overrides it). */
export const DEFAULT_REDIS_PREFIX = 'eid-example:';

export interface SharedStores {
  /** The eID transactions: a `RedisStore` (closed by `eid.close()`), or undefined for the engine's MemoryStore. */
  store?: TransactionStore;
  /** The engine's secret, the same in every process: `EID_SECRET`, or derived from `SESSION_SECRET`. */
  secret?: string;
  /**
   * The framework session's store on the same Redis connection (connect-redis, an express-session store that
   * @fastify/session takes as well), or undefined: the app keeps its own in-memory store.
   */
  sessionStore?: session.Store;
}

/**
 * Without `REDIS_URL`: nothing (the engine's MemoryStore, the app's own session store). With it (`redis://host:port/db`,
 * the database number honoured): the transactions in a `RedisStore` under `${REDIS_PREFIX}eid:` and the sessions
 * in connect-redis under `${REDIS_PREFIX}sess:`, on one connection. Processes sharing Redis must agree on the
 * session cookie's signature and on the engine's secret, so `SESSION_SECRET` is then required. Rejects when
 * Redis cannot be reached.
 */
export async function sharedStores(
  env: NodeJS.ProcessEnv,
  sessionMaxAgeSeconds: number,
): Promise<SharedStores> {
  const url = env.REDIS_URL?.trim();
  if (!url) return {};
  const sessionSecret = env.SESSION_SECRET?.trim();
  if (!sessionSecret) {
    throw new Error(
      'REDIS_URL is set: set SESSION_SECRET (a random string of 32+ characters, the same in every process) so the ' +
        'processes sharing Redis accept each other’s session cookies; EID_SECRET (32+ characters) sets the eID ' +
        'secret, derived from SESSION_SECRET otherwise.',
    );
  }
  const secret =
    env.EID_SECRET?.trim() || createHmac('sha256', sessionSecret).update('eid-secret').digest('base64url');
  const prefix = env.REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX;
  const store = await createRedisStore({ url, prefix: `${prefix}eid:` });
  const sessionStore = new RedisSessionStore({
    client: store.client,
    prefix: `${prefix}sess:`,
    ttl: sessionMaxAgeSeconds,
  });
  return { store, secret, sessionStore };
}
