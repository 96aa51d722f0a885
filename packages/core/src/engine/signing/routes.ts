import { EidError } from '../../errors.js';
import type { Provider } from '../../providers/types.js';
import { isTransactionId, kindOf, type Transaction } from '../../transaction.js';
import type { EngineContext, Route } from '../context.js';
import type { EidOutcome, EidRequest, SignResult } from '../contract.js';
import { concerning } from '../failures.js';
import { stringQuery } from '../request-input.js';
import { expiredError } from '../transactions/decide.js';
import { transactionNotFound } from '../transactions/service.js';

/** `returnTo` with `?signed=<transactionId>`: where a signed document's browser goes. */
function signedLocation(transaction: Transaction): string {
  const url = new URL(transaction.returnTo, 'http://localhost');
  url.searchParams.set('signed', transaction.id);
  return `${url.pathname}${url.search}${url.hash}`;
}

function signedOutcome(transaction: Transaction, json: boolean): EidOutcome {
  return {
    response: json
      ? {
          type: 'json',
          status: 200,
          body: {
            transactionId: transaction.id,
            status: 'complete',
            returnTo: transaction.returnTo,
            signature: transaction.signature,
          },
        }
      : { type: 'redirect', status: 303, location: signedLocation(transaction) },
  };
}

/**
 * The browser back from the provider's signing page (the callback route, a `sign` transaction): it finishes the
 * signing and goes to `returnTo?signed=<id>`, or on a failure `returnTo?error=<code>`; the session is never
 * touched. A reload answers the same from the store.
 */
export async function signCallback(
  ctx: EngineContext,
  request: EidRequest,
  provider: Provider,
  transaction: Transaction,
  client: { ip?: string; userAgent?: string },
  json: boolean,
): Promise<EidOutcome> {
  const facts = { provider: provider.id, transactionId: transaction.id, failurePage: transaction.returnTo };
  return concerning(request, facts, async () => {
    if (transaction.provider !== provider.id) {
      throw new EidError(
        'transaction_not_found',
        'This callback does not belong to the signing in progress.',
      );
    }
    if (transaction.status === 'complete' && transaction.signature) return signedOutcome(transaction, json);
    if (transaction.status === 'expired') throw expiredError();
    if (transaction.status !== 'pending' && transaction.error && transaction.consumedAt !== undefined) {
      throw new EidError(transaction.error.code, transaction.error.message);
    }
    const settled = await ctx.transactions.settle(transaction, 'callback', {
      callbackQuery: stringQuery(request.query),
      client,
    });
    if (settled.state === 'pending') {
      throw new EidError('provider_error', `${provider.name} has not finished the signing yet; sign again.`);
    }
    const current = settled.transaction;
    if (current.status === 'complete' && current.signature) return signedOutcome(current, json);
    throw (
      ('error' in settled ? settled.error : undefined) ??
      new EidError('already_used', 'This signing has ended already; start a new one.')
    );
  });
}

/** A completed signing by id, for the app: no binding asked. */
export async function signatureById(ctx: EngineContext, id: unknown): Promise<Transaction | undefined> {
  if (!isTransactionId(id)) return undefined;
  const transaction = await ctx.store.get(id);
  if (!transaction || kindOf(transaction) !== 'sign' || transaction.status !== 'complete') return undefined;
  if (!transaction.signature || !transaction.evidence) return undefined;
  return transaction;
}

export async function signature(ctx: EngineContext, id: string): Promise<SignResult | undefined> {
  return (await signatureById(ctx, id))?.signature;
}

export async function signatureEvidence(ctx: EngineContext, id: string): Promise<Uint8Array | undefined> {
  const evidence = (await signatureById(ctx, id))?.evidence;
  return evidence === undefined ? undefined : Buffer.from(evidence, 'base64');
}

/**
 * `GET {prefix}/sign/:transactionId/document`: the signed document or its evidence, to the browser that signed
 * (its binding), with its content type and a file name to save it under. Anything else is "not found".
 */
export const signatureDocument: Route = async (ctx, request) => {
  const transaction = await ctx.transactions.bound(request.params.transactionId, request.session);
  if (kindOf(transaction) !== 'sign') throw transactionNotFound();
  const signed = await signatureById(ctx, transaction.id);
  if (!signed?.signature || !signed.evidence) {
    throw new EidError('invalid_request', 'This signing has no signed document (it is not complete).', {
      status: 409,
    });
  }
  return {
    response: {
      type: 'file',
      status: 200,
      contentType: signed.signature.evidence.contentType,
      fileName: signed.signature.evidence.fileName,
      body: Buffer.from(signed.evidence, 'base64'),
    },
  };
};
