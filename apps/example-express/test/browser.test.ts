import { runBrowserSuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runBrowserSuite(expressTarget);
