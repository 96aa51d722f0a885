// @eid/redis: a TransactionStore on Redis, so that many processes serve one app's logins.
export { createRedisStore, RedisStore, type RedisStoreOptions, redactRedisUrl } from './store.js';
