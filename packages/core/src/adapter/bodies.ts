import { Transform } from 'node:stream';
import type { Eid, EidResponse } from '../engine/contract.js';
import { matchRoute, requestPath } from './match.js';
import { bodyErrorResponse, fastifyBodyErrorHandler } from './responses.js';

type Next = (error?: unknown) => void;
/** Connect-style middleware (Express, body-parser). */
export type Middleware = (req: { method: string; originalUrl: string }, res: unknown, next: Next) => void;

const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * For hosts that route the contract themselves (Nest on Express): one middleware that runs the parsers `parsersFor`
 * makes for each POST route, with that route's body limit, and answers the parsers' errors as the contract does.
 * Requests to other paths pass untouched. `mountPath` is read per request (a global prefix is set late).
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
    const path = requestPath(req.originalUrl);
    const route = path === undefined ? undefined : matchRoute(eid, req.method, path, mountPath())?.route;
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
    }
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
