import { EidError, safeUpstreamCode } from '../../errors.js';
import { compactIdentity, nationalIdFromProvider, type ProviderIdentity } from '../../identity.js';
import { type Logger, silentLogger } from '../../logger.js';
import {
  isHttpUrl,
  isoDate,
  isRecord,
  type StatusMapper,
  statusMapper,
  stringOr,
} from '../../provider-kit/index.js';
import type { Transaction } from '../../transaction.js';
import type { StartResult } from '../types.js';
import type { ZignSecResult } from './wire.js';

// ZignSec's error codes are upper-case words; descriptions may echo input (a personal number) and are only logged.

export function codesOf(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors
    .map((error) => (isRecord(error) ? safeUpstreamCode(error.code) : undefined))
    .filter((code): code is string => code !== undefined);
}

export const CREDENTIALS =
  'ZignSec rejected the access token. Check `token` (sent as the bare Authorization value) and that `baseUrl` is the environment it was issued for (api or test).';

/** An error body `{ errors: [{ code, description }] }` (docs.zignsec.com, "Error handling") as an EidError. */
export function errorFromCodes(errors: unknown, what: string, logger: Logger): EidError {
  const codes = codesOf(errors);
  logger.warn({ provider: 'zignsec', what, errors }, 'ZignSec reported errors');
  const upper = codes.map((code) => code.toUpperCase());
  if (upper.includes('INVALID_PERSONALNUMBER')) {
    return new EidError('invalid_nin', 'ZignSec did not accept the national identity number.');
  }
  if (upper.includes('INVALID_APPID')) return new EidError('provider_error', CREDENTIALS);
  if (upper.includes('MISSING_CONFIG')) {
    return new EidError(
      'provider_error',
      'The ZignSec account has no configuration for this method. Ask ZignSec to enable it, or set `configId`.',
    );
  }
  return new EidError(
    'provider_error',
    `ZignSec refused the ${what}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}.`,
  );
}

/** A 4xx with ZignSec's error body: what its codes say. */
export function refineRefusal(status: number, body: unknown, what: string): EidError | undefined {
  if (status < 400 || status >= 500 || !isRecord(body) || !Array.isArray(body.errors)) return undefined;
  if (status === 404 && codesOf(body.errors).includes('SESSION_NOT_FOUND')) {
    return new EidError(
      'provider_error',
      'ZignSec no longer knows this login session. Start the login again.',
    );
  }
  return errorFromCodes(body.errors, what, silentLogger);
}

/** A created session: errors in a 2xx body, or no id or redirect_url, are provider errors. */
export function startResult(result: ZignSecResult, logger: Logger): StartResult {
  if (Array.isArray(result.errors) && result.errors.length > 0) {
    throw errorFromCodes(result.errors, 'setup request', logger);
  }
  if (typeof result.id !== 'string' || result.id === '') {
    throw new EidError('provider_error', 'ZignSec created a session without an id.');
  }
  const redirectUrl = result.redirect_url;
  if (!isHttpUrl(redirectUrl)) {
    throw new EidError('provider_error', 'ZignSec created a session without a redirect_url.');
  }
  return { reference: result.id, redirectUrl: redirectUrl.trim() };
}

/** A webhook body, parsed when it came as text. */
export function webhookBody(body: unknown): ZignSecResult | undefined {
  let value = body;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString());
    } catch {
      throw new EidError('invalid_request', 'The ZignSec webhook body is not JSON.');
    }
  }
  return isRecord(value) ? (value as ZignSecResult) : undefined;
}

/**
 * The session state: `result.identity.state` when present; a webhook body may leave it out (the documented
 * webhook example is the identity, `method` and `id` only), so errors mean ERROR and an identity FINISHED.
 */
