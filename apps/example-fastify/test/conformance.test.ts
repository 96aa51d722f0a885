import { runConformanceSuite, runSmallerRulesSuite } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runSmallerRulesSuite(fastifyTarget);
