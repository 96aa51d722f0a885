import { runStoreContract } from '@eid/core/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisStore } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './helpers.js';

// The contract as a store author runs it, from @eid/core/testing (MemoryStore runs it in @eid/core).
runStoreContract(
  'RedisStore',
  async () => {
    const prefix = testPrefix('contract');
    const store = await createRedisStore({ url: REDIS_URL, prefix });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await deleteKeys(prefix);
      },
    };
  },
  { describe, it, beforeAll, afterAll },
);
