import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import {
  BANKID_QR_PATH,
  type ExampleApp as BaseExampleApp,
  type ExampleAppOptions as BaseExampleAppOptions,
  CALL_CENTRE_PATH,
  callCentreResponse,
  createNonce,
  ExpiringSessionStore,
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
import {
  EID_GUARD_OPTIONS,
  EID_MODULE_OPTIONS,
  EidGuard,
  type EidGuardOptions,
  EidIdentity,
  EidModule,
  type EidModuleOptions,
  eidFrameworkErrors,
  type Identity,
  type SessionRequest,
} from '@eid/nestjs';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type FastifySessionOptions } from '@fastify/session';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpException,
  type INestApplication,
  Inject,
  Module,
  Query,
  Req,
  Res,
  type Type,
  UnauthorizedException,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import session from 'express-session';

export type NestPlatform = 'express' | 'fastify';

export interface ExampleAppOptions extends BaseExampleAppOptions {
  /** Default `NEST_PLATFORM` or `express`. */
  platform?: NestPlatform;
}

export interface ExampleApp extends BaseExampleApp {
  platform: NestPlatform;
}

const COOKIE_NAME = 'example.sid';

/** The profile page without a login (or with one older than the guard's `maxAge`): back to the home page. */
@Catch(UnauthorizedException)
class ToHomePage implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(_error: UnauthorizedException, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.redirect(host.switchToHttp().getResponse(), 303, '/');
  }
}

/**
 * The last error handler: the contract's error shape, never a stack trace. An HttpException that already has
 * that shape (EidGuard's 401) is answered as it is; any other keeps its status.
 */
@Catch()
class FinalErrors implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly log?: ExampleAppOptions['logger'],
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = this.adapterHost.httpAdapter;
    const res = host.switchToHttp().getResponse();
    const given = error instanceof HttpException ? error.getResponse() : undefined;
    const status = error instanceof HttpException ? error.getStatus() : undefined;
    const answer = finalErrorAnswer(status === undefined ? error : { status });
    if (answer.status >= 500) this.log?.error({ err: error }, 'request failed');
    const contractShaped = typeof given === 'object' && given !== null && 'error' in given;
    http.setHeader(res, 'cache-control', 'no-store');
    http.reply(res, contractShaped ? given : answer.body, status ?? answer.status);
  }
}

/** The example's pages; the eID routes themselves come from EidModule. */
@Controller()
class PagesController {
  constructor(
    @Inject(EID_MODULE_OPTIONS) private readonly options: EidModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async home(@Query('error') error: unknown, @Req() req: SessionRequest, @Res() res: unknown) {
    const { eid } = this.options;
    const code = typeof error === 'string' ? error : undefined;
    const identity = await this.identity(req);
    this.page(res, renderHome({ methods: eid.methods(), identity, error: code, prefix: eid.prefix }));
  }

  // EidGuard with EID_GUARD_OPTIONS (the module's providers): an eID login counts for LOGIN_MAX_AGE_SECONDS
  // (default 8 hours) however active the session; then it is refused, and ToHomePage sends the browser home.
  @Get(PROFILE_PATH)
  @UseGuards(EidGuard)
  @UseFilters(ToHomePage)
  profile(@EidIdentity() identity: Identity | undefined, @Res() res: unknown) {
    if (!identity) return this.adapterHost.httpAdapter.redirect(res, 303, '/');
    this.page(res, renderProfile({ identity, prefix: this.options.eid.prefix }));
  }

  /**
   * The session's identity while its login stands (it may have been logged out from a copy of the session
   * cookie). Pages that answer 401 to anonymous callers use `@UseGuards(EidGuard)` and `@EidIdentity()` instead.
   */
  private identity(req: SessionRequest): Promise<Identity | undefined> {
    return this.options.eid.sessionIdentity(req.session?.eid);
  }

  /** For operators only (here: a browser logged in with an eID); anyone else gets 403 and how to log in. */
  @Get(CALL_CENTRE_PATH)
  callCentre(@EidIdentity() identity: Identity | undefined, @Res() res: unknown) {
    const nonce = createNonce();
    const { status, html } = callCentreResponse({ eid: this.options.eid, identity, nonce });
    this.page(res, html, nonce, status);
  }

  /** Signing the sample agreements, for the person logged in (anyone else gets 403 and how to log in). */
  @Get(SIGN_PATH)
  async sign(
    @EidIdentity() identity: Identity | undefined,
    @Query() query: Record<string, unknown>,
    @Res() res: unknown,
  ) {
    const nonce = createNonce();
    const { status, html } = await signPageResponse({ eid: this.options.eid, identity, query, nonce });
    this.page(res, html, nonce, status);
  }

  /** For load balancers: 200 while the transaction store answers, 503 otherwise; the providers' breaker states. */
  @Get(HEALTH_PATH)
  async health(@Res() res: unknown) {
    const health = await healthResponse(this.options.eid);
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'cache-control', 'no-store');
    http.reply(res, health.body, health.status);
  }

