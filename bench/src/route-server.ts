/**
 * A child process serving one adapter's eID routes beside a bare route that reads the same session, for the
 * route-overhead benchmark: `node dist/route-server.js <kind>`. It logs one browser in (through the simulator's
 * pages) and starts one headless login that stays pending, then tells the parent over IPC where it listens and the
 * cookies to use. It answers `{ cpu }` messages with its CPU time so far (µs), so the parent measures the app alone.
 */
import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  freePort,
  parseSimulatorForm,
} from '@eid/conformance/drivers';
import { createEid, type Eid, signicat } from '@eid/core';
import { startSimulator } from '@eid/simulator';
import type { FastifySessionOptions } from '@fastify/session';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SessionOptions } from 'express-session';
import { ROUTE_KINDS, type RouteKind, type RouteServerReady } from './kinds.js';

const SECRET = 'a-benchmark-session-secret-of-enough-length';
/** express-session's options, for Express, Passport and Nest on Express alike. */
const EXPRESS_SESSION: SessionOptions = {
  secret: SECRET,
  resave: false,
  saveUninitialized: false,
  rolling: false,
};
/** @fastify/session's options, for Fastify and Nest on Fastify alike. */
const FASTIFY_SESSION: FastifySessionOptions = {
  secret: SECRET,
  cookie: { secure: false, sameSite: 'lax', httpOnly: true },
  rolling: false,
};

/** The bare route: the same session read, answered in the same shape as `GET {prefix}/session`. */
function bareBody(session: { eid?: { identity?: unknown } } | undefined) {
  const identity = session?.eid?.identity;
  return identity ? { identity } : { error: { code: 'unauthenticated', message: 'Nobody is logged in.' } };
}

/**
 * What `GET {prefix}/status/:id` answers the pending browser, captured once it is started: `/bare-status` reads the
 * session and answers these same bytes (200, `no-store`), so that the status route is also compared with a bare route
 * whose answer is as large as its own, not only with `/bare`'s short 401.
 */
let statusAnswer: unknown = {};

/** The session's data whichever plugin keeps it: @fastify/secure-session has only `get`, the others properties. */
function sessionData(session: unknown): { eid?: { identity?: unknown } } | undefined {
  const data = session as { get?(key: string): unknown; eid?: { identity?: unknown } } | undefined;
  return typeof data?.get === 'function' ? { eid: data.get('eid') as never } : data;
}

async function listenExpress(kind: 'express' | 'passport', eid: Eid, port: number): Promise<void> {
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const app = express();
  app.use(session(EXPRESS_SESSION));
  if (kind === 'express') {
    const { eidRouter } = await import('@eid/express');
    app.use(eidRouter(eid));
  } else {
    // The router authenticates through the `passport` module's own instance, as an app's would.
    const passport = (await import('passport')).default;
    const { EidStrategy, eidDeserializeUser, eidErrorHandler, eidPassportRouter } = await import(
      '@eid/passport'
    );
    passport.use(new EidStrategy({ eid }, (identity, done) => done(null, { id: identity.subject })));
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser(eidDeserializeUser(eid, (user: Express.User, done) => done(null, user)));
    app.use(passport.session());
    app.use(eidPassportRouter(eid));
    app.use(eidErrorHandler());
  }
  app.get('/bare', (req, res) => {
    const body = bareBody(req.session as never);
    res.status('identity' in body ? 200 : 401).json(body);
  });
  app.get('/bare-status', (req, res) => {
    bareBody(req.session as never);
    res.set('cache-control', 'no-store').json(statusAnswer);
  });
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
}

async function listenFastify(kind: 'fastify-session' | 'fastify-secure-session', eid: Eid, port: number) {
  const Fastify = (await import('fastify')).default;
  const { eidFrameworkErrors, eidPlugin } = await import('@eid/fastify');
  const app = Fastify({ frameworkErrors: eidFrameworkErrors });
  if (kind === 'fastify-session') {
    await app.register((await import('@fastify/cookie')).default);
    await app.register((await import('@fastify/session')).default, FASTIFY_SESSION);
  } else {
    await app.register((await import('@fastify/secure-session')).default, {
      secret: SECRET,
      salt: 'mq9hDxBVDbspDR6n',
      cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
    });
  }
  await app.register(eidPlugin, { eid });
  app.get('/bare', async (request, reply) => {
    const body = bareBody(sessionData(request.session));
    return reply.code('identity' in body ? 200 : 401).send(body);
  });
  app.get('/bare-status', async (request, reply) => {
    bareBody(sessionData(request.session));
    return reply.header('cache-control', 'no-store').send(statusAnswer);
  });
  await app.listen({ port, host: '127.0.0.1' });
}

