import { runConformanceSuite, runRelaySuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runRelaySuite(nestTarget('express'));
runRelaySuite(nestTarget('fastify'));
