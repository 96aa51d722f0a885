import { EidError, safeUpstreamCode } from '../../errors.js';
import { compactIdentity, type LevelOfAssurance, type ProviderIdentity } from '../../identity.js';
import { type Logger, silentLogger } from '../../logger.js';
import {
  isHttpUrl,
  isoDate,
  nonEmpty,
  parseDate,
  type StatusMapper,
  statedNationalId,
  statusMapper,
  stringOr,
  userCancelled,
} from '../../provider-kit/index.js';
import type { Transaction } from '../../transaction.js';
import type { CompleteResult, StartResult } from '../types.js';
import type { SignicatMethodSpec, SignicatSession } from './wire.js';

export const LOA_VALUES: readonly LevelOfAssurance[] = ['low', 'substantial', 'high'];

export function checkSession(body: SignicatSession): SignicatSession {
  if (typeof body.id !== 'string' || typeof body.status !== 'string') {
    throw new EidError('provider_error', 'Signicat sent a session without id or status.');
  }
  return body;
}

/** What a created session gives the engine; a session the user cannot go on with is a provider_error. */
export function startResult(session: SignicatSession, spec: SignicatMethodSpec): StartResult {
  if (spec.flow === 'redirect' && !isHttpUrl(session.authenticationUrl)) {
    throw new EidError('provider_error', 'Signicat created a session without an authenticationUrl.');
  }
  if (spec.idpData && !nonEmpty(session.idpData?.[spec.idpData])) {
    throw new EidError('provider_error', `Signicat created a headless session without a ${spec.idpData}.`);
  }
  const idpData = session.idpData;
  const expiresAt = parseDate(session.expiresAt);
  return {
    reference: session.id,
    ...(session.authenticationUrl ? { redirectUrl: session.authenticationUrl } : {}),
    ...(nonEmpty(idpData?.bindingMessage) ? { bindingMessage: idpData.bindingMessage } : {}),
    ...(nonEmpty(idpData?.qrData) ? { qrData: idpData.qrData } : {}),
    ...(nonEmpty(idpData?.autoStartToken) ? { autoStartToken: idpData.autoStartToken } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

function failedSession(
  session: SignicatSession,
  transaction: Pick<Transaction, 'id'>,
  logger: Logger,
): CompleteResult {
  const code = safeUpstreamCode(session.error?.code);
  logger.warn(
    { provider: 'signicat', transactionId: transaction.id, idpError: session.error },
    'Signicat session failed',
  );
  return {
    status: 'failed',
    error: new EidError('provider_error', `The eID provider reported an error${code ? ` (${code})` : ''}.`),
  };
}

export const mapSessionStatus: StatusMapper<SignicatSession> = statusMapper(
  'Signicat',
  'session status',
  (session) => session.status,
  {
    CREATED: (session) => ({
      status: 'pending',
      ...(nonEmpty(session.idpData?.bindingMessage)
        ? { bindingMessage: session.idpData.bindingMessage }
        : {}),
      ...(nonEmpty(session.idpData?.qrData) ? { qrData: session.idpData.qrData } : {}),
    }),
    SUCCESS: (session, _transaction, logger) => ({
      status: 'complete',
      identity: toIdentity(session, logger),
      source: session,
    }),
    ABORT: userCancelled,
    CANCELLED: () => ({ status: 'cancelled' }),
    ERROR: failedSession,
  },
);

export function toIdentity(session: SignicatSession, logger: Logger = silentLogger): ProviderIdentity {
  const subject = session.subject;
  const key = subject?.idpId ?? subject?.id;
  if (!subject || typeof key !== 'string' || key === '') {
    throw new EidError('provider_error', 'Signicat reported success without a subject.');
  }
  const stated = subject.nin;
  const signicat = { id: 'signicat', name: 'Signicat' };
  const nin = statedNationalId(signicat, stated?.value, logger, stated?.issuingCountry, stated?.type);
  const loa = LOA_VALUES.find((value) => value === session.loa);
  const extra = compactIdentity({
    idp: session.provider,
    signicatSubjectId: subject.id,
    idportenIdp: subject.idportenIdp,
    idportenLoa: subject.idportenLoa,
    idportenSub: subject.idportenSub,
    environment: session.environment,
  });
  return compactIdentity({
    subject: key,
    nin: nin?.nin,
    name: stringOr(subject.name),
    firstName: stringOr(subject.firstName),
    lastName: stringOr(subject.lastName),
    dateOfBirth: isoDate(subject.dateOfBirth),
    loa,
    authenticatedAt: new Date().toISOString(),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
}
