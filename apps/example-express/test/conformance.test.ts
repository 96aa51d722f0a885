import { runConformanceSuite, runRelaySuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
runRelaySuite(expressTarget);
