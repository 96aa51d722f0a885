import { EidError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { CompleteResult } from '../providers/types.js';
import type { Transaction } from '../transaction.js';
import { applyProfile, type ProfileHook, type SourcedCompletion } from './define.js';

/** A provider's pure reading of where a login stands, as the fixture tests call it. */
export type StatusMapper<Source> = (
  source: Source,
  transaction: Pick<Transaction, 'id'>,
  logger?: Logger,
  profile?: ProfileHook<Source>,
) => CompleteResult;

export type StatusCase<Source> = (
  source: Source,
  transaction: Pick<Transaction, 'id'>,
  logger: Logger,
) => CompleteResult | SourcedCompletion<Source>;

/**
 * A StatusMapper from a table of the provider's status words. A word not in the table is a provider_error
 * (`{provider} reported a {noun} this library does not know.`); a completed login passes the profile hook.
 */
export function statusMapper<Source>(
  provider: string,
  noun: string,
  statusOf: (source: Source) => string | undefined,
  cases: Record<string, StatusCase<Source>>,
): StatusMapper<Source> {
  return (source, transaction, logger = silentLogger, profile) => {
    const status = statusOf(source);
    // Own keys only: a status word such as `constructor` must not reach the object's prototype.
    const mapped = status !== undefined && Object.hasOwn(cases, status) ? cases[status] : undefined;
    if (!mapped) {
      return {
        status: 'failed',
        error: new EidError('provider_error', `${provider} reported a ${noun} this library does not know.`),
      };
    }
    return applyProfile(mapped(source, transaction, logger), profile);
  };
}

/** The user cancelled at the eID. */
export function userCancelled(): CompleteResult {
  return { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
}
