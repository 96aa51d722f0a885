import { EidError } from '../../errors.js';
import type { Route } from '../context.js';
import { concerning } from '../failures.js';
import { loginChange } from '../provider-logout.js';

/** Where a login stands; a headless login is polled at the provider here and finishes here, once. */
export const status: Route = async (ctx, request) => {
  const transaction = await ctx.transactions.bound(request.params.transactionId, request.session);
  return concerning(request, { provider: transaction.provider, transactionId: transaction.id }, async () => {
    const settled = await ctx.transactions.settle(transaction, 'poll');
    if (settled.state === 'final' && settled.transaction.status === 'expired') {
      throw new EidError('transaction_expired', 'The login has expired. Start it again.', { status: 404 });
    }
    const current = settled.transaction;
    const pending = current.status === 'pending';
    const body = {
      transactionId: current.id,
      status: current.status,
      ...(pending && current.bindingMessage ? { bindingMessage: current.bindingMessage } : {}),
      ...(pending && current.qrData ? { qrData: current.qrData } : {}),
      ...(settled.state === 'final' && settled.error ? settled.error.toJSON() : {}),
      ...(settled.state === 'identified' ? { returnTo: current.returnTo } : {}),
    };
    return {
      ...(settled.state === 'identified' ? { session: loginChange(settled) } : {}),
      response: { type: 'json', status: 200, body },
    };
  });
};
