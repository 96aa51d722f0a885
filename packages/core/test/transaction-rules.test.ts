import { describe, expect, it } from 'vitest';
import {
  CALLBACK_LEASE_MS,
  callbackRefusal,
  cancellation,
  decide,
  POLL_INTERVAL_MS,
  rulesOf,
  type SettleEvent,
  type SettlePolicy,
  type Step,
  strangerCallback,
} from '../src/engine/transactions/decide.js';
import { EidError } from '../src/errors.js';
import type { Transaction } from '../src/transaction.js';
import { KARI } from './helpers/scripted-provider.js';

const NOW = 1_000_000;

function transaction(changes: Partial<Transaction> = {}): Transaction {
  return {
    id: 'T'.repeat(43),
    kind: 'login',
    provider: 'acme',
    method: 'phone',
    flow: 'headless',
    status: 'pending',
    version: 3,
    createdAt: NOW - 10_000,
    expiresAt: NOW + 60_000,
    retainUntil: NOW + 960_000,
    reference: 'ref-1',
    returnTo: '/',
    bindingHash: 'hash',
    ...changes,
  };
}

const read: SettleEvent = { kind: 'read' };
const identity = { ...KARI, provider: 'acme', method: 'phone', transactionId: 'T'.repeat(43) };
const complete = { status: 'complete', identity: KARI } as const;
const completeWithHint = { ...complete, endSession: { idTokenHint: 'h.p.s' } };
const providerLogout = { provider: 'acme', idTokenHint: 'h.p.s' };
const refused = new EidError('provider_error', 'invalid_grant');
const pendingAnswer = (tx: Transaction): Step => ({
  next: 'answer',
  settled: { state: 'pending', transaction: tx },
});

