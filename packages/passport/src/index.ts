// What an app needs besides the strategy, through @eid/express (which also types `req.session.eid`).
export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/express';
export {
  bankIdNorway,
  createEid,
  EidError,
  eidIdentity,
  idporten,
  isEidError,
  MemoryStore,
  next,
  signicat,
  zignsec,
} from '@eid/express';
export * from './eid-passport.js';
