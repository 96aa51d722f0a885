import {
  runBrokersSuite,
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runBrokersSuite(fastifyTarget);
runSmallerRulesSuite(fastifyTarget);
runVerifySuite(fastifyTarget);
runRelaySuite(fastifyTarget);
runLogoutSticksSuite(fastifyTarget);
