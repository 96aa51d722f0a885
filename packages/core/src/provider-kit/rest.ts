import { EidError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProviderRuntime } from '../providers/types.js';
import { type HttpResponse, retryAfterSeconds } from '../transport.js';
import { isRecord } from './values.js';

/** The provider as its calls and errors name it. */
export interface ProviderName {
  /** `signicat` */
  id: string;
  /** `Signicat` */
  name: string;
}

/** How one provider words the refusals of its API; the status table itself is shared. */
export interface UpstreamMessages {
  /** 401 (and 403 without `forbidden`): which settings to check. */
  credentials: string;
  forbidden?: string;
  /** The provider's own reading of an error body, tried before the generic "answered HTTP n". */
  refine?(status: number, problem: unknown, what: string): EidError | undefined;
}

/**
 * One table for the statuses every broker answers alike. Bodies are logged (the logger redacts), never
 * shown: they may echo what was sent, a national identity number included.
 */
export function upstreamError(
  provider: ProviderName,
  response: Pick<HttpResponse, 'status' | 'text'> & Partial<Pick<HttpResponse, 'headers'>>,
  what: string,
  messages: UpstreamMessages,
  logger: Logger,
): EidError {
  const { status } = response;
  let problem: unknown;
  try {
    problem = JSON.parse(response.text);
  } catch {
    problem = undefined;
  }
  logger.warn({ provider: provider.id, what, status, problem }, `${provider.name} refused a request`);
  // The broker's `Retry-After` (429, 503) is passed on to the app's client.
  const after = retryAfterSeconds(response.headers?.['retry-after']);
  const retry = after === undefined ? {} : { retryAfterSeconds: after };
  if (status === 429)
    return new EidError('rate_limited', `${provider.name} is limiting requests. Try again shortly.`, retry);
  if (status === 401) return new EidError('provider_error', messages.credentials);
  if (status === 403) return new EidError('provider_error', messages.forbidden ?? messages.credentials);
  if (status === 502 || status === 503 || status === 504) {
    return new EidError(
      'provider_unavailable',
      `${provider.name} is unavailable (HTTP ${status}). Try again in a moment.`,
      status === 503 ? retry : {},
    );
  }
  return (
    messages.refine?.(status, problem, what) ??
    new EidError('provider_error', `${provider.name} answered HTTP ${status} to the ${what}.`)
  );
}

export interface RestRequest {
  method: 'GET' | 'POST';
  /** Resolved against the client's base URL. */
  path: string;
  json?: unknown;
  form?: URLSearchParams;
  /** For messages: "session request". */
  what: string;
}

export interface RestClientOptions {
  provider: ProviderName;
  baseUrl: URL;
  runtime: () => ProviderRuntime;
  /** The `Authorization` header value. */
  authorization(): string | Promise<string>;
  /** Called with a value the API answered 401 to; the call is then made once more with a fresh one. */
  renewAuthorization?(rejected: string): void;
  errors: UpstreamMessages;
}

export interface RestClient {
  url(path: string): string;
  /** An authorised call: a non-2xx answer is an EidError from the upstream table. */
  send(request: RestRequest): Promise<HttpResponse>;
  /** `send`, and the body as a JSON object (anything else is `provider_error`). */
  sendJson<T>(request: RestRequest): Promise<T>;
}

/** An authorised JSON or form API over the engine's transport. */
export function restClient(options: RestClientOptions): RestClient {
  const { provider, runtime } = options;
  const url = (path: string) => new URL(path, options.baseUrl).toString();

  async function once(request: RestRequest, authorization: string): Promise<HttpResponse> {
    const body = request.form
      ? request.form.toString()
      : request.json === undefined
        ? undefined
        : JSON.stringify(request.json);
    const contentType = request.form ? 'application/x-www-form-urlencoded' : 'application/json';
    return runtime().transport.request({
      provider: provider.name,
      method: request.method,
      url: url(request.path),
      headers: {
        authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body }),
      idempotent: request.method === 'GET',
    });
  }

  async function send(request: RestRequest): Promise<HttpResponse> {
    let authorization = await options.authorization();
    let response = await once(request, authorization);
    if (response.status === 401 && options.renewAuthorization) {
      options.renewAuthorization(authorization);
      authorization = await options.authorization();
      response = await once(request, authorization);
    }
    if (response.status < 200 || response.status > 299) {
      throw upstreamError(provider, response, request.what, options.errors, runtime().logger);
    }
    return response;
  }

  return {
    url,
    send,
    async sendJson<T>(request: RestRequest): Promise<T> {
      const response = await send(request);
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.text);
      } catch (cause) {
        throw new EidError('provider_error', `${provider.name} sent a response that is not valid JSON.`, {
          cause,
        });
      }
      if (!isRecord(parsed)) {
        throw new EidError('provider_error', `${provider.name} sent a response that is not a JSON object.`);
      }
      return parsed as T;
    },
  };
}
