import { EidError } from './errors.js';
import type { HttpResponse } from './transport.js';

export function parseJson<T>(text: string, providerName: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new EidError('provider_error', `${providerName} sent a response that is not valid JSON.`, {
      cause,
    });
  }
}

/** The first value of a header that may repeat. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
