import { runConformanceSuite, runVerifySuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runVerifySuite(nestTarget('express'));
runVerifySuite(nestTarget('fastify'));
