import type { Route } from '../context.js';
import { prefersJson } from '../contract.js';

/** Forgets the eID login: 204 for API calls, a 303 to `logoutRedirect` for a form post from a page. */
export const logout: Route = async (ctx, request) => {
  const form = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(
    request.headers?.contentType ?? '',
  );
  return {
    session: { kind: 'logout' },
    response:
      form && !prefersJson(request.headers?.accept)
        ? { type: 'redirect', status: 303, location: ctx.config.logoutRedirect }
        : { type: 'empty', status: 204 },
  };
};
