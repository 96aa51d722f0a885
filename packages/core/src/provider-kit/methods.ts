import { EidError } from '../errors.js';
import type { ProviderMethod } from '../providers/types.js';

/** What the engine and the browser see of a method: its table entry without the provider's wire details. */
export function projectMethods(table: readonly ProviderMethod[]): ProviderMethod[] {
  return table.map(({ id, flow, purpose, label, country, requiresNin, signing }) => ({
    id,
    flow,
    purpose,
    label,
    country,
    ...(requiresNin ? { requiresNin } : {}),
    ...(signing ? { signing } : {}),
  }));
}

/** Looks a method up among the enabled ones; any other id is `unknown_method`. */
export function methodFinder<M extends ProviderMethod>(
  providerName: string,
  enabled: readonly M[],
): (id: string) => M {
  return (id) => {
    const found = enabled.find((method) => method.id === id);
    if (!found)
      throw new EidError('unknown_method', `${providerName} does not offer the method "${id}" here.`);
    return found;
  };
}
