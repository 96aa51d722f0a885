import { runConformanceSuite, runRelaySuite, runSmallerRulesSuite, runVerifySuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runSmallerRulesSuite(nestTarget('express'));
runSmallerRulesSuite(nestTarget('fastify'));
runVerifySuite(nestTarget('express'));
runVerifySuite(nestTarget('fastify'));
runRelaySuite(nestTarget('express'));
runRelaySuite(nestTarget('fastify'));
