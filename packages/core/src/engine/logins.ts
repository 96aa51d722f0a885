/**
 * Logins that end for every copy of their session. A logout renews the browser's session, but a copy of the
 * logged-in session may live on: a sealed cookie (@fastify/secure-session) has no server state to destroy, and a
 * server-side session can be saved back under its old id by a request still running when the logout happened. So
 * the logout is also recorded in the store, by the login's transaction id (`identity.transactionId`), for as long
 * as any session of the app can live (`sessionMaxAgeSeconds`), and every check of a session's login asks it.
 */
import type { Identity } from '../identity.js';
import { isTransactionId } from '../transaction.js';
import type { EngineContext } from './context.js';
import type { EidSessionData } from './contract.js';

/** The login's transaction id, when the session holds an identity the engine wrote. */
function loginId(session: EidSessionData | undefined): string | undefined {
  const id = session?.identity?.transactionId;
  return isTransactionId(id) ? id : undefined;
}

/** Records the logout of the session's login, so that no copy of the session is logged in after it. */
export async function recordLogout(ctx: EngineContext, session: EidSessionData | undefined): Promise<void> {
  const id = loginId(session);
  if (id) await ctx.store.recordLogout(id, ctx.now() + ctx.config.sessionMaxAgeMs);
}

/** The session's identity while its login stands, without a word in the log (see `sessionIdentity`). */
export async function standingIdentity(
  ctx: EngineContext,
  session: EidSessionData | undefined,
): Promise<Identity | undefined> {
  const id = loginId(session);
  return session?.identity && id && !(await ctx.store.isLoggedOut(id)) ? session.identity : undefined;
}

/**
 * The session's identity while its login stands: undefined without one, or after a logout of that login (from
 * any copy of the session). An identity without a transaction id the engine could have given does not count.
 */
export async function sessionIdentity(
  ctx: EngineContext,
  session: EidSessionData | undefined,
): Promise<Identity | undefined> {
  const identity = session?.identity;
  if (!identity) return undefined;
  const id = loginId(session);
  if (id && !(await ctx.store.isLoggedOut(id))) return identity;
  ctx.logger.warn(
    { transactionId: id },
    id
      ? 'a session whose login was logged out came back (a copy of the session cookie): it counts as logged out'
      : 'a session holds an identity without a transaction id: it counts as logged out',
  );
  return undefined;
}
