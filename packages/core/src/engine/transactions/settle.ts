import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import type { CompleteResult, FinishingClient } from '../../providers/types.js';
import type { Transaction } from '../../transaction.js';
import type { SignResult } from '../contract.js';
import { markLogged } from '../failures.js';
import {
  CALLBACK_LEASE_MS,
  decide,
  type Settled,
  type SettleEvent,
  type SettlePolicy,
  type Step,
} from './decide.js';

/** CAS retries before giving up; each retry means another request changed the transaction meanwhile. */
export const MAX_CAS_ATTEMPTS = 5;
/** How often a request waiting for another's claim (a callback, a push) reads the transaction again. */
const CLAIM_WAIT_STEP_MS = 50;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SettleInput {
  /** The query the browser brought back (callbacks). */
  callbackQuery?: Record<string, string>;
  /** The browser finishing the login at its callback: its address and user agent (`CompleteContext.client`). */
  client?: FinishingClient;
  /** A result the provider pushed; used instead of asking the provider. */
  pushed?: CompleteResult;
}

/** What the provider is told besides the transaction when it is asked (`Provider.complete`). */
export type AskInput = Pick<SettleInput, 'callbackQuery' | 'client'>;

/** What the settle loop reads and writes through. */
export interface SettleIo {
  now: () => number;
  logger: Logger;
  /** Compare-and-set from the version read to the changed transaction; undefined when another request won. */
  transition(transaction: Transaction, changes: Partial<Transaction>): Promise<Transaction | undefined>;
  reread(transaction: Transaction): Promise<Transaction>;
  ask(transaction: Transaction, input: AskInput): Promise<CompleteResult>;
  /** Told once, by the request whose write recorded it, that a `verify` transaction verified `identity`. */
  verified?(identity: Identity, transaction: Transaction): Promise<void>;
  /** Told once, by the request whose write recorded it, that a `sign` transaction was signed. */
  signed?(result: SignResult): Promise<void>;
}

/**
 * The I/O loop around `decide`: read, claim, ask the provider, decide, compare-and-set, and on a conflict
 * read again and decide again (at most MAX_CAS_ATTEMPTS times).
 */
export async function settle(
  io: SettleIo,
  start: Transaction,
  policy: SettlePolicy,
  input: SettleInput = {},
): Promise<Settled> {
  const { now, logger, transition, reread } = io;
  let transaction = start;
  let conflicts = 0;
  const waitUntil = now() + CALLBACK_LEASE_MS;
  const first: SettleEvent = input.pushed ? { kind: 'pushed', result: input.pushed } : { kind: 'read' };
  let event: SettleEvent = first;
  const conflict = async () => {
    if (++conflicts >= MAX_CAS_ATTEMPTS) {
      throw new EidError('provider_error', 'The login changed state too often to settle. Try again.');
    }
    transaction = await reread(transaction);
    event = first;
  };
  for (;;) {
    const step: Step = decide(transaction, event, policy, now());
    event = first;
    if (step.next === 'answer') {
      if (step.releaseClaim) await transition(transaction, { claimedUntil: undefined });
      else if (step.claimUntil !== undefined)
        await transition(transaction, { claimedUntil: step.claimUntil });
      return step.settled;
    }
    if (step.next === 'wait') {
      if (now() >= waitUntil) {
        throw new EidError('provider_unavailable', 'The provider is slow to answer. Try again in a moment.');
      }
      await delay(CLAIM_WAIT_STEP_MS);
      transaction = await reread(transaction);
    } else if (step.next === 'claim') {
      const claimed = await transition(transaction, { claimedUntil: step.claimedUntil });
      if (!claimed) await conflict();
      else {
        transaction = claimed;
        event = await askProvider(io, transaction, policy, {
          ...(input.callbackQuery ? { callbackQuery: input.callbackQuery } : {}),
          ...(input.client ? { client: input.client } : {}),
        });
      }
    } else if (step.next === 'write') {
      const written = await transition(transaction, step.changes);
      if (!written) await conflict();
      else {
        if (step.log) logger[step.log.level](step.log.fields, step.log.message);
        if (step.log?.level === 'warn' && step.outcome.state === 'final' && step.outcome.error) {
          markLogged(step.outcome.error);
        }
        // Only the write that moved the transaction to complete gets here: the event fires once.
        if (step.outcome.state === 'final' && step.outcome.verified) {
          await io.verified?.(step.outcome.verified, written);
        }
        if (step.outcome.state === 'final' && step.outcome.signed) await io.signed?.(step.outcome.signed);
        return { ...step.outcome, transaction: written };
      }
    }
  }
}

async function askProvider(
  io: SettleIo,
  transaction: Transaction,
  policy: SettlePolicy,
  input: AskInput,
): Promise<SettleEvent> {
  const askedAt = io.now();
  try {
    return { kind: 'answered', result: await io.ask(transaction, input), askedAt };
  } catch (error) {
    const step = decide(transaction, { kind: 'unanswered', askedAt }, policy, io.now());
    if (step.next === 'rethrow' && step.releaseClaim) {
      await io.transition(transaction, { claimedUntil: undefined });
    } else if (step.next === 'rethrow' && step.claimUntil !== undefined) {
      await io.transition(transaction, { claimedUntil: step.claimUntil });
    }
    throw error;
  }
}
