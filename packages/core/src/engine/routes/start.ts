import { EidError, isEidError } from '../../errors.js';
import { type NationalId, parseNationalId } from '../../nin/index.js';
import type { Provider, ProviderMethod, StartContext, StartResult } from '../../providers/types.js';
import { sanitizeReturnTo } from '../../return-to.js';
import { hashBinding, kindOf, randomToken, type Transaction } from '../../transaction.js';
import type { EngineContext, Route } from '../context.js';
import { type EidOutcome, type EidRequest, type SessionChange, wantsJson } from '../contract.js';
import { concerning } from '../failures.js';
import { reservePush } from '../push-limits.js';
import { endUserIp, plainObject, single } from '../request-input.js';
import { addressKeyOf, dropDisplaced, type Reservation } from '../transactions/admission.js';
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

/**
 * A national identity number is read from a POST body only: in a URL it would end up in access logs, proxies and
 * browser history. A start with `nin` in its query (any method, any value) is refused before anything happens.
 */
function refuseNinInUrl(request: EidRequest): void {
  const query = plainObject(request.query);
  if (Object.hasOwn(query, 'nin')) {
    throw new EidError(
      'invalid_request',
      'Send the national identity number (nin) in the body of a POST, never in the URL.',
    );
  }
}

/** The provider and method named by the route, checked. */
export function startTarget(ctx: EngineContext, request: EidRequest) {
  refuseNinInUrl(request);
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
  const body = plainObject(request.body);
  const input = { ...plainObject(request.query), ...body };
  const returnTo = sanitizeReturnTo(single(input, 'returnTo'), ctx.config.defaultReturnTo);
  const nin = parseNinFor(method, single(body, 'nin'));
  return { returnTo, nin, lang: languageOf(input) };
}

/** The `lang` a start asks for, checked. */
export function languageOf(input: Record<string, unknown>): string | undefined {
  const lang = single(input, 'lang');
  if (lang !== undefined && !LANGUAGES.includes(lang)) {
    throw new EidError('invalid_request', `lang must be one of ${LANGUAGES.join(', ')}.`);
  }
  return lang;
}

/**
 * The transaction as it is stored before the provider is asked: it holds the browser's and the address's place
 * under the caps, so a start past them never reaches the provider. `reference` is '' until the provider answers.
 */
function reservation(
  ctx: EngineContext,
  fields: {
    id: string;
    provider: Provider;
    method: ProviderMethod;
    returnTo: string;
    binding: string;
    addressKey: string | undefined;
  },
): Reservation {
  const createdAt = ctx.now();
  const expiresAt = createdAt + ctx.config.ttlMs;
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
    reference: '',
    returnTo: fields.returnTo,
    bindingHash: hashBinding(fields.binding),
    ...(fields.addressKey ? { addressKey: fields.addressKey } : {}),
  };
}

/** The reserved transaction with the provider's answer: its reference, and its own earlier expiry if any. */
function startedTransaction(ctx: EngineContext, reserved: Reservation, started: StartResult): Transaction {
  const providerExpiry = started.expiresAt?.getTime();
  const expiresAt = Math.min(
    reserved.expiresAt,
    providerExpiry && providerExpiry > reserved.createdAt ? providerExpiry : Infinity,
  );
  return {
    ...reserved,
    version: reserved.version + 1,
    expiresAt,
    retainUntil: expiresAt + ctx.config.retainMs,
    reference: started.reference,
    ...(started.bindingMessage ? { bindingMessage: started.bindingMessage } : {}),
    ...(started.qrData ? { qrData: started.qrData } : {}),
    ...(started.state ? { providerState: started.state } : {}),
  };
}

/**
 * Starts a login (or, for an authorised operator, a verification): a headless start naming a national identity
 * number passes the push limits first (`reservePush`); then the transaction reserves its place under the caps per
 * browser and per address (dropping the browser's oldest past its cap; refusing past the address's), the provider
 * is asked (if it fails, the reservation goes and nothing changes), its answer is stored in the transaction bound
 * to this browser, and the answer is the provider's address or the headless transaction's state.
 */
export const start: Route = async (ctx, request) => {
  const { provider, method } = startTarget(ctx, request);
  return failureEvent(ctx, request, provider, method, () => startLogin(ctx, request, provider, method));
};

/**
 * Runs a start; a start refused once its method is known (a bad number, the caps, the provider down) is a failed
 * login (verification, signing): its `*.failed` event fires.
 */
