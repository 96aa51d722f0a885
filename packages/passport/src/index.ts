// Brings express-session's `req.session` into the program; the rest is what an app needs besides the strategy.
import type {} from 'express-session';

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
