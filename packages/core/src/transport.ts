import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
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
   * Informational: only reads (GET, HEAD) are ever retried, whatever this says; writes never are, since a broker
   * may have acted on one whose answer was lost.
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

/** The state of a provider's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * The one HTTP stack of an engine: every provider's calls go through it (REST calls through `request`,
 * openid-client through `fetchFor` as its `customFetch`), with one set of timeouts, a response size cap,
 * bounded retries of reads and a circuit breaker per provider. Transport failures become EidError
 * `provider_unavailable`.
 */
export interface Transport {
  request(request: TransportRequest): Promise<HttpResponse>;
  /** undici's fetch over the same connections and limits, for libraries that take one (openid-client). */
  fetch: typeof fetch;
  /**
   * The same fetch for one provider: each request logged, the body read under the size cap, reads retried,
   * the provider's breaker applied, and a transport failure thrown as the EidError `request` would throw.
   */
  fetchFor(provider: string): typeof fetch;
  /**
   * The same transport for the provider with this id: all its calls share one circuit breaker, named by the id
   * (in logs and `breakers()`), whatever names the calls give. The engine attaches each provider to its own.
   * Closing it closes nothing (the shared transport is closed by its owner).
   */
  forProvider(id: string): Transport;
  /** Each breaker that has seen a call, by provider id (or name, for calls not made through `forProvider`). */
  breakers(): Record<string, BreakerState>;
  close(): Promise<void>;
}

/** Retries of reads (GET, HEAD) after a connection failure, a timeout, a 5xx or a 429. Writes are never retried. */
export interface HttpRetryOptions {
  /** Attempts of a read in all, the first included. Default 3; 1 turns retries off. */
  attempts?: number;
  /** Backoff base, ms: before retry n the wait is random in [0, base × 2^(n-1)] (full jitter), at most 2 s. Default 100. */
  backoffMs?: number;
  /**
   * The longest `Retry-After` (on 429 or 503) waited out before a read is retried, seconds. Default 2. A longer one
   * is not waited: the call fails at once with `rate_limited` (429) or `provider_unavailable` (503) carrying it,
   * and the app answers its client with the same `Retry-After`.
   */
  maxRetryAfterSeconds?: number;
}

/** The circuit breaker every provider gets. */
export interface HttpBreakerOptions {
  /**
   * Failed calls in a row (connection failures, timeouts, 5xx answers; each attempt counts, a 4xx is an answer,
   * not a failure) that open the breaker. Default 5.
   */
  failures?: number;
  /** How long an open breaker fails calls at once, seconds, before one trial call is let through. Default 30. */
  openSeconds?: number;
  /** Failures further apart than this do not add up, seconds. Default 60. */
  windowSeconds?: number;
}

export interface TransportOptions {
  logger?: Logger;
  timeouts?: HttpTimeouts;
  /** Most bytes of a response body read before giving up. Default 1 MiB. */
  maxResponseBytes?: number;
  /**
   * Connections kept open to each provider origin, at most; calls beyond them queue. Default
   * `DEFAULT_CONNECTIONS`.
   */
  connections?: number;
  retries?: HttpRetryOptions;
  /** `false` turns the breakers off. */
  breaker?: HttpBreakerOptions | false;
  /** The clock of the breakers and of `Retry-After` dates. Default `Date.now`. */
  now?: () => number;
  /** How the transport waits between attempts. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Connection failures and timeouts before or during an answer: a read is sent again. */
const RETRIED_ERRORS = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];
const TIMEOUT_ERRORS = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'];
const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
const MAX_BACKOFF_MS = 2_000;
const READS = new Set(['GET', 'HEAD']);

/**
 * Connections per provider origin. A login makes about two calls to its broker. `pnpm loadtest` with 1,000 logins
 * started at once and 200 ms per broker call (one process, 2 cores): callback p50 4.2 s over 32 connections, 1.3 s
 * over 128, 0.33 s over 256, 0.25 s over 512 (docs/http-contract.md §8, "Connections").
 */
export const DEFAULT_CONNECTIONS = 256;

/** The agent: connections kept alive per origin, timeouts and size cap. Retries are the transport's own. */
function createAgent(options: TransportOptions): Agent {
  return new Agent({
    connect: { timeout: options.timeouts?.connect ?? 5_000 },
    headersTimeout: options.timeouts?.headers ?? 10_000,
    bodyTimeout: options.timeouts?.body ?? 10_000,
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    maxResponseSize: options.maxResponseBytes ?? 1024 * 1024,
  });
}

/**
 * Seconds from a `Retry-After` value (delta-seconds or an HTTP date), or undefined when absent or unreadable.
 * Never negative.
 */
