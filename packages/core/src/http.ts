import { EidError } from './errors.js';
import type { Logger } from './logger.js';
import {
  createTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTimeouts,
  type Transport,
} from './transport.js';

export type { HttpRequest, HttpResponse, HttpTimeouts } from './transport.js';

export interface HttpClientOptions {
  /** Name used in error messages and logs, e.g. 'Signicat'. */
  name: string;
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Most bytes of a response body read before giving up. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * HTTP to one provider over a transport of its own.
 * @deprecated Providers get the engine's transport (`Provider.attach`); use `createTransport` directly.
 */
export class HttpClient {
  readonly name: string;
  readonly #transport: Transport;

  constructor(options: HttpClientOptions) {
    this.name = options.name;
    this.#transport = createTransport({
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.maxBodyBytes ? { maxResponseBytes: options.maxBodyBytes } : {}),
    });
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    return this.#transport.request({ ...request, provider: this.name });
  }

  /** Sends and parses a JSON body; a body that is not JSON is a `provider_error`. */
  async requestJson<T = unknown>(
    request: HttpRequest,
  ): Promise<{ status: number; headers: HttpResponse['headers']; body: T }> {
    const response = await this.request(request);
    return {
      status: response.status,
      headers: response.headers,
      body: parseJson<T>(response.text, this.name),
    };
  }

  close(): Promise<void> {
    return this.#transport.close();
  }
}

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
