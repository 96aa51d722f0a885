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
import type { ZignSecIdentity, ZignSecResult } from './wire.js';

// ZignSec's error codes are upper-case words; descriptions may echo input (a personal number: "1637217431 is an
// invalid Danish CPR Number."), so only the codes are logged or shown.

export function codesOf(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors
    .map((error) => safeUpstreamCode(member(error, 'code')))
    .filter((code): code is string => code !== undefined);
}

export const CREDENTIALS =
  'ZignSec rejected the access token. Check `token` (sent as the bare Authorization value) and that `baseUrl` is the environment it was issued for (api or test).';

/** An error body `{ errors: [{ code, description }] }` (docs.zignsec.com, "Error handling") as an EidError. */
export function errorFromCodes(errors: unknown, what: string, logger: Logger): EidError {
  const codes = codesOf(errors);
  logger.warn({ provider: 'zignsec', what, codes }, 'ZignSec reported errors');
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
  const errors = member(body, 'errors');
  if (status < 400 || status >= 500 || !Array.isArray(errors)) return undefined;
  if (status === 404 && codesOf(errors).includes('SESSION_NOT_FOUND')) {
    return new EidError(
      'provider_error',
      'ZignSec no longer knows this login session. Start the login again.',
    );
  }
  return errorFromCodes(errors, what, silentLogger);
}

/** A created session: errors in a 2xx body, or no id or redirect_url, are provider errors. */
export function startResult(result: ZignSecResult, logger: Logger): StartResult {
  const { id, errors } = readResult(result);
  if (errors.length > 0) throw errorFromCodes(errors, 'setup request', logger);
  if (id === undefined) throw new EidError('provider_error', 'ZignSec created a session without an id.');
  const redirectUrl = member(result, 'redirect_url');
  if (!isHttpUrl(redirectUrl)) {
    throw new EidError('provider_error', 'ZignSec created a session without a redirect_url.');
  }
  return { reference: id, redirectUrl: redirectUrl.trim() };
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

/** A member by name in any case: ZignSec's .NET serialisation writes `identity` or `Identity`, `state` or `State`. */
function member(record: unknown, name: string): unknown {
  if (!isRecord(record)) return undefined;
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** The person fields of an identity object, by the documentation's PascalCase names. */
const IDENTITY_FIELDS = [
  'CountryCode',
  'FirstName',
  'LastName',
  'FullName',
  'PersonalNumber',
  'DateOfBirth',
  'Age',
  'PhoneNumber',
  'Email',
  'IdProviderName',
  'IdentificationDate',
  'IdProviderRequestId',
  'IdProviderPersonId',
  'CustomerPersonId',
] as const;

function personOf(candidate: unknown): ZignSecIdentity | undefined {
  if (!isRecord(candidate)) return undefined;
  const person: ZignSecIdentity = {};
  for (const field of IDENTITY_FIELDS) {
    const value = member(candidate, field);
    if (value !== undefined && value !== null) person[field] = value as never;
  }
  return Object.keys(person).length > 0 ? person : undefined;
}

/** A result in one shape, whichever documented variant ZignSec answered with. */
export interface ReadResult {
  id: string | undefined;
  errors: unknown[];
  /** PENDING, FINISHED or ERROR (upper case), when the body says. */
  state: string | undefined;
  /** The person, keyed by the documentation's names. */
  identity: ZignSecIdentity | undefined;
  method: string | undefined;
}

/**
 * Reads a result tolerantly: the state from `result.identity.state` (qoorp/go-zignsec models.go), else a
 * `state` at the top level, in any case; the person from a top-level `identity` (the documented example, the
 * Go client) or from `result.identity` beside the state; every key in any case.
 */
export function readResult(result: unknown): ReadResult {
  const nested = member(member(result, 'result'), 'identity');
  const state = stringOr(member(nested, 'state')) ?? stringOr(member(result, 'state'));
  const errors = member(result, 'errors');
  return {
    id: stringOr(member(result, 'id')),
    errors: Array.isArray(errors) ? errors : [],
    state: state?.toUpperCase(),
    identity: personOf(member(result, 'identity')) ?? personOf(nested),
    method: stringOr(member(result, 'method')),
  };
}

/**
 * The session state; a webhook body may leave it out (the documented webhook example is the identity,
 * `method` and `id` only), so errors mean ERROR and an identity FINISHED.
 */
export function resultState(result: ZignSecResult): string | undefined {
  const read = readResult(result);
  if (read.state) return read.state;
  if (read.errors.length > 0) return 'ERROR';
  if (read.identity) return 'FINISHED';
  return undefined;
}

/**
 * ZignSec does not document the codes of an ERROR session; the simulator uses USER_CANCEL,
 * EXPIRED_TRANSACTION and ID_PROVIDER_ERROR. Anything naming a cancel or abort is the user's choice.
 */
function sessionError(
  errors: unknown,
  transaction: Pick<Transaction, 'id' | 'kind'>,
  logger: Logger,
): EidError {
  const codes = codesOf(errors).map((code) => code.toUpperCase());
  logger.warn(
    { provider: 'zignsec', transactionId: transaction.id, codes },
    'ZignSec session ended in ERROR',
  );
  // A signing made for one PersonalNumber and tried with another person's BankID: BankID fails the order with
  // hintCode certificateErr (the BankID "doesn't meet the requirements" of the order, its RP guidelines), which
  // ZignSec passes on as CERTIFICATE_ERR (docs.zignsec.com/api/v2/s2s).
  if (transaction.kind === 'sign' && codes.includes('CERTIFICATE_ERR')) {
    return new EidError(
      'signer_mismatch',
      "The BankID used to sign is not the logged-in person's (or does not meet the order's requirements).",
    );
  }
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

function finished(result: ZignSecResult, transaction: Pick<Transaction, 'id' | 'kind'>, logger: Logger) {
  const { errors } = readResult(result);
  if (errors.length > 0) {
    return { status: 'failed', error: sessionError(errors, transaction, logger) } as const;
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
    error: sessionError(readResult(result).errors, transaction, logger),
  }),
});

export function toIdentity(result: ZignSecResult, logger: Logger = silentLogger): ProviderIdentity {
  const read = readResult(result);
  const identity = read.identity;
  if (!identity) throw new EidError('provider_error', 'ZignSec reported FINISHED without an identity.');
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
    zignsecMethod: read.method,
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
