import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { CompleteResult } from '../../providers/types.js';
import { kindOf, type Transaction, type TransactionStatus } from '../../transaction.js';
import type { ProviderLogout, SignResult } from '../contract.js';
import { signatureOf } from '../signing/result.js';

/** A callback's (or push's) claim on asking the provider: long enough for an OIDC code exchange. */
export const CALLBACK_LEASE_MS = 15_000;
/**
 * Status polls ask the provider at most once per interval per transaction. A poll's claim lasts as long as its
 * call may (the callback's lease, should the process die mid-call); once answered (or failed) the claim is cut to
 * the interval counted from when the call began, so calls never overlap, across processes too, and begin at least
 * an interval apart however slow the provider is.
 */
export const POLL_INTERVAL_MS = 1_000;

/**
 * Who is settling the transaction, which decides what it may do:
 * - `callback`: the bound browser back from the provider. Asks the provider, one request at a time (it
 *   waits for another request's claim), and takes the outcome now, once.
 * - `poll`: the bound browser polling the status. Asks the provider at most once per interval and takes
 *   the outcome once; headless logins only, since redirect logins finish at their callback.
 * - `push`: the provider's webhook. Finishes the transaction and leaves the identity in it for the bound
 *   browser to take.
 */
export type SettlePolicy = 'callback' | 'poll' | 'push';

export interface PolicyRules {
  /** Ask the provider while the transaction is pending. */
  asks: boolean;
  /** The caller is the bound browser: it takes the identity (or learns the failure) now, once. */
  takes: boolean;
  /** How long the claim on asking the provider lasts while the call runs. */
  leaseMs: number;
  /** After an answer, the claim lasts until this long after the call began (polls); 0: it is released. */
  throttleMs: number;
  /** Wait for another request's claim to end instead of answering "pending". */
  waitsForClaim: boolean;
}

export function rulesOf(policy: SettlePolicy, transaction: Pick<Transaction, 'flow'>): PolicyRules {
  switch (policy) {
    case 'callback':
      return { asks: true, takes: true, leaseMs: CALLBACK_LEASE_MS, throttleMs: 0, waitsForClaim: true };
    case 'push':
      return { asks: true, takes: false, leaseMs: CALLBACK_LEASE_MS, throttleMs: 0, waitsForClaim: true };
    case 'poll': {
      // Redirect logins finish at the callback; polling them here would race the browser's return.
      const headless = transaction.flow === 'headless';
      return {
        asks: headless,
        takes: headless,
        leaseMs: CALLBACK_LEASE_MS,
        throttleMs: POLL_INTERVAL_MS,
        waitsForClaim: false,
      };
    }
  }
}

/** Where a settled transaction stands for the request that settled it. */
export type Settled =
  | { state: 'pending'; transaction: Transaction }
  /** This request takes the identity (and the provider's end-session hint, if any) into its browser session. */
  | { state: 'identified'; transaction: Transaction; identity: Identity; providerLogout?: ProviderLogout }
  /**
   * Ended. `verified`: this request recorded a `verify` transaction's success (it fires `onVerified`, once);
   * the verified person is in `transaction.verified`, never in a session.
   */
  | { state: 'final'; transaction: Transaction; error?: EidError; verified?: Identity; signed?: SignResult };

/** What the request just learnt about the transaction. */
export type SettleEvent =
  /** It read the transaction (first, or again after another request changed it). */
  | { kind: 'read' }
  /** The provider pushed this result. */
  | { kind: 'pushed'; result: CompleteResult }
  /** The provider answered the request that holds the claim; it asked at `askedAt` (default: now). */
  | { kind: 'answered'; result: CompleteResult; askedAt?: number }
  /** Asking the provider (begun at `askedAt`, default now) failed: it threw. */
  | { kind: 'unanswered'; askedAt?: number };

export interface LogEntry {
  level: 'info' | 'warn';
  message: string;
  fields: Record<string, unknown>;
}

/** What the settled transaction becomes once a write succeeds. */
export type WriteOutcome =
  | { state: 'identified'; identity: Identity; providerLogout?: ProviderLogout }
  | { state: 'final'; error?: EidError; verified?: Identity; signed?: SignResult };

/** The next thing the request does. Every write is a compare-and-set; on conflict it reads again. */
/**
 * `releaseClaim`: end this request's claim; `claimUntil`: cut it to this time (a poll's throttle). Neither: leave
 * it.
 */
