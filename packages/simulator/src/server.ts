import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { appConfig } from './config.js';
import { registerControl } from './control.js';
import { FaultInjector, parseFaults } from './faults.js';
import { HttpError, sendJson } from './http.js';
import type { ProviderContext, SimulatedProvider } from './provider.js';
import { nextCredentials, next as nextProvider } from './providers/next/index.js';
import { oidcProviders } from './providers/oidc/index.js';
import { signicat } from './providers/signicat/index.js';
import { zignsec as zignsecProvider, zignsecSettings } from './providers/zignsec/index.js';
import { Router } from './router.js';
import { endpointOf, StatsCounter } from './stats.js';
import type { Fault, Outcome, Simulator, SimulatorOptions, SimulatorSessionView } from './types.js';
import { TEST_USERS } from './users.js';

const DEFAULTS = {
  host: '127.0.0.1',
  clientId: 'sim-client',
  clientSecret: 'sim-secret',
  accountId: 'a-sim-account',
  sessionLifetimeSeconds: 1200,
  tokenLifetimeSeconds: 600,
};

/** Starts the simulator and resolves once it listens. Close it with `close()`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = checkOptions(options);
  const router = new Router();
  const faults = new FaultInjector(settings.faultSeed);
  const stats = new StatsCounter();
  let config: Record<string, string> = {};
  let origin = '';
  const context: ProviderContext = { router, users: settings.users, origin: () => origin };

  const lifetimes = { sessionLifetimeSeconds: settings.sessionLifetimeSeconds };
  const oidc = oidcProviders(context, {
    ...options,
    ...lifetimes,
    tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
  });
  const providers: SimulatedProvider[] = [
    signicat(context, {
      ...settings.signicat,
      ...lifetimes,
      tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
    }),
    zignsecProvider(context, { ...settings.zignsec, ...lifetimes }),
    ...oidc.providers,
    nextProvider(context, { ...settings.next, ...lifetimes }),
  ];
  const complete = completer(providers);
  const completeTransaction = transactionCompleter(providers, complete);
  registerControl({
    router,
    providers,
    users: settings.users,
    faults,
    stats,
    config: () => config,
    complete,
    completeTransaction,
  });

  const listening = await listen(dispatcher(router, providers, faults, stats), settings.port, settings.host);
  origin = listening.origin;

  const connections = {
    signicat: { ...settings.signicat, baseUrl: origin },
    zignsec: { ...settings.zignsec, baseUrl: origin },
    ...oidc.settings(),
    next: { ...settings.next, baseUrl: origin },
  };
  config = appConfig(connections, settings.zignsecWebhookSecret);

  return {
    url: origin,
    ...connections,
    config: () => ({ ...config }),
    stats: () => stats.snapshot(),
    resetStats() {
      stats.reset();
    },
    sessions: () => providers.flatMap((provider) => provider.sessions()),
    complete: (id, outcome, userId) => complete(id, outcome, userId),
    completeTransaction: (transactionId, outcome, userId) =>
      completeTransaction(transactionId, outcome, userId),
    setFaults(input: Fault | Fault[]) {
      faults.set(parseFaults(input));
    },
    clearFaults() {
      faults.clear();
    },
    close() {
      faults.dispose();
      return listening.close();
    },
  };
}

/** The options checked, defaults filled in; a `TypeError` naming the field otherwise. */
function checkOptions(options: SimulatorOptions) {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `startSimulator: port must be an integer from 0 to 65535, got ${String(options.port)}.`,
    );
  }
  const sessionLifetimeSeconds = positive(
    'sessionLifetimeSeconds',
    options.sessionLifetimeSeconds,
    DEFAULTS.sessionLifetimeSeconds,
  );
  const tokenLifetimeSeconds = positive(
    'tokenLifetimeSeconds',
    options.tokenLifetimeSeconds,
    DEFAULTS.tokenLifetimeSeconds,
  );
  const users = options.users ?? TEST_USERS;
  if (!Array.isArray(users)) throw new TypeError('startSimulator: users must be an array of test users.');
  const signicat = {
    clientId: options.signicat?.clientId ?? DEFAULTS.clientId,
    clientSecret: options.signicat?.clientSecret ?? DEFAULTS.clientSecret,
    accountId: options.signicat?.accountId ?? DEFAULTS.accountId,
  };
  const next = nextCredentials(options.next);
  const zignsec = zignsecSettings(options.zignsec);
  const host = options.host ?? DEFAULTS.host;
  const faultSeed = options.faultSeed;
  if (faultSeed !== undefined && !Number.isInteger(faultSeed)) {
    throw new TypeError(`startSimulator: faultSeed must be an integer, got ${String(faultSeed)}.`);
  }
  const given = options.zignsec?.webhookSecret;
  if (given !== undefined && (typeof given !== 'string' || given.trim() === '')) {
    throw new TypeError('startSimulator: zignsec.webhookSecret must be a non-empty string.');
  }
  const zignsecWebhookSecret = given ?? randomBytes(32).toString('base64url');
  return {
    port,
    host,
    sessionLifetimeSeconds,
    tokenLifetimeSeconds,
    users,
    signicat,
    next,
    zignsec,
    faultSeed,
    zignsecWebhookSecret,
  };
}

