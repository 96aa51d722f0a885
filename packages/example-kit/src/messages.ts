import type { EidErrorCode } from '@eid/core';

/** A friendly sentence for each error code of the HTTP contract (docs/http-contract.md §6), for people, not developers. */
export const ERROR_MESSAGES: Readonly<Record<Exclude<EidErrorCode, 'invalid_config'>, string>> = {
  invalid_request: 'Something was wrong with the login request. Please try again.',
  unknown_provider: 'That eID provider is not available here.',
  unknown_method: 'That login method is not available here.',
  invalid_nin: 'That national identity number is not valid. Check the digits and try again.',
  invalid_return_to: 'The login was asked to return to another site, so it was stopped.',
  transaction_not_found:
    'We could not find your login in progress. Please start again, and make sure this site may use cookies.',
  transaction_expired: 'The login took too long and has expired. Please start again.',
  already_used: 'This login has already been used. Start a new one to log in again.',
  browser_mismatch:
    'This login was finished in another browser or on another device than the one that started it, so it was stopped. If someone sent you a login link, do not use it. Otherwise, start again here.',
  user_cancelled: 'The login was cancelled.',
  provider_error: 'The eID service reported an error. Please try again.',
  provider_unavailable: 'The eID service is not answering right now. Please try again in a moment.',
  rate_limited: 'There are too many login attempts right now. Please wait a moment and try again.',
  unauthenticated: 'Please log in to see that page.',
  forbidden: 'Only logged-in operators may do that. Log in on the home page first.',
  access_denied: 'This shop did not accept your login.',
  document_not_found: 'There is no such document for you to sign.',
  signer_mismatch: 'Someone other than you signed, so the signature was not accepted. Sign it yourself.',
};

const FALLBACK = 'The login did not work. Please try again.';

/** The sentence for `code`; anything unknown (the query string is user input) gets a general one. */
export function errorMessage(code: string): string {
  return Object.hasOwn(ERROR_MESSAGES, code) ? ERROR_MESSAGES[code as keyof typeof ERROR_MESSAGES] : FALLBACK;
}
