import { EidError } from '../../errors.js';
import type { Route } from '../context.js';
import { prefersJson } from '../contract.js';
import { concerning } from '../failures.js';
import { loginChange } from '../provider-logout.js';
import { stringQuery } from '../request-input.js';
import { callbackRefusal } from '../transactions/decide.js';

/** The browser back from the provider: the login finishes here, once, into a regenerated session. */
export const callback: Route = async (ctx, request) => {
  const json = prefersJson(request.headers?.accept);
  const provider = ctx.providers.find(request.params.provider);
  const query = stringQuery(request.query);
  const transactionId = provider.transactionIdFromCallback
    ? provider.transactionIdFromCallback(query)
    : query.tx;
  const transaction = await ctx.transactions.bound(transactionId, request.session);
  return concerning(request, { provider: provider.id, transactionId: transaction.id }, async () => {
    const refusal = callbackRefusal(transaction, provider.id);
    if (refusal) throw refusal;
    const settled = await ctx.transactions.settle(transaction, 'callback', { callbackQuery: query });
    if (settled.state === 'pending') {
      throw new EidError(
        'provider_error',
        `${provider.name} has not finished the login yet; start it again.`,
      );
    }
    if (settled.state === 'final') {
      throw settled.error ?? new EidError('already_used', 'This login has ended already; start a new one.');
    }
    return {
      session: loginChange(settled),
      response: json
        ? {
            type: 'json',
            status: 200,
            body: { transactionId: transaction.id, status: 'complete', returnTo: transaction.returnTo },
          }
        : { type: 'redirect', status: 303, location: transaction.returnTo },
    };
  });
};
