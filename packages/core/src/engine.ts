import { isIP } from 'node:net';
import {
  type Eid,
  type EidMethodInfo,
  type EidOptions,
  type EidOutcome,
  type EidRequest,
  type EidResponse,
  type EidSessionData,
  prefersJson,
  ROUTES,
  type SessionChange,
} from './engine/contract.js';
import { EidError, isEidError } from './errors.js';
import type { Identity } from './identity.js';
import { type Logger, redactingLogger, silentLogger } from './logger.js';
import { type NationalId, parseNationalId } from './nin/index.js';
import type { CompleteResult, Provider, ProviderMethod } from './providers/types.js';
import { sanitizeReturnTo } from './return-to.js';
import { MemoryStore } from './store/memory.js';
import type { TransactionStore } from './store/types.js';
import {
  bindingMatches,
  hashBinding,
  isTransactionId,
  randomToken,
  type Transaction,
  type TransactionStatus,
} from './transaction.js';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_PARAM_LENGTH = 2048;
const LANGUAGES = ['nb', 'nn', 'no', 'en', 'sv', 'da', 'fi'];
/** CAS retries before giving up; each retry means another request changed the transaction meanwhile. */
const MAX_CAS_ATTEMPTS = 5;
/** A callback's (or push's) claim on asking the provider: long enough for an OIDC code exchange. */
const CALLBACK_LEASE_MS = 15_000;
/** A status poll's claim: at most one provider poll per transaction per interval. */
const POLL_INTERVAL_MS = 1_000;
const CLAIM_WAIT_STEP_MS = 50;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function configError(field: string, why: string): EidError {
  return new EidError('invalid_config', `createEid(): \`${field}\` ${why}`);
}

function normalisePrefix(prefix: string | undefined): string {
  const value = prefix ?? '/auth/eid';
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    throw configError('prefix', 'must be a path starting with /, such as /auth/eid.');
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : '';
}

function relativePathOption(field: string, value: string | undefined): string {
  if (value === undefined) return '/';
  try {
    return sanitizeReturnTo(value);
  } catch {
    throw configError(field, 'must be a relative path on this site, such as /login.');
  }
}