export type Step =
  | { next: 'answer'; settled: Settled; releaseClaim?: boolean; claimUntil?: number }
  | { next: 'write'; changes: Partial<Transaction>; outcome: WriteOutcome; log?: LogEntry }
  | { next: 'claim'; claimedUntil: number }
  | { next: 'wait' }
  | { next: 'rethrow'; releaseClaim: boolean; claimUntil?: number };

export function expiredError(): EidError {
  return new EidError('transaction_expired', 'The login took too long and has expired. Start it again.');
}

/**
 * The transaction's rules as one pure function: whether to ask the provider, who takes the identity, when
 * the transaction is spent, what a pushed, polled or called-back result does, expiry, and claims.
 */
export function decide(
  transaction: Transaction,
  event: SettleEvent,
  policy: SettlePolicy,
  now: number,
): Step {
  const rules = rulesOf(policy, transaction);
  if (event.kind === 'unanswered') {
    // A callback or push that failed (a forged callback, the provider down) must not hold up the next one for
    // the whole lease; a poll's claim becomes the throttle.
    const claimUntil = throttledUntil(rules, event.askedAt ?? now, now);
    return claimUntil === undefined
      ? { next: 'rethrow', releaseClaim: true }
      : { next: 'rethrow', releaseClaim: false, claimUntil };
  }
  if (event.kind === 'answered') {
    return applyResult(transaction, event.result, rules, now, event.askedAt ?? now);
  }
  if (transaction.status !== 'pending') return finished(transaction, rules, now);
  if (now >= transaction.expiresAt) {
    return {
      next: 'write',
      changes: { status: 'expired', finishedAt: now },
      outcome: { state: 'final', error: expiredError() },
      log: { level: 'info', message: 'transaction expired', fields: { transactionId: transaction.id } },
    };
  }
  if (event.kind === 'pushed') return applyResult(transaction, event.result, rules, now, undefined);
  if (!rules.asks) return { next: 'answer', settled: { state: 'pending', transaction } };
  if ((transaction.claimedUntil ?? 0) > now) {
    return rules.waitsForClaim
      ? { next: 'wait' }
      : { next: 'answer', settled: { state: 'pending', transaction } };
  }
  return { next: 'claim', claimedUntil: now + rules.leaseMs };
}

/**
 * Until when a claim whose call began at `askedAt` holds once the call is over: the poll interval from `askedAt`,
 * or undefined (release it) for callbacks and pushes, and when the interval is already past.
 */
function throttledUntil(rules: PolicyRules, askedAt: number, now: number): number | undefined {
  const until = askedAt + rules.throttleMs;
  return rules.throttleMs > 0 && until > now ? until : undefined;
}

