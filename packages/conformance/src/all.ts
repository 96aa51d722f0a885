import { runBrokersSuite } from './brokers.js';
import { runLoginHookSuite } from './login-hook.js';
import { runLogoutSticksSuite } from './logout-sticks.js';
import { runRelaySuite } from './relay.js';
import { runSigningSuite } from './signing.js';
import { runSmallerRulesSuite } from './smaller-rules.js';
import { runConformanceSuite } from './suite.js';
import type { ConformanceTarget } from './target.js';
import { runVerifySuite } from './verify.js';

/**
 * Every HTTP suite of the contract (docs/http-contract.md) against one app: the routes, the smaller safety rules,
 * operator verification, relayed logins, logout, the app's login hook, and brokers that falter. Declares vitest blocks; call it at the top level of a test file.
 */
export function runContractSuites(target: ConformanceTarget): void {
  runConformanceSuite(target);
  runSmallerRulesSuite(target);
  runVerifySuite(target);
  runRelaySuite(target);
  runLogoutSticksSuite(target);
  runLoginHookSuite(target);
  runSigningSuite(target);
  runBrokersSuite(target);
}
