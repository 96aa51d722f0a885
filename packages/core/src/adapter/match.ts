import type { Eid, RouteName } from '../engine/contract.js';

/**
 * The route of `eid.routes` a request path is, with its parameters, for adapters that are handed requests they did
 * not route themselves (a Passport strategy mounted by hand). `mountPath` is where the routes are mounted.
 */
export function matchRoute(
  eid: Pick<Eid, 'prefix' | 'routes'>,
  method: string,
  path: string,
  mountPath = '',
): { route: RouteName; params: Record<string, string> } | undefined {
  const base = `${mountPath}${eid.prefix}`;
  if (!path.startsWith(`${base}/`)) return undefined;
  const segments = path.slice(base.length).split('/');
  for (const route of eid.routes) {
    const pattern = route.path.split('/');
    if (route.method !== method.toUpperCase() || pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const segment = segments[index] ?? '';
      if (!part.startsWith(':')) return part === segment;
      const value = decoded(segment);
      if (value) params[part.slice(1)] = value;
      return Boolean(value);
    });
    if (matches) return { route: route.name, params };
  }
  return undefined;
}

/** The path of a request target (`req.originalUrl`), or undefined for a target that is not a URL path (`//%`). */
export function requestPath(target: string): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
