import { runConformanceSuite, runVerifySuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runVerifySuite(passportTarget);
