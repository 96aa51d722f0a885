import { type Eid, ROUTES } from '../engine/contract.js';
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
 * URLs from the same table. `gone` names other options an adapter no longer takes, with what to do instead.
 */
export function refuseRoutesOption(
  options: object | undefined | null,
  where: string,
  gone: Record<string, string> = {},
): void {
  const instead: Record<string, string> = {
    routes:
      'rename or disable routes with createEid({ routes }), so the callback and webhook URLs the engine gives ' +
      'providers follow the rename',
    ...gone,
  };
  if (!options || typeof options !== 'object') return;
  for (const [name, fix] of Object.entries(instead)) {
    if (name in options && (options as Record<string, unknown>)[name] !== undefined) {
      throw new EidError('invalid_config', `${where}: the \`${name}\` option is gone; ${fix}.`);
    }
  }
}

/**
 * For adapters whose route paths are static (Nest's decorators): the engine's routes must keep the contract's
 * paths; disabling a route is fine. `invalid_config` names the renamed route and what to do instead.
 */
export function refuseRenamedRoutes(eid: Pick<Eid, 'routes'>, where: string, instead: string): void {
  const renamed = eid.routes.find(
    (route) =>
      !ROUTES.some(
        (own) => own.name === route.name && own.method === route.method && own.path === route.path,
      ),
  );
  if (renamed) {
    throw new EidError(
      'invalid_config',
      `${where} serves the default route paths; \`${renamed.name}\` is renamed in createEid({ routes }): ` +
        `keep its default path (routes may be disabled with false), or ${instead}.`,
    );
  }
}