  @Get(BANKID_QR_PATH)
  bankIdQr(@Res() res: unknown) {
    const { eid } = this.options;
    const nonce = createNonce();
    this.page(res, renderBankIdQr({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
  }

  @Get(QR_SVG_PATH)
  async qrSvg(@Query('data') data: unknown, @Res() res: unknown) {
    const qr = await renderQrSvg(data);
    const http = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(qr.headers)) http.setHeader(res, name, value);
    http.reply(res, qr.body, qr.status);
  }

  private page(res: unknown, html: string, nonce?: string, status = 200) {
    const http = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(pageHeaders(nonce))) http.setHeader(res, name, value);
    http.reply(res, html, status);
  }
}

export async function createExampleApp(options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const platform = platformOf(options.platform ?? (options.env ?? process.env).NEST_PLATFORM);

  // The engine needs the app's origin, so the server listens before Nest starts; requests that come in
  // meanwhile wait for it.
  let nestReady!: (listener: RequestListener) => void;
  let nestFailed!: (error: unknown) => void;
  const listener = new Promise<RequestListener>((resolve, reject) => {
    nestReady = resolve;
    nestFailed = reject;
  });
  listener.catch(() => {});
  const server = createServer((req, res) => {
    listener.then(
      (handle) => handle(req, res),
      () => res.destroy(),
    );
  });
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
  // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET (at least
  // 32 characters) to keep sessions across restarts. The memory stores suit one process only.
  const secret = env.SESSION_SECRET || randomBytes(32).toString('hex');

  let app: INestApplication;
  try {
    const module = appModule(EidModule.forRoot({ eid }), { maxAge: loginMaxAgeSeconds });
    const started = await startNest(platform, module, {
      secret,
      secure,
      proxyHops,
      sessionMaxAgeSeconds,
      sessionStore,
      logger: options.logger,
    });
    app = started.app;
    nestReady(started.listener);
  } catch (error) {
    nestFailed(error);
    await close();
    throw error;
  }
  return { ...exampleApp(app), platform };
}

/** Nest on `platform`, with its session library, initialised but not listening: `listener` serves requests. */
async function startNest(
  platform: NestPlatform,
  module: Type,
  settings: {
    secret: string;
    secure: boolean;
    /** Proxies whose X-Forwarded-* headers are believed (TLS-terminating, load balancers). */
    proxyHops: number;
    sessionMaxAgeSeconds: number;
    /** With REDIS_URL: connect-redis, for either session library. */
    sessionStore: session.Store | undefined;
    logger: ExampleAppOptions['logger'];
  },
): Promise<{ app: INestApplication; listener: RequestListener }> {
  const { secret, secure, proxyHops, sessionMaxAgeSeconds, sessionStore } = settings;
  // A session idle for SESSION_MAX_AGE_SECONDS (default an hour) ends: the store forgets the session after as long
  // unused, and the cookie's max age counts from the session's last change. The session libraries' own
  // MemoryStores never forget a session nobody asks for again; these are bounded and expire. One process only:
  // with REDIS_URL the sessions go to Redis (connect-redis) and every process shares them.
  const maxAge = sessionMaxAgeSeconds * 1000;
  const cookie = { httpOnly: true, sameSite: 'lax', secure, maxAge } as const;
  const logger = ['error', 'warn'] as const;
  const finalErrors = (app: INestApplication) =>
    app.useGlobalFilters(new FinalErrors(app.get(HttpAdapterHost), settings.logger));
  if (platform === 'express') {
    const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
      logger: [...logger],
    });
    if (proxyHops > 0) app.set('trust proxy', proxyHops); // its X-Forwarded-* give the scheme and client address
    const store = sessionStore ?? new ExpiringSessionStore(sessionMaxAgeSeconds);
    app.use(
      session({
        name: COOKIE_NAME,
        secret,
        resave: false,
        saveUninitialized: false,
        // Saved (and its cookie's max age set) when changed, not by every response: a request still running when
        // the user logs out would otherwise send the old session's cookie again (its login stays logged out anyway).
        rolling: false,
        store,
        cookie,
      }),
    );
    finalErrors(app);
    await app.init();
    return { app, listener: app.getHttpAdapter().getInstance() };
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    // Fastify answers path parameters over 100 characters with a 414; the contract wants its own 404. A URL it
    // cannot decode it refuses before any route runs, with its own body: eidFrameworkErrors answers as the contract.
    new FastifyAdapter({
      trustProxy: proxyHops > 0 ? proxyHops : false,
      routerOptions: { maxParamLength: 2048 },
      frameworkErrors: eidFrameworkErrors,
    }),
    { logger: [...logger] },
  );
  try {
    // Casts: @nestjs/platform-fastify 11 pins its own fastify 5 minor; the plugins' types see another one.
    await app.register(fastifyCookie as never);
    await app.register(fastifySession as never, {
      cookieName: COOKIE_NAME,
      secret,
      saveUninitialized: false,
      store:
        (sessionStore as never) ??
        new fastifySession.MemoryStore(expiringSessionCache(sessionMaxAgeSeconds) as never),
      // Saved when changed, not by every request (@fastify/session's default): a request still running when the
      // user logs out would save the old session back (its login stays logged out in the eID store even then).
      rolling: false,
      cookie,
    } satisfies FastifySessionOptions);
    finalErrors(app);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    return { app, listener: fastify.routing };
  } catch (error) {
    await app.close();
    throw error;
  }
}

function appModule(eidModule: ReturnType<typeof EidModule.forRoot>, guard: EidGuardOptions): Type {
  @Module({
    imports: [eidModule],
    controllers: [PagesController],
    providers: [{ provide: EID_GUARD_OPTIONS, useValue: guard }],
  })
  class AppModule {}
  return AppModule;
}

function platformOf(value: string | undefined): NestPlatform {
  if (value === undefined || value === '' || value === 'express') return 'express';
  if (value === 'fastify') return 'fastify';
  throw new Error(`NEST_PLATFORM must be express or fastify, not ${JSON.stringify(value)}.`);
}
