import { EidError } from '../../errors.js';
import { type NationalId, parseNationalId } from '../../nin/index.js';
import type { Provider, ProviderMethod, StartResult } from '../../providers/types.js';
import { sanitizeReturnTo } from '../../return-to.js';
import { hashBinding, randomToken, type Transaction } from '../../transaction.js';
import type { EngineContext, Route } from '../context.js';
import { type EidOutcome, type EidRequest, prefersJson, type SessionChange } from '../contract.js';
import { concerning } from '../failures.js';
import { reservePush } from '../push-limits.js';
import { endUserIp, plainObject, single } from '../request-input.js';
import { requireVerifyAuthorization } from '../verify.js';

const LANGUAGES = ['nb', 'nn', 'no', 'en', 'sv', 'da', 'fi'];

function parseNinFor(method: ProviderMethod, value: string | undefined): NationalId | undefined {
  if (value === undefined || value === '') {
    if (method.requiresNin) {
      throw new EidError('invalid_nin', `${method.label} needs the user's national identity number (nin).`);
    }
    return undefined;
  }
  if (
    method.country !== 'NO' &&
    method.country !== 'SE' &&
    method.country !== 'DK' &&
    method.country !== 'FI'
  ) {
    throw new EidError('invalid_nin', `${method.label} does not take a national identity number.`);
  }
  return parseNationalId(value, method.country);
}

/** The provider and method named by the route, checked. */
function startTarget(ctx: EngineContext, request: EidRequest) {
  const provider = ctx.providers.find(request.params.provider);
  const method = provider.methods.find((candidate) => candidate.id === request.params.method);
  if (!method)
    throw new EidError('unknown_method', `${provider.name} offers no login method by that name here.`);
  if (method.flow === 'headless' && request.httpMethod !== 'POST') {
    throw new EidError(
      'invalid_request',
      `${method.label} is started with POST; it has no browser redirect.`,
      {
        status: 405,
      },
    );
  }
  return { provider, method };
}

/** The start parameters, checked. */
function startParameters(ctx: EngineContext, request: EidRequest, method: ProviderMethod) {
  const input = { ...plainObject(request.query), ...plainObject(request.body) };
  const returnTo = sanitizeReturnTo(single(input, 'returnTo'), ctx.config.defaultReturnTo);
  const nin = parseNinFor(method, single(input, 'nin'));
  const lang = single(input, 'lang');
  if (lang !== undefined && !LANGUAGES.includes(lang)) {
    throw new EidError('invalid_request', `lang must be one of ${LANGUAGES.join(', ')}.`);
  }
  return { returnTo, nin, lang };
}

function newTransaction(
  ctx: EngineContext,
  fields: { id: string; provider: Provider; method: ProviderMethod; returnTo: string; binding: string },
  started: StartResult,
): Transaction {
  const createdAt = ctx.now();
  const providerExpiry = started.expiresAt?.getTime();
  const expiresAt = Math.min(
    createdAt + ctx.config.ttlMs,
    providerExpiry && providerExpiry > createdAt ? providerExpiry : Infinity,
  );
  return {
    id: fields.id,
    kind: fields.method.purpose,
    provider: fields.provider.id,
    method: fields.method.id,
    flow: fields.method.flow,
    status: 'pending',
    version: 1,
    createdAt,
    expiresAt,
    retainUntil: expiresAt + ctx.config.retainMs,
    reference: started.reference,
    returnTo: fields.returnTo,
    bindingHash: hashBinding(fields.binding),
    ...(started.bindingMessage ? { bindingMessage: started.bindingMessage } : {}),
    ...(started.qrData ? { qrData: started.qrData } : {}),
    ...(started.redirectUrl ? { redirectUrl: started.redirectUrl } : {}),
    ...(started.state ? { providerState: started.state } : {}),
  };
}

/**
 * Starts a login (or, for an authorised operator, a verification): asks the provider first (if it fails,
 * nothing is stored and nothing changes), stores the transaction bound to this browser, and answers with the
 * provider's address or the headless transaction's state. A headless start naming a national identity number
 * is subject to the push limits (`reservePush`).
 */
export const start: Route = async (ctx, request) => {
  const json = prefersJson(request.headers?.accept);
  const { provider, method } = startTarget(ctx, request);
  if (method.purpose === 'verify') {
    await requireVerifyAuthorization(ctx, request, 'start', { provider: provider.id, method: method.id });
  }
  const { returnTo, nin, lang } = startParameters(ctx, request, method);
  const clientIp = endUserIp(request.clientIp);
  const binding = request.session?.binding ?? randomToken();
  const transactionId = randomToken();
  return concerning(request, { provider: provider.id, transactionId }, async () => {
    const push =
      method.flow === 'headless' && nin
        ? await reservePush(ctx, { nin, session: request.session, transactionId })
        : undefined;
    const tx = { tx: transactionId };
    let started: StartResult;
    try {
      started = await provider.start({
        transactionId,
        method,
        callbackUrl: ctx.urls.route('callback', { provider: provider.id }, request.mountPath, tx),
        webhookUrl: ctx.urls.route('webhook', { provider: provider.id }, request.mountPath, tx),
        ...(nin ? { nin } : {}),
        ...(lang ? { lang } : {}),
        ...(clientIp ? { endUserIp: clientIp } : {}),
      });
    } catch (error) {
      await push?.release();
      throw error;
    }
    const transaction = newTransaction(
      ctx,
      { id: transactionId, provider, method, returnTo, binding },
      started,
    );
    try {
      await ctx.store.create(transaction);
    } catch (error) {
      // Refused (e.g. the store is full): do not leave a session open at the provider.
      await provider.cancel?.(transaction).catch(() => {});
      await push?.release();
      throw error;
    }
    await push?.holdUntil(transaction.expiresAt);
    ctx.logger.info(
      { transactionId, provider: provider.id, method: method.id, flow: method.flow, kind: transaction.kind },
      `${transaction.kind} started`,
    );
    const session: SessionChange | undefined =
      request.session?.binding === binding ? undefined : { kind: 'bind', binding };
    return { ...(session ? { session } : {}), response: startResponse(transaction, started, provider, json) };
  });
};

function startResponse(
  transaction: Transaction,
  started: StartResult,
  provider: Provider,
  json: boolean,
): EidOutcome['response'] {
  const expiresAt = new Date(transaction.expiresAt).toISOString();
  const transactionId = transaction.id;
  if (transaction.flow === 'headless') {
    return {
      type: 'json',
      status: 200,
      body: {
        transactionId,
        status: 'pending',
        bindingMessage: started.bindingMessage,
        ...(started.qrData ? { qrData: started.qrData } : {}),
        // Only here, to the browser that started the login: it launches the BankID app on this device,
        // so it is not kept in the transaction (nor in a shared store) and no status poll repeats it.
        ...(started.autoStartToken ? { autoStartToken: started.autoStartToken } : {}),
        expiresAt,
      },
    };
  }
  if (!started.redirectUrl)
    throw new EidError('provider_error', `${provider.name} gave no address to send the browser to.`);
  return json
    ? {
        type: 'json',
        status: 200,
        body: { transactionId, status: 'pending', redirectUrl: started.redirectUrl, expiresAt },
      }
    : { type: 'redirect', status: 302, location: started.redirectUrl };
}
