/**
 * Audit events (`createEid({ events })`): one event per fact of a login's or a verification's life, with a stable
 * shape, for an app's audit trail or metrics. Personal data is left out unless the app opts in per field, the way
 * ActiveLogin's event listeners do (`include`). Each event fires once, from the request (or the write) that made the
 * fact true, so reloads and other processes do not repeat it. A listener that fails never fails the login.
 */
import type { EidErrorCode } from '../errors.js';
import type { Identity, LevelOfAssurance } from '../identity.js';
import type { Logger } from '../logger.js';
import type { NationalId } from '../nin/index.js';
import { kindOf, type Transaction } from '../transaction.js';
import { causeKind } from './failures.js';

export const EID_EVENT_TYPES = [
  'login.started',
  'login.succeeded',
  'login.failed',
  'logout',
  'verify.started',
  'verify.succeeded',
  'verify.failed',
  'sign.started',
  'sign.succeeded',
  'sign.failed',
] as const;

export type EidEventType = (typeof EID_EVENT_TYPES)[number];

export interface EidEvent {
  type: EidEventType;
  /** When it happened, ISO 8601. */
  at: string;
  /** The transaction (for `logout`: the login's); absent for a start refused before it began. */
  transactionId?: string;
  provider?: string;
  method?: string;
  /** `*.started`: how the method runs. */
  flow?: 'redirect' | 'headless';
  /** `*.failed`: the contract's error code (`user_cancelled`, `transaction_expired`, `access_denied`, …). */
  code?: EidErrorCode;
  /** `*.succeeded`: the level of assurance the provider reported. */
  loa?: LevelOfAssurance;
  /** Opt-in (`include.subject`): the provider's person key. */
  subject?: string;
  /** Opt-in (`include.nin`): the national identity number. */
  nin?: NationalId;
  /** Opt-in (`include.name`): the name as the provider gave it. */
  name?: string;
  /** Opt-in (`include.dateOfBirth`). */
  dateOfBirth?: string;
  /** Opt-in (`include.clientIp`): the browser's address, where the request that made the fact is the browser's. */
  clientIp?: string;
}

/** The personal fields an event may carry, each only when the app opts in. */
export interface EidEventFields {
  subject?: boolean;
  nin?: boolean;
  name?: boolean;
  dateOfBirth?: boolean;
  clientIp?: boolean;
}

export interface EidEventsOptions {
  /** Called with every event, awaited; what it throws or rejects with is logged (a warning) and ignored. */
  listener: (event: EidEvent) => void | Promise<void>;
  /** The personal fields to put in events. Default: none. */
  include?: EidEventFields;
}

/** What happened, before the time and the fields the app opted into are added. */
export interface EventFacts {
  type: EidEventType;
  transactionId?: string;
  provider?: string;
  method?: string;
  flow?: 'redirect' | 'headless';
  code?: EidErrorCode;
  /** The person, where the fact has one; only opted-in fields (and `loa`) are taken from it. */
  person?: Identity;
  clientIp?: string;
}

export type EmitEvent = (facts: EventFacts) => Promise<void>;

/** The personal fields, in the order they are documented. */
export const EVENT_FIELDS = ['subject', 'nin', 'name', 'dateOfBirth', 'clientIp'] as const;

/** The engine's emitter: a no-op without a listener. */
export function createEmitter(
  options: EidEventsOptions | undefined,
  logger: Logger,
  now: () => number,
): EmitEvent {
  if (!options) return async () => {};
  const include = options.include ?? {};
  return async (facts) => {
    const { person, clientIp, ...rest } = facts;
    const event: EidEvent = {
      ...definedOnly(rest),
      at: new Date(now()).toISOString(),
      ...(person?.loa && facts.type.endsWith('.succeeded') ? { loa: person.loa } : {}),
      ...(include.subject && person?.subject ? { subject: person.subject } : {}),
      ...(include.nin && person?.nin ? { nin: person.nin } : {}),
      ...(include.name && person?.name ? { name: person.name } : {}),
      ...(include.dateOfBirth && person?.dateOfBirth ? { dateOfBirth: person.dateOfBirth } : {}),
      ...(include.clientIp && clientIp ? { clientIp } : {}),
    };
    try {
      await options.listener(event);
    } catch (error) {
      logger.warn(
        { type: event.type, transactionId: event.transactionId, cause: causeKind(error) },
        'event listener failed',
      );
    }
  };
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/**
 * The event a write made true, from the transaction before and after it: a transaction ending without a login
 * (failed, cancelled, expired, or a taken login refused by `onLogin`) or a verification recorded. Logins that
 * succeed are told where the browser takes them (`login.succeeded`, after `onLogin`), not here.
 */
export function eventOfWrite(before: Transaction, after: Transaction): EventFacts | undefined {
  if (before.status === after.status) return undefined;
  const kind = kindOf(after);
  const base = { transactionId: after.id, provider: after.provider, method: after.method };
  if (kind === 'verify' && after.status === 'complete') {
    return { type: 'verify.succeeded', ...base, ...(after.verified ? { person: after.verified } : {}) };
  }
  if (kind === 'sign' && after.status === 'complete') {
    return {
      type: 'sign.succeeded',
      ...base,
      ...(after.signature ? { person: after.signature.signer } : {}),
    };
  }
  if (after.status !== 'failed' && after.status !== 'cancelled' && after.status !== 'expired')
    return undefined;
  const code: EidErrorCode =
    after.error?.code ?? (after.status === 'expired' ? 'transaction_expired' : 'user_cancelled');
  return { type: `${kind}.failed`, ...base, code };
}
