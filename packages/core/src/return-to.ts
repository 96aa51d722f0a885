import { EidError } from './errors.js';

const MAX_RETURN_TO_LENGTH = 2048;

/**
 * Where to send the browser after login: only a path on this site. Absolute URLs, protocol-relative
 * `//host`, backslash tricks (`/\host`, which browsers read as `//host`) and control characters are refused,
 * so the parameter can never become an open redirect.
 */
export function sanitizeReturnTo(value: unknown, fallback = '/'): string {
  if (value === undefined || value === null || value === '') return fallback;
  const bad = (why: string) =>
    new EidError(
      'invalid_return_to',
      `returnTo must be a relative path on this site (${why}), such as /profile.`,
    );
  if (typeof value !== 'string') throw bad('not a single string');
  if (value.length > MAX_RETURN_TO_LENGTH) throw bad('too long');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  if (/[\u0000-\u001f\u007f\\]/.test(value)) throw bad('it contains control characters or backslashes');
  if (!value.startsWith('/') || value.startsWith('//')) throw bad('it must start with a single /');
  const parsed = new URL(value, 'http://localhost');
  if (parsed.origin !== 'http://localhost') throw bad('it points to another site');
  // What is returned is the normalised path, so check that too: dot segments (`/.//evil`, `/%2e//evil`,
  // `/a/..//evil`) normalise to a protocol-relative `//evil`.
  if (parsed.pathname.startsWith('//') || parsed.pathname.includes('\\'))
    throw bad('it points to another site');
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
