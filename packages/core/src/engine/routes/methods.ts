import type { Provider, ProviderMethod } from '../../providers/types.js';
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
      .filter(
        (method) => offered[method.purpose] && (method.purpose !== 'sign' || signable(ctx, provider, method)),
      )
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

/** A sign method this app can use: its provider signs, and it is told the signer when the method needs one. */
export function signable(ctx: EngineContext, provider: Provider, method: ProviderMethod): boolean {
  const signing = ctx.config.signing;
  if (!signing || !provider.sign || method.purpose !== 'sign') return false;
  return signing.restrictSigner || !method.signing?.requiresSigner;
}

export const methods: Route = async (ctx) => ({
  response: { type: 'json', status: 200, body: methodList(ctx) },
});
