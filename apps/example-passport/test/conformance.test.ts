import {
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runSmallerRulesSuite(passportTarget);
runVerifySuite(passportTarget);
runRelaySuite(passportTarget);
runLogoutSticksSuite(passportTarget);
