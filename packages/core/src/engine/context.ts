import { EidError } from '../errors.js';
import type { Identity } from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import type { Provider } from '../providers/types.js';
import { MemoryStore } from '../store/memory.js';
import type { TransactionStore } from '../store/types.js';
import type { Transaction } from '../transaction.js';
import { createTransport, type Transport } from '../transport.js';
import type { EidOptions, EidOutcome, EidRequest } from './contract.js';
import { createEmitter, type EmitEvent } from './events.js';
import type { EngineConfig } from './options.js';
import { signedDocumentResponseBytes } from './signing/options.js';
import { signedEvent, signerReview } from './signing/result.js';
import { createTransactions, type Transactions } from './transactions/service.js';

const MAX_MOUNT_PATH_LENGTH = 512;

export interface ProviderRegistry {
  get(id: string | undefined): Provider | undefined;
  /** The provider, or EidError `unknown_provider`. */
  find(id: string | undefined): Provider;
  all(): readonly Provider[];
}

/** The public URLs of the routes, built from the same table the adapters mount. */
export interface UrlBuilder {
  /**
   * `baseUrl` + the adapter's mount path + `prefix` + the route's path with `params` filled in, and `query`.
   * `mountPath` is the request's (`EidRequest.mountPath`), checked by `mountPath()`.
   */
  route(
    name: 'callback' | 'webhook' | 'signature',
    params: Record<string, string>,
    mountPath: string | undefined,
    query?: Record<string, string>,
  ): string;
  /** The adapter's mount path, normalised ('' at the root), or EidError `invalid_config` naming it. */
  mountPath(value: unknown): string;
}

/** Everything a route needs, made once by `createEid`. */
export interface EngineContext {
  config: EngineConfig;
  store: TransactionStore;
  logger: Logger;
  now: () => number;
  providers: ProviderRegistry;
  transactions: Transactions;
  urls: UrlBuilder;
  transport: Transport;
  /** Audit events (`createEid({ events })`); a no-op without a listener. */
  emit: EmitEvent;
}

function providerRegistry(providers: readonly Provider[]): ProviderRegistry {
  const byId = new Map(providers.map((provider) => [provider.id, provider]));
  const get = (id: string | undefined) => (id === undefined ? undefined : byId.get(id));
  return {
    get,
    find(id) {
      const provider = get(id);
      if (!provider)
        throw new EidError('unknown_provider', 'No eID provider by that name is enabled in this app.');
      return provider;
    },
    all: () => [...byId.values()],
  };
}

function mountPathOf(value: unknown): string {
  if (value === undefined || value === '' || value === '/') return '';
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.length > MAX_MOUNT_PATH_LENGTH ||
    // `%` too: an encoded dot segment (`/%2e%2e`) would climb out of baseUrl's path once the URL is resolved.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
    /[?#%\s\\\u0000-\u001f]/.test(value) ||
    value.split('/').some((segment) => segment === '..' || segment === '.')
  ) {
    throw new EidError(
      'invalid_config',
      'The adapter passed a `mountPath` that is not a path such as /api (EidRequest.mountPath): check how the eID routes are mounted.',
    );
  }
  return value.replace(/\/+$/, '');
}

function urlBuilder(config: EngineConfig): UrlBuilder {
  return {
    mountPath: mountPathOf,
    route(name, params, mountPath, query = {}) {
      const path = config.routes.paths[name].replace(/:([A-Za-z][A-Za-z0-9_]*)/g, (_match, param: string) =>
        encodeURIComponent(params[param] ?? ''),
      );
      const url = new URL(`${config.baseUrl}${mountPathOf(mountPath)}${config.prefix}${path}`);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      return url.toString();
    },
  };
}

/** `onVerified`, awaited; what it throws is logged (the transaction stays complete), never the request's failure. */
function verifiedEvent(
  onVerified: NonNullable<EngineConfig['onVerified']>,
  logger: Logger,
): (identity: Identity, transaction: Transaction) => Promise<void> {
  return async (identity, transaction) => {
    try {
      await onVerified(identity, {
        transactionId: transaction.id,
        provider: transaction.provider,
        method: transaction.method,
        verifiedAt: transaction.finishedAt ?? Date.now(),
      });
    } catch (error) {
      logger.error(
        { transactionId: transaction.id, provider: transaction.provider, err: error },
        'onVerified failed',
      );
    }
  };
}

/** The store must offer what the engine uses (a store written for an older version may lack the keyed records). */
function checkStore(store: TransactionStore): void {
  const needed = [
    'create',
    'get',
    'compareAndSet',
    'delete',
    'increment',
    'getKey',
    'swapKey',
    'recordLogout',
    'isLoggedOut',
  ] as const;
  const missing = needed.filter((name) => typeof (store as Partial<TransactionStore>)?.[name] !== 'function');
  if (missing.length > 0) {
    throw new EidError(
      'invalid_config',
      `createEid(): \`store\` lacks ${missing.join(', ')} of the TransactionStore interface (see its documentation).`,
    );
  }
}

/** The engine's context: one redacting logger and one transport, given to every provider at registration. */
export function createContext(config: EngineConfig, options: EidOptions): EngineContext {
  const logger = redactingLogger(options.logger ?? silentLogger);
  const now = options.now ?? Date.now;
  const store = options.store ?? new MemoryStore({ now: options.now });
  checkStore(store);
  if (options.store && !config.secretGiven) {
    logger.warn(
      {},
      "createEid(): a store of your own but no `secret`: each process keys the push limits and the signer of a signing with its own random secret, so processes sharing the store do not see each other's push limits, and a signing finished in another process (or after a restart) fails with signer_mismatch. Set `secret`.",
    );
  }
  const transport = createTransport({
    logger,
    now,
    ...(config.timeouts ? { timeouts: config.timeouts } : {}),
    ...(config.retries ? { retries: config.retries } : {}),
    ...(config.breaker !== undefined ? { breaker: config.breaker } : {}),
    ...(config.connections !== undefined ? { connections: config.connections } : {}),
    // A signed document comes back whole (NEXT: base64 of the signed PDF): room for the largest one signed.
    ...(config.signing ? { maxResponseBytes: signedDocumentResponseBytes(config.signing.maxBytes) } : {}),
  });
  const providers = providerRegistry(config.providers);
  // Each provider on its own view of the transport: its own circuit breaker, named by its id.
  for (const provider of providers.all())
    provider.attach?.({ logger, transport: transport.forProvider(provider.id) });
  const emit = createEmitter(config.events, logger, now);
  const transactions = createTransactions({
    store,
    logger,
    now,
    emit,
    ask: (transaction, input) => providers.find(transaction.provider).complete({ transaction, ...input }),
    ...(config.onVerified ? { verified: verifiedEvent(config.onVerified, logger) } : {}),
    ...(config.signing?.onSigned ? { signed: signedEvent(config.signing.onSigned, logger) } : {}),
    // Always: a signing started in a process that signs may finish in one whose configuration does not.
    review: signerReview(config.secret),
  });
  return { config, store, logger, now, providers, transactions, urls: urlBuilder(config), transport, emit };
}

/** One route of the contract: a request in, an outcome out; failures are thrown as EidError. */
export type Route = (ctx: EngineContext, request: EidRequest) => Promise<EidOutcome>;
