import { EidError, safeUpstreamCode } from '../../errors.js';
import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../../identity.js';
import { type Logger, silentLogger } from '../../logger.js';
import { dateOfBirthOf, type NinCountry } from '../../nin/index.js';
import {
  applyProfile,
  isoDate,
  isRecord,
  type ProfileHook,
  type SourcedCompletion,
  stringOr,
} from '../../provider-kit/index.js';
import type { Transaction } from '../../transaction.js';
import type { CompleteResult } from '../types.js';
import { AUTHENTICATIONS, type NextAuthentication, readWhat } from './wire.js';

export const CREDENTIALS =
  'NEXT rejected the credentials. Check username and password: they are your NEXT Portal login.';
export const FORBIDDEN =
  'NEXT refused access to this partner. Check that partnerId belongs to the NEXT Portal user.';

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.[\]$]{0,63}$/;

/** ASP.NET validation problems name the fields that failed: they say what to fix. */
function invalidFields(problem: unknown): string[] {
  const errors = isRecord(problem) ? problem.errors : undefined;
  if (!isRecord(errors)) return [];
  return Object.keys(errors)
    .filter((name) => FIELD_NAME.test(name))
    .slice(0, 5);
}

/**
 * NEXT runs on ASP.NET (azurewebsites.net): errors are RFC 7807 problem JSON, validation errors with an
 * `errors` object of field names.
 */
export function refineRefusal(status: number, problem: unknown, what: string): EidError {
  if (status === 404 && what === readWhat(AUTHENTICATIONS)) {
    return new EidError(
      'provider_error',
      `NEXT does not know this ${AUTHENTICATIONS.noun} (HTTP 404). Start again.`,
    );
  }
  const fields = invalidFields(problem);
  return new EidError(
    'provider_error',
    `NEXT answered HTTP ${status} to the ${what}${fields.length > 0 ? ` (invalid: ${fields.join(', ')})` : ''}.`,
  );
}

const CANCELLED = ['cancelled', 'canceled', 'aborted'];
const FAILED = ['failed', 'error', 'rejected'];
const PENDING = ['pending', 'created', 'started', 'inprogress'];

export interface MapAuthenticationContext {
  transaction: Pick<Transaction, 'id'>;
  /** The country of the method, for the personal number. */
  country: NinCountry;
  /** The number the create request asked NEXT to verify (`identity`), kept in the provider state. */
  requested?: string | undefined;
  /** The browser has come back: NEXT has finished, so a not-successful authentication has failed. */
  fromCallback?: boolean;
  logger?: Logger;
  profile?: ProfileHook<NextAuthentication> | undefined;
}

function failed(
  authentication: NextAuthentication,
  status: string | undefined,
  context: MapAuthenticationContext,
) {
  const error = authentication.error;
  const code = safeUpstreamCode(typeof error === 'object' && error !== null ? error.code : undefined);
  // The code only: NEXT's message is free text, which could name the person.
  (context.logger ?? silentLogger).warn(
    { provider: 'next', transactionId: context.transaction.id, status: authentication.status, code },
    'NEXT authentication did not succeed',
  );
  const known = status === undefined || FAILED.includes(status) || status === 'completed';
  const message = known
    ? `The eID provider reported an error${code ? ` (${code})` : ''}.`
    : 'NEXT reported an authentication status this library does not know.';
  return { status: 'failed', error: new EidError('provider_error', message) } as const;
}

/** Where an authentication stands, with the answer kept for the profile hook when it succeeded. */
export function completion(
  authentication: NextAuthentication,
  context: MapAuthenticationContext,
): CompleteResult | SourcedCompletion<NextAuthentication> {
  if (authentication.success === true) {
    const identity = toIdentity(authentication, context.country, context.logger, context.requested);
    return { status: 'complete', identity, source: authentication };
  }
  const status = typeof authentication.status === 'string' ? authentication.status.toLowerCase() : undefined;
  if (status !== undefined && CANCELLED.includes(status)) {
    return { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
  }
  if (status === 'expired') {
    return {
      status: 'failed',
      error: new EidError('transaction_expired', 'The login took too long and has expired. Start it again.'),
    };
  }
  if (status !== undefined && PENDING.includes(status)) return { status: 'pending' };
  if (status === undefined && !context.fromCallback) return { status: 'pending' };
  // FAILED, `Completed` without success, an unknown status, or no status once the browser is back.
  return failed(authentication, status, context);
}

export function mapAuthentication(
  authentication: NextAuthentication,
  context: MapAuthenticationContext,
): CompleteResult {
  return applyProfile(completion(authentication, context), context.profile);
}

export const NO_PERSON =
  'NEXT reported success without a personal number, and the login was started without one to verify ' +
  "against. Start LinkMobility NEXT logins with the user's national identity number (nin), or have " +
  'LinkMobility include the verified number in the authentication.';
export const OTHER_PERSON =
  'NEXT reported a personal number other than the one it was asked to verify against.';

/** The verified number: the answer's, else the one NEXT was asked to verify ("Identity ... to verify against"). */
function verifiedNumber(
  authentication: NextAuthentication,
  country: NinCountry,
  requested: string | undefined,
) {
  const stated = [authentication.identity, authentication.nationalId, authentication.ssn].find(
    (value): value is string => typeof value === 'string' && value.trim() !== '',
  );
  const asked = typeof requested === 'string' && requested !== '' ? requested : undefined;
  if (stated === undefined && asked === undefined) throw new EidError('provider_error', NO_PERSON);
  const nin = nationalIdFromProvider(stated ?? asked, country);
  if (!nin) throw new EidError('provider_error', 'NEXT reported success without a usable personal number.');
  if (stated !== undefined && asked !== undefined) {
    const expected = nationalIdFromProvider(asked, country);
    if (expected?.nin.value !== nin.nin.value) throw new EidError('provider_error', OTHER_PERSON);
  }
  return nin;
}

/**
 * Only `success` of the answer is documented. The person data read here (`identity` / `nationalId` / `ssn`,
 * names, `dateOfBirth`) is this library's assumption; without it the identity is the number the create
 * request asked NEXT to verify: `success: true` means NEXT verified exactly that person.
 */
export function toIdentity(
  authentication: NextAuthentication,
  country: NinCountry,
  logger: Logger = silentLogger,
  requested?: string,
): ProviderIdentity {
  const nin = verifiedNumber(authentication, country, requested);
  if (!nin.validated)
    logger.warn({ provider: 'next' }, 'NEXT returned a personal number that does not validate');
  const firstName = stringOr(authentication.firstName);
  const lastName = stringOr(authentication.lastName);
  const name =
    stringOr(authentication.name) ?? ([firstName, lastName].filter(Boolean).join(' ') || undefined);
  const dateOfBirth =
    isoDate(authentication.dateOfBirth) ?? (nin.validated ? dateOfBirthOf(nin.nin) : undefined);
  // NEXT names no person key besides the number (BankID's own PID is not in the response): the verified
  // personal number is the subject, as with ZignSec. No level of assurance is reported.
  return compactIdentity({
    subject: nin.nin.value,
    nin: nin.nin,
    name,
    firstName,
    lastName,
    dateOfBirth,
    authenticatedAt: new Date().toISOString(),
  }) as ProviderIdentity;
}
