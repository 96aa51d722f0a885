import { runBrowserSuite } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runBrowserSuite(fastifyTarget);
