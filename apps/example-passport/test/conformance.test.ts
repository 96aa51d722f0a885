import { runConformanceSuite, runRelaySuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runRelaySuite(passportTarget);
