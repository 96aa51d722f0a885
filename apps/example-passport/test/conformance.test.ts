import {
  runBrokersSuite,
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runBrokersSuite(passportTarget);
runSmallerRulesSuite(passportTarget);
runVerifySuite(passportTarget);
runRelaySuite(passportTarget);
runLogoutSticksSuite(passportTarget);