export async function failureEvent(
  ctx: EngineContext,
  request: EidRequest,
  provider: Provider,
  method: ProviderMethod,
  work: () => Promise<EidOutcome>,
): Promise<EidOutcome> {
  try {
    return await work();
  } catch (error) {
    if (isEidError(error)) {
      await ctx.emit({
        type: `${method.purpose}.failed`,
        provider: provider.id,
        method: method.id,
        code: error.code,
        ...clientOf(request),
      });
    }
    throw error;
  }
}

function clientOf(request: EidRequest): { clientIp?: string } {
  const clientIp = endUserIp(request.clientIp);
  return clientIp ? { clientIp } : {};
}

async function startLogin(
  ctx: EngineContext,
  request: EidRequest,
  provider: Provider,
  method: ProviderMethod,
): Promise<EidOutcome> {
  if (method.purpose === 'sign') {
    throw new EidError('unknown_method', `${method.label} signs documents: start it at the sign route.`);
  }
  if (method.purpose === 'verify') {
    await requireVerifyAuthorization(ctx, request, 'start', { provider: provider.id, method: method.id });
  }
  const parameters = startParameters(ctx, request, method);
  return beginTransaction(ctx, request, provider, method, parameters, (context) => provider.start(context));
}

/** What a transaction starts with besides its provider and method. */
export interface TransactionStart {
  returnTo: string;
  nin?: NationalId | undefined;
  lang?: string | undefined;
  /** Kept in the transaction from the start (a signing's document). */
  fields?: Pick<Transaction, 'signing'>;
}

/**
 * The steps every start shares: push limits, the reservation under the caps, the provider's answer (`launch`:
 * `provider.start` or `provider.sign`), the stored transaction bound to this browser, and the answer.
 */
export async function beginTransaction(
  ctx: EngineContext,
  request: EidRequest,
  provider: Provider,
  method: ProviderMethod,
  { returnTo, nin, lang, fields }: TransactionStart,
  launch: (context: StartContext) => Promise<StartResult>,
): Promise<EidOutcome> {
  const json = wantsJson(request.headers);
  const clientIp = endUserIp(request.clientIp);
  const binding = request.session?.binding ?? randomToken();
  const transactionId = randomToken();
  return concerning(request, { provider: provider.id, transactionId }, async () => {
    const push =
      method.flow === 'headless' && nin
        ? await reservePush(ctx, { nin, session: request.session, transactionId })
        : undefined;
    const reserved: Reservation = {
      ...reservation(ctx, {
        id: transactionId,
        provider,
        method,
        returnTo,
        binding,
        addressKey: addressKeyOf(clientIp),
      }),
      ...fields,
    };
    try {
      const created = await ctx.store.create(reserved, ctx.config.pendingTransactions);
      await dropDisplaced(ctx, created?.displaced ?? [], binding);
    } catch (error) {
      await push?.release();
      throw error;
    }
    const tx = { tx: transactionId };
    let started: StartResult;
    try {
      started = await launch({
        transactionId,
        method,
        callbackUrl: ctx.urls.route('callback', { provider: provider.id }, request.mountPath, tx),
        webhookUrl: ctx.urls.route('webhook', { provider: provider.id }, request.mountPath, tx),
        ...(nin ? { nin } : {}),
        ...(lang ? { lang } : {}),
        ...(clientIp ? { endUserIp: clientIp } : {}),
      });
    } catch (error) {
      await ctx.store.delete(transactionId).catch(() => {});
      await push?.release();
      throw error;
    }
    const transaction = startedTransaction(ctx, reserved, started);
    if (!(await ctx.store.compareAndSet(transactionId, reserved.version, transaction))) {
      // Dropped meanwhile by a newer start of the same browser (or gone): do not leave a session open there.
      await provider.cancel?.(transaction).catch(() => {});
      await push?.release();
      throw new EidError(
        'rate_limited',
        'Newer logins from this browser replaced this one before it started. Use the newest, or try again.',
      );
    }
    await push?.holdUntil(transaction.expiresAt);
    ctx.logger.info(
      { transactionId, provider: provider.id, method: method.id, flow: method.flow, kind: transaction.kind },
      `${transaction.kind} started`,
    );
    await ctx.emit({
      type: `${kindOf(transaction)}.started`,
      transactionId,
      provider: provider.id,
      method: method.id,
      flow: method.flow,
      ...(clientIp ? { clientIp } : {}),
    });
    const session: SessionChange | undefined =
      request.session?.binding === binding ? undefined : { kind: 'bind', binding };
    return { ...(session ? { session } : {}), response: startResponse(transaction, started, provider, json) };
  });
}

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