/** A provider's result (asked for at `askedAt`, or pushed: undefined) applied to a pending transaction. */
function applyResult(
  transaction: Transaction,
  result: CompleteResult,
  rules: PolicyRules,
  now: number,
  askedAt: number | undefined,
): Step {
  if (result.status === 'pending') {
    const current: Transaction = {
      ...transaction,
      ...(result.bindingMessage ? { bindingMessage: result.bindingMessage } : {}),
      // Swedish BankID's QR changes every second: each poll carries the current one.
      ...(result.qrData ? { qrData: result.qrData } : {}),
    };
    // A callback that found the provider unfinished lets the next request ask at once; a poll's claim becomes
    // the throttle.
    const settled: Settled = { state: 'pending', transaction: current };
    if (askedAt === undefined) return { next: 'answer', settled };
    const claimUntil = throttledUntil(rules, askedAt, now);
    return claimUntil === undefined
      ? { next: 'answer', settled, releaseClaim: true }
      : { next: 'answer', settled, claimUntil };
  }
  if (result.status === 'complete') {
    const identity: Identity = {
      ...result.identity,
      provider: transaction.provider,
      method: transaction.method,
      transactionId: transaction.id,
    };
    if (kindOf(transaction) === 'verify') {
      // The operator verified someone else: the person is kept for the operator to see, whoever records it
      // (poll or push), and never becomes a login. No end-session hint: nobody logged in.
      return {
        next: 'write',
        changes: { status: 'complete', finishedAt: now, claimedUntil: undefined, verified: identity },
        outcome: { state: 'final', verified: identity },
        log: {
          level: 'info',
          message: 'verify complete',
          fields: { transactionId: transaction.id, provider: transaction.provider },
        },
      };
    }
    if (kindOf(transaction) === 'sign') return signed(transaction, identity, result, rules, now);
    const providerLogout: ProviderLogout | undefined = result.endSession
      ? { provider: transaction.provider, idTokenHint: result.endSession.idTokenHint }
      : undefined;
    const withLogout = providerLogout ? { providerLogout } : {};
    // The bound browser takes the identity now; otherwise (a push) it waits in the transaction.
    return {
      next: 'write',
      changes: {
        status: 'complete',
        finishedAt: now,
        claimedUntil: undefined,
        ...(rules.takes ? { consumedAt: now } : { identity, ...withLogout }),
      },
      outcome: rules.takes ? { state: 'identified', identity, ...withLogout } : { state: 'final' },
      log: {
        level: 'info',
        message: `${kindOf(transaction)} complete`,
        fields: { transactionId: transaction.id, provider: transaction.provider },
      },
    };
  }
  const status: TransactionStatus = result.status === 'cancelled' ? 'cancelled' : 'failed';
  const error =
    result.status === 'cancelled' ? new EidError('user_cancelled', 'The login was cancelled.') : result.error;
  return {
    next: 'write',
    changes: {
      status,
      finishedAt: now,
      claimedUntil: undefined,
      error: { code: error.code, message: error.message },
      // The browser asking learns the outcome now; a replay of its callback is then `already_used`.
      ...(rules.takes ? { consumedAt: now } : {}),
    },
    outcome: { state: 'final', error },
    log: {
      level: 'warn',
      message: `${kindOf(transaction)} failed`,
      fields: {
        code: error.code,
        provider: transaction.provider,
        transactionId: transaction.id,
        cause: `EidError:${error.code}`,
      },
    },
  };
}

/**
 * A signing the provider reports complete: the signature and its evidence are kept (never a login), and the
 * request whose write records it fires `onSigned`. A completion without evidence is the provider's failure.
 */
function signed(
  transaction: Transaction,
  signer: Identity,
  result: Extract<CompleteResult, { status: 'complete' }>,
  rules: PolicyRules,
  now: number,
): Step {
  const evidence = result.evidence;
  if (!evidence || evidence.content.length === 0) {
    const error = new EidError(
      'provider_error',
      'The provider reported the signing complete without a signature.',
    );
    return applyResult(transaction, { status: 'failed', error }, rules, now, undefined);
  }
  const signature = signatureOf(transaction, signer, evidence, result.signedAt ?? new Date(now));
  return {
    next: 'write',
    changes: {
      status: 'complete',
      finishedAt: now,
      claimedUntil: undefined,
      signature,
      evidence: Buffer.from(evidence.content).toString('base64'),
      ...(rules.takes ? { consumedAt: now } : {}),
    },
    outcome: { state: 'final', signed: signature },
    log: {
      level: 'info',
      message: 'sign complete',
      fields: { transactionId: transaction.id, provider: transaction.provider },
    },
  };
}

/** A transaction that has left `pending`: the bound browser learns how it ended, once. */
function finished(transaction: Transaction, rules: PolicyRules, now: number): Step {
  const error = transaction.error
    ? new EidError(transaction.error.code, transaction.error.message)
    : undefined;
  const final: Settled = { state: 'final', transaction, ...(error ? { error } : {}) };
  // A verify or sign transaction has nothing to hand over: its outcome is shown as it stands, to every poll.
  if (kindOf(transaction) !== 'login') return { next: 'answer', settled: final };
  if (!rules.takes || transaction.consumedAt !== undefined) return { next: 'answer', settled: final };
  if (transaction.status === 'complete') {
    if (!transaction.identity) return { next: 'answer', settled: final };
    // Finished by the provider's push before this browser came back: hand the identity over once.
    const { providerLogout } = transaction;
    return {
      next: 'write',
      changes: { consumedAt: now, identity: undefined, providerLogout: undefined },
      outcome: {
        state: 'identified',
        identity: transaction.identity,
        ...(providerLogout ? { providerLogout } : {}),
      },
    };
  }
  // Ended by the provider's push (or a cancel) before this browser came back: tell it once.
  return {
    next: 'write',
    changes: { consumedAt: now },
    outcome: { state: 'final', ...(error ? { error } : {}) },
  };
}

