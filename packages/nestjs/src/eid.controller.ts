import { type Eid, type EidOutcome, type RouteName, requestHeaders } from '@eid/core';
import { Controller, Get, Inject, Post, Req, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EID_MODULE_OPTIONS, type EidModuleOptions, validateOptions } from './options.js';
import { applySessionChange, requireSession, type SessionRequest } from './session.js';

/** What the routes read of a request; Express and Fastify requests name these fields alike. */
interface HttpRequest extends SessionRequest {
  method: string;
  params: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The contract's routes (DESIGN 4.1). Each handler only translates: the request goes to `eid.handle`,
 * the outcome comes back as a session change and then a response, written through Nest's HTTP adapter
 * so that one controller serves the Express and the Fastify platform.
 */
@Controller()
class EidRoutes {
  private readonly eid: Eid;

  constructor(
    @Inject(EID_MODULE_OPTIONS) options: EidModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    const { eid, path } = validateOptions(options);
    this.eid = eid;
    // The path is known only now (forRootAsync resolves it at bootstrap). Nest reads a controller's
    // path when it registers routes, which is after it has created every controller, so setting it here
    // works; each registration has a subclass of its own (routesController), so two never clash.
    Controller(path ?? eid.prefix)(new.target);
  }

  @Get('methods')
  methods(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('methods', req, res);
  }

  @Get('start/:provider/:method')
  startByGet(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('start', req, res);
  }

  @Post('start/:provider/:method')
  startByPost(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('start', req, res);
  }

  @Get('callback/:provider')
  callback(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('callback', req, res);
  }

  @Get('status/:transactionId')
  status(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('status', req, res);
  }

  @Post('cancel/:transactionId')
  cancel(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('cancel', req, res);
  }

  @Post('webhook/:provider')
  webhook(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('webhook', req, res);
  }

  @Get('session')
  session(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('session', req, res);
  }

  @Post('logout')
  logout(@Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    return this.run('logout', req, res);
  }

  private async run(route: RouteName, req: HttpRequest, res: unknown): Promise<void> {
    const outcome = await this.eid.handle({
      route,
      httpMethod: req.method,
      params: req.params,
      query: req.query,
      body: req.body,
      headers: requestHeaders(req.headers),
      session: requireSession(req).eid,
    });
    if (outcome.session) await applySessionChange(req, outcome.session);
    this.send(res, outcome);
  }

  private send(res: unknown, { response }: EidOutcome): void {
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'cache-control', 'no-store');
    if (response.type === 'redirect') http.redirect(res, response.status, response.location);
    else http.reply(res, response.type === 'json' ? response.body : undefined, response.status);
  }
}

/** A controller class for one `EidModule` registration. */
export function routesController(): Type<unknown> {
  return class EidController extends EidRoutes {};
}
