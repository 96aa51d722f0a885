import { runConformanceSuite, runVerifySuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
runVerifySuite(expressTarget);
