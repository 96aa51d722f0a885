import { EidError } from '../../errors.js';
import { kindOf } from '../../transaction.js';
import type { Route } from '../context.js';
import { concerning } from '../failures.js';
import { decideLogin } from '../login-hook.js';
import { loginChange } from '../provider-logout.js';
import { POLL_INTERVAL_MS } from '../transactions/decide.js';
import { requireVerifyAuthorization } from '../verify.js';

/**
 * Where a transaction stands; a headless one is polled at the provider here. A login finishes here, once, into
 * the session. A verification never touches the session: once complete, the bound operator's every poll shows
 * the verified person (`verified`) until the transaction is forgotten, as long as `authorizeVerify` allows it.
 */
export const status: Route = async (ctx, request) => {
  const transaction = await ctx.transactions.bound(request.params.transactionId, request.session);
  return concerning(request, { provider: transaction.provider, transactionId: transaction.id }, async () => {
    const verify = kindOf(transaction) === 'verify';
    if (verify) {
      await requireVerifyAuthorization(ctx, request, 'status', {
        provider: transaction.provider,
        method: transaction.method,
      });
    }
    const polled = await ctx.transactions.settle(transaction, 'poll');
    // A login this poll takes is the app's to accept (`onLogin`); a refusal is answered as a failed login.
    const settled =
      polled.state === 'identified' && !verify ? await decideLogin(ctx, request, polled) : polled;
    if (settled.state === 'final' && settled.transaction.status === 'expired') {
      throw new EidError('transaction_expired', 'The login has expired. Start it again.', { status: 404 });
    }
    const current = settled.transaction;
    const pending = current.status === 'pending';
    const verified = verify && current.status === 'complete' ? current.verified : undefined;
    const signature = current.status === 'complete' ? current.signature : undefined;
    const body = {
      transactionId: current.id,
      status: current.status,
      ...(pending && current.bindingMessage ? { bindingMessage: current.bindingMessage } : {}),
      ...(pending && current.qrData ? { qrData: current.qrData } : {}),
      ...(pending && current.flow === 'headless' ? { retryAfterMs: nextPollMs(current, ctx.now()) } : {}),
      ...(settled.state === 'final' && settled.error ? settled.error.toJSON() : {}),
      // The login, when this request took it, or when this session holds it (a reload of the status page).
      ...(settled.state === 'identified' ||
      (!verify && current.status === 'complete' && request.session?.identity?.transactionId === current.id)
        ? { returnTo: current.returnTo }
        : {}),
      ...(verified ? { verified } : {}),
      ...(signature ? { signature } : {}),
    };
    return {
      ...(settled.state === 'identified' && !verify ? { session: loginChange(settled) } : {}),
      response: { type: 'json', status: 200, body },
    };
  });
};

/**
 * When a poll may learn something new: when this interval's claim ends (the provider is asked at most once per
 * interval), at most an interval from now (a claim held by a call in flight ends when it answers).
 */
function nextPollMs(transaction: { claimedUntil?: number | undefined }, now: number): number {
  const left = (transaction.claimedUntil ?? 0) - now;
  return left > 0 ? Math.min(left, POLL_INTERVAL_MS) : POLL_INTERVAL_MS;
}
