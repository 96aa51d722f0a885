import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEid, type Eid, EidError, type EidEvent, type Logger } from '@eid/core';
import type { Simulator } from '@eid/simulator';
import { type Backends, resolveBackends } from './backends.js';
import { isOperator } from './call-centre.js';
import { exampleLoginPolicy } from './login-policy.js';
import { LOGIN_MAX_AGE_SECONDS, SESSION_MAX_AGE_SECONDS, secondsFromEnv } from './sessions.js';
import { type SharedStores, sharedStores } from './shared-stores.js';
import { exampleSigning } from './signing.js';

/** Where every example app mounts the eID routes. */
const PREFIX = '/auth/eid';

export interface ExampleAppOptions {
  /** Default `PORT` or 3000; 0 picks a free port. */
  port?: number;
  /** Default `HOST` or 127.0.0.1. */
  host?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** A simulator to use instead of starting one (when no real provider settings are given). */
  simulator?: Simulator;
  transactionTtlSeconds?: number;
  /** Where the engine and the providers log; default none. */
  logger?: Logger;
  providerTimeoutMs?: number;
  /** Idle life of a session (cookie max age and store expiry). Default `SESSION_MAX_AGE_SECONDS` or 1 hour. */
  sessionMaxAgeSeconds?: number;
  /** How long an eID login counts for the app's pages (`requireEid({ maxAge })`). Default `LOGIN_MAX_AGE_SECONDS` or 8 hours. */
  loginMaxAgeSeconds?: number;
  /** Told every audit event of the engine (besides the line the logger prints for it): for tests. */
  onEvent?: (event: EidEvent) => void;
}

export interface ExampleApp {
  /** The app's own origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The simulator the app logs in against, if any. */
  simulator?: Simulator;
  close(): Promise<void>;
}

/** What an example app closes besides the server: its framework's app. */
export interface Closable {
  close(): Promise<unknown>;
}

export interface ExampleServer {
  /** `options.env` or `process.env`. */
  env: NodeJS.ProcessEnv;
  /** The origin browsers use: the provider sends them back to it, and the session cookie belongs to it. */
  url: string;
  /** `url` is https: the app is behind a TLS-terminating proxy, and its cookies are `secure`. */
  secure: boolean;
  /**
   * Proxies in front of the app whose `X-Forwarded-*` headers it believes (the framework's trust proxy setting):
   * `TRUST_PROXY` (a number of hops), else 1 when `secure`, else 0. The engine's per-address limits then count the
   * client's address, not the load balancer's.
   */
  proxyHops: number;
  /** Idle life of a session, in seconds: the store's (renewed with each request) and the cookie's max age (from the session's last change). */
  sessionMaxAgeSeconds: number;
  /** How long an eID login counts for the app's own pages, in seconds: the guards' `maxAge`. */
  loginMaxAgeSeconds: number;
  /** The engine, on `url` with the routes under `/auth/eid`. */
  eid: Eid;
  backends: Backends;
  /**
   * With `REDIS_URL`, the session store the framework's session uses instead of its in-memory one (connect-redis:
   * express-session takes it, and so does @fastify/session), on the engine's Redis connection; else undefined.
   */
  sessionStore: SharedStores['sessionStore'];
  /** Stops the server (dropping open connections), the engine and the backends: when the framework fails. */
  close(): Promise<void>;
  /** The app to hand back; its `close()` stops the server, then `app`, the engine and the backends. */
  exampleApp(app?: Closable): ExampleApp;
}

/**
 * The start-up every example app shares: the providers from `env` (or the simulator), `server` listening on
 * `port` and `host`, the app's origin (`APP_BASE_URL`, or the bound host and port, so port 0 works) and the
 * engine on it. The server listens before the engine exists, so its request listener must not serve before
 * the app has its routes: nothing here waits for I/O after listening, so code right after the `await` runs
 * before any request is read. If listening fails, the backends are closed and the error is thrown.
 */
