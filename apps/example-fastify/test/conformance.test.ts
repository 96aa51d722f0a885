import { runConformanceSuite, runLogoutSticksSuite } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runLogoutSticksSuite(fastifyTarget);
