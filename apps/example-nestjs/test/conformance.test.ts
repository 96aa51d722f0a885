import {
  runBrokersSuite,
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { nestTarget } from './target.js';

for (const platform of ['express', 'fastify'] as const) {
  runConformanceSuite(nestTarget(platform));
  runBrokersSuite(nestTarget(platform));
  runSmallerRulesSuite(nestTarget(platform));
  runVerifySuite(nestTarget(platform));
  runRelaySuite(nestTarget(platform));
  runLogoutSticksSuite(nestTarget(platform));
}
