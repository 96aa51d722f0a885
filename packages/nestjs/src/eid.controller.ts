import * as adapter from '@eid/core/adapter';
import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Post,
  Req,
  Res,
  StreamableFile,
  type Type,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import bodyParser from 'body-parser';
import type { EidModuleOptions } from './eid.module.js';

/** Injection token of the resolved `EidModuleOptions`. */
export const EID_MODULE_OPTIONS = Symbol('EID_MODULE_OPTIONS');
/** Injection token of `EidGuardOptions`, for an app that provides them to the `EidGuard` Nest creates. */
export const EID_GUARD_OPTIONS = Symbol('EID_GUARD_OPTIONS');

/** A request of either platform, as far as its session goes (express-session, @fastify/[secure-]session). */
export interface SessionRequest {
  session?: { eid?: adapter.EidSessionData };
}

/** The port to the request's session, or `invalid_config` naming what to register. */
export function requireSession(request: SessionRequest) {
  return adapter.requireSession(request, {
    adapter: '@eid/nestjs',
    howTo:
      'register express-session (app.use(session({ ... }))) on the Express platform, or @fastify/cookie and ' +
      '@fastify/session, or @fastify/secure-session (app.register(...)) on the Fastify platform, before app.listen()',
  });
}

type Rq = adapter.FrameworkRequest & SessionRequest;
/** Nest's global prefix as a path, '' without one. */
/** Nest's global prefix as a mount path: '' or `/api`. */
export const asPath = (prefix: string) => prefix.replace(/^\/*(?=.)/, '/').replace(/\/+$/, '');

/**
 * Writes an engine response: on the Express platform straight to Node's response, past Express's redirect and JSON
 * helpers, as @eid/express does (`nodeResponseWriter`); on Fastify through Nest's HTTP adapter.
 */
export function sendEidResponse(
  http: HttpAdapterHost['httpAdapter'],
  res: unknown,
  response: adapter.EidResponse,
): void {
  if (http.getType() === 'express') {
    adapter.writeResponse(response, adapter.nodeResponseWriter(res as adapter.NodeResponse));
    return;
  }
  adapter.writeResponse(response, {
    header: (name, value) => http.setHeader(res, name, value),
    redirect: (status, location) => http.redirect(res, status, location),
    json: (status, body) => http.reply(res, body, status),
    empty: (status) => http.reply(res, undefined, status),
    // Nest's adapters send a StreamableFile as bytes (anything else as JSON or text), keeping our headers.
    file: (status, body) => http.reply(res, new StreamableFile(body), status),
  });
}
const verify = adapter.keepRawBody;
const formAndJson = (limit: number) =>
  [
    bodyParser.urlencoded({ extended: false, limit, verify }),
    bodyParser.json({ limit, verify }),
  ] as adapter.Middleware[];

/**
 * The contract's routes (docs/http-contract.md §2), one method each, below `eid.prefix` and Nest's global prefix (which the
 * engine is told). Responses go through Nest's HTTP adapter, so one controller serves Express and Fastify.
 */
@Controller()
class EidRoutes {
  private readonly eid: adapter.Eid;

  constructor(
    @Inject(EID_MODULE_OPTIONS) options: EidModuleOptions,
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(ApplicationConfig) private readonly config: ApplicationConfig,
  ) {
    // Nest's route decorators are static: routes may be disabled in the engine but not renamed.
    const where = 'EidModule.forRoot({ eid })';
    this.eid = adapter.engineOption(options?.eid, where);
    adapter.refuseRoutesOption(options, where, { path: 'use createEid({ prefix }) and a global prefix' });
    adapter.refuseRenamedRoutes(this.eid, 'EidModule', 'mount @eid/express or @eid/fastify instead');
    // forRootAsync resolves the prefix only now; Nest reads controller paths after creating every controller.
    Controller(this.eid.prefix)(new.target);
    // Before `app.init()` adds Nest's own parsers (Test.createNestApplication sets the adapter later).
    if (host.httpAdapter) this.prepareBodies();
    else host.init$?.subscribe(() => this.prepareBodies());
  }

  /** The platform's parsers with each route's body limit and the contract's answer to what they refuse. */
  private prepareBodies(): void {
    const http = this.host.httpAdapter;
    if (http.getType() === 'express') {
      // body-parser runs ahead of Nest's, which then finds the body read.
      http.use(adapter.routeBodyParsers(this.eid, this.mountPath, formAndJson, this.send));
    } else if (http.getType() === 'fastify') {
      const logout = (req: Rq, res: unknown) => this.run('logout', req, res);
      const bodies = adapter.fastifyRouteBodies(this.eid, this.mountPath, logout, this.send);
      http.getInstance().addHook('onRoute', bodies);
    }
  }

  @Get('methods') methods(@Req() req: Rq, @Res() res: unknown) {
    return this.run('methods', req, res);
  }
  @Get('start/:provider/:method') startPage(@Req() req: Rq, @Res() res: unknown) {
    return this.run('start', req, res);
  }
  @Post('start/:provider/:method') start(@Req() req: Rq, @Res() res: unknown) {
    return this.run('start', req, res);
  }
  @Get('callback/:provider') callback(@Req() req: Rq, @Res() res: unknown) {
    return this.run('callback', req, res);
  }
  @Get('status/:transactionId') status(@Req() req: Rq, @Res() res: unknown) {
    return this.run('status', req, res);
  }
  @Post('cancel/:transactionId') cancel(@Req() req: Rq, @Res() res: unknown) {
    return this.run('cancel', req, res);
  }
  @Post('webhook/:provider') webhook(@Req() req: Rq, @Res() res: unknown) {
    return this.run('webhook', req, res);
  }
  @Get('session') session(@Req() req: Rq, @Res() res: unknown) {
    return this.run('session', req, res);
  }
  @Post('logout') logout(@Req() req: Rq, @Res() res: unknown) {
    return this.run('logout', req, res);
  }
  @Post('sign/:provider/:method') sign(@Req() req: Rq, @Res() res: unknown) {
    return this.run('sign', req, res);
  }
  @Get('sign/:transactionId/document') signature(@Req() req: Rq, @Res() res: unknown) {
    return this.run('signature', req, res);
  }

  private async run(route: adapter.RouteName, req: Rq, res: unknown): Promise<void> {
    // A route disabled in createEid({ routes: { name: false } }) is not served.
    if (!this.served.has(`${req.method} ${route}`)) throw new NotFoundException();
    const input = adapter.httpInput(route, req, requireSession(req), this.mountPath());
    this.send(res, (await adapter.runRoute(this.eid, input)).response);
  }

  /** The routes the engine serves, as `METHOD name`. */
  private get served(): ReadonlySet<string> {
    this.#served ??= new Set(this.eid.routes.map((served) => `${served.method} ${served.name}`));
    return this.#served;
  }
  #served: ReadonlySet<string> | undefined;

  /** The global prefix as a mount path, read per request (it is set late) and converted once per prefix. */
  private readonly mountPath = () => {
    const prefix = this.config.getGlobalPrefix();
    if (prefix !== this.#prefix.prefix) this.#prefix = { prefix, path: asPath(prefix) };
    return this.#prefix.path;
  };
  #prefix = { prefix: '', path: '' };

  private readonly send = (res: unknown, response: adapter.EidResponse): void =>
    sendEidResponse(this.host.httpAdapter, res, response);
}

/** A controller class for one `EidModule` registration. */
export const routesController = (): Type<unknown> => class EidController extends EidRoutes {};
