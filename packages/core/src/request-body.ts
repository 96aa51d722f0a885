import { EidError } from './errors.js';

/**
 * The contract's answer (docs/http-contract.md §6) to a request body the framework could not parse: `invalid_request` with the
 * parser's status (413 too large, 415 unsupported, 400 malformed). Never the parser's own message: JSON.parse
 * quotes the body, and the body may hold a national identity number.
 */
export function bodyParseError(status: number): EidError {
  const clientError = Number.isInteger(status) && status >= 400 && status < 500 ? status : 400;
  return new EidError(
    'invalid_request',
    clientError === 413
      ? 'The request body is too large.'
      : 'The request body could not be read: send JSON or a form.',
    { status: clientError },
  );
}
