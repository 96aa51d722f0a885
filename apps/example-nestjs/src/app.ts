import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import {
  BANKID_QR_PATH,
  type ExampleApp as BaseExampleApp,
  type ExampleAppOptions as BaseExampleAppOptions,
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
  startExampleServer,
} from '@eid/example-kit';
import {
  EID_MODULE_OPTIONS,
  EidModule,
  type EidModuleOptions,
  type Identity,
  type SessionRequest,
} from '@eid/nestjs';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type FastifySessionOptions } from '@fastify/session';
import {
  Controller,
  Get,
  type INestApplication,
  Inject,
  Module,
  Query,
  Req,
  Res,
  type Type,
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

  @Get(PROFILE_PATH)
  async profile(@Req() req: SessionRequest, @Res() res: unknown) {
    const identity = await this.identity(req);
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

  @Get(CALL_CENTRE_PATH)
  callCentre(@Res() res: unknown) {
    const { eid } = this.options;
    const nonce = createNonce();
    this.page(res, renderCallCentre({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
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

  private page(res: unknown, html: string, nonce?: string) {
    const http = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(pageHeaders(nonce))) http.setHeader(res, name, value);
    http.reply(res, html, 200);
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
  const { env, secure, eid, close, exampleApp } = await startExampleServer(server, options);
  // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET (at least
  // 32 characters) to keep sessions across restarts. The memory stores suit one process only.
  const secret = env.SESSION_SECRET || randomBytes(32).toString('hex');

  let app: INestApplication;
  try {
    const module = appModule(EidModule.forRoot({ eid }));
    const started = await startNest(platform, module, { secret, secure });
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
  { secret, secure }: { secret: string; secure: boolean },
): Promise<{ app: INestApplication; listener: RequestListener }> {
  const cookie = { httpOnly: true, sameSite: 'lax', secure } as const;
  const logger = ['error', 'warn'] as const;
  if (platform === 'express') {
    const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
      logger: [...logger],
    });
    if (secure) app.set('trust proxy', 1); // behind a TLS-terminating proxy, so `secure` cookies are sent
    app.use(session({ name: COOKIE_NAME, secret, resave: false, saveUninitialized: false, cookie }));
    await app.init();
    return { app, listener: app.getHttpAdapter().getInstance() };
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    // Fastify answers path parameters over 100 characters with a 414; the contract wants its own 404.
    new FastifyAdapter({ trustProxy: secure ? 1 : false, routerOptions: { maxParamLength: 2048 } }),
    { logger: [...logger] },
  );
  try {
    // Casts: @nestjs/platform-fastify 11 pins its own fastify 5 minor; the plugins' types see another one.
    await app.register(fastifyCookie as never);
    await app.register(fastifySession as never, {
      cookieName: COOKIE_NAME,
      secret,
      saveUninitialized: false,
      // Saved when changed, not by every request (@fastify/session's default): a request still running when the
      // user logs out would save the old session back (its login stays logged out in the eID store even then).
      rolling: false,
      cookie,
    } satisfies FastifySessionOptions);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    return { app, listener: fastify.routing };
  } catch (error) {
    await app.close();
    throw error;
  }
}

function appModule(eidModule: ReturnType<typeof EidModule.forRoot>): Type {
  @Module({ imports: [eidModule], controllers: [PagesController] })
  class AppModule {}
  return AppModule;
}

function platformOf(value: string | undefined): NestPlatform {
  if (value === undefined || value === '' || value === 'express') return 'express';
  if (value === 'fastify') return 'fastify';
  throw new Error(`NEST_PLATFORM must be express or fastify, not ${JSON.stringify(value)}.`);
}
