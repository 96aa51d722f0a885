import { runConformanceSuite } from '@eid/conformance';
import { expressTarget } from './target.js';

runConformanceSuite(expressTarget);
