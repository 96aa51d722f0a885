import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Decoded `:name` segments of the route pattern. */
  readonly params: Readonly<Record<string, string>>;
}

export type RouteHandler = (ctx: RequestContext) => void | Promise<void>;

export interface RouteOptions {
  /**
   * Marks a route of a simulated provider's API (token, REST calls): faults for this provider apply to it.
   * Control routes and end-user pages leave it out.
   */
  readonly provider?: string;
}

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: RouteHandler;
  readonly provider?: string;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/**
 * The smallest router that does the job: exact segments, `:param` segments and a trailing `*`.
 * First registered match wins, so a provider registers its catch-all after its real routes.
 * Method `*` matches any method.
 */
export class Router {
  private readonly routes: { route: Route; segments: string[] }[] = [];

  add(method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    const route: Route = { method: method.toUpperCase(), pattern, handler, ...options };
    this.routes.push({ route, segments: pattern.split('/').filter(Boolean) });
    return this;
  }

  get(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('GET', pattern, handler, options);
  }

  post(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('POST', pattern, handler, options);
  }

  delete(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('DELETE', pattern, handler, options);
  }

  match(method: string, pathname: string): RouteMatch | undefined {
    const parts = pathname.split('/').filter(Boolean);
    for (const { route, segments } of this.routes) {
      if (route.method !== '*' && route.method !== method) continue;
      const params = matchSegments(segments, parts);
      if (params) return { route, params };
    }
    return undefined;
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '*' && i === segments.length - 1) return params;
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) {
      return undefined;
    }
  }
  return parts.length === segments.length ? params : undefined;
}
