// What an app needs besides the module: the engine, its providers, its errors and the identity it gives.
export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/core';
export {
  bankIdNorway,
  createEid,
  EidError,
  idporten,
  isEidError,
  MemoryStore,
  next,
  signicat,
  zignsec,
} from '@eid/core';
export { EID_MODULE_OPTIONS, type SessionRequest } from './eid.controller.js';
export * from './eid.module.js';
