import { runContractSuites } from '@eid/conformance';
import { fastifyTarget } from './target.js';

runContractSuites(fastifyTarget);
