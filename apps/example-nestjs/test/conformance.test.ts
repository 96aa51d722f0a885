import { runConformanceSuite, runSmallerRulesSuite, runVerifySuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runSmallerRulesSuite(nestTarget('express'));
runSmallerRulesSuite(nestTarget('fastify'));
runVerifySuite(nestTarget('express'));
runVerifySuite(nestTarget('fastify'));