async function listenNest(kind: 'nest-express' | 'nest-fastify', eid: Eid, port: number): Promise<void> {
  await import('reflect-metadata');
  const { Controller, Get, Inject, Module, Req, Res } = await import('@nestjs/common');
  const { HttpAdapterHost, NestFactory } = await import('@nestjs/core');
  const { EidModule, eidFrameworkErrors } = await import('@eid/nestjs');

  // The bare route is a Nest route too, so the comparison is Nest against Nest. Explicit `@Inject`: esbuild emits
  // no decorator metadata. Answered through Nest's HTTP adapter, as the module's routes are: one controller for both.
  @Controller()
  class BareController {
    constructor(@Inject(HttpAdapterHost) private readonly host: InstanceType<typeof HttpAdapterHost>) {}

    @Get('bare')
    bare(@Req() req: { session?: unknown }, @Res() res: unknown) {
      const body = bareBody(sessionData(req.session));
      this.host.httpAdapter.reply(res, body, 'identity' in body ? 200 : 401);
    }

    @Get('bare-status')
    bareStatus(@Req() req: { session?: unknown }, @Res() res: unknown) {
      bareBody(sessionData(req.session));
      this.host.httpAdapter.setHeader(res, 'cache-control', 'no-store');
      this.host.httpAdapter.reply(res, statusAnswer, 200);
    }
  }

  @Module({ imports: [EidModule.forRoot({ eid })], controllers: [BareController] })
  class AppModule {}

  // Warnings and errors only: Nest's start-up log would land in the tables' output.
  const options = { logger: ['error' as const, 'warn' as const], abortOnError: false };
  if (kind === 'nest-express') {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    const session = (await import('express-session')).default;
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), options);
    app.use(session(EXPRESS_SESSION));
    await app.listen(port, '127.0.0.1');
  } else {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule,
      new FastifyAdapter({ frameworkErrors: eidFrameworkErrors }),
      options,
    );
    // Casts: @nestjs/platform-fastify pins its own fastify (5.11), the plugins' types see the workspace's newer one;
    // at run time both are Fastify 5.
    await app.register((await import('@fastify/cookie')).default as never);
    await app.register((await import('@fastify/session')).default as never, FASTIFY_SESSION);
    await app.listen(port, '127.0.0.1');
  }
}

function cookieHeader(browser: Browserless, origin: string): string {
  return Object.entries(browser.cookies(origin))
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

async function main(kind: RouteKind): Promise<void> {
  const simulator = await startSimulator();
  // The engine needs the app's origin before the app listens: a free port, chosen first.
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const eid = createEid({
    baseUrl: origin,
    providers: [signicat(simulator.signicat)],
    transactionTtlSeconds: 3600,
  });
  if (kind === 'express' || kind === 'passport') await listenExpress(kind, eid, port);
  else if (kind === 'nest-express' || kind === 'nest-fastify') await listenNest(kind, eid, port);
  else await listenFastify(kind, eid, port);

  const browser = new Browserless();
  const start = await browser.get(`${origin}/auth/eid/start/signicat/nbid?returnTo=%2F`, ACCEPT_HTML);
  const pageUrl = browser.location(start);
  const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
  const approved = await browser.post(form.action, {
    form: { ...form.hidden, outcome: 'success' },
    headers: ACCEPT_HTML,
  });
  const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
  if (callback.status >= 400) throw new Error(`login failed: ${callback.status}`);
  const check = await browser.get(`${origin}/auth/eid/session`, ACCEPT_JSON);
  if (check.status !== 200) throw new Error(`the logged-in session answers ${check.status}`);

  const poller = new Browserless();
  const started = await poller.post(`${origin}/auth/eid/start/signicat/sbid-qr`, {
    json: {},
    headers: ACCEPT_JSON,
  });
  const { transactionId } = (await started.json()) as { transactionId: string };
  const polled = await poller.get(`${origin}/auth/eid/status/${transactionId}`, ACCEPT_JSON);
  if (polled.status !== 200) throw new Error(`the pending login's status answers ${polled.status}`);
  statusAnswer = await polled.json();

  const ready: RouteServerReady = {
    kind,
    origin,
    loggedIn: cookieHeader(browser, origin),
    pending: { cookie: cookieHeader(poller, origin), transactionId },
  };
  process.on('message', (message: { cpu?: boolean; stop?: boolean }) => {
    if (message.cpu) {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpu: user + system });
    }
    if (message.stop) process.exit(0);
  });
  process.send?.({ ready });
}

const kind = process.argv[2] as RouteKind;
if (!(ROUTE_KINDS as readonly string[]).includes(kind)) {
  process.stderr.write(`route-server: kind must be one of ${ROUTE_KINDS.join(', ')}\n`);
  process.exit(2);
}
main(kind).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
