import {
  runConformanceSuite,
  runLogoutSticksSuite,
  runRelaySuite,
  runSmallerRulesSuite,
  runVerifySuite,
} from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runSmallerRulesSuite(fastifyTarget);
runVerifySuite(fastifyTarget);
runRelaySuite(fastifyTarget);
runLogoutSticksSuite(fastifyTarget);
