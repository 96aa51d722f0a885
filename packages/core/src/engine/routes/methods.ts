import type { EngineContext, Route } from '../context.js';
import type { EidMethodInfo } from '../contract.js';

/**
 * Every enabled method of every provider, for the app's buttons. `verify` methods only when the app authorises
 * its operators for them (`authorizeVerify`): without it they cannot be started.
 */
export function methodList(ctx: EngineContext): EidMethodInfo[] {
  const verify = ctx.config.authorizeVerify !== undefined;
  return ctx.providers.all().flatMap((provider) =>
    provider.methods
      .filter((method) => method.purpose === 'login' || verify)
      .map((method) => ({
        provider: provider.id,
        providerName: provider.name,
        method: method.id,
        flow: method.flow,
        purpose: method.purpose,
        label: method.label,
        country: method.country,
        ...(method.requiresNin ? { requiresNin: true } : {}),
      })),
  );
}

export const methods: Route = async (ctx) => ({
  response: { type: 'json', status: 200, body: methodList(ctx) },
});
