import { randomBytes } from 'node:crypto';
import { EidError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import { sanitizeReturnTo } from '../return-to.js';
import type { HttpBreakerOptions, HttpRetryOptions, HttpTimeouts } from '../transport.js';
import type { EidOptions, VerifyAuthorization } from './contract.js';
import { type EidEventsOptions, EVENT_FIELDS } from './events.js';
import { originOf } from './request-origin.js';
import { type RouteTable, resolveRoutes } from './route-table.js';
import { checkSigningOption, type SigningConfig } from './signing/options.js';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The options of `createEid`, checked once and with every default applied. */
export interface EngineConfig {
  /** Origin and path of the app, without a trailing slash: `https://shop.example/app`. */
  baseUrl: string;
  /** '' at the root, else a path without a trailing slash. */
  prefix: string;
  routes: RouteTable;
  providers: readonly Provider[];
  ttlMs: number;
  retainMs: number;
  /** How long a logout is remembered: the longest any copy of a session can live. */
  sessionMaxAgeMs: number;
  failureRedirect: string;
  defaultReturnTo: string;
  logoutRedirect: string;
  /** Caps on pending transactions, checked by the store as it creates one. */
  pendingTransactions: { perBrowser: number; perAddress: number };
  /** The origins whose pages may POST to the routes: `baseUrl`'s and `allowedOrigins`. */
  allowedOrigins: ReadonlySet<string>;
  timeouts?: HttpTimeouts;
  retries?: HttpRetryOptions;
  breaker?: HttpBreakerOptions | false;
  connections?: number;
  /** Set: `verify` methods are offered, to the requests it lets through. */
  authorizeVerify?: (request: VerifyAuthorization) => boolean | Promise<boolean>;
  onVerified?: EidOptions['onVerified'];
  onLogin?: EidOptions['onLogin'];
  events?: EidEventsOptions;
  /** Set: `sign` methods are offered to logged-in people, for the documents it resolves. */
  signing?: SigningConfig;
  /** Keys the HMAC of national identity numbers in the store. */
  secret: string;
  /** Whether `secret` was given (processes sharing a store need the same one). */
  secretGiven: boolean;
  pushLimit: { max: number; windowMs: number };
}

export function configError(field: string, why: string): EidError {
  return new EidError('invalid_config', `createEid(): \`${field}\` ${why}`);
}

/** A path on this site, as `failureRedirect` and friends take it. */
export function relativePathOption(field: string, value: string | undefined): string {
  if (value === undefined) return '/';
  try {
    return sanitizeReturnTo(value);
  } catch {
    throw configError(field, 'must be a relative path on this site, such as /login.');
  }
}

function publicUrl(value: unknown): string {
  const refuse = () =>
    configError(
      'baseUrl',
      'must be the absolute http(s) URL of the app, such as https://shop.example or https://shop.example/app, without query or fragment.',
    );
  if (typeof value !== 'string') throw refuse();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse();
  if (url.search || url.hash || url.username || url.password || value.includes('#')) throw refuse();
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function normalisePrefix(prefix: string | undefined): string {
  const value = prefix ?? '/auth/eid';
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    throw configError('prefix', 'must be a path starting with /, such as /auth/eid.');
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : '';
}

function checkProviders(providers: unknown): readonly Provider[] {
  if (!Array.isArray(providers) || providers.length === 0) {
    throw configError('providers', 'must list at least one provider, e.g. [signicat({ ... })].');
  }
  const ids = new Set<string>();
  for (const [index, provider] of (providers as Provider[]).entries()) {
    if (!provider || provider.specificationVersion !== 'v1') {
      throw configError(
        `providers[${index}]`,
        'is not a provider of this version of @eid/core (specificationVersion v1).',
      );
    }
    if (!KEBAB.test(provider.id)) throw configError(`providers[${index}].id`, 'must be kebab-case.');
    if (ids.has(provider.id))
      throw configError(`providers[${index}]`, `repeats the provider id "${provider.id}".`);
    ids.add(provider.id);
    const seen = new Set<string>();
    for (const method of provider.methods) {
      if (!KEBAB.test(method.id) || seen.has(method.id)) {
        throw configError(
          `providers[${index}].methods`,
          `has a missing, repeated or non-kebab-case id "${method.id}".`,
        );
      }
      seen.add(method.id);
      // Declared by every provider: a method of unknown purpose must not end up logging someone in.
      if (method.purpose !== 'login' && method.purpose !== 'verify' && method.purpose !== 'sign') {
        throw configError(
          `providers[${index}].methods`,
          `has a method "${method.id}" without a purpose: 'login', 'verify' or 'sign'.`,
        );
      }
      if (method.purpose === 'sign' && (!provider.sign || !method.signing?.contentTypes?.length)) {
        throw configError(
          `providers[${index}].methods`,
          `has a sign method "${method.id}" without \`signing.contentTypes\` or a provider without \`sign()\`.`,
        );
      }
      if (method.purpose === 'verify' && method.flow !== 'headless') {
        throw configError(
          `providers[${index}].methods`,
          `has a verify method "${method.id}" that is not headless: an operator verifies someone without a redirect.`,
        );
      }
    }
  }
  return providers as Provider[];
}

function positiveSeconds(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw configError(field, 'must be a positive number of seconds.');
  return value;
}

interface HttpConfig {
  timeouts?: HttpTimeouts;
  retries?: HttpRetryOptions;
  breaker?: HttpBreakerOptions | false;
  connections?: number;
}

/** Each field a number meeting `ok`, or absent. */
function checkNumbers<T extends object>(
  field: string,
  value: unknown,
  names: readonly (keyof T & string)[],
  ok: (name: string, n: number) => boolean,
  shape: string,
  rule: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!value || typeof value !== 'object') throw configError(field, `must be an object ${shape}.`);
  for (const name of names) {
    const n = (value as Record<string, unknown>)[name];
    if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || !ok(name, n))) {
      throw configError(`${field}.${name}`, rule);
    }
  }
  return value as T;
}

