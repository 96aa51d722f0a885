import { runContractSuites } from '@eid/conformance';
import { expressTarget } from './target.js';

runContractSuites(expressTarget);
