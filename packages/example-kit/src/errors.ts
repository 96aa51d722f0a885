/** What an example app answers when something fails outside the eID routes' own answers. */
export interface FinalErrorAnswer {
  status: number;
  body: { error: { code: string; message: string } };
}

/**
 * The example apps' last error handler: the contract's error shape, never a stack trace or the error's own
 * message (it may quote the request). A client error the framework raised (400 to 499) keeps its status as
 * `invalid_request`; anything else is a 500, logged by the caller.
 */
export function finalErrorAnswer(error: unknown): FinalErrorAnswer {
  const status = statusOf(error);
  if (status >= 400 && status < 500) {
    return {
      status,
      body: { error: { code: 'invalid_request', message: 'The request could not be understood.' } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: 'Something went wrong on our side. Try again.' } },
  };
}

function statusOf(error: unknown): number {
  if (!error || typeof error !== 'object') return 500;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : 500;
  return Number.isInteger(value) && value >= 400 && value < 600 ? value : 500;
}
