import { runConformanceSuite, runSmallerRulesSuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runSmallerRulesSuite(passportTarget);