/**
 * A callback reloaded after its transaction was spent, answered as the first time without asking the provider:
 * the login again (no session change) when this session holds the login of this very transaction; the same error
 * when it failed or was cancelled. Undefined otherwise (`callbackRefusal` decides): a session that holds the old
 * binding but not this login (logged out since, or a copy from before the login) never logs in with it again.
 */
export function replayedCallback(
  transaction: Transaction,
  providerId: string,
  loggedInWithIt: boolean,
): { state: 'identified' } | { state: 'final'; error: EidError } | undefined {
  if (transaction.provider !== providerId || kindOf(transaction) === 'verify') return undefined;
  if (transaction.consumedAt === undefined) return undefined;
  if (transaction.status === 'complete') return loggedInWithIt ? { state: 'identified' } : undefined;
  if ((transaction.status === 'failed' || transaction.status === 'cancelled') && transaction.error) {
    return { state: 'final', error: new EidError(transaction.error.code, transaction.error.message) };
  }
  return undefined;
}

/** Why a callback may not settle this transaction, if it may not. */
export function callbackRefusal(transaction: Transaction, providerId: string): EidError | undefined {
  // A verify transaction is headless and never finished by a browser coming back.
  if (transaction.provider !== providerId || kindOf(transaction) === 'verify') {
    return new EidError('transaction_not_found', 'This callback does not belong to the login in progress.');
  }
  if (transaction.status === 'expired') return expiredError();
  // A callback counts once: after the browser has been told the outcome, the transaction is spent.
  if (transaction.consumedAt !== undefined) {
    return new EidError('already_used', 'This login has ended already; a callback counts only once.');
  }
  return undefined;
}

/**
 * The login stopped because its callback came back to a browser without its binding: the person approved at
 * the eID in one browser while another one holds the login (a relayed login: someone started it and sent the
 * provider's link to the person). The browser holding it learns this once, then `already_used`.
 */
export function browserMismatchError(): EidError {
  return new EidError(
    'browser_mismatch',
    'This login was returned to in another browser than the one that started it, so it was stopped. If you started it, start it again in the browser you want to be logged in with.',
  );
}

/**
 * A callback for this transaction came to a browser that does not hold its binding. A login no browser has
 * taken yet (pending, or finished by a push with the identity still waiting in it) fails: the stranger cannot
 * finish it, and the browser holding it must not finish it either, since the person who approved is at the
 * other browser. The identity a push left is dropped. Expired, ended or spent transactions are left alone, as
 * is one of another provider (the callback route names the provider).
 */
export function strangerCallback(
  transaction: Transaction,
  providerId: string,
  now: number,
): { next: 'none' } | { next: 'write'; changes: Partial<Transaction>; log: LogEntry } {
  if (transaction.provider !== providerId || transaction.consumedAt !== undefined) return { next: 'none' };
  const waiting = transaction.status === 'complete' && transaction.identity !== undefined;
  const open = transaction.status === 'pending' && now < transaction.expiresAt;
  if (!open && !waiting) return { next: 'none' };
  const error = browserMismatchError();
  return {
    next: 'write',
    changes: {
      status: 'failed',
      finishedAt: now,
      claimedUntil: undefined,
      identity: undefined,
      providerLogout: undefined,
      error: { code: error.code, message: error.message },
    },
    log: {
      level: 'warn',
      message: `${kindOf(transaction)} stopped: its callback came to another browser than the one that started it`,
      fields: { code: error.code, provider: transaction.provider, transactionId: transaction.id },
    },
  };
}

/** Cancelling: nothing to do when already cancelled, refused once the login has ended. */
export function cancellation(
  transaction: Transaction,
  now: number,
  ended: string,
): { next: 'done' } | { next: 'refuse'; error: EidError } | { next: 'write'; changes: Partial<Transaction> } {
  if (transaction.status === 'cancelled') return { next: 'done' };
  if (transaction.status !== 'pending') return { next: 'refuse', error: new EidError('already_used', ended) };
  return {
    next: 'write',
    changes: {
      status: 'cancelled',
      finishedAt: now,
      error: { code: 'user_cancelled', message: 'The login was cancelled.' },
    },
  };
}
