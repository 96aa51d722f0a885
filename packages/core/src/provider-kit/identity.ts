import { nationalIdFromProvider } from '../identity.js';
import type { Logger } from '../logger.js';

/**
 * The national identity number a provider stated, typed by `country` (and the provider's `type`, where it
 * names one). A number that does not validate is kept when it has the shape of one, as the provider is the
 * authority on its answer; either way the fact is logged, never the number.
 */
export function statedNationalId(
  provider: { id: string; name: string },
  stated: unknown,
  logger: Logger,
  country: unknown,
  type?: unknown,
): ReturnType<typeof nationalIdFromProvider> {
  const nin = nationalIdFromProvider(stated, country, type);
  if (stated !== undefined && (!nin || !nin.validated)) {
    logger.warn(
      { provider: provider.id, kept: Boolean(nin) },
      `${provider.name} returned a national id that does not validate`,
    );
  }
  return nin;
}
