import type { Eid } from '../engine/contract.js';
import { EidError } from '../errors.js';

/**
 * The engine an adapter was given, or `invalid_config` naming the field: `where` is the call the user made,
 * e.g. `eidRouter(eid)`.
 */
export function engineOption(eid: unknown, where: string): Eid {
  const candidate = eid as Partial<Eid> | null | undefined;
  if (
    !candidate ||
    typeof candidate !== 'object' ||
    typeof candidate.handle !== 'function' ||
    typeof candidate.prefix !== 'string'
  ) {
    throw new EidError(
      'invalid_config',
      `${where}: \`eid\` is required, the engine that createEid({ ... }) of @eid/core returns.`,
    );
  }
  return eid as Eid;
}

/** An options argument, or `invalid_config` when it is not an object. */
export function optionsObject<T extends object>(options: T | undefined | null, where: string): Partial<T> {
  if (options === undefined) return {};
  if (!options || typeof options !== 'object') {
    throw new EidError('invalid_config', `${where}: \`options\` must be an object.`);
  }
  return options;
}

/**
 * Adapters mount `eid.routes` as they are: a rename belongs to the engine, which builds the callback and webhook
 * URLs from the same table.
 */
export function refuseRoutesOption(options: object | undefined | null, where: string): void {
  if (options && typeof options === 'object' && 'routes' in options && options.routes !== undefined) {
    throw new EidError(
      'invalid_config',
      `${where}: the \`routes\` option is gone; rename or disable routes with createEid({ routes }), ` +
        'so the callback and webhook URLs the engine gives providers follow the rename.',
    );
  }
}
