import { EidError } from '../../errors.js';
import type { Route } from '../context.js';

/** Who is logged in with an eID in this session. */
export const session: Route = async (_ctx, request) => {
  if (!request.session?.identity) {
    throw new EidError('unauthenticated', 'Nobody is logged in with an eID in this session.');
  }
  return { response: { type: 'json', status: 200, body: { identity: request.session.identity } } };
};
