import { Pool, errors as undiciErrors } from 'undici';
import { EidError } from './errors.js';
import { type Logger, silentLogger } from './logger.js';

export interface HttpTimeouts {
  /** TCP + TLS connect, ms. Default 5 000. */
  connect?: number;
  /** Until the response headers arrive, ms. Default 10 000. */
  headers?: number;
  /** Between body chunks, ms. Default 10 000. */
  body?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Safe to send twice: idempotent reads are retried once on a connection failure or timeout. */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpClientOptions {
  /** Name used in error messages and logs, e.g. 'Signicat'. */
  name: string;
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Most bytes of a response body read before giving up. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * HTTP to one provider: a connection pool per origin, explicit timeouts, and every transport failure
 * turned into an EidError (`provider_unavailable`), so nothing raw from undici reaches the caller.
 */
export class HttpClient {
  readonly name: string;
  readonly #pools = new Map<string, Pool>();
  readonly #timeouts: Required<HttpTimeouts>;
  readonly #logger: Logger;
  readonly #maxBodyBytes: number;

  constructor(options: HttpClientOptions) {
    this.name = options.name;
    this.#timeouts = {
      connect: options.timeouts?.connect ?? 5_000,
      headers: options.timeouts?.headers ?? 10_000,
      body: options.timeouts?.body ?? 10_000,
    };
    this.#logger = options.logger ?? silentLogger;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const attempts = request.idempotent ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send(request);
      } catch (error) {
        const retryable = error instanceof EidError && error.code === 'provider_unavailable';
        if (!retryable || attempt >= attempts) throw error;
        this.#logger.warn({ provider: this.name, attempt }, 'retrying an idempotent request');
      }
    }
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

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: this.#timeouts.connect },
        headersTimeout: this.#timeouts.headers,
        bodyTimeout: this.#timeouts.body,
        connections: 32,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  async #send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const started = Date.now();
    try {
      const response = await this.#pool(url.origin).request({
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers: request.headers,
        body: request.body,
      });
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.#maxBodyBytes) {
          response.body.destroy();
          throw new EidError('provider_error', `${this.name} sent a response larger than allowed.`);
        }
        chunks.push(chunk as Buffer);
      }
      this.#logger.debug(
        {
          provider: this.name,
          method: request.method,
          path: url.pathname,
          status: response.statusCode,
          ms: Date.now() - started,
        },
        'provider request',
      );
      return {
        status: response.statusCode,
        headers: response.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      };
    } catch (error) {
      if (error instanceof EidError) throw error;
      throw this.#transportError(error, request, url);
    }
  }

  #transportError(error: unknown, request: HttpRequest, url: URL): EidError {
    const timedOut =
      error instanceof undiciErrors.ConnectTimeoutError ||
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError;
    this.#logger.warn(
      { provider: this.name, method: request.method, path: url.pathname, err: error },
      timedOut ? 'provider request timed out' : 'provider request failed',
    );
    return new EidError(
      'provider_unavailable',
      timedOut
        ? `${this.name} did not answer in time. Try again in a moment.`
        : `${this.name} could not be reached. Try again in a moment.`,
      { cause: error },
    );
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
