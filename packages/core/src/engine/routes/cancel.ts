import type { Route } from '../context.js';
import type { EidOutcome } from '../contract.js';
import { cancellation } from '../transactions/decide.js';

/** Cancels a login in progress: at the provider first (once), then the transaction; twice is fine. */
export const cancel: Route = async (ctx, request) => {
  const transaction = await ctx.transactions.bound(request.params.transactionId, request.session);
  const answer = (): EidOutcome => ({
    response: { type: 'json', status: 200, body: { transactionId: transaction.id, status: 'cancelled' } },
  });
  const step = cancellation(transaction, ctx.now(), 'This login has ended already and cannot be cancelled.');
  if (step.next === 'done') return answer();
  if (step.next === 'refuse') throw step.error;
  // If the provider refuses, the transaction stays as it was.
  await ctx.providers.find(transaction.provider).cancel?.(transaction);
  await ctx.transactions.cancel(transaction, request.session);
  return answer();
};