describe('decide: the transaction rules, without a store', () => {
  const pending = transaction();
  const redirect = transaction({ flow: 'redirect' });
  const claimed = transaction({ claimedUntil: NOW + 1 });
  const expired = transaction({ expiresAt: NOW });
  const pushedComplete = transaction({ status: 'complete', identity, finishedAt: NOW - 5 });
  const pushedFailure = transaction({
    status: 'failed',
    error: { code: 'user_cancelled', message: 'Cancelled.' },
    finishedAt: NOW - 5,
  });
  const spent = transaction({ status: 'complete', consumedAt: NOW - 5, finishedAt: NOW - 5 });

  it.each<[string, Transaction, SettleEvent, SettlePolicy, Step]>([
    // Asking the provider, and claims.
    [
      'a poll claims a pending headless login for as long as its call may last',
      pending,
      read,
      'poll',
      { next: 'claim', claimedUntil: NOW + CALLBACK_LEASE_MS },
    ],
    [
      'a callback claims it for a code exchange',
      redirect,
      read,
      'callback',
      { next: 'claim', claimedUntil: NOW + CALLBACK_LEASE_MS },
    ],
    [
      'a signal push claims it too',
      pending,
      read,
      'push',
      { next: 'claim', claimedUntil: NOW + CALLBACK_LEASE_MS },
    ],
    ['a poll never asks for a redirect login', redirect, read, 'poll', pendingAnswer(redirect)],
    [
      'a poll under another claim answers pending (the throttle)',
      claimed,
      read,
      'poll',
      pendingAnswer(claimed),
    ],
    ['a callback under another claim waits', claimed, read, 'callback', { next: 'wait' }],
    ['a push under another claim waits', claimed, read, 'push', { next: 'wait' }],
    [
      'a failed callback releases its claim',
      claimed,
      { kind: 'unanswered' },
      'callback',
      { next: 'rethrow', releaseClaim: true },
    ],
    [
      'a failed poll cuts its claim to one interval from when it asked (the throttle)',
      claimed,
      { kind: 'unanswered', askedAt: NOW - 300 },
      'poll',
      { next: 'rethrow', releaseClaim: false, claimUntil: NOW - 300 + POLL_INTERVAL_MS },
    ],
    [
      'a poll that failed after more than an interval releases its claim',
      claimed,
      { kind: 'unanswered', askedAt: NOW - POLL_INTERVAL_MS - 1 },
      'poll',
      { next: 'rethrow', releaseClaim: true },
    ],
    // Expiry.
    [
      'an expired pending login expires, whoever looks',
      expired,
      { kind: 'pushed', result: complete },
      'push',
      {
        next: 'write',
        changes: { status: 'expired', finishedAt: NOW },
        outcome: { state: 'final', error: expect.objectContaining({ code: 'transaction_expired' }) },
        log: { level: 'info', message: 'transaction expired', fields: { transactionId: expired.id } },
      },
    ],
    // Results.
    [
      'a polled success is taken by the browser at once',
      claimed,
      { kind: 'answered', result: complete },
      'poll',
      {
        next: 'write',
        changes: { status: 'complete', finishedAt: NOW, claimedUntil: undefined, consumedAt: NOW },
        outcome: { state: 'identified', identity },
        log: {
          level: 'info',
          message: 'login complete',
          fields: { transactionId: claimed.id, provider: 'acme' },
        },
      },
    ],
    [
      'a pushed success waits in the transaction',
      pending,
      { kind: 'pushed', result: complete },
      'push',
      {
        next: 'write',
        changes: { status: 'complete', finishedAt: NOW, claimedUntil: undefined, identity },
        outcome: { state: 'final' },
        log: expect.objectContaining({ message: 'login complete' }),
      },
    ],
    [
      "a called-back success hands the provider's end-session hint to the browser with the identity",
      claimed,
      { kind: 'answered', result: completeWithHint },
      'callback',
      {
        next: 'write',
        changes: { status: 'complete', finishedAt: NOW, claimedUntil: undefined, consumedAt: NOW },
        outcome: { state: 'identified', identity, providerLogout },
        log: expect.objectContaining({ message: 'login complete' }),
      },
    ],
    [
      'a pushed success keeps the end-session hint beside the identity in the transaction',
      pending,
      { kind: 'pushed', result: completeWithHint },
      'push',
      {
        next: 'write',
        changes: { status: 'complete', finishedAt: NOW, claimedUntil: undefined, identity, providerLogout },
        outcome: { state: 'final' },
        log: expect.objectContaining({ message: 'login complete' }),
      },
    ],
    [
      'a called-back failure is recorded, spent, and logged at warn without personal data',
      claimed,
      { kind: 'answered', result: { status: 'failed', error: refused } },
      'callback',
      {
        next: 'write',
        changes: {
          status: 'failed',
          finishedAt: NOW,
          claimedUntil: undefined,
          error: { code: 'provider_error', message: 'invalid_grant' },
          consumedAt: NOW,
        },
        outcome: { state: 'final', error: refused },
        log: {
          level: 'warn',
          message: 'login failed',
          fields: {
            code: 'provider_error',
            provider: 'acme',
            transactionId: claimed.id,
            cause: 'EidError:provider_error',
          },
        },
      },
    ],
    [
      'a pushed cancellation is recorded, not spent',
      pending,
      { kind: 'pushed', result: { status: 'cancelled' } },
      'push',
      {
        next: 'write',
        changes: {
          status: 'cancelled',
          finishedAt: NOW,
          claimedUntil: undefined,
          error: { code: 'user_cancelled', message: 'The login was cancelled.' },
        },
        outcome: { state: 'final', error: expect.objectContaining({ code: 'user_cancelled' }) },
        log: expect.objectContaining({ level: 'warn' }),
      },
    ],
    [
      'a callback the provider has not finished releases its claim, carrying what the provider said',
      claimed,
      { kind: 'answered', result: { status: 'pending', bindingMessage: 'Red fox' } },
      'callback',
      {
        next: 'answer',
        settled: { state: 'pending', transaction: { ...claimed, bindingMessage: 'Red fox' } },
        releaseClaim: true,
      },
    ],
    [
      'a poll still pending cuts its claim to one interval from when it asked, and shows the current QR',
      claimed,
      { kind: 'answered', result: { status: 'pending', qrData: 'qr-2' }, askedAt: NOW - 200 },
      'poll',
      {
        next: 'answer',
        settled: { state: 'pending', transaction: { ...claimed, qrData: 'qr-2' } },
        claimUntil: NOW - 200 + POLL_INTERVAL_MS,
      },
    ],
    [
      'a poll answered after more than an interval (a slow provider) releases its claim',
      claimed,
      { kind: 'answered', result: { status: 'pending' }, askedAt: NOW - 2 * POLL_INTERVAL_MS },
      'poll',
      { next: 'answer', settled: { state: 'pending', transaction: claimed }, releaseClaim: true },
    ],
    // Who takes the identity, and when the transaction is spent.
    [
      'the bound browser takes a pushed identity once',
      pushedComplete,
      read,
      'poll',
      {
        next: 'write',
        changes: { consumedAt: NOW, identity: undefined },
        outcome: { state: 'identified', identity },
      },
    ],
    [
      'the bound browser takes a pushed identity and its end-session hint once, removing both',
      { ...pushedComplete, providerLogout },
      read,
      'poll',
      {
        next: 'write',
        changes: { consumedAt: NOW, identity: undefined, providerLogout: undefined },
        outcome: { state: 'identified', identity, providerLogout },
      },
    ],
    [
      'the bound browser learns a pushed failure once',
      pushedFailure,
      read,
      'callback',
      {
        next: 'write',
        changes: { consumedAt: NOW },
        outcome: { state: 'final', error: expect.objectContaining({ code: 'user_cancelled' }) },
      },
    ],
    [
      'a push never takes the identity',
      pushedComplete,
      { kind: 'pushed', result: complete },
      'push',
      { next: 'answer', settled: { state: 'final', transaction: pushedComplete } },
    ],
    [
      'a redirect login polled after a push is not taken by the poll',
      { ...pushedComplete, flow: 'redirect' },
      read,
      'poll',
      { next: 'answer', settled: { state: 'final', transaction: { ...pushedComplete, flow: 'redirect' } } },
    ],
    [
      'a spent transaction only answers',
      spent,
      read,
      'callback',
      { next: 'answer', settled: { state: 'final', transaction: spent } },
    ],
  ])('%s', (_name, tx, event, policy, expected) => {
    expect(decide(tx, event, policy, NOW)).toEqual(expected);
  });

  it('removes the end-session hint from the transaction when the browser takes the identity', () => {
    const step = decide(transaction({ status: 'complete', identity, providerLogout }), read, 'poll', NOW);
    if (step.next !== 'write') throw new Error(`expected a write, got ${step.next}`);
    // Changes are merged into the stored transaction: the key must be there to overwrite the hint.
    expect(Object.keys(step.changes)).toEqual(expect.arrayContaining(['identity', 'providerLogout']));
  });

  it('carries the kind through: an older transaction without one is a login', () => {
    const { kind: _kind, ...withoutKind } = transaction();
    const step = decide(withoutKind, { kind: 'answered', result: complete }, 'poll', NOW);
    expect(step).toMatchObject({ next: 'write', log: { message: 'login complete' } });
  });

  it('a verify transaction keeps the verified person for the operator and hands nobody an identity', () => {
    const verifying = transaction({ kind: 'verify', method: 'caller' });
    const person = { ...identity, method: 'caller' };
    for (const policy of ['poll', 'push', 'callback'] as const) {
      expect(decide(verifying, { kind: 'answered', result: completeWithHint }, policy, NOW), policy).toEqual({
        next: 'write',
        // No consumedAt, no identity, no end-session hint: nothing for a session to take.
        changes: { status: 'complete', finishedAt: NOW, claimedUntil: undefined, verified: person },
        outcome: { state: 'final', verified: person },
        log: {
          level: 'info',
          message: 'verify complete',
          fields: { transactionId: verifying.id, provider: 'acme' },
        },
      });
    }
    // Finished: every poll is answered as it stands, even one that (wrongly) holds an identity.
    const done = transaction({
      kind: 'verify',
      status: 'complete',
      verified: person,
      identity,
      finishedAt: NOW,
    });
    expect(decide(done, read, 'poll', NOW)).toEqual({
      next: 'answer',
      settled: { state: 'final', transaction: done },
    });
    const failed = transaction({
      kind: 'verify',
      status: 'failed',
      error: { code: 'user_cancelled', message: 'Cancelled.' },
    });
    expect(decide(failed, read, 'poll', NOW)).toMatchObject({ next: 'answer', settled: { state: 'final' } });
  });

  it('poll rules depend on the flow; callback and push rules do not', () => {
    expect(rulesOf('poll', { flow: 'redirect' })).toMatchObject({ asks: false, takes: false });
    expect(rulesOf('poll', { flow: 'headless' })).toMatchObject({
      asks: true,
      takes: true,
      waitsForClaim: false,
    });
    expect(rulesOf('push', { flow: 'redirect' })).toMatchObject({
      asks: true,
      takes: false,
      waitsForClaim: true,
    });
    expect(rulesOf('callback', { flow: 'headless' })).toMatchObject({
      takes: true,
      leaseMs: CALLBACK_LEASE_MS,
    });
  });
});

