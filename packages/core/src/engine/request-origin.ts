import { EidError } from '../errors.js';
import type { EidRequest } from './contract.js';
import type { EngineConfig } from './options.js';

/**
 * Cross-site request forgery: a POST that changes state (start, cancel, logout) is refused when the browser says
 * it comes from another site (`Sec-Fetch-Site: cross-site`) or names an `Origin` that is not the app's (the
 * origin of `baseUrl`, or one of `allowedOrigins`). A request with neither header (a server, curl) passes: only
 * a browser can be tricked into sending someone's cookie, and browsers send `Origin` on every POST. Webhooks are
 * the provider's server calling, authenticated on their own. `same-site` passes this check, but its `Origin`
 * must still be allowed: a sibling subdomain is another origin.
 */
export function crossSiteRefusal(config: EngineConfig, request: EidRequest): EidError | undefined {
  if (request.httpMethod.toUpperCase() !== 'POST' || request.route === 'webhook') return undefined;
  const site = request.headers?.['sec-fetch-site']?.trim().toLowerCase();
  const origin = request.headers?.origin;
  if (site !== 'cross-site' && (origin === undefined || config.allowedOrigins.has(originOf(origin)))) {
    return undefined;
  }
  return new EidError(
    'invalid_request',
    'This request came from another site; the app accepts it from its own pages only.',
    { status: 403 },
  );
}

/** A serialised origin (`https://shop.example`), or '' for anything else (`null`, several, garbage). */
export function originOf(value: string): string {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : '';
  } catch {
    return '';
  }
}
