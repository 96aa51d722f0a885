import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import type { CompleteResult } from '../../providers/types.js';
import type { TransactionStore } from '../../store/types.js';
import { bindingMatches, isTransactionId, type Transaction } from '../../transaction.js';
import type { EidSessionData, SignResult } from '../contract.js';
import { type EmitEvent, eventOfWrite } from '../events.js';
import { cancellation, type Settled, type SettlePolicy, strangerCallback } from './decide.js';
import { type AskInput, MAX_CAS_ATTEMPTS, type SettleInput, settle } from './settle.js';

export type { AskInput, SettleInput } from './settle.js';

export interface TransactionsDependencies {
  store: TransactionStore;
  logger: Logger;
  now: () => number;
  /** Asks the transaction's provider where it stands (`Provider.complete`). */
  ask(transaction: Transaction, input: AskInput): Promise<CompleteResult>;
  /** Told of each fact a write made true (`eventOfWrite`): the audit events. */
  emit?: EmitEvent;
  /** Told once per completed `verify` transaction (`createEid({ onVerified })`); its errors are its own. */
  verified?(identity: Identity, transaction: Transaction): Promise<void>;
  /** Told once per completed `sign` transaction (`signing.onSigned`); its errors are its own. */
  signed?(result: SignResult): Promise<void>;
  /**
   * Looks at every result before it is applied, asked for or pushed: a signing by someone other than the person
   * allowed to sign becomes a failure here (`signerReview`).
   */
  review?(transaction: Transaction, result: CompleteResult): CompleteResult;
}

/** The transactions of an engine: reads, the settle loop and cancelling, over the store. */
export interface Transactions {
  /** A transaction bound to this browser; anything else is "not found", so ids cannot be probed. */
  bound(id: unknown, session: EidSessionData | undefined): Promise<Transaction>;
  /**
   * The transaction a callback names, and whether this browser holds it (`bound`, as for `bound()`); an
   * unknown or malformed id is "not found".
   */
  lookup(
    id: unknown,
    session: EidSessionData | undefined,
  ): Promise<{ transaction: Transaction; bound: boolean }>;
  /**
   * A callback for the transaction came to a browser without its binding: a login no browser has taken yet
   * fails (`strangerCallback`). The failed transaction, or undefined when there was nothing to stop.
   */
  stopForStranger(transaction: Transaction, providerId: string): Promise<Transaction | undefined>;
  /** Any transaction by id, or undefined (pushes, which carry no browser binding). */
  find(id: unknown): Promise<Transaction | undefined>;
  /**
   * Brings a transaction as far as it can go under the policy (see `decide`). Every state change is a
   * compare-and-set, so concurrent callbacks, polls, pushes and processes agree on one outcome. Before asking
   * the provider a request claims the transaction for a short lease: one request at a time exchanges a
   * one-time code (OIDC) or polls, and polls are throttled to one per interval per transaction, as the
   * providers ask (Signicat: every 1 to 3 seconds).
   */
  settle(transaction: Transaction, policy: SettlePolicy, input?: SettleInput): Promise<Settled>;
  /**
   * A login the app's `onLogin` refused after the browser took it: the transaction ends failed with `error`, so
   * a reload of its callback or status answers the refusal again. The failed transaction.
   */
  refuseLogin(transaction: Transaction, error: EidError): Promise<Transaction>;
  /** Marks a pending transaction cancelled (after the provider cancelled it). */
  cancel(transaction: Transaction, session: EidSessionData | undefined): Promise<Transaction>;
}

/** "No login of this browser by that id": unknown, malformed and other browsers' ids alike. */
export function transactionNotFound(): EidError {
  return new EidError(
    'transaction_not_found',
    'No login in progress matches this browser. Start the login again; if it keeps failing, the session cookie may be blocked (SameSite, third-party cookies) or another app shares its name.',
  );
}

