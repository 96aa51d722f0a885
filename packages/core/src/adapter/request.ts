import type { EidRequest } from '../engine/contract.js';

/**
 * The request headers as the engine takes them: every header by lower-case name (webhooks may need any),
 * plus `accept` and `contentType`. Adapters pass Node's `IncomingHttpHeaders` or anything shaped like it.
 */
export function requestHeaders(
  raw: Record<string, string | string[] | undefined>,
): NonNullable<EidRequest['headers']> {
  const headers: NonNullable<EidRequest['headers']> = {};
  for (const [name, value] of Object.entries(raw)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  headers.contentType = headers['content-type'];
  return headers;
}
