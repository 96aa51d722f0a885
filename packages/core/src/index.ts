// @eid/core: what an app needs to log users in with a national eID. Adapter authors import
// `@eid/core/adapter`, provider authors `@eid/core/provider-kit`.
export type {
  Eid,
  EidHealth,
  EidMethodInfo,
  EidOptions,
  EidSessionData,
  LoginContext,
  LoginDecision,
  LoginRefusal,
  ProviderLogout,
  PushLimitOptions,
  RouteName,
  RouteOptions,
  SignableDocument,
  SignDocumentContext,
  SigningOptions,
  SignResult,
  VerifiedEvent,
  VerifyAuthorization,
} from './engine/contract.js';
export {
  EID_EVENT_TYPES,
  type EidEvent,
  type EidEventFields,
  type EidEventsOptions,
  type EidEventType,
  EVENT_FIELDS,
} from './engine/events.js';
export { createEid } from './engine/index.js';
export {
  EID_ERROR_CODES,
  EidError,
  type EidErrorCode,
  type EidErrorOptions,
  isEidError,
} from './errors.js';
export type { Identity, LevelOfAssurance } from './identity.js';
export type { Logger } from './logger.js';
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
  type BankIdNorwayEsignScope,
  type BankIdNorwayMethodId,
  type BankIdNorwayOptions,
  type BankIdNorwayProvider,
  bankIdNorway,
} from './providers/bankid-no/index.js';
export {
  IDPORTEN_ISSUERS,
  type IdportenAcr,
  type IdportenOptions,
  idporten,
} from './providers/idporten/index.js';
export {
  linkMobilityNext,
  NEXT_DEFAULT_BASE_URL,
  type NextAuthentication,
  type NextMethodId,
  type NextOptions,
  next,
} from './providers/next/index.js';
export type { LogoutAtProvider, OidcClaims, TokenEndpointAuthMethod } from './providers/oidc/index.js';
export {
  type SignicatMethodId,
  type SignicatOptions,
  type SignicatSession,
  signicat,
} from './providers/signicat/index.js';
export type {
  MethodCountry,
  MethodPurpose,
  Provider,
  ProviderMethod,
  SignContentType,
  SigningCapability,
} from './providers/types.js';
export {
  type ZignSecIdentity,
  type ZignSecMethodId,
  type ZignSecOptions,
  type ZignSecResult,
  zignsec,
} from './providers/zignsec/index.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory.js';
export type { CreateLimits, CreateResult, TransactionStore, WindowCount } from './store/types.js';
export type {
  Flow,
  SigningRequest,
  Transaction,
  TransactionKind,
  TransactionStatus,
} from './transaction.js';
export type {
  BreakerState,
  HttpBreakerOptions,
  HttpRetryOptions,
  HttpTimeouts,
} from './transport.js';
