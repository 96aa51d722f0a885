import { isIP } from 'node:net';
import { EidError } from '../errors.js';

const MAX_PARAM_LENGTH = 2048;

export function plainObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** One string parameter; repeated, nested or oversized values are refused. */
export function single(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new EidError('invalid_request', `${name} must be given once, as text.`);
  if (value.length > MAX_PARAM_LENGTH) throw new EidError('invalid_request', `${name} is too long.`);
  return value;
}

/** An IP address as providers take it: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) unwrapped; anything else dropped. */
export function endUserIp(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const mapped = value.toLowerCase().startsWith('::ffff:') ? value.slice(7) : undefined;
  if (mapped !== undefined && isIP(mapped) === 4) return mapped;
  return isIP(value) ? value : undefined;
}

/** The query's single string values; repeated, nested and oversized ones are left out. */
export function stringQuery(query: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    if (typeof value === 'string' && value.length <= MAX_PARAM_LENGTH) out[key] = value;
  }
  return out;
}
