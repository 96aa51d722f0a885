import { runContractSuites } from '@eid/conformance';
import { passportTarget } from './target.js';

runContractSuites(passportTarget);
