import type { EngineContext } from './context.js';
import type { EidHealth } from './contract.js';

/** How long the store may take to answer the probe. */
const STORE_PROBE_MS = 1_000;

/** The store probed with a read of a key nothing uses, the breakers read without calling anyone. */
export async function health(ctx: EngineContext): Promise<EidHealth> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'unreachable'>((resolve) => {
    timer = setTimeout(() => resolve('unreachable'), STORE_PROBE_MS);
    timer.unref?.();
  });
  const probe = Promise.resolve()
    .then(() => ctx.store.get('health-probe'))
    .then(
      () => 'ok' as const,
      () => 'unreachable' as const,
    );
  const store = await Promise.race([probe, timedOut]);
  clearTimeout(timer);
  if (store === 'unreachable') ctx.logger.warn({ store }, 'health: the transaction store did not answer');
  const states = ctx.transport.breakers();
  const providers = Object.fromEntries(
    ctx.providers.all().map((provider) => [provider.id, { breaker: states[provider.id] ?? 'closed' }]),
  );
  return { ok: store === 'ok', store, providers };
}
