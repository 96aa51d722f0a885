import { EidError } from '../../errors.js';
import type { Provider } from '../../providers/types.js';
import type { EngineContext, Route } from '../context.js';
import type { EidOutcome, EidRequest } from '../contract.js';
import { concerning } from '../failures.js';
import { stringQuery } from '../request-input.js';

const ok = (body: Record<string, unknown>): EidOutcome => ({ response: { type: 'json', status: 200, body } });

/**
 * What can be known of a push before its body is read: a provider that takes pushes, and the authentication its
 * URL carries (`Provider.webhookUrlIsGenuine`). Throws the refusal; adapters call it through
 * `eid.webhookPreCheck` ahead of their body parsers, and the webhook route calls it again.
 */
export function webhookProvider(ctx: EngineContext, request: Pick<EidRequest, 'params' | 'query'>): Provider {
  const provider = ctx.providers.find(request.params.provider);
  if (!provider.webhook) throw new EidError('unknown_provider', `${provider.name} sends no webhooks here.`);
  if (provider.webhookUrlIsGenuine && !provider.webhookUrlIsGenuine(stringQuery(request.query))) {
    throw new EidError(
      'unauthenticated',
      `The ${provider.name} webhook call does not carry a valid token; it was not sent for a login of this app.`,
    );
  }
  return provider;
}

/**
 * A provider's push. Whichever comes first, the push or the browser's poll/callback, finishes the
 * transaction; the push leaves the identity in the transaction for the bound browser to take once.
 */
export const webhook: Route = async (ctx, request) => {
  const provider = webhookProvider(ctx, request);
  if (!provider.webhook) throw new EidError('unknown_provider', `${provider.name} sends no webhooks here.`);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const notice = await provider.webhook({
    query: stringQuery(request.query),
    headers,
    body: request.body,
    rawBody: request.rawBody,
  });
  if (!notice) return ok({ status: 'ignored' });
  const transaction = await ctx.transactions.find(notice.transactionId);
  if (!transaction || transaction.provider !== provider.id || transaction.reference !== notice.reference) {
    throw new EidError('transaction_not_found', 'The push names no login in progress here.');
  }
  return concerning(request, { provider: provider.id, transactionId: transaction.id }, async () => {
    if (transaction.status !== 'pending') return ok({ status: transaction.status, duplicate: true });
    // A push that is only a signal (no result) is answered by asking the provider: the authoritative
    // result comes from its API, not from a body that anyone holding the webhook URL could send.
    const settled = await ctx.transactions.settle(
      transaction,
      'push',
      notice.result ? { pushed: notice.result } : {},
    );
    const status = settled.transaction.status;
    if (settled.transaction.version === transaction.version && status !== 'pending') {
      return ok({ status, duplicate: true });
    }
    if (status !== 'pending')
      ctx.logger.info({ transactionId: transaction.id, status }, 'webhook settled the login');
    return ok({ status });
  });
};