function checkHttp(http: EidOptions['http']): HttpConfig {
  if (http === undefined) return {};
  if (!http || typeof http !== 'object')
    throw configError(
      'http',
      'must be an object such as { timeouts: { ... }, retries: { ... }, breaker: { ... }, connections: 256 }.',
    );
  const timeouts = checkNumbers<HttpTimeouts>(
    'http.timeouts',
    http.timeouts,
    ['connect', 'headers', 'body'],
    (_name, n) => n > 0,
    'of milliseconds: { connect, headers, body }',
    'must be a positive number of milliseconds.',
  );
  const retries = checkNumbers<HttpRetryOptions>(
    'http.retries',
    http.retries,
    ['attempts', 'backoffMs', 'maxRetryAfterSeconds'],
    (name, n) => (name === 'attempts' ? Number.isInteger(n) && n >= 1 && n <= 10 : n >= 0),
    'such as { attempts: 3, backoffMs: 100, maxRetryAfterSeconds: 2 }',
    'must be a number: attempts a whole number from 1 to 10, backoffMs and maxRetryAfterSeconds 0 or more.',
  );
  const breaker =
    http.breaker === false
      ? false
      : checkNumbers<HttpBreakerOptions>(
          'http.breaker',
          http.breaker,
          ['failures', 'openSeconds', 'windowSeconds'],
          (name, n) => (name === 'failures' ? Number.isInteger(n) && n >= 1 : n > 0),
          'such as { failures: 5, openSeconds: 30 }, or false',
          'must be a positive number (failures a whole number).',
        );
  const { connections } = http;
  if (
    connections !== undefined &&
    (typeof connections !== 'number' ||
      !Number.isInteger(connections) ||
      connections < 1 ||
      connections > 4096)
  ) {
    throw configError('http.connections', 'must be a whole number from 1 to 4096.');
  }
  return {
    ...(timeouts ? { timeouts } : {}),
    ...(retries ? { retries } : {}),
    ...(breaker !== undefined ? { breaker } : {}),
    ...(connections !== undefined ? { connections } : {}),
  };
}

function checkAllowedOrigins(baseUrl: string, value: unknown): ReadonlySet<string> {
  const origins = new Set([new URL(baseUrl).origin]);
  if (value === undefined) return origins;
  const refuse = () =>
    configError(
      'allowedOrigins',
      'must be an array of origins (scheme, host and port only), such as ["https://www.shop.example"].',
    );
  if (!Array.isArray(value)) throw refuse();
  for (const entry of value) {
    if (typeof entry !== 'string') throw refuse();
    const origin = originOf(entry);
    // An origin exactly: no path (but a trailing /), query, fragment or credentials.
    if (!origin || new URL(entry).href !== `${origin}/`) throw refuse();
    origins.add(origin);
  }
  return origins;
}

function optionalFunction<F>(field: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw configError(field, 'must be a function.');
  return value;
}

