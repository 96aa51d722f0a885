import { Agent, type Dispatcher, interceptors, fetch as undiciFetch } from 'undici';
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
  /**
   * Safe to send twice. Reads (GET) are retried once on a connection failure or timeout whatever this says;
   * writes never are.
   */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request through the shared transport, naming the provider it is for (errors and logs say it). */
export interface TransportRequest extends HttpRequest {
  /** Human name of the provider, e.g. `Signicat`. */
  provider: string;
}

/**
 * The one HTTP stack of an engine: every provider's calls go through it (REST calls through `request`,
 * openid-client through `fetchFor` as its `customFetch`), with one set of timeouts, a response size cap
 * and retries of idempotent reads. Transport failures become EidError `provider_unavailable`.
 */
export interface Transport {
  request(request: TransportRequest): Promise<HttpResponse>;
  /** undici's fetch over the same connections and limits, for libraries that take one (openid-client). */
  fetch: typeof fetch;
  /**
   * The same fetch for one provider: each request logged, the body read under the size cap, and a
   * transport failure thrown as the EidError `request` would throw.
   */
  fetchFor(provider: string): typeof fetch;
  close(): Promise<void>;
}

export interface TransportOptions {
  logger?: Logger;
  timeouts?: HttpTimeouts;
  /** Most bytes of a response body read before giving up. Default 1 MiB. */
  maxResponseBytes?: number;
}

/** Connection failures and timeouts before any answer: a read is sent once more. */
const RETRIED_ERRORS = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
];
const TIMEOUT_ERRORS = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'];
const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

/** The agent: connections kept alive per origin, timeouts, size cap, and one retry of a failed read. */
function createDispatcher(options: TransportOptions): { dispatcher: Dispatcher; agent: Agent } {
  const agent = new Agent({
    connect: { timeout: options.timeouts?.connect ?? 5_000 },
    headersTimeout: options.timeouts?.headers ?? 10_000,
    bodyTimeout: options.timeouts?.body ?? 10_000,
    connections: 32,
    maxResponseSize: options.maxResponseBytes ?? 1024 * 1024,
  });
  const dispatcher = agent.compose(
    interceptors.retry({
      maxRetries: 1,
      minTimeout: 0,
      methods: ['GET', 'HEAD'],
      statusCodes: [],
      errorCodes: RETRIED_ERRORS,
    }),
  );
  return { dispatcher, agent };
}

/** The undici error code of a failure, looking through `fetch failed` wrappers. */
function undiciCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The engine's transport. */
export function createTransport(options: TransportOptions = {}): Transport {
  const logger = options.logger ?? silentLogger;
  const { dispatcher, agent } = createDispatcher(options);
  const fetchOnAgent = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as typeof fetch;

  function failure(error: unknown, provider: string, method: string, path: string): EidError {
    if (error instanceof EidError) return error;
    const code = undiciCode(error);
    const timedOut = code !== undefined && TIMEOUT_ERRORS.includes(code);
    logger.warn(
      { provider, method, path, err: error },
      timedOut ? 'provider request timed out' : 'provider request failed',
    );
    if (code === TOO_LARGE) {
      return new EidError('provider_error', `${provider} sent a response larger than allowed.`, {
        cause: error,
      });
    }
    return new EidError(
      'provider_unavailable',
      timedOut
        ? `${provider} did not answer in time. Try again in a moment.`
        : `${provider} could not be reached. Try again in a moment.`,
      { cause: error },
    );
  }

  function logged(provider: string, method: string, path: string, status: number, started: number): void {
    logger.debug({ provider, method, path, status, ms: Date.now() - started }, 'provider request');
  }

  return {
    async request({ provider, method, url, headers, body }) {
      const target = new URL(url);
      const started = Date.now();
      try {
        const response = await dispatcher.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method,
          ...(headers ? { headers } : {}),
          ...(body === undefined ? {} : { body }),
        });
        const text = await response.body.text();
        logged(provider, method, target.pathname, response.statusCode, started);
        return { status: response.statusCode, headers: response.headers, text };
      } catch (error) {
        throw failure(error, provider, method, target.pathname);
      }
    },

    fetch: fetchOnAgent,

    fetchFor(provider) {
      return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
        const target = new URL(input instanceof Request ? input.url : String(input));
        const method = init?.method ?? 'GET';
        const started = Date.now();
        try {
          const response = await fetchOnAgent(input, init);
          // Read here, under the agent's limits, so that a failure mid-body is reported like any other.
          const body = await response.arrayBuffer();
          logged(provider, method, target.pathname, response.status, started);
          const empty = [101, 204, 205, 304].includes(response.status);
          return new Response(empty ? null : body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
          });
        } catch (error) {
          throw failure(error, provider, method, target.pathname);
        }
      }) as typeof fetch;
    },

    async close() {
      await agent.close();
    },
  };
}
