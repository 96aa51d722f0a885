import type { EidSessionData, SessionChange } from '@eid/core';

/**
 * What this module uses of a session object. express-session and @fastify/session both offer it:
 * `eid` is a plain property on both, and both take a callback in `regenerate` and `save`, which
 * lets one code path serve the Express and the Fastify platform.
 */
export interface HostSession {
  eid?: EidSessionData;
  regenerate(callback: (error?: unknown) => void): void;
  save(callback: (error?: unknown) => void): void;
}

/** A request of either platform, as far as its session goes. */
export interface SessionRequest {
  session?: HostSession;
}

const SESSION_MISSING =
  '@eid/nestjs needs a session: register express-session (app.use(session({ ... }))) on the Express platform, ' +
  'or @fastify/cookie and @fastify/session (app.register(...)) on the Fastify platform, before app.listen().';

export function requireSession(request: SessionRequest): HostSession {
  if (!request.session) throw new Error(SESSION_MISSING);
  return request.session;
}

/** Writes the engine's session change; at login the session id is regenerated first (no fixation). */
export async function applySessionChange(request: SessionRequest, change: SessionChange): Promise<void> {
  const session = requireSession(request);
  if (change.kind === 'bind') {
    session.eid = { ...session.eid, binding: change.binding };
  } else if (change.kind === 'login') {
    await promisify((done) => session.regenerate(done));
    // Both libraries put the new session on the request.
    const fresh = requireSession(request);
    fresh.eid = { identity: change.identity };
    await promisify((done) => fresh.save(done));
  } else {
    delete session.eid;
  }
}

function promisify(call: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((error) => (error ? reject(error) : resolve())));
}