export async function startExampleServer(server: Server, options: ExampleAppOptions): Promise<ExampleServer> {
  const env = options.env ?? process.env;
  const port = options.port ?? Number(env.PORT ?? 3000);
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  const sessionMaxAgeSeconds =
    options.sessionMaxAgeSeconds ?? secondsFromEnv(env, 'SESSION_MAX_AGE_SECONDS', SESSION_MAX_AGE_SECONDS);
  const loginMaxAgeSeconds =
    options.loginMaxAgeSeconds ?? secondsFromEnv(env, 'LOGIN_MAX_AGE_SECONDS', LOGIN_MAX_AGE_SECONDS);
  const trustProxy = trustedProxyHops(env.TRUST_PROXY);
  // With REDIS_URL the transactions and the sessions go to Redis; start-up fails when it cannot be reached.
  const shared = await sharedStores(env, sessionMaxAgeSeconds);
  let backends: Backends;
  try {
    backends = await resolveBackends(env, {
      ...(options.simulator ? { simulator: options.simulator } : {}),
      ...(options.providerTimeoutMs === undefined ? {} : { providerTimeoutMs: options.providerTimeoutMs }),
    });
  } catch (error) {
    await shared.store?.close?.();
    throw error;
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await backends.close();
    await shared.store?.close?.();
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;
  const url = new URL(env.APP_BASE_URL ?? `http://${urlHost(host)}:${boundPort}`).origin;
  const secure = url.startsWith('https:');
  const proxyHops = trustProxy ?? (secure ? 1 : 0);
  const providers = backends.providers;
  const eid = createEid({
    baseUrl: url,
    prefix: PREFIX,
    providers,
    // Verifying a caller (Signicat's nbid-phone) is for operators: here, a browser logged in with an eID login
    // method. A real app asks its own staff login, e.g. from the framework's request (`raw`).
    authorizeVerify: ({ identity }) =>
      isOperator({ provider: (id) => providers.find((provider) => provider.id === id) }, identity),
    // The shop's say between the eID and its session: a customer number for the person, and MIN_AGE.
    onLogin: exampleLoginPolicy(env),
    // An audit trail: one log line per event (no personal data: no `include`).
    events: { listener: (event) => auditLine(event, options) },
    // Where an app would record who was verified; the example notes it without personal data.
    onVerified: (_identity, { transactionId, provider, method }) => {
      options.logger?.info({ transactionId, provider, method }, 'caller verified');
    },
    // Signing the sample agreements (the /sign page): any logged-in person, as themselves.
    signing: exampleSigning(options.logger),
    ...(options.logger ? { logger: options.logger } : {}),
    http: backends.http,
    ...(shared.store ? { store: shared.store } : {}),
    ...(shared.secret ? { secret: shared.secret } : {}),
    ...(options.transactionTtlSeconds === undefined
      ? {}
      : { transactionTtlSeconds: options.transactionTtlSeconds }),
  });

  let closing: Promise<void> | undefined;
  const close = (app?: Closable) => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app?.close();
      await eid.close();
      await backends.close();
    })();
    return closing;
  };
  return {
    env,
    url,
    secure,
    proxyHops,
    sessionMaxAgeSeconds,
    loginMaxAgeSeconds,
    eid,
    backends,
    sessionStore: shared.sessionStore,
    close: () => close(),
    exampleApp: (app) => ({
      url,
      ...(backends.simulator ? { simulator: backends.simulator } : {}),
      close: () => close(app),
    }),
  };
}

/** The example's audit trail: the event as one line of the app's log (`msg: "audit"`), and to `onEvent`. */
function auditLine(event: EidEvent, options: ExampleAppOptions): void {
  const { type, ...fields } = event;
  options.logger?.info({ event: type, ...fields }, 'audit');
  options.onEvent?.(event);
}

/** A wildcard bind is reached through localhost; IPv6 addresses go in brackets. */
/** `TRUST_PROXY` as a number of proxies; undefined when unset. */
function trustedProxyHops(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  const hops = Number(raw);
  if (!Number.isInteger(hops) || hops < 0) {
    throw new EidError('invalid_config', `TRUST_PROXY must be a number of proxies (0, 1, 2…), got "${raw}".`);
  }
  return hops;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
