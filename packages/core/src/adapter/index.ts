// @eid/core/adapter: what a framework adapter needs to turn its requests into engine requests and back.
export type {
  Eid,
  EidOutcome,
  EidRequest,
  EidResponse,
  EidSessionData,
  RouteDefinition,
  RouteName,
  SessionChange,
} from '../engine/contract.js';
export { prefersJson } from '../engine/contract.js';
export { bodyParseError } from '../request-body.js';
export { commitSessionChange, type SessionPort, sessionPortOf } from '../session.js';
export { requestHeaders } from './request.js';
