import { runBrowserSuite } from '@eid/conformance';
import { nestTarget } from './target.js';

runBrowserSuite(nestTarget('express'));
runBrowserSuite(nestTarget('fastify'));
