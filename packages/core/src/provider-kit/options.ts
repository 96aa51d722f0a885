import { EidError } from '../errors.js';
import type { ProviderMethod } from '../providers/types.js';

/**
 * Configuration checks for provider factories. Each failure is EidError `invalid_config` whose message starts
 * with the factory (`signicat():`) and names the field in backticks, so the fix is in the message.
 */

export function configError(factory: string, message: string): EidError {
  return new EidError('invalid_config', `${factory}: ${message}`);
}

/** The options object itself: `signicat()` or `signicat(42)` fails here, not on a missing property. */
export function requireOptions(factory: string, options: unknown): Record<string, unknown> {
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw configError(factory, '`options` must be an object with the provider settings.');
  }
  for (const removed of ['logger', 'timeouts']) {
    if (removed in options) {
      throw configError(
        factory,
        `\`${removed}\` is no longer a provider option: give it to the engine, createEid({ logger, http: { timeouts } }).`,
      );
    }
  }
  return options as Record<string, unknown>;
}

export function requireString(factory: string, options: object, field: string): string {
  const value = (options as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw configError(factory, `\`${field}\` is required (a non-empty string).`);
  }
  return value;
}

/** An absolute http(s) URL, or `fallback` when the option is left out. */
export function absoluteUrl(factory: string, field: string, value: unknown, fallback: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value === undefined ? fallback : String(value));
  } catch {
    url = undefined;
  }
  if (typeof (value ?? fallback) !== 'string' || (url?.protocol !== 'https:' && url?.protocol !== 'http:')) {
    throw configError(factory, `\`${field}\` must be an absolute http(s) URL such as ${fallback}.`);
  }
  return url;
}

/** One of a few allowed values (undefined passes: the option is optional). */
export function oneOf<T extends string>(
  factory: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    const list = allowed.map((item) => `"${item}"`);
    throw configError(factory, `\`${field}\` must be ${list.slice(0, -1).join(', ')} or ${list.at(-1)}.`);
  }
  return value as T;
}

/** The entries of a method table that `methods` enables; all of them when it is left out. */
export function enabledMethods<M extends ProviderMethod>(
  factory: string,
  table: readonly M[],
  value: unknown,
  /** Ids a provider no longer offers, with the reason an app naming one is told (e.g. an eID switched off). */
  retired: Readonly<Record<string, string>> = {},
): M[] {
  if (value === undefined) return [...table];
  if (!Array.isArray(value) || value.length === 0) {
    throw configError(factory, '`methods` must list at least one method.');
  }
  for (const id of value) {
    const reason = typeof id === 'string' && Object.hasOwn(retired, id) ? retired[id] : undefined;
    if (reason) throw configError(factory, `method \`${id}\` is no longer offered: ${reason}`);
    if (!table.some((method) => method.id === id)) {
      throw configError(
        factory,
        `unknown method "${String(id)}" in \`methods\`; known: ${table.map((m) => m.id).join(', ')}.`,
      );
    }
  }
  return table.filter((method) => value.includes(method.id));
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An OpenID issuer as a URL: https, or http to a loopback host (the simulator). */
export function issuerUrl(factory: string, value: unknown, example: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    !url ||
    url.search !== '' ||
    url.hash !== '' ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
  ) {
    throw configError(
      factory,
      `\`issuer\` must be the https issuer URL, such as ${example} (plain http only for a local simulator).`,
    );
  }
  return url;
}
