import { runConformanceSuite, runSmallerRulesSuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runSmallerRulesSuite(nestTarget('express'));
runSmallerRulesSuite(nestTarget('fastify'));
