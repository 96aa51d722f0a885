import type { EngineContext, Route } from '../context.js';
import type { EidMethodInfo } from '../contract.js';

/** Every enabled method of every provider, for the app's login buttons. */
export function methodList(ctx: EngineContext): EidMethodInfo[] {
  return ctx.providers.all().flatMap((provider) =>
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
}

export const methods: Route = async (ctx) => ({
  response: { type: 'json', status: 200, body: methodList(ctx) },
});
