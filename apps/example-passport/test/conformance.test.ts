import { runConformanceSuite, runLogoutSticksSuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
runLogoutSticksSuite(passportTarget);
