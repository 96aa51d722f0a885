import type { Eid, EidOutcome, EidResponse, ProviderLogout } from '../engine/contract.js';
import { EidError, type EidErrorCode } from '../errors.js';
import type { Identity } from '../identity.js';
import { failureKind } from './run.js';

/** Why nobody was logged in, with the contract's answer: what Passport's `fail()` carries. */
export interface Refusal {
  code: EidErrorCode;
  message: string;
  response: EidResponse;
}

/**
 * What an authentication framework (Passport) does with an outcome: log the identity in, send the answer as is,
 * refuse (`fail()`), or report trouble (`error()`, answered later with `response`).
 */
export type AuthenticationStep =
  | {
      step: 'login';
      identity: Identity;
      /** The logged-in session's own binding secret, to keep in `session.eid` beside the identity. */
      binding: string;
      /** The provider's end-session hint, to keep in `session.eid` beside the identity. */
      providerLogout?: ProviderLogout;
      returnTo: string;
      response: EidResponse;
    }
  | { step: 'answer'; response: EidResponse }
  | { step: 'refuse'; refusal: Refusal }
  | { step: 'error'; error: EidError; response: EidResponse };

/** The contract's answer, with the app's failure page (for routes that answer with a page) instead of the engine's. */
function failureResponse(eid: Eid, error: EidError, response: EidResponse, failureRedirect?: string) {
  if (response.type !== 'redirect' || !failureRedirect) return response;
  return eid.errorResponse(error, { page: true, failureRedirect });
}

/** The step for an engine outcome; `failureRedirect` replaces the engine's failure page. */
export function authenticationStep(
  eid: Eid,
  outcome: EidOutcome,
  failureRedirect?: string,
): AuthenticationStep {
  const { session, error, response } = outcome;
  if (session?.kind === 'login') {
    const body = (response as { body?: { returnTo?: string } }).body;
    const returnTo = response.type === 'redirect' ? response.location : (body?.returnTo ?? '/');
    const { identity, binding, providerLogout } = session;
    return {
      step: 'login',
      identity,
      binding,
      ...(providerLogout ? { providerLogout } : {}),
      returnTo,
      response,
    };
  }
  if (!error) return { step: 'answer', response };
  const failure = failureResponse(eid, error, response, failureRedirect);
  const kind = failureKind(error);
  if (kind === 'infrastructure') return { step: 'error', error, response: failure };
  if (kind === 'refusal') return { step: 'refuse', refusal: { ...error.toJSON().error, response: failure } };
  return { step: 'answer', response: failure };
}

const REFUSED = 'This app does not accept this eID login.';

/** The app refused the identity (a verify callback said no): `unauthenticated`, answered as the login would be. */
export function refusal(eid: Eid, login: EidResponse, failureRedirect?: string, message?: unknown): Refusal {
  const error = new EidError('unauthenticated', REFUSED);
  const page = login.type === 'redirect';
  const response = eid.errorResponse(error, {
    page,
    ...(page && failureRedirect ? { failureRedirect } : {}),
  });
  return { code: error.code, message: typeof message === 'string' ? message : REFUSED, response };
}
