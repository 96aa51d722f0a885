import { runBrowserSuite } from '@eid/conformance';
import { passportTarget } from './target.js';

runBrowserSuite(passportTarget);