export function createEid(options: EidOptions): Eid {
  if (!options || typeof options !== 'object') throw configError('options', 'must be an object.');
  let baseUrl: string;
  try {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    baseUrl = url.origin;
  } catch {
    throw configError(
      'baseUrl',
      'must be the absolute http(s) origin of the app, such as https://shop.example.',
    );
  }
  const prefix = normalisePrefix(options.prefix);
  if (!Array.isArray(options.providers) || options.providers.length === 0) {
    throw configError('providers', 'must list at least one provider, e.g. [signicat({ ... })].');
  }
  const providers = new Map<string, Provider>();
  for (const [index, provider] of options.providers.entries()) {
    if (!provider || provider.specificationVersion !== 'v1') {
      throw configError(
        `providers[${index}]`,
        'is not a provider of this version of @eid/core (specificationVersion v1).',
      );
    }
    if (!KEBAB.test(provider.id)) throw configError(`providers[${index}].id`, 'must be kebab-case.');
    if (providers.has(provider.id))
      throw configError(`providers[${index}]`, `repeats the provider id "${provider.id}".`);
    const seen = new Set<string>();
    for (const method of provider.methods) {
      if (!KEBAB.test(method.id) || seen.has(method.id)) {
        throw configError(
          `providers[${index}].methods`,
          `has a missing, repeated or non-kebab-case id "${method.id}".`,
        );
      }
      seen.add(method.id);
    }
    providers.set(provider.id, provider);
  }
  const positive = (field: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0)
      throw configError(field, 'must be a positive number of seconds.');
    return value;
  };
  const ttlMs = positive('transactionTtlSeconds', options.transactionTtlSeconds, 600) * 1000;
  const retainMs = positive('retainSeconds', options.retainSeconds, 900) * 1000;
  const failureRedirect = relativePathOption('failureRedirect', options.failureRedirect);
  const defaultReturnTo = relativePathOption('defaultReturnTo', options.defaultReturnTo);
  const logoutRedirect = relativePathOption('logoutRedirect', options.logoutRedirect);
  const store: TransactionStore = options.store ?? new MemoryStore({ now: options.now });
  const logger = redactingLogger(options.logger ?? silentLogger);
  const now = options.now ?? Date.now;

  const methodList = (): EidMethodInfo[] =>
    [...providers.values()].flatMap((provider) =>
      provider.methods.map((method) => ({
        provider: provider.id,
        providerName: provider.name,
        method: method.id,
        flow: method.flow,
        label: method.label,
        country: method.country,
        ...(method.requiresNin ? { requiresNin: true } : {}),
      })),
    );

  // ---- helpers -------------------------------------------------------------------------------

  function findProvider(id: string | undefined): Provider {
    const provider = id === undefined ? undefined : providers.get(id);
    if (!provider)
      throw new EidError('unknown_provider', 'No eID provider by that name is enabled in this app.');
    return provider;
  }

  /** A transaction bound to this browser; anything else is "not found", so ids cannot be probed. */
  async function boundTransaction(id: unknown, session: EidSessionData | undefined): Promise<Transaction> {
    const notFound = () =>
      new EidError(
        'transaction_not_found',
        'No login in progress matches this browser. Start the login again; if it keeps failing, the session cookie may be blocked (SameSite, third-party cookies) or another app shares its name.',
      );
    if (!isTransactionId(id)) throw notFound();
    const transaction = await store.get(id);
    if (!transaction) throw notFound();
    // The browser that logged in with this transaction no longer holds the binding (the session was
    // regenerated) but its identity names the transaction: it may still see it, e.g. to learn it is spent.
    const loggedInWithIt = session?.identity?.transactionId === transaction.id;
    if (!loggedInWithIt && !bindingMatches(transaction, session?.binding)) throw notFound();
    return transaction;
  }

  /** Moves a transaction from the version we read to `next`; false when another request won. */
  async function transition(
    transaction: Transaction,
    changes: Partial<Transaction>,
  ): Promise<Transaction | undefined> {
    const next: Transaction = { ...transaction, ...changes, version: transaction.version + 1 };
    return (await store.compareAndSet(transaction.id, transaction.version, next)) ? next : undefined;
  }

  type Settled =
    | { kind: 'pending'; transaction: Transaction }
    | { kind: 'login'; transaction: Transaction; identity: Identity }
    | { kind: 'final'; transaction: Transaction; error?: EidError };

  interface SettleOptions {
    /** The query the browser brought back (callbacks). */
    callbackQuery?: Record<string, string>;
    /** A result the provider pushed; used instead of asking the provider. */
    pushed?: CompleteResult;
    /** Ask the provider while pending. */
    poll: boolean;
    /** The caller is the bound browser: it takes the identity (or learns the failure) now, once. */
    consume: boolean;
    /** How long the claim on asking the provider lasts: a callback's code exchange, or the poll interval. */
    lease: number;
    /** Wait for another request's claim to end (callbacks, pushes) instead of answering "pending" (polls). */
    waitForClaim: boolean;
  }

  /**
   * Brings a transaction as far as it can go: asks the provider while it is pending, and hands the identity
   * over exactly once. Every state change is a compare-and-set, so concurrent callbacks, polls, pushes and
   * processes agree on one outcome. Before asking the provider a request claims the transaction for a
   * short lease: one request at a time exchanges a one-time code (OIDC) or polls, and polls are throttled
   * to one per interval per transaction, as the providers ask (Signicat: every 1 to 3 seconds).
   */
  async function settle(start: Transaction, options: SettleOptions): Promise<Settled> {
    const { callbackQuery, pushed, poll, consume, lease, waitForClaim } = options;
    let transaction = start;
    let conflicts = 0;
    const waitUntil = now() + CALLBACK_LEASE_MS;
    const reread = async () => {
      const fresh = await store.get(transaction.id);
      if (!fresh)
        throw new EidError('transaction_not_found', 'The login is no longer known. Start it again.');
      transaction = fresh;
    };
    const conflict = async () => {
      if (++conflicts >= MAX_CAS_ATTEMPTS) {
        throw new EidError('provider_error', 'The login changed state too often to settle. Try again.');
      }
      await reread();
    };
    for (;;) {
      if (transaction.status === 'pending') {
        if (now() >= transaction.expiresAt) {
          const expired = await transition(transaction, { status: 'expired', finishedAt: now() });
          if (!expired) {
            await conflict();
            continue;
          }
          logger.info({ transactionId: transaction.id }, 'transaction expired');
          return { kind: 'final', transaction: expired, error: expiredError() };
        }
        if (!poll && !pushed) return { kind: 'pending', transaction };
        let result: CompleteResult;
        if (pushed) {
          result = pushed;
        } else {
          if ((transaction.claimedUntil ?? 0) > now()) {
            if (!waitForClaim) return { kind: 'pending', transaction };
            if (now() >= waitUntil) {
              throw new EidError(
                'provider_unavailable',
                'The provider is slow to answer. Try again in a moment.',
              );
            }
            await delay(CLAIM_WAIT_STEP_MS);
            await reread();
            continue;
          }
          const claimed = await transition(transaction, { claimedUntil: now() + lease });
          if (!claimed) {
            await conflict();
            continue;
          }
          transaction = claimed;
          try {
            result = await findProvider(transaction.provider).complete({ transaction, callbackQuery });
          } catch (error) {
            // A callback or push that failed (a forged callback, the provider down) must not hold up the
            // next one for the whole lease; a poll's claim stays, as the throttle.
            if (waitForClaim) await transition(transaction, { claimedUntil: undefined });
            throw error;
          }
        }
        if (result.status === 'pending') {
          if (waitForClaim && !pushed) {
            // A callback that found the provider unfinished lets the next request ask at once.
            await transition(transaction, { claimedUntil: undefined });
          }
          return {
            kind: 'pending',
            transaction: {
              ...transaction,
              ...(result.bindingMessage ? { bindingMessage: result.bindingMessage } : {}),
              // Swedish BankID's QR changes every second: each poll carries the current one.
              ...(result.qrData ? { qrData: result.qrData } : {}),
            },
          };
        }
        if (result.status === 'complete') {
          const identity: Identity = {
            ...result.identity,
            provider: transaction.provider,
            method: transaction.method,
            transactionId: transaction.id,
          };
          // The bound browser takes the identity now; otherwise (a push) it waits in the transaction.
          const done = await transition(transaction, {
            status: 'complete',
            finishedAt: now(),
            claimedUntil: undefined,
            ...(consume ? { consumedAt: now() } : { identity }),
          });
          if (!done) {
            await conflict();
            continue;
          }
          logger.info({ transactionId: transaction.id, provider: transaction.provider }, 'login complete');
          return consume
            ? { kind: 'login', transaction: done, identity }
            : { kind: 'final', transaction: done };
        }
        const status: TransactionStatus = result.status === 'cancelled' ? 'cancelled' : 'failed';
        const error =
          result.status === 'cancelled'
            ? new EidError('user_cancelled', 'The login was cancelled.')
            : result.error;
        const failed = await transition(transaction, {
          status,
          finishedAt: now(),
          claimedUntil: undefined,
          error: { code: error.code, message: error.message },
          // The browser asking learns the outcome now; a replay of its callback is then `already_used`.
          ...(consume ? { consumedAt: now() } : {}),
        });
        if (!failed) {
          await conflict();
          continue;
        }
        logger.info({ transactionId: transaction.id, code: error.code }, 'login failed');
        return { kind: 'final', transaction: failed, error };
      }
      if (
        consume &&
        transaction.status === 'complete' &&
        transaction.consumedAt === undefined &&
        transaction.identity
      ) {
        // Finished by the provider's push before this browser came back: hand the identity over once.
        const identity = transaction.identity;
        const consumed = await transition(transaction, { consumedAt: now(), identity: undefined });
        if (!consumed) {
          await conflict();
          continue;
        }
        return { kind: 'login', transaction: consumed, identity };
      }
      const error = transaction.error
        ? new EidError(transaction.error.code, transaction.error.message)
        : undefined;
      if (consume && transaction.status !== 'complete' && transaction.consumedAt === undefined) {
        // Ended by the provider's push (or a cancel) before this browser came back: tell it once.
        const seen = await transition(transaction, { consumedAt: now() });
        if (!seen) {
          await conflict();
          continue;
        }
        return { kind: 'final', transaction: seen, ...(error ? { error } : {}) };
      }
      return { kind: 'final', transaction, ...(error ? { error } : {}) };
    }
  }

  function expiredError(): EidError {
    return new EidError('transaction_expired', 'The login took too long and has expired. Start it again.');
  }

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

  // ---- routes --------------------------------------------------------------------------------

  async function start(request: EidRequest, json: boolean): Promise<EidOutcome> {
    const provider = findProvider(request.params.provider);
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
    const input = { ...plainObject(request.query), ...plainObject(request.body) };
    const returnTo = sanitizeReturnTo(single(input, 'returnTo'), defaultReturnTo);
    const nin = parseNinFor(method, single(input, 'nin'));
    const lang = single(input, 'lang');
    if (lang !== undefined && !LANGUAGES.includes(lang)) {
      throw new EidError('invalid_request', `lang must be one of ${LANGUAGES.join(', ')}.`);
    }

    const clientIp = endUserIp(request.clientIp);
    const binding = request.session?.binding ?? randomToken();
    const transactionId = randomToken();
    const callbackUrl = new URL(`${prefix}/callback/${provider.id}`, baseUrl);
    callbackUrl.searchParams.set('tx', transactionId);
    const webhookUrl = new URL(`${prefix}/webhook/${provider.id}`, baseUrl);
    webhookUrl.searchParams.set('tx', transactionId);
    // The provider is asked first: if it fails, nothing is stored and nothing changes.
    const started = await provider.start({
      transactionId,
      method,
      callbackUrl: callbackUrl.toString(),
      webhookUrl: webhookUrl.toString(),
      ...(nin ? { nin } : {}),
      ...(lang ? { lang } : {}),
      ...(clientIp ? { endUserIp: clientIp } : {}),
    });
    const createdAt = now();
    const providerExpiry = started.expiresAt?.getTime();
    const expiresAt = Math.min(
      createdAt + ttlMs,
      providerExpiry && providerExpiry > createdAt ? providerExpiry : Infinity,
    );
    const transaction: Transaction = {
      id: transactionId,
      provider: provider.id,
      method: method.id,
      flow: method.flow,
      status: 'pending',
      version: 1,
      createdAt,
      expiresAt,
      retainUntil: expiresAt + retainMs,
      reference: started.reference,
      returnTo,
      bindingHash: hashBinding(binding),
      ...(started.bindingMessage ? { bindingMessage: started.bindingMessage } : {}),
      ...(started.qrData ? { qrData: started.qrData } : {}),
      ...(started.redirectUrl ? { redirectUrl: started.redirectUrl } : {}),
      ...(started.state ? { providerState: started.state } : {}),
    };
    try {
      await store.create(transaction);
    } catch (error) {
      // Refused (e.g. the store is full): do not leave a session open at the provider.
      await provider.cancel?.(transaction).catch(() => {});
      throw error;
    }
    logger.info(
      { transactionId, provider: provider.id, method: method.id, flow: method.flow },
      'login started',
    );

    const session: SessionChange | undefined =
      request.session?.binding === binding ? undefined : { kind: 'bind', binding };
    const expires = new Date(expiresAt).toISOString();
    if (method.flow === 'headless') {
      return {
        ...(session ? { session } : {}),
        response: {
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
            expiresAt: expires,
          },
        },
      };
    }
    if (!started.redirectUrl)
      throw new EidError('provider_error', `${provider.name} gave no address to send the browser to.`);
    return {
      ...(session ? { session } : {}),
      response: json
        ? {
            type: 'json',
            status: 200,
            body: { transactionId, status: 'pending', redirectUrl: started.redirectUrl, expiresAt: expires },
          }
        : { type: 'redirect', status: 302, location: started.redirectUrl },
    };
  }

  async function callback(request: EidRequest, json: boolean): Promise<EidOutcome> {
    const provider = findProvider(request.params.provider);
    const query = stringQuery(request.query);
    const transactionId = provider.transactionIdFromCallback
      ? provider.transactionIdFromCallback(query)
      : query.tx;
    const transaction = await boundTransaction(transactionId, request.session);
    if (transaction.provider !== provider.id) {
      throw new EidError('transaction_not_found', 'This callback does not belong to the login in progress.');
    }
    if (transaction.status === 'expired') throw expiredError();
    // A callback counts once: after the browser has been told the outcome, the transaction is spent.
    if (transaction.consumedAt !== undefined) {
      throw new EidError('already_used', 'This login has ended already; a callback counts only once.');
    }
    const settled = await settle(transaction, {
      callbackQuery: query,
      poll: true,
      consume: true,
      lease: CALLBACK_LEASE_MS,
      waitForClaim: true,
    });
    if (settled.kind === 'pending') {
      throw new EidError(
        'provider_error',
        `${provider.name} has not finished the login yet; start it again.`,
      );
    }
    if (settled.kind === 'final') {
      throw settled.error ?? new EidError('already_used', 'This login has ended already; start a new one.');
    }
    return {
      session: { kind: 'login', identity: settled.identity },
      response: json
        ? {
            type: 'json',
            status: 200,
            body: { transactionId: transaction.id, status: 'complete', returnTo: transaction.returnTo },
          }
        : { type: 'redirect', status: 303, location: transaction.returnTo },
    };
  }

  async function status(request: EidRequest): Promise<EidOutcome> {
    const transaction = await boundTransaction(request.params.transactionId, request.session);
    // Redirect logins finish at the callback; polling them here would race the browser's return.
    const headless = transaction.flow === 'headless';
    const settled = await settle(transaction, {
      poll: headless,
      consume: headless,
      lease: POLL_INTERVAL_MS,
      waitForClaim: false,
    });
    if (settled.kind === 'final' && settled.transaction.status === 'expired') {
      throw new EidError('transaction_expired', 'The login has expired. Start it again.', { status: 404 });
    }
    const current = settled.transaction;
    const body = {
      transactionId: current.id,
      status: current.status,
      ...(current.status === 'pending' && current.bindingMessage
        ? { bindingMessage: current.bindingMessage }
        : {}),
      ...(current.status === 'pending' && current.qrData ? { qrData: current.qrData } : {}),
      ...(settled.kind === 'final' && settled.error ? settled.error.toJSON() : {}),
      ...(settled.kind === 'login' ? { returnTo: current.returnTo } : {}),
    };
    return {
      ...(settled.kind === 'login'
        ? { session: { kind: 'login' as const, identity: settled.identity } }
        : {}),
      response: { type: 'json', status: 200, body },
    };
  }

  async function cancel(request: EidRequest): Promise<EidOutcome> {
    let transaction = await boundTransaction(request.params.transactionId, request.session);
    const answer = (): EidOutcome => ({
      response: { type: 'json', status: 200, body: { transactionId: transaction.id, status: 'cancelled' } },
    });
    if (transaction.status === 'cancelled') return answer();
    if (transaction.status !== 'pending') {
      throw new EidError('already_used', 'This login has ended already and cannot be cancelled.');
    }
    // Cancelled at the provider first (once): if that fails, the transaction stays as it was.
    await findProvider(transaction.provider).cancel?.(transaction);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cancelled = await transition(transaction, {
        status: 'cancelled',
        finishedAt: now(),
        error: { code: 'user_cancelled', message: 'The login was cancelled.' },
      });
      if (cancelled) {
        logger.info({ transactionId: transaction.id }, 'login cancelled');
        transaction = cancelled;
        return answer();
      }
      transaction = await boundTransaction(transaction.id, request.session);
      if (transaction.status === 'cancelled') return answer();
      if (transaction.status !== 'pending') {
        throw new EidError('already_used', 'The login ended while it was being cancelled.');
      }
    }
    throw new EidError('provider_error', 'The login changed state too often to cancel. Try again.');
  }

  /**
   * A provider's push. Whichever comes first, the push or the browser's poll/callback, finishes the
   * transaction; the push leaves the identity in the transaction for the bound browser to take once.
   */
  async function webhook(request: EidRequest): Promise<EidOutcome> {
    const provider = findProvider(request.params.provider);
    if (!provider.webhook) throw new EidError('unknown_provider', `${provider.name} sends no webhooks here.`);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    const notice = await provider.webhook({ query: stringQuery(request.query), headers, body: request.body });
    const ok = (body: Record<string, unknown>): EidOutcome => ({
      response: { type: 'json', status: 200, body },
    });
    if (!notice) return ok({ status: 'ignored' });
    const transaction = isTransactionId(notice.transactionId)
      ? await store.get(notice.transactionId)
      : undefined;
    if (!transaction || transaction.provider !== provider.id || transaction.reference !== notice.reference) {
      throw new EidError('transaction_not_found', 'The push names no login in progress here.');
    }
    if (transaction.status !== 'pending') return ok({ status: transaction.status, duplicate: true });
    // A push that is only a signal (no result) is answered by asking the provider: the authoritative
    // result comes from its API, not from a body that anyone holding the webhook URL could send.
    const settled = await settle(transaction, {
      ...(notice.result ? { pushed: notice.result } : {}),
      poll: true,
      consume: false,
      lease: CALLBACK_LEASE_MS,
      waitForClaim: true,
    });
    const status = settled.transaction.status;
    if (settled.transaction.version === transaction.version && status !== 'pending') {
      return ok({ status, duplicate: true });
    }
    if (status !== 'pending')
      logger.info({ transactionId: transaction.id, status }, 'webhook settled the login');
    return ok({ status });
  }

  async function handle(request: EidRequest): Promise<EidOutcome> {
    const json = prefersJson(request.headers?.accept);
    // Browser navigations (start, callback) fail to a page; API calls fail with the JSON error body.
    const browserRoute = (request.route === 'start' || request.route === 'callback') && !json;
    try {
      switch (request.route) {
        case 'methods':
          return { response: { type: 'json', status: 200, body: methodList() } };
        case 'start':
          return await start(request, json);
        case 'callback':
          return await callback(request, json);
        case 'status':
          return await status(request);
        case 'cancel':
          return await cancel(request);
        case 'webhook':
          return await webhook(request);
        case 'session':
          if (!request.session?.identity) {
            throw new EidError('unauthenticated', 'Nobody is logged in with an eID in this session.');
          }
          return { response: { type: 'json', status: 200, body: { identity: request.session.identity } } };
        case 'logout': {
          const form = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(
            request.headers?.contentType ?? '',
          );
          return {
            session: { kind: 'logout' },
            response:
              form && !json
                ? { type: 'redirect', status: 303, location: logoutRedirect }
                : { type: 'empty', status: 204 },
          };
        }
        default:
          throw new EidError('invalid_request', 'Unknown route.', { status: 404 });
      }
    } catch (thrown) {
      const error = isEidError(thrown)
        ? thrown
        : new EidError('provider_error', 'The login failed unexpectedly. Try again.', { cause: thrown });
      if (!isEidError(thrown)) logger.error({ err: thrown, route: request.route }, 'unexpected error');
      return { error, response: errorResponse(error, { page: browserRoute }) };
    }
  }

  function errorResponse(error: EidError, options: { page: boolean; failureRedirect?: string }): EidResponse {
    if (!options.page) return { type: 'json', status: error.status, body: error.toJSON() };
    const location = new URL(
      options.failureRedirect === undefined
        ? failureRedirect
        : relativePathOption('failureRedirect', options.failureRedirect),
      'http://localhost',
    );
    location.searchParams.set('error', error.code);
    return { type: 'redirect', status: 303, location: `${location.pathname}${location.search}` };
  }

  return {
    prefix,
    baseUrl,
    routes: ROUTES,
    store,
    methods: methodList,
    provider: (id) => providers.get(id),
    handle,
    errorResponse,
    async close() {
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
      await store.close?.();
    },
  };
}

function plainObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** One string parameter; repeated, nested or oversized values are refused. */
function single(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new EidError('invalid_request', `${name} must be given once, as text.`);
  if (value.length > MAX_PARAM_LENGTH) throw new EidError('invalid_request', `${name} is too long.`);
  return value;
}

/** An IP address as providers take it: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) unwrapped; anything else dropped. */
function endUserIp(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const mapped = value.toLowerCase().startsWith('::ffff:') ? value.slice(7) : undefined;
  if (mapped !== undefined && isIP(mapped) === 4) return mapped;
  return isIP(value) ? value : undefined;
}

function stringQuery(query: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    if (typeof value === 'string' && value.length <= MAX_PARAM_LENGTH) out[key] = value;
  }
  return out;
}
