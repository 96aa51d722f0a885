import { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec } from '@eid/express';
// Brings express-session's `req.session` into the program; the rest is what an app needs besides the strategy.
import type {} from 'express-session';

export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/express';
export {
  createEid,
  EidError,
  eidIdentity,
  isEidError,
  MemoryStore,
  type RequireEidOptions,
  requireEid,
} from '@eid/express';
// The provider factories, through an import so that the list stays one line.
export { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec };
export * from './eid-passport.js';
