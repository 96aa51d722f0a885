import { parse as parseQueryString } from 'node:querystring';
import {
  bankIdNorway,
  EidError,
  type Identity,
  idporten,
  linkMobilityNext,
  next,
  signicat,
  zignsec,
} from '@eid/core';
import * as adapter from '@eid/core/adapter';
// Brings secure-session's types into the program so its `SessionData` can be augmented below.
import type {} from '@fastify/secure-session';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

// What an app needs besides the plugin: the engine, its providers, its errors and the identity it gives.
export type { Eid, EidErrorCode, EidOptions, Identity, NationalId, TransactionStore } from '@eid/core';
export { createEid, EidError, isEidError, MemoryStore } from '@eid/core';
// The provider factories, through an import so that the list stays one line.
export { bankIdNorway, idporten, linkMobilityNext, next, signicat, zignsec };

/** What `request.eid` gives a route handler. */
export interface EidRequestContext {
  /**
   * The eID identity of the logged-in user, or undefined. The plugin has checked the login for this request: a
   * login that was logged out (from a copy of this session cookie) is logged out of this session too.
   */
  readonly identity: Identity | undefined;
}

/** Requests whose login the plugin's `onRequest` hook has checked, with the engine and the routes' mount path. */
const checked = new WeakMap<object, { eid: adapter.Eid; mountPath: string }>();

declare module 'fastify' {
  interface FastifyRequest {
    eid: EidRequestContext;
  }
  /** @fastify/session's data (`FastifySessionObject` extends it). */
  interface Session {
    eid?: adapter.EidSessionData;
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    eid?: adapter.EidSessionData;
  }
}

export interface FastifyEidOptions {
  eid: adapter.Eid;
  /** Where the routes go inside the app, before `eid.prefix`, as Fastify's own `prefix` option would. */
  prefix?: string;
}

const SESSION: adapter.SessionHelp = {
  adapter: '@eid/fastify',
  howTo:
    'register @fastify/cookie and @fastify/session, or @fastify/secure-session, before @eid/fastify ' +
    '(e.g. await app.register(fastifyCookie); await app.register(fastifySession, { secret }))',
};
const BODY_LIMIT = 16 * 1024;
const FORM = 'application/x-www-form-urlencoded';

/**
 * The contract's routes (docs/http-contract.md §2): exactly `eid.routes` under `eid.prefix`, below the plugin's `prefix`
 * (which the engine is told, so the provider sends the browser back under it).
 * Fastify itself answers path parameters over `routerOptions.maxParamLength` (default 100) with a 414; raise it
 * to 2048 if over-long ids should get the contract's 404 instead.
 */
const plugin: FastifyPluginAsync<FastifyEidOptions> = async (fastify, options) => {
  const where = 'app.register(eidPlugin, { eid })';
  const { eid, prefix } = adapter.optionsObject(options, where);
  adapter.engineOption(eid, where);
  adapter.refuseRoutesOption(options, where);
  if (!fastify.hasRequestDecorator('session')) adapter.requireSession({}, SESSION);
  const engine = eid as adapter.Eid;
  fastify.decorateRequest('eid', {
    getter(this: FastifyRequest): EidRequestContext {
      return { identity: adapter.sessionPortOf(this as { session?: unknown })?.read()?.identity };
    },
  });
  // Every request of the app, after the session plugin's own onRequest hook has loaded the session: a login that
  // was logged out from a copy of this session (a sealed cookie has no server state to destroy) is logged out
  // here too, before `request.eid`, `requireEid` or a route handler reads it.
  // Where the routes end up (the app's own prefix of this plugin, then `prefix`), as `mountRoutes` sees it.
  const mountPath = `${fastify.prefix}${prefix ?? ''}`;
  fastify.addHook('onRequest', async (request) => {
    const port = adapter.sessionPortOf(request as { session?: unknown });
    if (port) await adapter.liveIdentity(engine, port);
    checked.set(request, { eid: engine, mountPath });
  });
  // A child context: the form parser applies to these routes only, and `prefix` to their paths.
  await fastify.register(async (routes) => mountRoutes(routes, eid as adapter.Eid), prefix ? { prefix } : {});
};

