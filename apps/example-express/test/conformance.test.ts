import { runConformanceSuite, runSmallerRulesSuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
runSmallerRulesSuite(expressTarget);
