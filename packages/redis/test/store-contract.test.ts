import { MemoryStore } from '@eid/core';
import { createRedisStore } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './helpers.js';
import { storeContract } from './store-contract.js';

storeContract('MemoryStore', async () => ({ store: new MemoryStore() }));

storeContract('RedisStore', async () => {
  const prefix = testPrefix('contract');
  const store = await createRedisStore({ url: REDIS_URL, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeys(prefix);
    },
  };
});
