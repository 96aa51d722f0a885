/**
 * Counts of provider API calls, per provider and per endpoint (`METHOD /route/:pattern`), as `GET /__sim/stats`
 * and `sim.stats()` report them. Every call a provider route receives counts, faulted ones too.
 */
export type SimulatorStats = Record<string, Record<string, number>>;

export class StatsCounter {
  private counts = new Map<string, Map<string, number>>();

  count(provider: string, endpoint: string): void {
    let endpoints = this.counts.get(provider);
    if (!endpoints) {
      endpoints = new Map();
      this.counts.set(provider, endpoints);
    }
    endpoints.set(endpoint, (endpoints.get(endpoint) ?? 0) + 1);
  }

  snapshot(): SimulatorStats {
    return Object.fromEntries(
      [...this.counts].map(([provider, endpoints]) => [provider, Object.fromEntries(endpoints)]),
    );
  }

  reset(): void {
    this.counts = new Map();
  }
}

/**
 * The endpoint a request counts under: the method and the route pattern. A catch-all route (the OpenID
 * Providers' mount) counts under the request path, with id-like segments as `:id`, so the counts never hold
 * one key per session.
 */
export function endpointOf(method: string, pattern: string, pathname: string): string {
  if (!pattern.endsWith('*')) return `${method} ${pattern}`;
  const path = pathname
    .split('/')
    .map((segment) => (looksLikeId(segment) ? ':id' : segment))
    .join('/');
  return `${method} ${path}`;
}

/** A random token or number rather than a fixed word: 16 characters or more with a digit, or all digits. */
function looksLikeId(segment: string): boolean {
  if (/^\d+$/.test(segment)) return true;
  return segment.length >= 16 && /\d/.test(segment) && !segment.startsWith('.');
}
