import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  callCentreResponse,
  createNonce,
  type ExampleApp,
  type ExampleAppOptions,
  expiringSessionCache,
  finalErrorAnswer,
  HEALTH_PATH,
  healthResponse,
  PROFILE_PATH,
  pageHeaders,
  QR_SVG_PATH,
  renderBankIdQr,
  renderHome,
  renderProfile,
  renderQrSvg,
  SIGN_PATH,
  signPageResponse,
  startExampleServer,
} from '@eid/example-kit';
import { eidFrameworkErrors, eidPlugin, requireEid } from '@eid/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyReply } from 'fastify';

export type { ExampleApp, ExampleAppOptions } from '@eid/example-kit';

export async function createExampleApp(options: ExampleAppOptions = {}): Promise<ExampleApp> {
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
  // Listens, and creates the engine, `eid`, on the app's origin.
  const {
    env,
    secure,
    proxyHops,
    eid,
    close,
    exampleApp,
    sessionMaxAgeSeconds,
    loginMaxAgeSeconds,
    sessionStore,
  } = await startExampleServer(server, options);

  const app = Fastify<Server>({
    // Fastify answers path parameters over 100 characters with its own 414; let the engine judge them
    // (it refuses anything over 2048) so bad input gets the contract's error.
    routerOptions: { maxParamLength: 2048 },
    // Fastify refuses a URL it cannot decode (`/auth/eid/status/%E0%A4%A`) before any plugin runs, quoting it in
    // its own error body: answer it as the eID contract does instead.
    frameworkErrors: eidFrameworkErrors,
    // Behind a proxy (TLS-terminating, a load balancer): its X-Forwarded-* headers give the scheme and client address.
    trustProxy: (_address: string, hop: number) => hop < proxyHops,
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler;
      return server;
    },
  });
  try {
    // The last error handler: the contract's error shape, never Fastify's own. Set first, so every
    // plugin's routes inherit it.
    app.setErrorHandler((error, _request, reply) => {
      const answer = finalErrorAnswer(error);
      if (answer.status >= 500) options.logger?.error({ err: error }, 'request failed');
      return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);
    });
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      cookieName: 'example.sid',
      // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET (32+
      // characters) to keep sessions across restarts.
      secret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
      saveUninitialized: false,
      // A session idle for SESSION_MAX_AGE_SECONDS (default an hour) ends: the cookie's max age, and the store
      // forgets the session after as long unused. The plugin's MemoryStore takes any Map: this one is an LRU
      // cache, bounded and expiring. One process only: with REDIS_URL the sessions go to Redis (connect-redis,
      // whose get/set/destroy the plugin's store interface takes) and every process shares them.
      store:
        (sessionStore as never) ??
        new fastifySession.MemoryStore(expiringSessionCache(sessionMaxAgeSeconds) as never),
      // Saved when changed, not by every request (@fastify/session's default): a request still running when the
      // user logs out would save the old session back (its login stays logged out in the eID store even then).
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: sessionMaxAgeSeconds * 1000 },
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
    // An eID login counts for LOGIN_MAX_AGE_SECONDS (default 8 hours) however active the session: then log in again.
    const profileGuard = requireEid({ redirectTo: '/', maxAge: loginMaxAgeSeconds });
    app.get(PROFILE_PATH, { preHandler: profileGuard }, async (request, reply) => {
      const { identity } = request.eid;
      if (!identity) return reply.redirect('/', 303);
      return page(reply, renderProfile({ identity, prefix: eid.prefix }));
    });
    // For operators only (here: a browser logged in with an eID); anyone else gets 403 and how to log in.
    app.get(CALL_CENTRE_PATH, async (request, reply) => {
      const nonce = createNonce();
      const { status, html } = callCentreResponse({ eid, identity: request.eid.identity, nonce });
      return page(reply.code(status), html, nonce);
    });
    // Signing the sample agreements, for the person logged in (anyone else gets 403 and how to log in).
    app.get(SIGN_PATH, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const nonce = createNonce();
      const { status, html } = await signPageResponse({ eid, identity: request.eid.identity, query, nonce });
      return page(reply.code(status), html, nonce);
    });
    // For load balancers: 200 while the transaction store answers, 503 otherwise; the providers' breaker states.
    app.get(HEALTH_PATH, async (_request, reply) => {
      const health = await healthResponse(eid);
      return reply.code(health.status).header('cache-control', 'no-store').send(health.body);
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
    await close();
    throw error;
  }
  markReady();
  return exampleApp(app);
}
