import type { Eid, Identity } from '@eid/core';
import {
  acceptsPage,
  fastifyFrameworkErrors,
  type GuardLogin,
  guardDecision,
  maxAgeOption,
  UNAUTHENTICATED_BODY,
} from '@eid/core/adapter';
import * as nest from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import {
  asPath,
  EID_GUARD_OPTIONS,
  EID_MODULE_OPTIONS,
  requireSession,
  routesController,
  type SessionRequest,
  sendEidResponse,
} from './eid.controller.js';

export interface EidModuleOptions {
  /** The engine, from `createEid({ ... })`: its routes are served at `eid.prefix` below Nest's global prefix. */
  eid: Eid;
}

export interface EidModuleExtras {
  /** Register the module globally (default true), so EID_MODULE_OPTIONS can be injected anywhere. */
  isGlobal?: boolean;
}

const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new nest.ConfigurableModuleBuilder<EidModuleOptions>({ optionsInjectionToken: EID_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setExtras<EidModuleExtras>({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: [routesController()],
      exports: [EID_MODULE_OPTIONS],
    }))
    .build();

export type EidModuleForRootOptions = typeof OPTIONS_TYPE;
export type EidModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** The HTTP contract's routes (docs/http-contract.md §2): `EidModule.forRoot({ eid })` or `EidModule.forRootAsync({ ... })`. */
@nest.Module({})
export class EidModule extends ConfigurableModuleClass {}

export interface EidGuardOptions {
  /**
   * Longest time since the eID login, in **seconds** (from the identity's `authenticatedAt`), e.g. `8 * 60 * 60`:
   * an older login is treated as none (401). Default: no limit.
   */
  maxAge?: number;
  /**
   * Start this login for a page request (a `GET` that asks for HTML) without one, from the page's own request: the
   * browser goes straight to the provider and comes back to the page (`{ provider: 'signicat', method: 'nbid' }`, a
   * redirect login method), one hop fewer than a redirect to a login page. API requests still get the 401.
   */
  login?: GuardLogin;
}

/** What the guard reads of a request: a page request (`GET`, HTML ahead of JSON) may get a login. */
interface PageRequest extends SessionRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * Lets requests with an eID login through, the rest get 401; override `getRequest` or `handleRequest` to adapt.
 * A login that was logged out (from a copy of this session cookie) does not count, and is logged out of this
 * session too, so `@EidIdentity()` behind the guard sees no identity either. `@UseGuards(EidGuard)`; to refuse
 * older logins, `@UseGuards(EidGuard.maxAge(8 * 60 * 60))` or provide `EID_GUARD_OPTIONS`.
 */
@nest.Injectable()
export class EidGuard implements nest.CanActivate {
  private readonly maxAge: number | undefined;
  private readonly login: GuardLogin | undefined;

  constructor(
    @nest.Inject(EID_MODULE_OPTIONS) private readonly options: EidModuleOptions,
    @nest.Optional() @nest.Inject(EID_GUARD_OPTIONS) guardOptions?: EidGuardOptions,
    // For `login`: where the answer is written, and Nest's global prefix (the routes' mount path).
    @nest.Optional() @nest.Inject(HttpAdapterHost) private readonly host?: HttpAdapterHost,
    @nest.Optional() @nest.Inject(ApplicationConfig) private readonly config?: ApplicationConfig,
  ) {
    this.maxAge = maxAgeOption(guardOptions?.maxAge, 'EidGuard options');
    // Checked against the engine's methods at the first request (remembered per engine): the module's options
    // may not be resolved yet when Nest creates the guard.
    this.login = guardOptions?.login;
  }

  /**
   * The guard that starts `login` for a page without one (see `EidGuardOptions.login`), for
   * `@UseGuards(EidGuard.login({ provider: 'signicat', method: 'nbid' }))`; `maxAge` as `EidGuard.maxAge`.
   */
  static login(login: GuardLogin, options: Pick<EidGuardOptions, 'maxAge'> = {}): nest.Type<EidGuard> {
    const maxAge = maxAgeOption(options.maxAge, 'EidGuard.login(login, options)');
    @nest.Injectable()
    class EidGuardWithLogin extends EidGuard {
      constructor(
        @nest.Inject(EID_MODULE_OPTIONS) moduleOptions: EidModuleOptions,
        @nest.Inject(HttpAdapterHost) host: HttpAdapterHost,
        @nest.Inject(ApplicationConfig) config: ApplicationConfig,
      ) {
        super(moduleOptions, { login, ...(maxAge === undefined ? {} : { maxAge }) }, host, config);
      }
    }
    return EidGuardWithLogin;
  }

  /** The guard with its own `maxAge` (seconds), for `@UseGuards(EidGuard.maxAge(8 * 60 * 60))`. */
  static maxAge(seconds: number): nest.Type<EidGuard> {
    const maxAge = maxAgeOption(seconds, 'EidGuard.maxAge(seconds)');
    @nest.Injectable()
    class EidGuardWithMaxAge extends EidGuard {
      constructor(@nest.Inject(EID_MODULE_OPTIONS) options: EidModuleOptions) {
        super(options, { maxAge });
      }
    }
    return EidGuardWithMaxAge;
  }

  async canActivate(context: nest.ExecutionContext): Promise<boolean> {
    const request = this.getRequest(context) as PageRequest;
    const host = this.host;
    // A login starts only where its answer can be written.
    const login = host && this.login;
    const decision = await guardDecision(
      this.options.eid,
      {
        session: requireSession(request),
        page: acceptsPage(request.headers?.accept),
        method: request.method,
        url: request.originalUrl ?? request.url ?? '/',
        headers: request.headers ?? {},
        ip: request.ip,
        mountPath: login ? asPath(this.config?.getGlobalPrefix() ?? '') : undefined,
        raw: request,
      },
      { where: 'EidGuard options', login, maxAge: this.maxAge },
    );
    if ('response' in decision && decision.loginStarted && host) {
      sendEidResponse(host.httpAdapter, context.switchToHttp().getResponse(), decision.response);
      // The answer (the redirect to the provider) is sent: the route does not run, and nothing else answers, as
      // @nestjs/passport's AuthGuard leaves a request a strategy redirected.
      return new Promise<boolean>(() => {});
    }
    // The 401 is Nest's own exception, thrown by `handleRequest` (which apps may override).
    this.handleRequest('identity' in decision ? decision.identity : undefined, context);
    return true;
  }

  getRequest(context: nest.ExecutionContext): SessionRequest {
    return context.switchToHttp().getRequest<SessionRequest>();
  }

  /** Returns the identity to let the request through; throws to refuse it. */
  handleRequest(identity: Identity | undefined, _context: nest.ExecutionContext): Identity {
    if (!identity) throw new nest.UnauthorizedException(UNAUTHENTICATED_BODY);
    return identity;
  }
}

/**
 * Fastify's `frameworkErrors` option, for Nest on Fastify: `new FastifyAdapter({ frameworkErrors: eidFrameworkErrors })`.
 * Fastify answers a URL whose percent-encoding it cannot decode before any route or filter runs, with its own body
 * quoting the URL; this gives the contract's 400 `invalid_request` instead. Other framework errors go on as usual.
 */
export const eidFrameworkErrors = fastifyFrameworkErrors;

/**
 * The identity in the session (or one of its fields), undefined without one; `@UseGuards(EidGuard)` requires a
 * login, and checks it was not logged out from a copy of the session: use the decorator behind the guard.
 */
export const EidIdentity = nest.createParamDecorator<keyof Identity | undefined>(
  (field, context: nest.ExecutionContext) => {
    const identity = context.switchToHttp().getRequest<SessionRequest>().session?.eid?.identity;
    return field ? identity?.[field] : identity;
  },
);
