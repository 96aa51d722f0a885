import { Transform } from 'node:stream';
import type { Eid, EidResponse } from '../engine/contract.js';
import { malformedTargetResponse, matchRoute, requestPath } from './match.js';
import { bodyErrorResponse, fastifyBodyErrorHandler } from './responses.js';
import { type FrameworkRequest, webhookPreCheckResponse } from './run.js';

type Next = (error?: unknown) => void;
/** Connect-style middleware (Express, body-parser). */
export type Middleware = (
  req: { method: string; originalUrl: string; headers?: Record<string, string | string[] | undefined> },
  res: unknown,
  next: Next,
) => void;

/** The query of a request target, repeated names as arrays (as Express and Fastify give them). */
function queryOf(target: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  let params: URLSearchParams;
  try {
    params = new URL(target, 'http://localhost').searchParams;
  } catch {
    return query;
  }
  for (const [name, value] of params) {
    const before = query[name];
    query[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return query;
}

const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * For hosts that route the contract themselves (Nest on Express): one middleware that runs the parsers `parsersFor`
 * makes for each POST route, with that route's body limit, and answers the parsers' errors as the contract does.
 * Before any parser it answers what needs no body: a route parameter with malformed percent-encoding (400), and
 * a webhook whose URL token is not genuine (`eid.webhookPreCheck`). Requests to other paths pass untouched.
 * `mountPath` is read per request (a global prefix is set late).
 */
export function routeBodyParsers(
  eid: Eid,
  mountPath: () => string,
  parsersFor: (limit: number) => Middleware[],
  respond: (res: unknown, response: EidResponse) => void,
): Middleware {
  const posts = eid.routes.filter((route) => route.method === 'POST');
  const parsers = new Map(
    posts.map((route) => [route.name, parsersFor(route.bodyLimit ?? DEFAULT_BODY_LIMIT)]),
  );
  return (req, res, next) => {
    const malformed = malformedTargetResponse(eid, req.originalUrl, mountPath());
    if (malformed) return respond(res, malformed);
    // Only the POST routes take a body (the webhook among them): every other request goes on as it came.
    if (req.method !== 'POST') return next();
    const path = requestPath(req.originalUrl);
    const matched = path === undefined ? undefined : matchRoute(eid, req.method, path, mountPath());
    const route = matched?.route;
    if (matched && route === 'webhook') {
      const refused = webhookPreCheckResponse(
        eid,
        {
          method: req.method,
          params: matched.params,
          query: queryOf(req.originalUrl),
          headers: req.headers ?? {},
        },
        mountPath(),
      );
      if (refused) return respond(res, refused);
    }
    const chain = [...((route && parsers.get(route)) || [])];
    const step = (error?: unknown) => {
      const refused = error === undefined ? undefined : bodyErrorResponse(error);
      const parser = chain.shift();
      if (refused) respond(res, refused);
      else if (error !== undefined || !parser) next(error);
      else parser(req, res, step);
    };
    step();
  };
}

/** The route options Fastify hands an `onRoute` hook, as far as bodies go. */
export interface FastifyRouteOptions {
  method: string | string[];
  url: string;
  bodyLimit?: number;
  errorHandler?: unknown;
  preParsing?: unknown;
  onRequest?: unknown;
}

/**
 * For hosts that register the contract's routes on Fastify themselves (Nest on Fastify): an `onRoute` hook giving
 * each POST route its body limit and the contract's answer to bodies Fastify's parsers refuse.
 */
export function fastifyRouteBodies<Request, Reply>(
  eid: Eid,
  mountPath: () => string,
  logout: (request: Request, reply: Reply) => Promise<unknown>,
  respond: (reply: Reply, response: EidResponse) => unknown,
): (options: FastifyRouteOptions) => void {
  return (options) => {
    const route = eid.routes.find(
      (candidate) =>
        candidate.method === 'POST' &&
        options.method === 'POST' &&
        options.url === `${mountPath()}${eid.prefix}${candidate.path}`,
    );
    if (!route) return;
    options.bodyLimit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
    options.errorHandler = fastifyBodyErrorHandler(route.name, logout, respond);
    if (route.name === 'webhook') {
      const hooks = options.preParsing;
      options.preParsing = [...(Array.isArray(hooks) ? hooks : hooks ? [hooks] : []), fastifyKeepRawBody];
      const early = options.onRequest;
      options.onRequest = [
        ...(Array.isArray(early) ? early : early ? [early] : []),
        fastifyWebhookPreCheck(eid, mountPath, respond),
      ];
    }
  };
}

/**
 * A Fastify `onRequest` hook for the webhook route: the engine's checks that need no body
 * (`eid.webhookPreCheck`, e.g. the token in the URL) run before Fastify reads and parses the body, and a push
 * they refuse is answered at once. `mountPath` is where the routes are mounted.
 */
export function fastifyWebhookPreCheck<Reply>(
  eid: Eid,
  mountPath: () => string,
  respond: (reply: Reply, response: EidResponse) => unknown,
) {
  return async (request: FrameworkRequest, reply: Reply): Promise<Reply | undefined> => {
    const refused = webhookPreCheckResponse(eid, request, mountPath());
    if (!refused) return undefined;
    await respond(reply, refused);
    // The reply is a thenable that settles once the answer is sent: Fastify then runs no further step.
    return reply;
  };
}

/**
 * A body-parser `verify` option keeping the bytes as `req.rawBody`, as Nest's `rawBody: true` does: webhook
 * signatures (ZignSec's X-ZignSec-Hmac-SHA256) cover the body exactly as sent.
 */
export function keepRawBody(req: unknown, _res: unknown, buffer: Buffer): void {
  (req as { rawBody?: Buffer }).rawBody = buffer;
}

/**
 * A Fastify `preParsing` hook doing the same for one route: the payload passes through unchanged and its bytes are
 * left as `request.rawBody` before the content-type parser finishes.
 */
export function fastifyKeepRawBody(
  request: unknown,
  _reply: unknown,
  payload: NodeJS.ReadableStream,
  done: (error: null, stream: Transform) => void,
): void {
  const chunks: Buffer[] = [];
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      chunks.push(chunk);
      next(null, chunk);
    },
    flush(next) {
      (request as { rawBody?: Buffer }).rawBody = Buffer.concat(chunks);
      next();
    },
  });
  done(null, payload.pipe(copy));
}
