import type { IncomingMessage } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { bodyParseError, type Eid, type EidError, type EidResponse, isEidError } from '@eid/core';

/** Nest's HTTP adapter, as far as this file uses it. */
export interface PlatformAdapter {
  getType(): string;
  getInstance(): unknown;
}

export interface BodyAnswers {
  /** Sends one of the contract's answers on the platform's response. */
  respond(res: unknown, response: EidResponse): void;
  /** Runs the logout route: on Fastify, for a body it has no parser for (a logout reads none). */
  logout(req: unknown, res: unknown): Promise<void>;
}

type NextFunction = (error?: unknown) => void;
type NodeRequest = IncomingMessage & { body?: unknown; _body?: boolean };

interface ExpressApp {
  post(path: string, handler: (req: NodeRequest, res: unknown, next: NextFunction) => void): unknown;
}

interface FastifyError extends Error {
  code?: unknown;
  statusCode?: number;
}

interface FastifyRouteOptions {
  method: string | string[];
  url: string;
  bodyLimit?: number;
  errorHandler?: (error: FastifyError, request: unknown, reply: unknown) => Promise<unknown>;
}

interface FastifyApp {
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * Gives each POST route of the contract its own body limit (`eid.routes`) and the contract's answer to a body
 * that is too large or unreadable, never the parser's message, which quotes the body (DESIGN 4.3, 4.4).
 * Call it before `app.init()`, where Nest adds its own body parsers (on Express: 100 kB for every route, and
 * their errors answered with the parser's message) and registers the routes.
 */
export function prepareRequestBodies(http: PlatformAdapter, eid: Eid, answers: BodyAnswers): void {
  const posts = eid.routes.filter((route) => route.method === 'POST');
  const refuse = (res: unknown, error: EidError) =>
    answers.respond(res, { type: 'json', status: error.status, body: error.toJSON() });

  if (http.getType() === 'express') {
    // Mounted ahead of Nest's own parsers, which then find the body read and leave it alone.
    const app = http.getInstance() as ExpressApp;
    for (const route of posts) {
      app.post(`${eid.prefix}${route.path}`, (req, res, next) => {
        readBody(req, route.bodyLimit ?? DEFAULT_BODY_LIMIT).then(
          () => next(),
          (error: unknown) => (isEidError(error) ? refuse(res, error) : next(error)),
        );
      });
    }
  } else if (http.getType() === 'fastify') {
    // Nest registers its routes on the root instance; this hook sees each one as it is added.
    const fastify = http.getInstance() as FastifyApp;
    fastify.addHook('onRoute', (options) => {
      const route = posts.find(
        (candidate) => options.method === 'POST' && options.url === `${eid.prefix}${candidate.path}`,
      );
      if (!route) return;
      options.bodyLimit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
      options.errorHandler = async (error, request, reply) => {
        const status = error.statusCode ?? 500;
        if (typeof error.code !== 'string' || !error.code.startsWith('FST_ERR_CTP_') || status >= 500) {
          throw error;
        }
        if (route.name === 'logout' && error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          await answers.logout(request, reply);
        } else {
          refuse(reply, bodyParseError(status));
        }
        // The reply is a thenable that settles once the answer is sent: Fastify then sends nothing more.
        return reply;
      };
    });
  }
}

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Reads a JSON or form body of at most `limit` bytes into `req.body`, as express.json and express.urlencoded
 * would; bodies of other types are left unread (a multipart logout is still a form post to the engine).
 */
async function readBody(req: NodeRequest, limit: number): Promise<void> {
  if (req._body || req.readableEnded) return;
  const [type = '', ...parameters] = (req.headers['content-type'] ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== JSON_TYPE && mediaType !== FORM_TYPE) return;
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='))
    ?.slice('charset='.length)
    .replaceAll('"', '');
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  const refused =
    Number(req.headers['content-length']) > limit
      ? bodyParseError(413)
      : (charset && charset !== 'utf-8' && charset !== 'utf8') || encoding !== 'identity'
        ? bodyParseError(415)
        : undefined;
  if (refused) {
    req.resume();
    throw refused;
  }
  // Read to the end even past the limit (as body-parser does), so the answer reaches the client.
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      size > limit ? reject(bodyParseError(413)) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
  req._body = true;
  try {
    req.body = mediaType === FORM_TYPE ? parseQueryString(text) : text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw bodyParseError(400);
  }
}
