import {
  runBrokersSuite,
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
runBrokersSuite(expressTarget);
runSmallerRulesSuite(expressTarget);
runVerifySuite(expressTarget);
runRelaySuite(expressTarget);
runLogoutSticksSuite(expressTarget);
