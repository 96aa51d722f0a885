/**
 * One error class for everything the engine reports. Users branch on `error.code`, which is stable;
 * `instanceof` breaks when two copies of the package are installed, so `isEidError` checks the shape too.
 * Messages say what went wrong and how to fix it, and never carry personal data.
 */
export const EID_ERROR_CODES = [
  'invalid_request',
  'unknown_provider',
  'unknown_method',
  'invalid_nin',
  'invalid_return_to',
  'transaction_not_found',
  'transaction_expired',
  'already_used',
  'browser_mismatch',
  'user_cancelled',
  'provider_error',
  'provider_unavailable',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'access_denied',
  'document_not_found',
  'signer_mismatch',
  'invalid_config',
] as const;

export type EidErrorCode = (typeof EID_ERROR_CODES)[number];

const HTTP_STATUS: Record<EidErrorCode, number> = {
  invalid_request: 400,
  unknown_provider: 404,
  unknown_method: 404,
  invalid_nin: 400,
  invalid_return_to: 400,
  transaction_not_found: 404,
  transaction_expired: 410,
  already_used: 409,
  browser_mismatch: 403,
  user_cancelled: 401,
  provider_error: 502,
  provider_unavailable: 503,
  rate_limited: 429,
  unauthenticated: 401,
  forbidden: 403,
  access_denied: 403,
  document_not_found: 404,
  signer_mismatch: 403,
  invalid_config: 500,
};

export interface EidErrorOptions {
  cause?: unknown;
  /** Overrides the default HTTP status of the code. */
  status?: number;
  /** When to try again, in seconds: answered as `Retry-After` (`rate_limited`). */
  retryAfterSeconds?: number;
}

export class EidError extends Error {
  override readonly name = 'EidError';
  readonly code: EidErrorCode;
  readonly status: number;
  /** When to try again, in whole seconds (at least 1), where the engine knows: sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;

  constructor(code: EidErrorCode, message: string, options: EidErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? HTTP_STATUS[code];
    const retry = options.retryAfterSeconds;
    if (retry !== undefined && Number.isFinite(retry)) this.retryAfterSeconds = Math.max(1, Math.ceil(retry));
  }

  /** The contract's error body (docs/http-contract.md §6). */
  toJSON(): { error: { code: EidErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isEidError(value: unknown): value is EidError {
  return (
    value instanceof EidError ||
    (value instanceof Error &&
      (value as { name?: unknown }).name === 'EidError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (EID_ERROR_CODES as readonly string[]).includes((value as unknown as { code: string }).code))
  );
}

export function httpStatusOf(code: EidErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * An upstream error code that is safe to show: a short identifier starting with a letter, with no run of
 * digits long enough to be (part of) a national identity number. Anything else is dropped.
 */
export function safeUpstreamCode(code: unknown): string | undefined {
  if (typeof code !== 'string') return undefined;
  const trimmed = code.trim();
  return /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(trimmed) && !/\d{4}/.test(trimmed) ? trimmed : undefined;
}
