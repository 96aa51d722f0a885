export * from '@eid/core';
export { EidGuard } from './eid.guard.js';
export {
  EidModule,
  type EidModuleAsyncOptions,
  type EidModuleExtras,
  type EidModuleForRootOptions,
} from './eid.module.js';
export { EidIdentity } from './eid-identity.decorator.js';
export { EID_MODULE_OPTIONS, type EidModuleOptions } from './options.js';
export { applySessionChange, type HostSession, type SessionRequest } from './session.js';