async function mountRoutes(routes: Parameters<FastifyPluginAsync>[0], eid: adapter.Eid): Promise<void> {
  if (!routes.hasContentTypeParser(FORM)) {
    routes.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      done(null, parseQueryString(body as string));
    });
  }
  const mountPath = routes.prefix;
  for (const route of eid.routes) {
    const handle = (request: FastifyRequest, reply: FastifyReply) =>
      run(eid, route.name, mountPath, request, reply);
    routes.route({
      method: route.method,
      url: `${eid.prefix}${route.path}`,
      bodyLimit: route.bodyLimit ?? BODY_LIMIT,
      // Pushes: the token in the URL is checked before the body is read, and signed webhooks (ZignSec) over
      // the bytes as sent.
      ...(route.name === 'webhook'
        ? {
            onRequest: adapter.fastifyWebhookPreCheck(eid, () => mountPath, send),
            preParsing: adapter.fastifyKeepRawBody,
          }
        : {}),
      handler: handle,
      errorHandler: adapter.fastifyBodyErrorHandler(route.name, handle, send),
    });
  }
}

async function run(
  eid: adapter.Eid,
  route: adapter.RouteName,
  mountPath: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const outcome = await adapter.runRoute(
    eid,
    adapter.httpInput(route, request, adapter.requireSession(request, SESSION), mountPath),
  );
  return send(reply, outcome.response);
}

function send(reply: FastifyReply, response: adapter.EidResponse): FastifyReply {
  return adapter.writeResponse(response, {
    header: (name, value) => void reply.header(name, value),
    redirect: (status, location) => reply.redirect(location, status),
    json: (status, body) => reply.code(status).send(body),
    empty: (status) => reply.code(status).send(),
    file: (status, body) => reply.code(status).send(Buffer.from(body)),
  });
}

export interface RequireEidOptions {
  /** Where browsers without a login go. Default: answer 401 JSON. */
  redirectTo?: string;
  /**
   * Longest time since the eID login, in **seconds** (from the identity's `authenticatedAt`), e.g. `8 * 60 * 60`:
   * an older login is treated as none (401, or `redirectTo`). Default: no limit.
   */
  maxAge?: number;
  /**
   * Start this login for a page request without one, from the page's own request: the browser goes straight to
   * the provider and comes back to the page (`{ provider: 'signicat', method: 'nbid' }`, a redirect login method).
   * API requests still get the 401.
   */
  login?: adapter.GuardLogin;
}

/**
 * A preHandler that lets requests with an eID login through and answers the rest 401 (or redirects browsers). The
 * login was checked by the plugin when the request came in (a logged-out login does not count), so requireEid
 * needs `eidPlugin` registered in the same app, around the route.
 */
export function requireEid(options: RequireEidOptions = {}): preHandlerAsyncHookHandler {
  const maxAge = adapter.maxAgeOption(options.maxAge, 'requireEid(options)');
  if (options.login !== undefined && (typeof options.login !== 'object' || options.login === null)) {
    throw new EidError('invalid_config', 'requireEid(options): `login` must be { provider, method }.');
  }
  return async (request, reply) => {
    const plugin = checked.get(request);
    if (!plugin) {
      throw new EidError(
        'invalid_config',
        "requireEid() needs app.register(eidPlugin, { eid }) in the same app (registered before this route, not in a sibling plugin): it checks each request's login.",
      );
    }
    const { method, url, headers, ip } = request;
    const decision = await adapter.guardDecision(
      plugin.eid,
      {
        session: adapter.requireSession(request, SESSION),
        page: adapter.acceptsPage(headers.accept),
        method,
        url,
        headers,
        ip,
        mountPath: plugin.mountPath,
        raw: request,
        // The plugin's onRequest hook checked this request's login.
        checkedLive: true,
      },
      { where: 'requireEid(options)', login: options.login, maxAge, redirectTo: options.redirectTo },
    );
    if ('response' in decision) return send(reply, decision.response);
  };
}

/**
 * Fastify's `frameworkErrors` option: `Fastify({ frameworkErrors: eidFrameworkErrors })`. Fastify answers a URL
 * whose percent-encoding it cannot decode (`/auth/eid/status/%E0%A4%A`) before any plugin runs, with its own body
 * quoting the URL; this gives the contract's 400 `invalid_request` instead. Other framework errors go on as usual.
 */
export const eidFrameworkErrors = adapter.fastifyFrameworkErrors;

/**
 * `app.register(eidPlugin, { eid })`, or `{ eid, prefix: '/api' }` to mount below a path; needs
 * @fastify/session (+ @fastify/cookie) or @fastify/secure-session first.
 */
export const eidPlugin = fp(plugin, { name: '@eid/fastify', fastify: '5.x' });
