import {
  commitSessionChange,
  type Eid,
  type EidResponse,
  ROUTES,
  type RouteName,
  requestHeaders,
} from '@eid/core';
import { Controller, Get, Inject, Post, Req, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EID_MODULE_OPTIONS, type EidModuleOptions, validateOptions } from './options.js';
import { type PlatformAdapter, prepareRequestBodies } from './request-body.js';
import { requireSession, type SessionRequest } from './session.js';

/** What the routes read of a request; Express and Fastify requests name these fields alike. */
interface HttpRequest extends SessionRequest {
  method: string;
  params: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Express `req.ip`, Fastify `request.ip`: the client address, as the platform's trust proxy allows. */
  ip?: string;
}

/**
 * The contract's routes (DESIGN 4.1). Each handler only translates: the request goes to `eid.handle`,
 * the outcome comes back as a session change and then a response, written through Nest's HTTP adapter
 * so that one controller serves the Express and the Fastify platform.
 */
@Controller()
class EidRoutes {
  static {
    // One handler per route of the engine's table (the one `eid.routes` gives), declared as `@Get(path)` or
    // `@Post(path)` with `@Req()` and `@Res()` would be. Nest lists a controller's methods before it creates
    // the controller, so they are declared here, on the class, not in the constructor.
    for (const route of ROUTES) {
      const name = `${route.method} ${route.path}`;
      const handler = function (this: EidRoutes, req: HttpRequest, res: unknown): Promise<void> {
        return this.run(route.name, req, res);
      };
      Object.defineProperty(EidRoutes.prototype, name, {
        value: handler,
        writable: true,
        configurable: true,
      });
      const descriptor = Object.getOwnPropertyDescriptor(EidRoutes.prototype, name)!;
      (route.method === 'GET' ? Get : Post)(route.path.slice(1))(EidRoutes.prototype, name, descriptor);
      Req()(EidRoutes.prototype, name, 0);
      Res()(EidRoutes.prototype, name, 1);
    }
  }

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
    // Body limits and body errors must be in place before `app.init()` adds Nest's parsers and routes; the
    // adapter is known by now (NestFactory.create), or as soon as the app is made (Test.createNestApplication).
    const prepare = (http: PlatformAdapter) =>
      prepareRequestBodies(http, eid, {
        respond: (res, response) => this.send(res, response),
        logout: (req, res) => this.run('logout', req as HttpRequest, res),
      });
    if (adapterHost.httpAdapter) prepare(adapterHost.httpAdapter);
    else adapterHost.init$?.subscribe(() => prepare(adapterHost.httpAdapter));
  }

  private async run(route: RouteName, req: HttpRequest, res: unknown): Promise<void> {
    const session = requireSession(req);
    const outcome = await this.eid.handle({
      route,
      httpMethod: req.method,
      params: req.params,
      query: req.query,
      body: req.body,
      headers: requestHeaders(req.headers),
      session: session.read(),
      clientIp: req.ip,
    });
    if (outcome.session) await commitSessionChange(outcome.session, session);
    this.send(res, outcome.response);
  }

  private send(res: unknown, response: EidResponse): void {
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
