import { parse as parseQueryString } from 'node:querystring';
import {
  bodyParseError,
  commitSessionChange,
  type Eid,
  type EidResponse,
  type EidSessionData,
  type Identity,
  prefersJson,
  type RouteName,
  requestHeaders,
  type SessionChange,
  type SessionPort,
  sessionPortOf,
} from '@eid/core';
// Brings secure-session's types into the program so its `SessionData` can be augmented below.
import type {} from '@fastify/secure-session';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

export * from '@eid/core';

/** What `request.eid` gives a route handler. */
export interface EidRequestContext {
  /** The eID identity of the logged-in user, or undefined. */
  readonly identity: Identity | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    eid: EidRequestContext;
  }
  /** @fastify/session's data (`FastifySessionObject` extends it). */
  interface Session {
    eid?: EidSessionData;
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    eid?: EidSessionData;
  }
}

export interface FastifyEidOptions {
  eid: Eid;
  /** Rename a route (relative to the prefix) or disable it with `false`. */
  routes?: Partial<Record<RouteName, string | false>>;
}

const SESSION_MISSING =
  '@eid/fastify needs a session: register @fastify/cookie and @fastify/session, or @fastify/secure-session, ' +
  'before @eid/fastify (e.g. await app.register(fastifyCookie); await app.register(fastifySession, { secret })).';
const BODY_LIMIT = 16 * 1024;
const FORM = 'application/x-www-form-urlencoded';

/**
 * The port to @fastify/session (a new id at login and logout) or @fastify/secure-session (its fields cleared);
 * checked before the engine runs, so a missing capability consumes nothing.
 */
function sessionPort(request: FastifyRequest): SessionPort {
  const port = sessionPortOf(request as { session?: unknown });
  if (!port) throw new Error(SESSION_MISSING);
  return port;
}

/**
 * The contract's routes (DESIGN 4.1) under `eid.prefix`: `app.register(eidPlugin, { eid })`.
 * It only translates: the request goes to `eid.handle`, the outcome comes back as a session change and a reply.
 * Fastify itself answers path parameters over `routerOptions.maxParamLength` (default 100) with a 414; raise it
 * to 2048 if over-long ids should get the contract's 404 instead.
 */
const plugin: FastifyPluginAsync<FastifyEidOptions> = async (fastify, options) => {
  const { eid } = options;
  if (!eid || typeof eid.handle !== 'function') {
    throw new Error(
      '@eid/fastify: the `eid` option is required: app.register(eidPlugin, { eid: createEid({ ... }) }).',
    );
  }
  if (!fastify.hasRequestDecorator('session')) throw new Error(SESSION_MISSING);
  fastify.decorateRequest('eid', {
    getter(this: FastifyRequest): EidRequestContext {
      return { identity: sessionPortOf(this as { session?: unknown })?.read()?.identity };
    },
  });

  // A child context, so the form parser applies to these routes only and not to the rest of the app.
  await fastify.register(async (routes) => {
    if (!routes.hasContentTypeParser(FORM)) {
      routes.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
        done(null, parseQueryString(body as string));
      });
    }
    for (const route of eid.routes) {
      const rename = options.routes?.[route.name];
      if (rename === false) continue;
      routes.route({
        method: route.method,
        url: `${eid.prefix}${typeof rename === 'string' ? rename : route.path}`,
        bodyLimit: route.bodyLimit ?? BODY_LIMIT,
        handler: (request, reply) => run(eid, route.name, request, reply),
        // Body parsing fails before the engine sees the request: answer in the contract's shape (DESIGN 4.4),
        // without echoing the body (JSON.parse messages quote it, and it may hold a nin). A logout reads no
        // body, so one Fastify has no parser for (multipart) does not stop it, as on Express.
        errorHandler: (error: Error & { code?: unknown; statusCode?: number }, request, reply) => {
          const status = error.statusCode ?? 500;
          if (typeof error.code !== 'string' || !error.code.startsWith('FST_ERR_CTP_') || status >= 500) {
            throw error;
          }
          if (route.name === 'logout' && error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
            return run(eid, 'logout', request, reply);
          }
          const refused = bodyParseError(status);
          return send(reply, { type: 'json', status: refused.status, body: refused.toJSON() });
        },
      });
    }
  });
};

async function run(
  eid: Eid,
  name: RouteName,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const session = sessionPort(request);
  const outcome = await eid.handle({
    route: name,
    httpMethod: request.method,
    params: request.params as Record<string, string>,
    query: request.query as Record<string, unknown>,
    body: request.body,
    headers: requestHeaders(request.headers),
    session: session.read(),
    clientIp: request.ip,
  });
  if (outcome.session) await commitSessionChange(outcome.session, session);
  return send(reply, outcome.response);
}

/**
 * Writes the engine's session change. At login and logout the session is renewed first (no fixation):
 * @fastify/session gets a new id, @fastify/secure-session (a sealed cookie, so new content is the rotation)
 * loses its old fields, as @fastify/passport does for both.
 */
export function applySessionChange(request: FastifyRequest, change: SessionChange): Promise<void> {
  return commitSessionChange(change, sessionPort(request));
}

function send(reply: FastifyReply, response: EidResponse): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (response.type === 'redirect') return reply.redirect(response.location, response.status);
  if (response.type === 'json') return reply.code(response.status).send(response.body);
  return reply.code(response.status).send();
}

export interface RequireEidOptions {
  /** Where browsers without a login go. Default: answer 401 JSON. */
  redirectTo?: string;
}

/** A preHandler that lets requests with an eID login through and answers the rest 401 (or redirects browsers). */
export function requireEid(options: RequireEidOptions = {}): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    sessionPort(request);
    if (request.eid.identity) return;
    const accept = request.headers.accept ?? '';
    if (options.redirectTo && /text\/html/i.test(accept) && !prefersJson(accept)) {
      return reply.redirect(options.redirectTo, 303);
    }
    return reply
      .code(401)
      .header('cache-control', 'no-store')
      .send({ error: { code: 'unauthenticated', message: 'Log in with an eID first.' } });
  };
}

/** `app.register(eidPlugin, { eid })`; needs @fastify/session (+ @fastify/cookie) or @fastify/secure-session first. */
export const eidPlugin = fp(plugin, { name: '@eid/fastify', fastify: '5.x' });
