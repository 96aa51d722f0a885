import type { Route } from '../context.js';
import { prefersJson } from '../contract.js';
import { providerLogoutUrl } from '../provider-logout.js';

/**
 * Forgets the eID login: 204 for API calls, a 303 to `logoutRedirect` for a form post from a page. After a login
 * through a provider with `logoutAtProvider`, the person's session at the provider is ended too (ID-porten's
 * single logout, https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso): the page gets a 303 to the provider's
 * end_session_endpoint (which sends it back to `logoutRedirect`), an API call `200 { loggedOut, logoutUrl }`
 * to send the browser there itself. Either way the session is cleared here first (the adapter commits the
 * change before answering).
 */
export const logout: Route = async (ctx, request) => {
  const form = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(
    request.headers?.contentType ?? '',
  );
  const page = form && !prefersJson(request.headers?.accept);
  const logoutUrl = await providerLogoutUrl(ctx, request);
  if (logoutUrl) {
    return {
      session: { kind: 'logout' },
      response: page
        ? { type: 'redirect', status: 303, location: logoutUrl }
        : { type: 'json', status: 200, body: { loggedOut: true, logoutUrl } },
    };
  }
  return {
    session: { kind: 'logout' },
    response: page
      ? { type: 'redirect', status: 303, location: ctx.config.logoutRedirect }
      : { type: 'empty', status: 204 },
  };
};
