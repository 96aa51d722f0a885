import { EidError } from '../../errors.js';
import type { FinishingClient, Provider } from '../../providers/types.js';
import { kindOf, type Transaction } from '../../transaction.js';
import type { EngineContext, Route } from '../context.js';
import { type EidRequest, type EidResponse, wantsJson } from '../contract.js';
import { causeKind, concerning } from '../failures.js';
import { decideLogin } from '../login-hook.js';
import { loginChange } from '../provider-logout.js';
import { endUserIp, stringQuery } from '../request-input.js';
import { signCallback } from '../signing/routes.js';
import { callbackRefusal, replayedCallback } from '../transactions/decide.js';
import { transactionNotFound } from '../transactions/service.js';

/** The browser back from the provider: the login finishes here, once, into a regenerated session. */
export const callback: Route = async (ctx, request) => {
  const json = wantsJson(request.headers);
  const provider = ctx.providers.find(request.params.provider);
  const query = stringQuery(request.query);
  const transactionId = provider.transactionIdFromCallback
    ? provider.transactionIdFromCallback(query)
    : query.tx;
  const { transaction, bound } = await ctx.transactions.lookup(transactionId, request.session);
  if (!bound) {
    // A relayed login: the person approved at the eID, and came back here in a browser that did not start
    // the login. Nobody may finish it now; the stranger learns nothing about it.
    await stopForStranger(ctx, provider, transaction);
    throw transactionNotFound();
  }
  if (kindOf(transaction) === 'sign') {
    return signCallback(ctx, request, provider, transaction, finishingClient(request), json);
  }
  return concerning(request, { provider: provider.id, transactionId: transaction.id }, async () => {
    // A reload of a callback already answered: the same answer, from the store.
    const loggedInWithIt = request.session?.identity?.transactionId === transaction.id;
    const replay = replayedCallback(transaction, provider.id, loggedInWithIt);
    if (replay?.state === 'final') throw replay.error;
    if (replay?.state === 'identified') return { response: completeResponse(transaction, json) };
    const refusal = callbackRefusal(transaction, provider.id);
    if (refusal) throw refusal;
    const settled = await ctx.transactions.settle(transaction, 'callback', {
      callbackQuery: query,
      client: finishingClient(request),
    });
    if (settled.state === 'pending') {
      throw new EidError(
        'provider_error',
        `${provider.name} has not finished the login yet; start it again.`,
      );
    }
    if (settled.state === 'final') {
      throw settled.error ?? new EidError('already_used', 'This login has ended already; start a new one.');
    }
    const decided = await decideLogin(ctx, request, settled);
    if (decided.state === 'final') throw decided.error;
    return { session: loginChange(decided), response: completeResponse(transaction, json) };
  });
};

/** A login finished at its callback: back to `returnTo`, or its JSON. */
function completeResponse(transaction: Transaction, json: boolean): EidResponse {
  return json
    ? {
        type: 'json',
        status: 200,
        body: { transactionId: transaction.id, status: 'complete', returnTo: transaction.returnTo },
      }
    : { type: 'redirect', status: 303, location: transaction.returnTo };
}

/** The browser at the callback as providers see it: its address and user agent. */
function finishingClient(request: EidRequest): FinishingClient {
  const ip = endUserIp(request.clientIp);
  const userAgent = request.headers?.['user-agent'];
  return { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) };
}

/**
 * Fails the login a stranger's callback names (see `strangerCallback`), then cancels it at the provider where
 * the provider can cancel (Signicat). The cancel is best effort: a session the person has just approved is
 * usually past cancelling, and the failed transaction already keeps anyone from finishing it here.
 */
async function stopForStranger(ctx: EngineContext, provider: Provider, transaction: Transaction) {
  const stopped = await ctx.transactions.stopForStranger(transaction, provider.id);
  if (!stopped || !provider.cancel) return;
  try {
    await provider.cancel(stopped);
  } catch (error) {
    ctx.logger.info(
      { provider: provider.id, transactionId: stopped.id, cause: causeKind(error) },
      'the stopped login could not be cancelled at the provider (it may have finished there already)',
    );
  }
}