export function createTransactions(dependencies: TransactionsDependencies): Transactions {
  const { store, logger, now } = dependencies;

  const notFound = transactionNotFound;

  async function lookup(id: unknown, session: EidSessionData | undefined) {
    if (!isTransactionId(id)) throw notFound();
    const transaction = await store.get(id);
    if (!transaction) throw notFound();
    // The browser that logged in with this transaction no longer holds the binding (the session was
    // regenerated) but its identity names the transaction: it may still see it, e.g. to learn it is spent.
    const loggedInWithIt = session?.identity?.transactionId === transaction.id;
    return { transaction, bound: loggedInWithIt || bindingMatches(transaction, session?.binding) };
  }

  async function bound(id: unknown, session: EidSessionData | undefined): Promise<Transaction> {
    const found = await lookup(id, session);
    if (!found.bound) throw notFound();
    return found.transaction;
  }

  async function stopForStranger(start: Transaction, providerId: string): Promise<Transaction | undefined> {
    let transaction: Transaction | undefined = start;
    for (let attempt = 0; transaction && attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const step = strangerCallback(transaction, providerId, now());
      if (step.next === 'none') return undefined;
      const stopped = await transition(transaction, step.changes);
      if (stopped) {
        logger[step.log.level](step.log.fields, step.log.message);
        return stopped;
      }
      transaction = await store.get(transaction.id);
    }
    // Every attempt lost to another request: the login is busy changing; the next stranger callback tries again.
    return undefined;
  }

  /** Moves a transaction from the version we read to `next`; undefined when another request won. */
  async function transition(transaction: Transaction, changes: Partial<Transaction>) {
    const next: Transaction = { ...transaction, ...changes, version: transaction.version + 1 };
    if (!(await store.compareAndSet(transaction.id, transaction.version, next))) return undefined;
    // Only the request whose write made the change gets here: its event fires once, across processes too.
    const facts = dependencies.emit ? eventOfWrite(transaction, next) : undefined;
    if (facts) await dependencies.emit?.(facts);
    return next;
  }

  async function reread(transaction: Transaction): Promise<Transaction> {
    const fresh = await store.get(transaction.id);
    if (!fresh) throw new EidError('transaction_not_found', 'The login is no longer known. Start it again.');
    return fresh;
  }

  async function cancel(start: Transaction, session: EidSessionData | undefined): Promise<Transaction> {
    let transaction = start;
    let ended = 'This login has ended already and cannot be cancelled.';
    for (let attempt = 0; ; attempt++) {
      const step = cancellation(transaction, now(), ended);
      if (step.next === 'done') return transaction;
      if (step.next === 'refuse') throw step.error;
      if (attempt === MAX_CAS_ATTEMPTS) {
        throw new EidError('provider_error', 'The login changed state too often to cancel. Try again.');
      }
      const cancelled = await transition(transaction, step.changes);
      if (cancelled) {
        logger.info({ transactionId: transaction.id }, 'login cancelled');
        return cancelled;
      }
      transaction = await bound(transaction.id, session);
      ended = 'The login ended while it was being cancelled.';
    }
  }

  async function refuseLogin(start: Transaction, error: EidError): Promise<Transaction> {
    let transaction = start;
    const changes: Partial<Transaction> = {
      status: 'failed',
      error: { code: error.code, message: error.message },
      identity: undefined,
      providerLogout: undefined,
    };
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const refused = await transition(transaction, changes);
      if (refused) return refused;
      transaction = await reread(transaction);
    }
    throw new EidError('provider_error', 'The login changed state too often to settle. Try again.');
  }

  const { review } = dependencies;
  const ask: TransactionsDependencies['ask'] = review
    ? async (transaction, input) => review(transaction, await dependencies.ask(transaction, input))
    : dependencies.ask;
  // Made once: every status poll settles, and a spread per call showed in its profile.
  const io = { ...dependencies, ask, transition, reread };
  const reviewed = (transaction: Transaction, input: SettleInput | undefined): SettleInput | undefined =>
    review && input?.pushed ? { ...input, pushed: review(transaction, input.pushed) } : input;

  return {
    bound,
    lookup,
    refuseLogin,
    stopForStranger,
    find: async (id) => (isTransactionId(id) ? store.get(id) : undefined),
    settle: (transaction, policy, input) => settle(io, transaction, policy, reviewed(transaction, input)),
    cancel,
  };
}
