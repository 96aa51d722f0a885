import { runConformanceSuite, runVerifySuite } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runVerifySuite(fastifyTarget);