export function retryAfterSeconds(
  value: string | string[] | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

interface Breaker {
  /** Whether the call may go (`trial`: it is the one call of a half-open breaker), or the error to fail with at once. */
  admit(name: string): { trial: boolean } | EidError;
  succeeded(trial: boolean): void;
  failed(trial: boolean): void;
  state(): BreakerState;
}

function createBreaker(
  id: string,
  options: Required<HttpBreakerOptions>,
  now: () => number,
  logger: Logger,
): Breaker {
  let failures = 0;
  let lastFailureAt = 0;
  let openUntil = 0;
  let state: 'closed' | 'open' = 'closed';
  let trialInFlight = false;

  const open = (reason: string) => {
    state = 'open';
    openUntil = now() + options.openSeconds * 1000;
    trialInFlight = false;
    logger.warn(
      { provider: id, breaker: 'open', failures, openSeconds: options.openSeconds, reason },
      'provider circuit breaker opened: calls fail at once until it half-opens',
    );
  };
  const current = (): BreakerState =>
    state === 'closed' ? 'closed' : now() >= openUntil ? 'half-open' : 'open';

  return {
    admit(name) {
      const at = current();
      if (at === 'closed') return { trial: false };
      if (at === 'half-open' && !trialInFlight) {
        trialInFlight = true;
        logger.info(
          { provider: id, breaker: 'half-open' },
          'provider circuit breaker half-open: one trial call',
        );
        return { trial: true };
      }
      const seconds = at === 'open' ? (openUntil - now()) / 1000 : 1;
      return new EidError(
        'provider_unavailable',
        `${name} keeps failing, so calls to it are paused. Try again in a moment.`,
        { retryAfterSeconds: seconds },
      );
    },
    succeeded(trial) {
      failures = 0;
      if (state === 'open' && trial) {
        state = 'closed';
        trialInFlight = false;
        logger.info(
          { provider: id, breaker: 'closed' },
          'provider circuit breaker closed: the provider answers again',
        );
      }
    },
    failed(trial) {
      if (state === 'open') {
        if (trial) open('trial call failed');
        return;
      }
      const at = now();
      failures = at - lastFailureAt > options.windowSeconds * 1000 ? 1 : failures + 1;
      lastFailureAt = at;
      if (failures >= options.failures) open('failures in a row');
    },
    state: current,
  };
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

/** One attempt's answer, as far as the retry policy needs it. */
interface Attempt {
  status: number;
  retryAfter: string | undefined;
}

/** The engine's transport. */
export function createTransport(options: TransportOptions = {}): Transport {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))));
  const random = options.random ?? Math.random;
  const attempts = Math.max(1, Math.floor(options.retries?.attempts ?? 3));
  const backoffMs = Math.max(0, options.retries?.backoffMs ?? 100);
  const maxRetryAfterSeconds = Math.max(0, options.retries?.maxRetryAfterSeconds ?? 2);
  const breakerOptions =
    options.breaker === false
      ? undefined
      : {
          failures: Math.max(1, Math.floor(options.breaker?.failures ?? 5)),
          openSeconds: options.breaker?.openSeconds ?? 30,
          windowSeconds: options.breaker?.windowSeconds ?? 60,
        };
  const agent = createAgent(options);
  const breakers = new Map<string, Breaker>();
  const breakerFor = (key: string): Breaker | undefined => {
    if (!breakerOptions) return undefined;
    let breaker = breakers.get(key);
    if (!breaker) {
      breaker = createBreaker(key, breakerOptions, now, logger);
      breakers.set(key, breaker);
    }
    return breaker;
  };

  const fetchOnAgent = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
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

  /** Full jitter: random in [0, base × 2^(attempt-1)], capped. */
  const backoff = (attempt: number) => random() * Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** (attempt - 1));

  /**
   * One call: the breaker asked before each attempt, a read (GET, HEAD) sent again after a connection failure,
   * timeout, 5xx or 429 while attempts remain (after the backoff, or a `Retry-After` up to the cap), a write sent
   * once. The last answer is returned whatever its status; a transport failure is thrown as an EidError.
   */
  async function call<T extends Attempt>(
    key: string,
    provider: string,
    method: string,
    path: string,
    send: () => Promise<T>,
  ): Promise<T> {
    const breaker = breakerFor(key);
    const read = READS.has(method);
    const limit = read ? attempts : 1;
    const closed = () => breaker === undefined || breaker.state() === 'closed';
    for (let attempt = 1; ; attempt++) {
      const admitted = breaker ? breaker.admit(provider) : { trial: false };
      if (admitted instanceof EidError) throw admitted;
      let result: T;
      try {
        result = await send();
      } catch (error) {
        const code = undiciCode(error);
        const unreachable = !(error instanceof EidError) && code !== TOO_LARGE;
        if (unreachable) breaker?.failed(admitted.trial);
        else breaker?.succeeded(admitted.trial);
        const retry =
          read && attempt < limit && code !== undefined && RETRIED_ERRORS.includes(code) && closed();
        if (!retry) throw failure(error, provider, method, path);
        const wait = backoff(attempt);
        logger.info(
          { provider, method, path, code, attempt, waitMs: Math.round(wait) },
          'provider read retried',
        );
        await sleep(wait);
        continue;
      }
      if (result.status >= 500) breaker?.failed(admitted.trial);
      else breaker?.succeeded(admitted.trial);
      const retryable = result.status >= 500 || result.status === 429;
      if (!read || attempt >= limit || !retryable || !closed()) return result;
      const after =
        result.status === 429 || result.status === 503
          ? retryAfterSeconds(result.retryAfter, now())
          : undefined;
      if (after !== undefined && after > maxRetryAfterSeconds) return result;
      const wait = after === undefined ? backoff(attempt) : after * 1000;
      logger.info(
        { provider, method, path, status: result.status, attempt, waitMs: Math.round(wait) },
        'provider read retried',
      );
      await sleep(wait);
    }
  }

  const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

  function request(key: string | undefined, input: TransportRequest): Promise<HttpResponse> {
    const { provider, method, url, headers, body } = input;
    const target = new URL(url);
    return call(key ?? provider, provider, method, target.pathname, async () => {
      const started = Date.now();
      const response = await agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        ...(headers ? { headers } : {}),
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.body.text();
      logged(provider, method, target.pathname, response.statusCode, started);
      return {
        status: response.statusCode,
        headers: response.headers,
        text,
        retryAfter: headerValue(response.headers['retry-after']),
      };
    }).then(({ status, headers: answered, text }) => ({ status, headers: answered, text }));
  }

  /**
   * A fetch call as openid-client makes it (a URL, `redirect: 'manual'`, headers as a record, a string or form body)
   * goes straight to the agent and comes back as one `Response` built from the bytes read: the same request on the
   * wire as fetch's, without fetch's request and stream machinery, which cost more than the rest of the call. Anything
   * else (a `Request`, redirects followed, a streamed body) goes through undici's fetch.
   */
  async function fetchDirect(
    input: Parameters<typeof fetch>[0],
    init: RequestInit | undefined,
    target: URL,
    method: string,
  ) {
    const direct = directFetchParts(input, init);
    if (!direct) {
      const response = await fetchOnAgent(input, init);
      return { status: response.status, headers: response.headers, body: await response.arrayBuffer() };
    }
    const response = await agent.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: method as Dispatcher.HttpMethod,
      headers: direct.headers,
      ...(direct.body === undefined ? {} : { body: direct.body }),
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    return {
      status: response.statusCode,
      headers: responseHeaders(response.headers),
      body: await response.body.arrayBuffer(),
    };
  }

  function fetchFor(key: string | undefined, provider: string): typeof fetch {
    return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const target = new URL(input instanceof Request ? input.url : String(input));
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const answer = await call(key ?? provider, provider, method, target.pathname, async () => {
        const started = Date.now();
        // Read here, under the agent's limits, so that a failure mid-body is reported like any other.
        const read = await fetchDirect(input, init, target, method);
        logged(provider, method, target.pathname, read.status, started);
        return { ...read, retryAfter: read.headers.get('retry-after') ?? undefined };
      });
      const empty = [101, 204, 205, 304].includes(answer.status);
      return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
    }) as typeof fetch;
  }

  const states = () => Object.fromEntries([...breakers].map(([key, breaker]) => [key, breaker.state()]));

  const view = (key: string): Transport => ({
    request: (input) => request(key, input),
    fetch: fetchOnAgent,
    fetchFor: (provider) => fetchFor(key, provider),
    forProvider: (id) => view(id),
    breakers: states,
    async close() {},
  });

  return {
    request: (input) => request(undefined, input),
    fetch: fetchOnAgent,
    fetchFor: (provider) => fetchFor(undefined, provider),
    forProvider: (id) => view(id),
    breakers: states,
    async close() {
      await agent.close();
    },
  };
}

/**
 * The headers and body of a fetch call the agent can send as they are: a URL (not a `Request`), no redirects followed,
 * and a body that is absent, a string, bytes or a form. A form gets fetch's content type unless one is set.
 */
function directFetchParts(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
): { headers: Record<string, string>; body: string | Uint8Array | undefined } | undefined {
  if (input instanceof Request || init?.redirect !== 'manual') return undefined;
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const body = init.body;
  if (body === undefined || body === null) return { headers, body: undefined };
  if (typeof body === 'string') return { headers, body };
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    return { headers, body: body.toString() };
  }
  if (body instanceof Uint8Array) return { headers, body };
  if (body instanceof ArrayBuffer) return { headers, body: new Uint8Array(body) };
  return undefined;
}

/** undici's header record as fetch's `Headers` (a repeated header, such as `set-cookie`, kept whole). */
function responseHeaders(record: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) {
    if (Array.isArray(value)) for (const each of value) headers.append(name, each);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}
