// @eid/core/provider-kit: what a provider author needs to speak to a broker the way the built-in providers do.
export type {
  CompleteContext,
  CompleteResult,
  MethodCountry,
  Provider,
  ProviderMethod,
  ProviderRuntime,
  StartContext,
  StartResult,
  WebhookNotice,
  WebhookRequest,
} from '../providers/types.js';
export { type AccessToken, TokenCache, type TokenCacheOptions } from '../token-cache.js';
export {
  createTransport,
  type Transport,
  type TransportOptions,
  type TransportRequest,
} from '../transport.js';
