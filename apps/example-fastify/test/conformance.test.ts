import { runConformanceSuite, runRelaySuite } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runConformanceSuite(fastifyTarget);
runRelaySuite(fastifyTarget);
