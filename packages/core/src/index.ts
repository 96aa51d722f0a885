export { requestHeaders } from './adapter/request.js';
export {
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
  type SessionChange,
} from './engine/contract.js';
export { createEid } from './engine/index.js';
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
  BANKID_NO_ESIGN_SCOPES,
  BANKID_NO_ISSUERS,
  BANKID_NO_METHODS,
  type BankIdNorwayEsignScope,
  type BankIdNorwayMethodId,
  type BankIdNorwayOptions,
  type BankIdNorwayProvider,
  bankIdNorway,
} from './providers/bankid-no/index.js';
export {
  IDPORTEN_ISSUERS,
  IDPORTEN_METHODS,
  type IdportenAcr,
  type IdportenOptions,
  idporten,
} from './providers/idporten/index.js';
export {
  linkMobilityNext,
  type MapAuthenticationContext as NextMapContext,
  mapAuthentication as mapNextAuthentication,
  NEXT_DEFAULT_BASE_URL,
  NEXT_METHODS,
  type NextAuthentication,
  type NextMethodId,
  type NextOptions,
  next,
  toIdentity as nextToIdentity,
} from './providers/next/index.js';
export type { OidcClaims, TokenEndpointAuthMethod } from './providers/oidc/index.js';
export {
  mapSessionStatus as mapSignicatSessionStatus,
  SIGNICAT_METHODS,
  type SignicatMethodId,
  type SignicatOptions,
  type SignicatSession,
  signicat,
  toIdentity as signicatToIdentity,
} from './providers/signicat/index.js';
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
export {
  mapResult as mapZignSecResult,
  toIdentity as zignsecToIdentity,
  ZIGNSEC_METHODS,
  type ZignSecError,
  type ZignSecIdentity,
  type ZignSecMethodId,
  type ZignSecOptions,
  type ZignSecResult,
  zignsec,
} from './providers/zignsec/index.js';
export { bodyParseError } from './request-body.js';
export { sanitizeReturnTo } from './return-to.js';
export { commitSessionChange, type SessionPort, sessionPortOf } from './session.js';
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
