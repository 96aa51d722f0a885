import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { registerControl } from './control.js';
import { FaultInjector, parseFaults } from './faults.js';
import { HttpError, sendJson } from './http.js';
import type { ProviderContext, SimulatedProvider } from './provider.js';
import { nextCredentials, next as nextProvider } from './providers/next/index.js';
import { oidcProviders } from './providers/oidc/index.js';
import { signicat } from './providers/signicat/index.js';
import { zignsec as zignsecProvider, zignsecSettings } from './providers/zignsec/index.js';
import { Router } from './router.js';
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
  const port = options.port ?? 0;
  const host = options.host ?? DEFAULTS.host;
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
  const credentials = {
    clientId: options.signicat?.clientId ?? DEFAULTS.clientId,
    clientSecret: options.signicat?.clientSecret ?? DEFAULTS.clientSecret,
    accountId: options.signicat?.accountId ?? DEFAULTS.accountId,
  };

  const nextSettings = nextCredentials(options.next);
  const zignsecOptions = zignsecSettings(options.zignsec);
  const router = new Router();
  const faults = new FaultInjector();
  let origin = '';
  const context: ProviderContext = { router, users, origin: () => origin };

  const oidc = oidcProviders(context, { ...options, sessionLifetimeSeconds, tokenLifetimeSeconds });
  const providers: SimulatedProvider[] = [
    signicat(context, { ...credentials, sessionLifetimeSeconds, tokenLifetimeSeconds }),
    zignsecProvider(context, { ...zignsecOptions, sessionLifetimeSeconds }),
    ...oidc.providers,
    nextProvider(context, { ...nextSettings, sessionLifetimeSeconds }),
  ];
  const providersById = new Map(providers.map((provider) => [provider.id, provider]));

  function complete(id: string, outcome: unknown, userId: unknown): SimulatorSessionView {
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
  }

  registerControl({ router, providers, users, faults, complete });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await listen(server, port, host);
  const address = server.address() as AddressInfo;
  origin = `http://${urlHost(host)}:${address.port}`;

  let closing: Promise<void> | undefined;

  return {
    url: origin,
    signicat: { ...credentials, baseUrl: origin },
    zignsec: { ...zignsecOptions, baseUrl: origin },
    ...oidc.settings(),
    next: { ...nextSettings, baseUrl: origin },
    sessions: () => providers.flatMap((provider) => provider.sessions()),
    complete: (id, outcome, userId) => complete(id, outcome, userId),
    setFaults(input: Fault | Fault[]) {
      faults.set(parseFaults(input));
    },
    clearFaults() {
      faults.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        faults.dispose();
        server.close(() => resolve());
        // Also the sockets that `timeout` faults and keep-alive clients hold open.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The host part of the simulator's URL: a wildcard bind is reached through localhost, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
