import { runContractSuites } from '@eid/conformance';
import { nestTarget } from './target.js';

runContractSuites(nestTarget('express'));
runContractSuites(nestTarget('fastify'));
