export * from '@eid/core';
// `eidIdentity(req)` reads `req.session.eid`; importing @eid/express also types that field of express-session.
export { eidIdentity } from '@eid/express';
export { type EidPassportRouterOptions, eidPassportRouter } from './router.js';
export {
  type AuthenticatingRoute,
  type EidAuthenticateOptions,
  type EidFailure,
  EidStrategy,
  type EidStrategyOptions,
  type EidStrategyOptionsWithRequest,
  type EidSuccessInfo,
  type EidVerify,
  type EidVerifyCallback,
  type EidVerifyWithRequest,
  eidErrorHandler,
} from './strategy.js';
