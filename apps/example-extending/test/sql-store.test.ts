import { runStoreContract } from '@eid/core/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SqlStore } from '../src/sql-store.js';

runStoreContract(
  'SqlStore',
  async () => {
    const store = await SqlStore.open();
    return { store, cleanup: () => store.close() };
  },
  { describe, it, beforeAll, afterAll },
);
