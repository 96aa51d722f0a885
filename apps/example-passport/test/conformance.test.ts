import { runConformanceSuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runConformanceSuite(passportTarget);