describe('callbackRefusal and cancellation', () => {
  it.each<[string, Partial<Transaction>, string, string | undefined]>([
    ['another provider', {}, 'other', 'transaction_not_found'],
    ['expired', { status: 'expired' }, 'acme', 'transaction_expired'],
    ['spent', { status: 'failed', consumedAt: NOW }, 'acme', 'already_used'],
    ['pending', {}, 'acme', undefined],
    ['finished by a push, not yet seen', { status: 'complete', identity }, 'acme', undefined],
    ['that is a verification', { kind: 'verify' }, 'acme', 'transaction_not_found'],
  ])('a callback for a transaction %s', (_name, changes, provider, code) => {
    expect(callbackRefusal(transaction(changes), provider)?.code).toBe(code);
  });

  it('cancels a pending login, is done with a cancelled one, refuses an ended one', () => {
    expect(cancellation(transaction(), NOW, 'ended')).toEqual({
      next: 'write',
      changes: {
        status: 'cancelled',
        finishedAt: NOW,
        error: { code: 'user_cancelled', message: 'The login was cancelled.' },
      },
    });
    expect(cancellation(transaction({ status: 'cancelled' }), NOW, 'ended')).toEqual({ next: 'done' });
    const refusal = cancellation(transaction({ status: 'complete' }), NOW, 'ended');
    expect(refusal).toMatchObject({ next: 'refuse', error: { code: 'already_used', message: 'ended' } });
  });
});

