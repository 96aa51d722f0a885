import {
  commitSessionChange,
  type EidSessionData,
  type SessionChange,
  type SessionPort,
  sessionPortOf,
} from '@eid/core';

/**
 * What the guard and the decorator read of a session: `eid` is a property of express-session's and
 * @fastify/session's sessions, and of @fastify/secure-session's (through its Proxy).
 */
export interface HostSession {
  eid?: EidSessionData;
}

/** A request of either platform, as far as its session goes. */
export interface SessionRequest {
  session?: HostSession;
}

const SESSION_MISSING =
  '@eid/nestjs needs a session that can regenerate its id: register express-session (app.use(session({ ... }))) ' +
  'on the Express platform, or @fastify/cookie and @fastify/session, or @fastify/secure-session ' +
  '(app.register(...)) on the Fastify platform, before app.listen() (cookie-session cannot regenerate).';

/**
 * The port to the request's session: express-session, @fastify/session or @fastify/secure-session. Checked
 * before the engine runs, so a session that cannot be renewed fails the request before anything is consumed.
 */
export function requireSession(request: SessionRequest): SessionPort {
  const port = sessionPortOf(request);
  if (!port) throw new Error(SESSION_MISSING);
  return port;
}

/** Writes the engine's session change; at login and logout the session is renewed first (no fixation). */
export function applySessionChange(request: SessionRequest, change: SessionChange): Promise<void> {
  return commitSessionChange(change, requireSession(request));
}
