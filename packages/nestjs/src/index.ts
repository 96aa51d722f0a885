import { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec } from '@eid/core';

// What an app needs besides the module: the engine, its providers, its errors and the identity it gives.
export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/core';
export { createEid, EidError, isEidError, MemoryStore } from '@eid/core';
// The provider factories, through an import so that the list stays one line.
export { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec };
export { EID_GUARD_OPTIONS, EID_MODULE_OPTIONS, type SessionRequest } from './eid.controller.js';
export * from './eid.module.js';
