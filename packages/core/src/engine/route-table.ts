import { EidError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import { ROUTES, type RouteDefinition, type RouteName, type RouteOptions } from './contract.js';

const MAX_ROUTE_PATH_LENGTH = 256;
const PARAM = /:([A-Za-z][A-Za-z0-9_]*)/g;

export interface RouteTable {
  /** What the adapters mount: renamed, disabled ones left out. */
  mounted: readonly RouteDefinition[];
  /** The path of every route, mounted or not, relative to the prefix. */
  paths: Readonly<Record<RouteName, string>>;
  isMounted(name: RouteName): boolean;
}

function configError(field: string, why: string): EidError {
  return new EidError('invalid_config', `createEid(): \`${field}\` ${why}`);
}

const SIGNING_ROUTES: readonly RouteName[] = ['sign', 'signature'];

const paramsOf = (path: string) => [...path.matchAll(PARAM)].map((match) => match[1]).sort();

/** Why a route may not be disabled with these providers, if it may not. */
function neededBy(name: RouteName, providers: readonly Provider[]): string | undefined {
  if (name === 'start') return 'cannot be disabled: every login begins there.';
  const flows = new Set(providers.flatMap((provider) => provider.methods.map((method) => method.flow)));
  if (name === 'callback' && flows.has('redirect')) {
    return 'cannot be disabled while a provider offers a redirect login: the browser comes back there.';
  }
  if (name === 'status' && flows.has('headless')) {
    return 'cannot be disabled while a provider offers a headless login: the browser polls it.';
  }
  const pushing = providers.find((provider) => provider.webhook);
  if (name === 'webhook' && pushing) {
    return `cannot be disabled while ${pushing.name} is configured to push results there.`;
  }
  return undefined;
}

function renamedPath(name: RouteName, value: string, original: string): string {
  const field = `routes.${name}`;
  if (
    !value.startsWith('/') ||
    value.length > MAX_ROUTE_PATH_LENGTH ||
    /[?#\s\\%]/.test(value) ||
    value.split('/').some((segment) => segment === '..' || segment === '.')
  ) {
    throw configError(field, `must be a path relative to the prefix, such as ${original}.`);
  }
  const expected = paramsOf(original);
  if (paramsOf(value).join() !== expected.join()) {
    const list = expected.map((param) => `:${param}`).join(', ') || 'no parameters';
    throw configError(field, `must keep the route's parameters (${list}), such as ${original}.`);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

/**
 * The contract's routes with the app's renames and disabled routes applied. A rename keeps the route's
 * `:params` (the engine reads them), and two routes may not answer the same method and path.
 */
export function resolveRoutes(
  options: RouteOptions | undefined,
  providers: readonly Provider[],
  features: { signing: boolean } = { signing: false },
): RouteTable {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw configError('routes', 'must be an object of route names to paths or false.');
  }
  const names = new Set(ROUTES.map((route) => route.name));
  const paths = {} as Record<RouteName, string>;
  // The signing routes exist only in apps that sign (`createEid({ signing })`).
  const disabled = new Set<RouteName>(features.signing ? [] : SIGNING_ROUTES);
  for (const name of names) paths[name] = ROUTES.find((route) => route.name === name)!.path;
  for (const [key, value] of Object.entries(options ?? {})) {
    const name = key as RouteName;
    if (!names.has(name))
      throw configError(`routes.${key}`, `is not a route; routes are ${[...names].join(', ')}.`);
    if (value === undefined) continue;
    if (value === false) {
      const why = neededBy(name, providers);
      if (why) throw configError(`routes.${name}`, why);
      disabled.add(name);
    } else if (typeof value === 'string') {
      paths[name] = renamedPath(name, value, paths[name]);
    } else {
      throw configError(`routes.${name}`, 'must be a path (a string) or false.');
    }
  }
  const mounted = ROUTES.filter((route) => !disabled.has(route.name)).map((route) => ({
    ...route,
    path: paths[route.name],
  }));
  const seen = new Map<string, RouteName>();
  for (const route of mounted) {
    const shape = `${route.method} ${route.path.replace(PARAM, ':')}`;
    const clash = seen.get(shape);
    if (clash && clash !== route.name) {
      throw configError(
        `routes.${route.name}`,
        `answers the same ${route.method} path as the ${clash} route.`,
      );
    }
    seen.set(shape, route.name);
  }
  return { mounted, paths, isMounted: (name) => !disabled.has(name) };
}
