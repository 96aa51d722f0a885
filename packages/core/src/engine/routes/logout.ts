import type { Route } from '../context.js';
import { type EidSessionData, prefersJson, type SessionChange } from '../contract.js';
import { recordLogout, standingIdentity } from '../logins.js';
import { providerLogoutUrl } from '../provider-logout.js';
import { endUserIp } from '../request-input.js';

/** True when the browser has nothing of the engine's in its session: a logout then creates no session. */
const nothingToEnd = (session: EidSessionData | undefined) =>
  !session?.identity && !session?.binding && !session?.providerLogout;

/**
 * Forgets the eID login: 204 for API calls, a 303 to `logoutRedirect` for a form post from a page. After a login
 * through a provider with `logoutAtProvider`, the person's session at the provider is ended too (ID-porten's
 * single logout, https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso): the page gets a 303 to the provider's
 * end_session_endpoint (which sends it back to `logoutRedirect`), an API call `200 { loggedOut, logoutUrl }`
 * to send the browser there itself. Either way the session is cleared here first (the adapter commits the
 * change before answering), and the logout of the login is recorded in the store, so a copy of the session (a
 * sealed cookie, or a server session saved back by a request that was still running) is not logged in either.
 * A browser without an eID session gets the same answer, and no session is created for it.
 */
export const logout: Route = async (ctx, request) => {
  const form = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(
    request.headers?.contentType ?? '',
  );
  const page = form && !prefersJson(request.headers?.accept);
  // Only a login that still stands is logged out (not a copy of a session logged out before).
  const identity = ctx.config.events ? await standingIdentity(ctx, request.session) : undefined;
  await recordLogout(ctx, request.session);
  if (identity) {
    const clientIp = endUserIp(request.clientIp);
    await ctx.emit({
      type: 'logout',
      transactionId: identity.transactionId,
      provider: identity.provider,
      method: identity.method,
      person: identity,
      ...(clientIp ? { clientIp } : {}),
    });
  }
  const session: SessionChange | undefined = nothingToEnd(request.session) ? undefined : { kind: 'logout' };
  const logoutUrl = await providerLogoutUrl(ctx, request);
  if (logoutUrl) {
    return {
      ...(session ? { session } : {}),
      response: page
        ? { type: 'redirect', status: 303, location: logoutUrl }
        : { type: 'json', status: 200, body: { loggedOut: true, logoutUrl } },
    };
  }
  return {
    ...(session ? { session } : {}),
    response: page
      ? { type: 'redirect', status: 303, location: ctx.config.logoutRedirect }
      : { type: 'empty', status: 204 },
  };
};
