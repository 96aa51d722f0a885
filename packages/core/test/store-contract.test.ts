import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.js';
import { runStoreContract, type TestRunner } from '../src/testing/index.js';
import type { Transaction } from '../src/transaction.js';

runStoreContract('MemoryStore', async () => ({ store: new MemoryStore() }), {
  describe,
  it,
  beforeAll,
  afterAll,
});

/** A runner that only collects what the contract declares, to run it by hand. */
function collectingRunner() {
  const tests: Array<{ name: string; body: () => Promise<void> }> = [];
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  const path: string[] = [];
  const runner: TestRunner = {
    describe(name, body) {
      path.push(name);
      body();
      path.pop();
    },
    it: (name, body) => tests.push({ name: [...path, name].join(' > '), body }),
    beforeAll: (body) => before.push(body),
    afterAll: (body) => after.push(body),
  };
  async function run(): Promise<{ failed: string[]; passed: number }> {
    for (const body of before) await body();
    const failed: string[] = [];
    for (const test of tests) {
      await test.body().catch(() => failed.push(test.name));
    }
    for (const body of after) await body();
    return { failed, passed: tests.length - failed.length };
  }
  return { runner, run };
}

/** A store that writes over whatever version is stored: two requests could both finish one login. */
class LastWriterWinsStore extends MemoryStore {
  override async compareAndSet(id: string, _expected: number, next: Transaction): Promise<boolean> {
    const stored = await this.get(id);
    return stored ? super.compareAndSet(id, stored.version, next) : false;
  }
}

/** A store that keeps logout records forever. */
class EndlessLogoutStore extends MemoryStore {
  override async recordLogout(transactionId: string, _until: number): Promise<void> {
    await super.recordLogout(transactionId, Number.MAX_SAFE_INTEGER);
  }
}

describe('the store contract fails a store that breaks it, under any runner', () => {
  it('runs on a runner of its own, and MemoryStore passes every test', async () => {
    const { runner, run } = collectingRunner();
    runStoreContract('MemoryStore', async () => ({ store: new MemoryStore() }), runner);
    const { failed, passed } = await run();
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThanOrEqual(20);
  });

  it('a compareAndSet that ignores the version fails the compareAndSet test', async () => {
    const { runner, run } = collectingRunner();
    runStoreContract('last writer wins', async () => ({ store: new LastWriterWinsStore() }), runner);
    const { failed } = await run();
    expect(failed).toEqual([
      'TransactionStore contract: last writer wins > compareAndSet > writes only over the expected version, and counts the version up',
    ]);
  });

  it('a logout record without its expiry fails the logout test', async () => {
    const { runner, run } = collectingRunner();
    runStoreContract('endless logouts', async () => ({ store: new EndlessLogoutStore() }), runner);
    const { failed } = await run();
    expect(failed).toEqual([
      'TransactionStore contract: endless logouts > recordLogout and isLoggedOut > holds until its time, and writing it again moves that time',
    ]);
  });
});