export function resultState(result: ZignSecResult): string | undefined {
  const state = result.result?.identity?.state;
  if (typeof state === 'string' && state !== '') return state.toUpperCase();
  if (Array.isArray(result.errors) && result.errors.length > 0) return 'ERROR';
  if (isRecord(result.identity)) return 'FINISHED';
  return undefined;
}

/**
 * ZignSec does not document the codes of an ERROR session; the simulator uses USER_CANCEL,
 * EXPIRED_TRANSACTION and ID_PROVIDER_ERROR. Anything naming a cancel or abort is the user's choice.
 */
function sessionError(errors: unknown, transaction: Pick<Transaction, 'id'>, logger: Logger): EidError {
  const codes = codesOf(errors).map((code) => code.toUpperCase());
  logger.warn(
    { provider: 'zignsec', transactionId: transaction.id, errors },
    'ZignSec session ended in ERROR',
  );
  if (codes.some((code) => /CANCEL|ABORT/.test(code))) {
    return new EidError('user_cancelled', 'The login was cancelled.');
  }
  if (codes.some((code) => /EXPIRED|TIMEOUT/.test(code))) {
    return new EidError(
      'transaction_expired',
      'The login took too long at the eID provider. Start it again.',
    );
  }
  return new EidError(
    'provider_error',
    `The eID provider reported an error${codes.length > 0 ? ` (${codes.slice(0, 3).join(', ')})` : ''}.`,
  );
}

function finished(result: ZignSecResult, transaction: Pick<Transaction, 'id'>, logger: Logger) {
  if (Array.isArray(result.errors) && result.errors.length > 0) {
    return { status: 'failed', error: sessionError(result.errors, transaction, logger) } as const;
  }
  try {
    return { status: 'complete', identity: toIdentity(result, logger), source: result } as const;
  } catch (error) {
    if (error instanceof EidError) return { status: 'failed', error } as const;
    throw error;
  }
}

export const mapResult: StatusMapper<ZignSecResult> = statusMapper('ZignSec', 'session state', resultState, {
  PENDING: () => ({ status: 'pending' }),
  FINISHED: finished,
  ERROR: (result, transaction, logger) => ({
    status: 'failed',
    error: sessionError(result.errors, transaction, logger),
  }),
});

export function toIdentity(result: ZignSecResult, logger: Logger = silentLogger): ProviderIdentity {
  const identity = result.identity;
  if (!isRecord(identity))
    throw new EidError('provider_error', 'ZignSec reported FINISHED without an identity.');
  const personalNumber = stringOr(identity.PersonalNumber);
  // IdProviderPersonId is the stable key where the eID has one (NemID PID, BankID Norway's certificate
  // serial); Swedish BankID leaves it empty and always returns the personal number instead.
  const subject = stringOr(identity.IdProviderPersonId) ?? personalNumber;
  if (!subject) throw new EidError('provider_error', 'ZignSec reported an identity without any person key.');
  const country = stringOr(identity.CountryCode)?.toUpperCase();
  const nin = nationalIdFromProvider(personalNumber, country);
  if (personalNumber !== undefined && nin && !nin.validated) {
    logger.warn({ provider: 'zignsec', country }, 'ZignSec returned a national id that does not validate');
  }
  const firstName = stringOr(identity.FirstName);
  const lastName = stringOr(identity.LastName);
  const name =
    stringOr(identity.FullName) ?? (firstName && lastName ? `${firstName} ${lastName}` : undefined);
  const identified = stringOr(identity.IdentificationDate);
  const authenticatedAt =
    identified && !Number.isNaN(Date.parse(identified)) ? new Date(identified) : new Date();
  const extra = compactIdentity({
    idProvider: stringOr(identity.IdProviderName),
    zignsecMethod: stringOr(result.method),
    country,
  });
  return compactIdentity({
    subject,
    nin: nin?.nin,
    name,
    firstName,
    lastName,
    dateOfBirth: isoDate(stringOr(identity.DateOfBirth)),
    authenticatedAt: authenticatedAt.toISOString(),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
}
