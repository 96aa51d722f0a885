// @eid/core/provider-kit: what a provider author needs to speak to a broker the way the built-in providers do.
export { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../identity.js';
export type { Logger } from '../logger.js';
export type {
  CompleteContext,
  CompleteResult,
  EndSessionContext,
  EndSessionHint,
  FinishingClient,
  MethodCountry,
  MethodPurpose,
  Provider,
  ProviderMethod,
  ProviderRuntime,
  SignatureEvidence,
  SignContentType,
  SignContext,
  SignDocument,
  SigningCapability,
  StartContext,
  StartResult,
  WebhookNotice,
  WebhookRequest,
} from '../providers/types.js';
export { type AccessToken, TokenCache, type TokenCacheOptions } from '../token-cache.js';
export {
  createTransport,
  type HttpResponse,
  type HttpTimeouts,
  type Transport,
  type TransportOptions,
  type TransportRequest,
} from '../transport.js';
export { verifyWebhookToken, webhookToken } from '../webhook.js';
export {
  applyProfile,
  defineProvider,
  type ProfileHook,
  type ProviderDefinition,
  type SourcedCompletion,
  type StartRequestBuilder,
} from './define.js';
export { statedNationalId } from './identity.js';
export { methodFinder, projectMethods } from './methods.js';
export {
  absoluteUrl,
  configError,
  enabledMethods,
  issuerUrl,
  oneOf,
  requireOptions,
  requireString,
} from './options.js';
export {
  type ProviderName,
  type RestClient,
  type RestClientOptions,
  type RestRequest,
  restClient,
  type UpstreamMessages,
  upstreamError,
} from './rest.js';
export { type StatusCase, type StatusMapper, statusMapper, userCancelled } from './status.js';
export { isHttpUrl, isoDate, isRecord, loaOf, nonEmpty, parseDate, stringOr, UI_LOCALES } from './values.js';
