// @eid/core/adapter: what a framework adapter needs to turn its requests into engine requests and back.
export type {
  Eid,
  EidOutcome,
  EidRequest,
  EidResponse,
  EidSessionData,
  ProviderLogout,
  RouteDefinition,
  RouteName,
  SessionChange,
} from '../engine/contract.js';
export { prefersJson, ROUTES } from '../engine/contract.js';
export { bodyParseError } from '../request-body.js';
export {
  commitSessionChange,
  liveIdentity,
  loginSessionData,
  type SessionPort,
  sessionPortOf,
  writeAtRenewal,
} from '../session.js';
export { type AuthenticationStep, authenticationStep, type Refusal, refusal } from './authentication.js';
export {
  type FastifyRouteOptions,
  fastifyKeepRawBody,
  fastifyRouteBodies,
  fastifyWebhookPreCheck,
  keepRawBody,
  type Middleware,
  routeBodyParsers,
} from './bodies.js';
export {
  acceptsPage,
  type GuardDecision,
  type GuardLogin,
  type GuardOptions,
  type GuardRequest,
  guardDecision,
  guardLoginOption,
  startGuardLogin,
} from './guard-login.js';
export {
  fastifyFrameworkErrors,
  malformedParamResponse,
  malformedPathResponse,
  malformedTargetResponse,
  matchRoute,
  requestPath,
} from './match.js';
export { engineOption, optionsObject, refuseRenamedRoutes, refuseRoutesOption } from './options.js';
export { requestHeaders } from './request.js';
export {
  bodyErrorResponse,
  fastifyBodyErrorHandler,
  freshIdentity,
  type IdentityCheck,
  maxAgeOption,
  type NodeResponse,
  nodeResponseWriter,
  RESPONSE_HEADERS,
  type ResponseWriter,
  requireIdentity,
  UNAUTHENTICATED_BODY,
  unauthenticatedResponse,
  writeResponse,
} from './responses.js';
export {
  engineRequest,
  type FrameworkRequest,
  failureKind,
  type HttpInput,
  httpInput,
  requireSession,
  runRoute,
  type SessionHelp,
  sessionMissingMessage,
  webhookPreCheckResponse,
} from './run.js';
