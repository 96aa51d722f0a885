/**
 * Logout at the provider (OpenID Connect RP-Initiated Logout 1.0, as ID-porten asks of its clients:
 * https://docs.digdir.no/docs/idporten/oidc/oidc_func_sso, "Single Logout (SLO)"): a login through a provider
 * with `logoutAtProvider` keeps the provider's end-session hint (the ID token) in the session beside the
 * identity; the logout route turns it into the provider's end-session URL. The hint is never logged.
 */
import { isEidError } from '../errors.js';
import { randomToken } from '../transaction.js';
import type { EngineContext } from './context.js';
import type { EidRequest, ProviderLogout, SessionChange } from './contract.js';
import type { Settled } from './transactions/decide.js';

/**
 * The session change of a login: the identity, a fresh binding secret for the new session (a start there then
 * writes nothing), and the provider's end-session hint when it gave one.
 */
export function loginChange(settled: Extract<Settled, { state: 'identified' }>): SessionChange {
  const { identity, providerLogout } = settled;
  return { kind: 'login', identity, binding: randomToken(), ...(providerLogout ? { providerLogout } : {}) };
}

/** The session's end-session hint, when it is one the engine wrote (the session store is not trusted for shape). */
function hintOf(request: EidRequest): ProviderLogout | undefined {
  const hint = request.session?.providerLogout as Partial<ProviderLogout> | undefined;
  if (!hint || typeof hint.provider !== 'string' || typeof hint.idTokenHint !== 'string') return undefined;
  if (hint.idTokenHint === '') return undefined;
  return { provider: hint.provider, idTokenHint: hint.idTokenHint };
}

/**
 * Where to send the browser to end the login at its provider too, or undefined for a logout here only: no
 * hint in the session (logout at the provider off, another provider, nobody logged in), a provider that no
 * longer offers it, no end_session_endpoint, or the provider failing. The session is cleared either way.
 */
export async function providerLogoutUrl(
  ctx: EngineContext,
  request: EidRequest,
): Promise<string | undefined> {
  const hint = hintOf(request);
  if (!hint) return undefined;
  const provider = ctx.providers.get(hint.provider);
  if (!provider?.endSessionUrl) {
    ctx.logger.warn(
      { provider: hint.provider },
      'the login came with an end-session hint, but its provider no longer offers logout at the provider: logged out of this app only',
    );
    return undefined;
  }
  // `logoutRedirect` is a path on this site: absolute against baseUrl's origin, as a browser resolves the 303.
  const postLogoutRedirectUri = new URL(ctx.config.logoutRedirect, `${ctx.config.baseUrl}/`).toString();
  try {
    return await provider.endSessionUrl(
      { idTokenHint: hint.idTokenHint },
      { postLogoutRedirectUri, state: randomToken(16) },
    );
  } catch (error) {
    ctx.logger.warn(
      {
        provider: provider.id,
        code: isEidError(error) ? error.code : undefined,
        cause: error instanceof Error ? error.name : typeof error,
      },
      `${provider.name}'s end-session URL could not be built: logged out of this app only`,
    );
    return undefined;
  }
}