describe('strangerCallback: a callback in a browser that does not hold the login', () => {
  it.each<[string, Partial<Transaction>, string, boolean]>([
    ['pending', {}, 'acme', true],
    [
      'pending, claimed by the bound browser asking the provider',
      { claimedUntil: NOW + 5_000 },
      'acme',
      true,
    ],
    [
      'finished by a push, the identity waiting for the browser',
      { status: 'complete', identity },
      'acme',
      true,
    ],
    ['pending, of another provider', {}, 'other', false],
    ['pending past its expiry', { expiresAt: NOW }, 'acme', false],
    ['expired', { status: 'expired' }, 'acme', false],
    ['spent', { status: 'complete', consumedAt: NOW - 5 }, 'acme', false],
    [
      'failed, not yet seen',
      { status: 'failed', error: { code: 'user_cancelled', message: 'x' } },
      'acme',
      false,
    ],
    ['cancelled', { status: 'cancelled' }, 'acme', false],
  ])('a transaction %s: stopped = %s', (_name, changes, provider, stops) => {
    expect(strangerCallback(transaction(changes), provider, NOW).next).toBe(stops ? 'write' : 'none');
  });

  it('fails the login with browser_mismatch, unspent, and drops an identity a push left in it', () => {
    const step = strangerCallback(
      transaction({ status: 'complete', identity, providerLogout, claimedUntil: NOW + 1 }),
      'acme',
      NOW,
    );
    expect(step).toMatchObject({
      next: 'write',
      changes: {
        status: 'failed',
        finishedAt: NOW,
        claimedUntil: undefined,
        identity: undefined,
        providerLogout: undefined,
        error: { code: 'browser_mismatch' },
      },
      log: { level: 'warn', fields: { code: 'browser_mismatch', provider: 'acme' } },
    });
    // The browser holding the login learns it once (`finished`), then `already_used`.
    expect(step.next === 'write' && 'consumedAt' in step.changes).toBe(false);
  });

  it('the browser holding a stopped login learns browser_mismatch once, at its callback', () => {
    const stopped = strangerCallback(transaction({ flow: 'redirect' }), 'acme', NOW);
    if (stopped.next !== 'write') throw new Error('expected a write');
    const after = transaction({ flow: 'redirect', ...stopped.changes });
    expect(callbackRefusal(after, 'acme')).toBeUndefined();
    expect(decide(after, read, 'callback', NOW)).toMatchObject({
      next: 'write',
      changes: { consumedAt: NOW },
      outcome: { state: 'final', error: { code: 'browser_mismatch' } },
    });
    expect(callbackRefusal({ ...after, consumedAt: NOW }, 'acme')?.code).toBe('already_used');
  });
});
