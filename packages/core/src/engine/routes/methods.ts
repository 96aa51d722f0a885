import type { EngineContext, Route } from '../context.js';
import type { EidMethodInfo } from '../contract.js';

/**
 * Every enabled method of every provider, for the app's buttons. `verify` methods only when the app authorises
 * its operators for them (`authorizeVerify`), `sign` methods only when signing is on (`signing`): without them
 * they cannot be started.
 */
export function methodList(ctx: EngineContext): EidMethodInfo[] {
  const offered = {
    login: true,
    verify: ctx.config.authorizeVerify !== undefined,
    sign: ctx.config.signing !== undefined,
  };
  return ctx.providers.all().flatMap((provider) =>
    provider.methods
      .filter((method) => offered[method.purpose] && (method.purpose !== 'sign' || provider.sign))
      .map((method) => ({
        provider: provider.id,
        providerName: provider.name,
        method: method.id,
        flow: method.flow,
        purpose: method.purpose,
        label: method.label,
        country: method.country,
        ...(method.requiresNin ? { requiresNin: true } : {}),
        ...(method.signing ? { signs: [...method.signing.contentTypes] } : {}),
      })),
  );
}

export const methods: Route = async (ctx) => ({
  response: { type: 'json', status: 200, body: methodList(ctx) },
});
