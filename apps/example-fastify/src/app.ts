import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  createNonce,
  PROFILE_PATH,
  pageHeaders,
  QR_SVG_PATH,
  renderBankIdQr,
  renderCallCentre,
  renderHome,
  renderProfile,
  renderQrSvg,
  resolveBackends,
} from '@eid/example-kit';
import { createEid, eidPlugin, requireEid } from '@eid/fastify';
import type { Simulator } from '@eid/simulator';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyReply } from 'fastify';

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
  providerTimeoutMs?: number;
}

export interface ExampleApp {
  /** The app's own origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The simulator the app logs in against, if any. */
  simulator?: Simulator;
  close(): Promise<void>;
}

const PREFIX = '/auth/eid';

export async function createExampleApp(options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const env = options.env ?? process.env;
  const port = options.port ?? Number(env.PORT ?? 3000);
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  const backends = await resolveBackends(env, {
    ...(options.simulator ? { simulator: options.simulator } : {}),
    ...(options.providerTimeoutMs === undefined ? {} : { providerTimeoutMs: options.providerTimeoutMs }),
  });

  // The server listens first, so the origin (and with it the callback URL) is known when port is 0.
  // Requests wait for Fastify to be ready, as plugins load asynchronously.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const server = createServer((req, res) => {
    void ready.then(() => handler?.(req, res));
  });
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
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
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;
  // The origin browsers use: the provider sends them back to it, and the session cookie belongs to it.
  const url = new URL(env.APP_BASE_URL ?? `http://${urlHost(host)}:${boundPort}`).origin;
  const secure = url.startsWith('https:');

  const eid = createEid({
    baseUrl: url,
    prefix: PREFIX,
    providers: backends.providers,
    ...(options.transactionTtlSeconds === undefined
      ? {}
      : { transactionTtlSeconds: options.transactionTtlSeconds }),
  });

  const app = Fastify<Server>({
    // Fastify answers path parameters over 100 characters with its own 414; let the engine judge them
    // (it refuses anything over 2048) so bad input gets the contract's error.
    routerOptions: { maxParamLength: 2048 },
    // Behind a TLS-terminating proxy: trust the one in front (hop 0), so `secure` cookies are sent.
    ...(secure ? { trustProxy: (_address: string, hop: number) => hop === 0 } : {}),
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler;
      return server;
    },
  });
  try {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      cookieName: 'example.sid',
      // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET (32+
      // characters) to keep sessions across restarts. The MemoryStore suits one process only: use a real store
      // in production.
      secret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
    });
    await app.register(eidPlugin, { eid });

    const page = (reply: FastifyReply, html: string, nonce?: string) =>
      reply.headers(pageHeaders(nonce)).send(html);
    app.get('/', async (request, reply) => {
      const { error } = request.query as Record<string, unknown>;
      return page(
        reply,
        renderHome({
          methods: eid.methods(),
          identity: request.eid.identity,
          error: typeof error === 'string' ? error : undefined,
          prefix: eid.prefix,
        }),
      );
    });
    app.get(PROFILE_PATH, { preHandler: requireEid({ redirectTo: '/' }) }, async (request, reply) => {
      const { identity } = request.eid;
      if (!identity) return reply.redirect('/', 303);
      return page(reply, renderProfile({ identity, prefix: eid.prefix }));
    });
    app.get(CALL_CENTRE_PATH, async (_request, reply) => {
      const nonce = createNonce();
      return page(reply, renderCallCentre({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
    });
    app.get(BANKID_QR_PATH, async (_request, reply) => {
      const nonce = createNonce();
      return page(reply, renderBankIdQr({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
    });
    app.get(QR_SVG_PATH, async (request, reply) => {
      const qr = await renderQrSvg((request.query as Record<string, unknown>).data);
      return reply.code(qr.status).headers(qr.headers).send(qr.body);
    });
    await app.ready();
  } catch (error) {
    await stopServer();
    await eid.close();
    await backends.close();
    throw error;
  }
  markReady();

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(backends.simulator ? { simulator: backends.simulator } : {}),
    close() {
      closing ??= (async () => {
        await stopServer();
        await app.close();
        await eid.close();
        await backends.close();
      })();
      return closing;
    },
  };
}

/** A wildcard bind is reached through localhost; IPv6 addresses go in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
