import { runConformanceSuite, runLogoutSticksSuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
runLogoutSticksSuite(expressTarget);
