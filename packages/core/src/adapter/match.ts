import type { Eid, EidResponse, RouteName } from '../engine/contract.js';
import { EidError } from '../errors.js';

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

/** The contract's answer to a path whose percent-encoding cannot be decoded: 400 `invalid_request`. */
export function malformedPathResponse(): EidResponse {
  const error = new EidError(
    'invalid_request',
    'The address has malformed percent-encoding (such as %ZZ); check the link or start again.',
  );
  return { type: 'json', status: error.status, body: error.toJSON() };
}

/**
 * The contract's 400 `invalid_request` for a request path that has the shape of one of `eid.routes` (any
 * method) but a parameter whose percent-encoding is malformed (`/status/%E0%A4%A`, `/callback/%ZZ`), or undefined
 * for any other path. Frameworks fail to decode such a parameter each in their own way (Express with its error
 * page and a stack trace outside production): adapters answer it first. `mountPath` is where the routes are.
 */
export function malformedParamResponse(
  eid: Pick<Eid, 'prefix' | 'routes'>,
  path: string,
  mountPath = '',
): EidResponse | undefined {
  const base = `${mountPath}${eid.prefix}`;
  if (!path.startsWith(`${base}/`) || !path.includes('%')) return undefined;
  const segments = path.slice(base.length).split('/');
  const malformed = eid.routes.some((route) => {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) return false;
    let broken = false;
    for (const [index, part] of pattern.entries()) {
      const segment = segments[index] ?? '';
      if (!part.startsWith(':')) {
        if (part !== segment) return false;
      } else if (decoded(segment) === undefined) broken = true;
    }
    return broken;
  });
  return malformed ? malformedPathResponse() : undefined;
}

/**
 * `malformedParamResponse` for a request target as it came in (path and query, e.g. Express's `req.originalUrl`).
 * A target without a percent sign cannot hold malformed percent-encoding: it is let through unparsed, which is every
 * request of an app but the odd broken link.
 */
export function malformedTargetResponse(
  eid: Pick<Eid, 'prefix' | 'routes'>,
  target: string,
  mountPath = '',
): EidResponse | undefined {
  if (!target.includes('%')) return undefined;
  const path = requestPath(target);
  return path === undefined ? undefined : malformedParamResponse(eid, path, mountPath);
}

/** A Fastify reply, as far as `fastifyFrameworkErrors` writes one. */
interface FrameworkErrorReply {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  send(payload?: unknown): unknown;
}

/**
 * Fastify's `frameworkErrors` option (`Fastify({ frameworkErrors })`, Nest's `new FastifyAdapter({ frameworkErrors })`):
 * Fastify refuses a URL whose percent-encoding it cannot decode before any plugin or hook runs, with its own
 * `FST_ERR_BAD_URL` body quoting the URL (which may hold anything). This answers it as the contract does
 * (400 `invalid_request`, no-store) and passes every other framework error on as Fastify would.
 */
export function fastifyFrameworkErrors(
  error: { code?: unknown },
  _request: unknown,
  reply: FrameworkErrorReply,
): unknown {
  if (error?.code !== 'FST_ERR_BAD_URL') return reply.send(error);
  const response = malformedPathResponse();
  reply.code(response.type === 'json' ? response.status : 400);
  reply.header('cache-control', 'no-store');
  return reply.send(response.type === 'json' ? response.body : undefined);
}
