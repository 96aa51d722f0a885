import { EidError } from '@eid/core';
import * as adapter from '@eid/core/adapter';
import { Controller, Get, Inject, NotFoundException, Post, Req, Res, type Type } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import bodyParser from 'body-parser';
import { requireSession, type SessionRequest } from './eid.guard.js';

/** Injection token of the resolved `EidModuleOptions`. */
export const EID_MODULE_OPTIONS = Symbol('EID_MODULE_OPTIONS');

export interface EidModuleOptions {
  /** The engine, from `createEid({ ... })`: its routes are served at `eid.prefix` below Nest's global prefix. */
  eid: adapter.Eid;
}

const WHERE = 'EidModule.forRoot({ eid })';

/** The engine, checked: Nest's route decorators are static, so routes may be disabled but not renamed. */
function validateOptions(options: EidModuleOptions | undefined): adapter.Eid {
  const eid = adapter.engineOption(options?.eid, WHERE);
  adapter.refuseRoutesOption(options, WHERE);
  if (options && 'path' in options) {
    throw new EidError(
      'invalid_config',
      `${WHERE}: \`path\` is gone; use createEid({ prefix }) and a global prefix.`,
    );
  }
  adapter.refuseRenamedRoutes(eid, 'EidModule', 'mount @eid/express or @eid/fastify instead');
  return eid;
}

type Rq = adapter.FrameworkRequest & SessionRequest;

/**
 * The contract's routes (DESIGN 4.1), one method each, below `eid.prefix` and Nest's global prefix (which the
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
    this.eid = validateOptions(options);
    // forRootAsync resolves the prefix only now; Nest reads controller paths after creating every controller.
    Controller(this.eid.prefix)(new.target);
    // Body limits must be in place before `app.init()` adds Nest's own parsers (the adapter is known by now,
    // or as soon as Test.createNestApplication makes the app).
    if (host.httpAdapter) this.prepareBodies();
    else host.init$?.subscribe(() => this.prepareBodies());
  }

  /**
   * The platform's own parsers with each route's body limit, and the contract's answer to the bodies they refuse
   * (DESIGN 4.3, 4.4): on Express, body-parser ahead of Nest's (which then finds the body read); on Fastify, each
   * route's `bodyLimit` and error handler as Nest registers it.
   */
  private prepareBodies(): void {
    const http = this.host.httpAdapter;
    const mountPath = () => this.mountPath();
    if (http.getType() === 'express') {
      const parsers = (limit: number) => [
        bodyParser.urlencoded({ extended: false, limit }),
        bodyParser.json({ limit }),
      ];
      http.use(adapter.routeBodyParsers(this.eid, mountPath, parsers as never, this.send));
    } else if (http.getType() === 'fastify') {
      const logout = (req: Rq, res: unknown) => this.run('logout', req, res);
      http
        .getInstance()
        .addHook('onRoute', adapter.fastifyRouteBodies(this.eid, mountPath, logout, this.send));
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

  /** Nest's global prefix as a path, '' without one. */
  private mountPath(): string {
    const prefix = this.config.getGlobalPrefix().replace(/^\/+|\/+$/g, '');
    return prefix && `/${prefix}`;
  }

  private async run(route: adapter.RouteName, req: Rq, res: unknown): Promise<void> {
    // A route disabled in createEid({ routes: { name: false } }) is not served.
    if (!this.eid.routes.some((served) => served.name === route && served.method === req.method)) {
      throw new NotFoundException();
    }
    const input = adapter.httpInput(route, req, requireSession(req), this.mountPath());
    this.send(res, (await adapter.runRoute(this.eid, input)).response);
  }

  private readonly send = (res: unknown, response: adapter.EidResponse): void => {
    const http = this.host.httpAdapter;
    adapter.writeResponse(response, {
      header: (name, value) => http.setHeader(res, name, value),
      redirect: (status, location) => http.redirect(res, status, location),
      json: (status, body) => http.reply(res, body, status),
      empty: (status) => http.reply(res, undefined, status),
    });
  };
}

/** A controller class for one `EidModule` registration. */
export const routesController = (): Type<unknown> => class EidController extends EidRoutes {};
