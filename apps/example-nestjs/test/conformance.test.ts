import { runConformanceSuite, runLogoutSticksSuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runConformanceSuite(nestTarget('express'));
runConformanceSuite(nestTarget('fastify'));
runLogoutSticksSuite(nestTarget('express'));
runLogoutSticksSuite(nestTarget('fastify'));
