// @eid/core/testing: checks for code that plugs into the engine, runnable under any test runner.
export { runStoreContract, type StoreUnderTest, type TestRunner } from './store-contract.js';