function checkSecret(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 32) {
    throw configError(
      'secret',
      'must be a random string of at least 32 characters, the same in every process.',
    );
  }
  return value;
}

function positiveInteger(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw configError(field, 'must be a positive whole number.');
  }
  return value;
}

function checkPendingTransactions(value: EidOptions['pendingTransactions']) {
  if (value !== undefined && (!value || typeof value !== 'object')) {
    throw configError('pendingTransactions', 'must be an object such as { perBrowser: 5, perAddress: 50 }.');
  }
  return {
    perBrowser: positiveInteger('pendingTransactions.perBrowser', value?.perBrowser, 5),
    perAddress: positiveInteger('pendingTransactions.perAddress', value?.perAddress, 50),
  };
}

function checkPushLimit(value: EidOptions['pushLimit']): EngineConfig['pushLimit'] {
  if (value !== undefined && (!value || typeof value !== 'object')) {
    throw configError('pushLimit', 'must be an object such as { max: 10, windowSeconds: 600 }.');
  }
  return {
    max: positiveInteger('pushLimit.max', value?.max, 10),
    windowMs: positiveSeconds('pushLimit.windowSeconds', value?.windowSeconds, 600) * 1000,
  };
}

/** `createEid({ events })`, checked: undefined when not given. */
export function checkEventsOption(value: unknown): EidEventsOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw configError('events', 'must be an object: { listener, include? }.');
  }
  const { listener, include } = value as Partial<EidEventsOptions>;
  if (typeof listener !== 'function')
    throw configError('events.listener', 'must be a function (event) => void.');
  if (include !== undefined) {
    if (typeof include !== 'object' || include === null) {
      throw configError('events.include', `must be an object of booleans: ${EVENT_FIELDS.join(', ')}.`);
    }
    for (const [key, flag] of Object.entries(include)) {
      if (!(EVENT_FIELDS as readonly string[]).includes(key)) {
        throw configError(
          `events.include.${key}`,
          `is not a field events carry; they are ${EVENT_FIELDS.join(', ')}.`,
        );
      }
      if (typeof flag !== 'boolean') throw configError(`events.include.${key}`, 'must be true or false.');
    }
  }
  return { listener, ...(include ? { include: { ...include } } : {}) };
}

/** Checks every option once, at `createEid`, naming the first bad field. */
export function validateOptions(options: EidOptions): EngineConfig {
  if (!options || typeof options !== 'object') throw configError('options', 'must be an object.');
  const baseUrl = publicUrl(options.baseUrl);
  const prefix = normalisePrefix(options.prefix);
  const providers = checkProviders(options.providers);
  const http = checkHttp(options.http);
  const authorizeVerify = optionalFunction('authorizeVerify', options.authorizeVerify);
  const onVerified = optionalFunction('onVerified', options.onVerified);
  const onLogin = optionalFunction('onLogin', options.onLogin);
  const events = checkEventsOption(options.events);
  const signing = checkSigningOption(options.signing);
  const secret = checkSecret(options.secret);
  return {
    baseUrl,
    prefix,
    routes: resolveRoutes(options.routes, providers, { signing: signing !== undefined }),
    providers,
    ttlMs: positiveSeconds('transactionTtlSeconds', options.transactionTtlSeconds, 600) * 1000,
    retainMs: positiveSeconds('retainSeconds', options.retainSeconds, 900) * 1000,
    sessionMaxAgeMs: positiveSeconds('sessionMaxAgeSeconds', options.sessionMaxAgeSeconds, 86_400) * 1000,
    failureRedirect: relativePathOption('failureRedirect', options.failureRedirect),
    defaultReturnTo: relativePathOption('defaultReturnTo', options.defaultReturnTo),
    logoutRedirect: relativePathOption('logoutRedirect', options.logoutRedirect),
    allowedOrigins: checkAllowedOrigins(baseUrl, options.allowedOrigins),
    pendingTransactions: checkPendingTransactions(options.pendingTransactions),
    ...http,
    ...(authorizeVerify ? { authorizeVerify } : {}),
    ...(onVerified ? { onVerified } : {}),
    ...(onLogin ? { onLogin } : {}),
    ...(events ? { events } : {}),
    ...(signing ? { signing } : {}),
    secret: secret ?? randomBytes(32).toString('base64url'),
    secretGiven: secret !== undefined,
    pushLimit: checkPushLimit(options.pushLimit),
  };
}