/**
 * `completeTransaction()`: the session the app's transaction id names (the newest, should a broker have been asked
 * twice), completed as `complete()` does; 404 when no session carries that id.
 */
function transactionCompleter(
  providers: readonly SimulatedProvider[],
  complete: ReturnType<typeof completer>,
) {
  return (transactionId: string, outcome: unknown, userId: unknown): SimulatorSessionView => {
    const session = providers
      .flatMap((provider) => provider.sessions())
      .filter((candidate) => candidate.appTransactionId === transactionId)
      .at(-1);
    if (!session) throw new HttpError(404, 'No session carries that transaction id.');
    return complete(session.id, outcome, userId);
  };
}

/** `complete()` of the control surface: checks the input, then asks each provider whose session it is. */
function completer(providers: readonly SimulatedProvider[]) {
  return (id: string, outcome: unknown, userId: unknown): SimulatorSessionView => {
    if (outcome !== 'success' && outcome !== 'abort' && outcome !== 'error') {
      throw new HttpError(400, 'outcome must be "success", "abort" or "error".');
    }
    if (userId !== undefined && userId !== null && typeof userId !== 'string') {
      throw new HttpError(400, 'user must be a test user id such as "no-kari".');
    }
    for (const provider of providers) {
      const view = provider.complete(id, outcome as Outcome, userId ?? undefined);
      if (view) return view;
    }
    throw new HttpError(404, `No session with id ${id}.`);
  };
}

/**
 * Routes a request; a provider API route is counted in the stats, then gets the fault injected for its
 * provider, if any.
 */
function dispatcher(
  router: Router,
  providers: readonly SimulatedProvider[],
  faults: FaultInjector,
  stats: StatsCounter,
) {
  const providersById = new Map(providers.map((provider) => [provider.id, provider]));
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // Concatenate rather than resolve: a path such as `//x` must stay a path.
      const url = new URL(`http://simulator.local${req.url ?? '/'}`);
      const method = req.method ?? 'GET';
      const match = router.match(method, url.pathname);
      if (!match) {
        sendJson(res, 404, {
          error: { code: 'not_found', message: `No route for ${method} ${url.pathname}.` },
        });
        return;
      }
      const { route, params } = match;
      const provider = route.provider ? providersById.get(route.provider) : undefined;
      if (provider) {
        stats.count(provider.id, endpointOf(method, route.pattern, url.pathname));
        const fault = faults.pick(provider.id);
        if (fault && (await faults.apply(fault, res, provider.respondWithStatus))) return;
      }
      await route.handler({ req, res, url, params });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, { error: { code: 'internal_error', message: `The simulator failed: ${message}` } });
    }
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `startSimulator: ${name} must be a positive number of seconds, got ${String(value)}.`,
    );
  }
  return value;
}

/** Listens; `close()` also ends the sockets that `timeout` faults and keep-alive clients hold open. */
async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://${urlHost(host)}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** The host part of the simulator's URL: a wildcard bind is reached through localhost, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
