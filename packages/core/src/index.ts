export {
  createEid,
  type Eid,
  type EidMethodInfo,
  type EidOptions,
  type EidOutcome,
  type EidRequest,
  type EidResponse,
  type EidSessionData,
  prefersJson,
  ROUTES,
  type RouteDefinition,
  type RouteName,
  requestHeaders,
  type SessionChange,
} from './engine.js';
export {
  EID_ERROR_CODES,
  EidError,
  type EidErrorCode,
  type EidErrorOptions,
  httpStatusOf,
  isEidError,
} from './errors.js';
export {
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  type HttpTimeouts,
} from './http.js';
export {
  compactIdentity,
  type Identity,
  type LevelOfAssurance,
  nationalIdFromProvider,
  type ProviderIdentity,
} from './identity.js';
export { type Logger, redact, redactingLogger, silentLogger } from './logger.js';
export {
  dateOfBirthOf,
  isValidNationalId,
  maskNationalId,
  type NationalId,
  NIN_COUNTRIES,
  type NinCountry,
  type NinType,
  parseNationalId,
} from './nin/index.js';
export {
  mapSessionStatus as mapSignicatSessionStatus,
  SIGNICAT_METHODS,
  type SignicatMethodId,
  type SignicatOptions,
  type SignicatSession,
  signicat,
  toIdentity as signicatToIdentity,
} from './providers/signicat.js';
export type {
  CompleteContext,
  CompleteResult,
  MethodCountry,
  Provider,
  ProviderMethod,
  StartContext,
  StartResult,
  WebhookNotice,
  WebhookRequest,
} from './providers/types.js';
export { sanitizeReturnTo } from './return-to.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory.js';
export type { TransactionStore } from './store/types.js';
export { type AccessToken, TokenCache, type TokenCacheOptions } from './token-cache.js';
export {
  type Flow,
  hashBinding,
  randomToken,
  TERMINAL_STATUSES,
  type Transaction,
  type TransactionStatus,
} from './transaction.js';
export { verifyWebhookToken, webhookToken } from './webhook.js';
