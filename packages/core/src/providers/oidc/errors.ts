import { EidError, isEidError, safeUpstreamCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { retryAfterSeconds } from '../../transport.js';

/** What was being done when openid-client failed, for messages and logs. */
export type OidcStep =
  | 'discovery'
  | 'authorization request'
  | 'login'
  | 'token request'
  | 'userinfo request'
  | 'access token request';

/** An EidError thrown by the transport, possibly wrapped by openid-client. */
function findEidError(error: unknown): EidError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (isEidError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

interface Failure {
  name?: unknown;
  code?: unknown;
  error?: unknown;
  status?: unknown;
  cause?: unknown;
}

function statusOf(failure: Failure): number | undefined {
  if (typeof failure.status === 'number') return failure.status;
  return failure.cause instanceof Response ? failure.cause.status : undefined;
}

/**
 * One EidError for everything openid-client can throw. Logged with the error's name, code and status only:
 * causes can hold response bodies with personal data.
 */
export function oidcError(
  error: unknown,
  provider: { id: string; name: string },
  step: OidcStep,
  logger: Logger,
): EidError {
  const found = findEidError(error);
  if (found) return found;
  const { name } = provider;
  const failure = error as Failure;
  const oauthError = safeUpstreamCode(failure.error);
  const code = safeUpstreamCode(failure.code);
  const status = statusOf(failure);
  // A person cancelling is no fault of anyone's.
  logger[oauthError === 'access_denied' ? 'info' : 'warn'](
    {
      provider: provider.id,
      step,
      error: typeof failure.name === 'string' ? failure.name : 'Error',
      code,
      oauthError,
      status,
    },
    `${name} ${step} failed`,
  );
  if (code === 'OAUTH_JWT_USERINFO_EXPECTED') {
    // The client's registration asks for signed userinfo (BankID's userinfo pages: a signed JWT); a plain
    // JSON answer means the registration at the provider says otherwise.
    return new EidError(
      'provider_error',
      `${name} answered userinfo as plain JSON, but this client expects it signed (userinfo_signed_response_alg RS256). Ask ${name} to register the client with signed userinfo (RS256).`,
    );
  }
  if (failure.name === 'AuthorizationResponseError') {
    if (oauthError === 'access_denied') return new EidError('user_cancelled', 'The login was cancelled.');
    if (oauthError === 'temporarily_unavailable') {
      return new EidError('provider_unavailable', `${name} is unavailable. Try again in a moment.`);
    }
    return new EidError(
      'provider_error',
      `${name} ended the login with an error (${oauthError ?? 'unknown'}).`,
    );
  }
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
    return new EidError('provider_unavailable', `${name} did not answer in time. Try again in a moment.`);
  }
  // The provider's `Retry-After` (429, 503), passed on to the app's client.
  const after =
    failure.cause instanceof Response
      ? retryAfterSeconds(failure.cause.headers.get('retry-after'))
      : undefined;
  const retry = after === undefined ? {} : { retryAfterSeconds: after };
  if (status === 429)
    return new EidError('rate_limited', `${name} is limiting requests. Try again shortly.`, retry);
  if (status !== undefined && status >= 500) {
    return new EidError(
      'provider_unavailable',
      `${name} is unavailable (HTTP ${status}). Try again in a moment.`,
      status === 503 ? retry : {},
    );
  }
  if (oauthError === 'invalid_client' || (status === 401 && step !== 'userinfo request')) {
    return new EidError(
      'provider_error',
      `${name} rejected the client credentials. Check clientId, clientSecret or privateKey, and the client authentication method.`,
    );
  }
  if (failure.name === 'ResponseBodyError' || failure.name === 'WWWAuthenticateChallengeError') {
    return new EidError('provider_error', `${name} refused the ${step} (${oauthError ?? `HTTP ${status}`}).`);
  }
  // State, issuer, nonce, signature, expiry, subject or shape checks that did not pass.
  return new EidError(
    'provider_error',
    `${name}'s answer to the ${step} did not pass verification${code ? ` (${code})` : ''}.`,
  );
}

/** Why a callback is not an answer from the OpenID Provider (`forgedCallback`). */
export type Forgery =
  /** `state` is missing or names another login. */
  | 'state'
  /** `iss` (RFC 9207) is missing where the provider sends it, or names another issuer. */
  | 'iss'
  /** Neither `code` nor `error`. */
  | 'no answer'
  /** The token endpoint refused the code (`invalid_grant`): made up, spent, or issued for another login. */
  | 'code refused';

const forgeries = new WeakSet<EidError>();

/**
 * A callback the provider did not send, or whose code it does not honour. It ends nothing: the login stays
 * open for the genuine answer (or its expiry), and the browser is told the callback was not valid.
 */
export function forgedCallback(provider: { name: string }, reason: Forgery): EidError {
  const error = new EidError(
    'invalid_request',
    `This callback is not a valid answer from ${provider.name} (${reason}). The login is still open: finish it at ${provider.name}, or start again.`,
  );
  forgeries.add(error);
  return error;
}

export function isForgedCallback(error: unknown): boolean {
  return error instanceof EidError && forgeries.has(error);
}

/**
 * Checks a callback's query before anything is redeemed: the `state` of this login, the provider's `iss` where
 * its discovery document says it sends one (`authorization_response_iss_parameter_supported`, RFC 9207 section
 * 2.4), and a `code` or an `error`. An `error` that passes is the provider's answer (the person cancelled):
 * without a signed response (JARM) nothing more can be known of it, and `iss` is public, so the 256 random
 * bits of `state` are what a forger lacks.
 */
export function callbackForgery(
  query: Record<string, string>,
  expected: { state: string; issuer: string; issRequired: boolean },
): Forgery | undefined {
  if (query.state !== expected.state) return 'state';
  const iss = query.iss;
  if (iss === undefined ? expected.issRequired : iss !== expected.issuer) return 'iss';
  if (!query.code && !query.error) return 'no answer';
  return undefined;
}
