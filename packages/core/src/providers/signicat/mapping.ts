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
import type { CompleteResult, FinishingClient, StartResult } from '../types.js';
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

function pending(session: SignicatSession): CompleteResult {
  return {
    status: 'pending',
    ...(nonEmpty(session.idpData?.bindingMessage) ? { bindingMessage: session.idpData.bindingMessage } : {}),
    ...(nonEmpty(session.idpData?.qrData) ? { qrData: session.idpData.qrData } : {}),
  };
}

/**
 * The session status enum of Signicat's OpenAPI (`SessionDataStatus`: CREATED, SUCCESS, ERROR, ABORT, CANCELLED,
 * WAITING_FOR_USER, EXPIRED, INVALID; github.com/aivanchenk/speakeasy-generated-csharp-sdk,
 * docs/Models/Components/SessionDataStatus.md; WAITING_FOR_USER also in github.com/signicat/signicat-net,
 * src/Signicat.SDK/Constants/AuthenticationStatus.cs).
 */
export const mapSessionStatus: StatusMapper<SignicatSession> = statusMapper(
  'Signicat',
  'session status',
  (session) => session.status,
  {
    CREATED: pending,
    // The user is at the eID: still pending.
    WAITING_FOR_USER: pending,
    SUCCESS: (session, _transaction, logger) => ({
      status: 'complete',
      identity: toIdentity(session, logger),
      source: session,
    }),
    ABORT: userCancelled,
    CANCELLED: () => ({ status: 'cancelled' }),
    ERROR: failedSession,
    EXPIRED: () => ({
      status: 'failed',
      error: new EidError('transaction_expired', 'The login expired before it was finished. Start it again.'),
    }),
    // A session Signicat no longer considers valid: nobody logs in with it.
    INVALID: failedSession,
  },
);

/** eIDs whose `subject.idpId` is the national identity number (Signicat's ID-porten and Swedish BankID pages). */
const NUMBER_AS_IDP_ID = new Set(['idporten', 'sbid']);

/**
 * `Identity.subject`: never the national identity number. Where the eID's own id (`idpId`) is the number
 * (ID-porten, Swedish BankID, or any idpId equal to the stated number), Signicat's stable pseudonymous `subject.id`;
 * elsewhere the eID's own pseudonymous key (the BankID PID, the MitID UUID), as before.
 */
function subjectKey(session: SignicatSession): string | undefined {
  const subject = session.subject;
  const idpId = nonEmpty(subject?.idpId) ? subject.idpId : undefined;
  const id = nonEmpty(subject?.id) ? subject.id : undefined;
  const isNumber =
    NUMBER_AS_IDP_ID.has(session.provider ?? '') || (idpId !== undefined && idpId === subject?.nin?.value);
  return isNumber ? id : (idpId ?? id);
}

/** ISO 3166 alpha-3 codes Signicat may send in `subject.nin.issuingCountry` (the OpenAPI example says `NOR`). */
const ALPHA3: Record<string, string> = { NOR: 'NO', SWE: 'SE', DNK: 'DK', FIN: 'FI' };

function issuingCountry(value: unknown): unknown {
  return typeof value === 'string' ? (ALPHA3[value.trim().toUpperCase()] ?? value) : value;
}

export function toIdentity(session: SignicatSession, logger: Logger = silentLogger): ProviderIdentity {
  const subject = session.subject;
  const key = subjectKey(session);
  if (!subject || key === undefined) {
    throw new EidError('provider_error', 'Signicat reported success without a subject.');
  }
  const stated = subject.nin;
  const signicat = { id: 'signicat', name: 'Signicat' };
  const country = issuingCountry(stated?.issuingCountry);
  const nin = statedNationalId(signicat, stated?.value, logger, country, stated?.type);
  const loa = LOA_VALUES.find((value) => value === session.loa);
  const extra = compactIdentity({
    idp: session.provider,
    signicatSubjectId: subject.id,
    idpId: subject.idpId,
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

/** What `checkClientEnvironment` compares: the IP address, or the IP address and the user agent. */
export type ClientEnvironmentCheck = 'ip' | 'ip+userAgent';

export const CLIENT_ENVIRONMENT_CHECKS: readonly ClientEnvironmentCheck[] = ['ip', 'ip+userAgent'];

/** An IP address in one spelling: IPv4-mapped IPv6 unwrapped, IPv6 lower-case and compressed. */
function canonicalIp(value: string | undefined): string | undefined {
  const trimmed = value?.trim().toLowerCase();
  if (!trimmed) return undefined;
  const unwrapped = trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
  if (!unwrapped.includes(':')) return unwrapped;
  try {
    return new URL(`http://[${unwrapped}]/`).hostname;
  } catch {
    return unwrapped;
  }
}

/**
 * Why the browser finishing a login is not the client that authenticated at Signicat, or undefined when it is:
 * Signicat's session reports the authenticating client (`environment.ipAddress`, `environment.userAgent`), the
 * callback request the finishing one. `missing` when either side has no IP address to compare.
 */
export function clientEnvironmentMismatch(
  environment: SignicatSession['environment'],
  client: FinishingClient | undefined,
  check: ClientEnvironmentCheck,
): 'ip' | 'userAgent' | 'missing-at-signicat' | 'missing-here' | undefined {
  const authenticated = canonicalIp(environment?.ipAddress);
  const finishing = canonicalIp(client?.ip);
  if (!authenticated) return 'missing-at-signicat';
  if (!finishing) return 'missing-here';
  if (authenticated !== finishing) return 'ip';
  if (check === 'ip+userAgent' && (environment?.userAgent ?? '') !== (client?.userAgent ?? '')) {
    return 'userAgent';
  }
  return undefined;
}

/** The failed login for a mismatch (`clientEnvironmentMismatch`); nothing about the clients is in it. */
export function clientEnvironmentFailure(
  mismatch: NonNullable<ReturnType<typeof clientEnvironmentMismatch>>,
): CompleteResult {
  if (mismatch === 'missing-at-signicat') {
    return {
      status: 'failed',
      error: new EidError(
        'provider_error',
        'Signicat reported no client environment (environment.ipAddress) for this session, so checkClientEnvironment cannot compare it with the browser.',
      ),
    };
  }
  if (mismatch === 'missing-here') {
    return {
      status: 'failed',
      error: new EidError(
        'invalid_config',
        "checkClientEnvironment needs the browser's IP address, and the adapter passed none (clientIp). Behind a reverse proxy, set Express's 'trust proxy' or Fastify's trustProxy so that the adapter sees the client's address.",
      ),
    };
  }
  return {
    status: 'failed',
    error: new EidError(
      'browser_mismatch',
      'The eID was used from another device or network than the browser finishing the login, so the login was stopped. Start it again in the browser you want to be logged in with.',
    ),
  };
}
