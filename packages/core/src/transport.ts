import { HttpClient, type HttpRequest, type HttpResponse, type HttpTimeouts } from './http.js';
import { type Logger, silentLogger } from './logger.js';

/** One request through the shared transport, naming the provider it is for (errors and logs say it). */
export interface TransportRequest extends HttpRequest {
  /** Human name of the provider, e.g. `Signicat`. */
  provider: string;
}

/**
 * The one HTTP stack of an engine: every provider's calls go through it (REST calls through `request`,
 * openid-client through `fetch` as its `customFetch`), with one set of timeouts, a response size cap and
 * retries of idempotent reads. Transport failures become EidError `provider_unavailable`.
 */
export interface Transport {
  request(request: TransportRequest): Promise<HttpResponse>;
  /** A WHATWG fetch over the same connections and limits, for libraries that take one (openid-client). */
  fetch: typeof fetch;
  close(): Promise<void>;
}

export interface TransportOptions {
  logger?: Logger;
  timeouts?: HttpTimeouts;
  /** Most bytes of a response body read before giving up. Default 1 MiB. */
  maxResponseBytes?: number;
}

/** The engine's transport. */
export function createTransport(options: TransportOptions = {}): Transport {
  const clients = new Map<string, HttpClient>();
  const clientFor = (name: string) => {
    let client = clients.get(name);
    if (!client) {
      client = new HttpClient({
        name,
        ...(options.timeouts ? { timeouts: options.timeouts } : {}),
        logger: options.logger ?? silentLogger,
        ...(options.maxResponseBytes ? { maxBodyBytes: options.maxResponseBytes } : {}),
      });
      clients.set(name, client);
    }
    return client;
  };
  return {
    request: ({ provider, ...request }) => clientFor(provider).request(request),
    fetch: globalThis.fetch,
    async close() {
      await Promise.all([...clients.values()].map((client) => client.close()));
      clients.clear();
    },
  };
}
