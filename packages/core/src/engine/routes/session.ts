import { EidError } from '../../errors.js';
import type { Route } from '../context.js';
import { sessionIdentity } from '../logins.js';

const NOBODY = 'Nobody is logged in with an eID in this session.';

/**
 * Who is logged in with an eID in this session. A login that was logged out (from a copy of this session) does
 * not count: the answer is 401, and this session is logged out too.
 */
export const session: Route = async (ctx, request) => {
  if (!request.session?.identity) throw new EidError('unauthenticated', NOBODY);
  const identity = await sessionIdentity(ctx, request.session);
  if (!identity) {
    const error = new EidError('unauthenticated', NOBODY);
    return {
      error,
      session: { kind: 'logout' },
      response: { type: 'json', status: 401, body: error.toJSON() },
    };
  }
  return { response: { type: 'json', status: 200, body: { identity } } };
};
