import { createContext } from './context.js';
import type { Eid, EidOptions } from './contract.js';
import { errorResponse, handle, webhookPreCheck } from './handle.js';
import { health } from './health.js';
import { sessionIdentity } from './logins.js';
import { validateOptions } from './options.js';
import { methodList } from './routes/methods.js';
import { signature, signatureEvidence } from './signing/routes.js';

/**
 * The engine: options checked once, one context (store, redacting logger, transport, providers,
 * transactions, route URLs), and the contract's routes, each a function of that context and a request.
 */
export function createEid(options: EidOptions): Eid {
  const config = validateOptions(options);
  const ctx = createContext(config, options);
  return {
    prefix: config.prefix,
    baseUrl: config.baseUrl,
    routes: config.routes.mounted,
    store: ctx.store,
    methods: () => methodList(ctx),
    provider: (id) => ctx.providers.get(id),
    signature: (id) => signature(ctx, id),
    signatureEvidence: (id) => signatureEvidence(ctx, id),
    sessionIdentity: (session) => sessionIdentity(ctx, session),
    handle: (request) => handle(ctx, request),
    webhookPreCheck: (request) => webhookPreCheck(ctx, request),
    errorResponse: (error, errorOptions) => errorResponse(ctx, error, errorOptions),
    health: () => health(ctx),
    async close() {
      await Promise.all(ctx.providers.all().map((provider) => provider.close?.()));
      await ctx.transport.close();
      await ctx.store.close?.();
    },
  };
}
