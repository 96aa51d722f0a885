import type { ServerResponse } from 'node:http';
import { configLines, type SimulatorConfig } from './config.js';
import { type FaultInjector, parseFaults } from './faults.js';
import { HttpError, mediaType, readBody, sendBody, sendJson, sendNoContent } from './http.js';
import type { SimulatedProvider } from './provider.js';
import type { RouteHandler, Router } from './router.js';
import type { StatsCounter } from './stats.js';
import type { SimulatorSessionView, TestUser } from './types.js';

export interface ControlSurface {
  readonly router: Router;
  readonly providers: readonly SimulatedProvider[];
  readonly users: readonly TestUser[];
  readonly faults: FaultInjector;
  readonly stats: StatsCounter;
  config(): SimulatorConfig;
  complete(id: string, outcome: unknown, userId: unknown): SimulatorSessionView;
  completeTransaction(transactionId: string, outcome: unknown, userId: unknown): SimulatorSessionView;
}

/** A completion's body: `{ outcome, user? }`. */
function completion(body: unknown): { outcome: unknown; user: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Send { "outcome": "success" | "abort" | "error", "user"?: "<test user id>" }.');
  }
  const { outcome, user } = body as Record<string, unknown>;
  return { outcome, user };
}

/**
 * The test control surface under `/__sim` (packages/simulator/README.md). JSON in and out; errors are
 * `{ error: { code, message } }`. Faults never apply here.
 */
export function registerControl(control: ControlSurface): void {
  const { router, providers, users, faults, stats } = control;

  // JSON by default; `NAME=value` lines (a .env file) for a client that asks for text/plain.
  router.get(
    '/__sim/config',
    json(({ req, res }) => {
      const config = control.config();
      if (prefersText(req.headers.accept)) {
        sendBody(res, 200, 'text/plain; charset=utf-8', `${configLines(config).join('\n')}\n`);
      } else {
        sendJson(res, 200, config);
      }
    }),
  );

  router.get(
    '/__sim/stats',
    json(({ res }) => sendJson(res, 200, stats.snapshot())),
  );

  const resetStats: RouteHandler = ({ res }) => {
    stats.reset();
    sendNoContent(res);
  };
  router.delete('/__sim/stats', json(resetStats));
  router.post('/__sim/stats/reset', json(resetStats));

  // `?transactionId=<the app's transaction id>` (or Signicat's `?externalReference=`) finds one login without
  // listing them all.
  router.get(
    '/__sim/sessions',
    json(({ url, res }) => {
      const transactionId = url.searchParams.get('transactionId');
      const reference = url.searchParams.get('externalReference');
      let found = providers.flatMap((provider) => provider.sessions());
      if (transactionId !== null)
        found = found.filter((session) => session.appTransactionId === transactionId);
      if (reference !== null) found = found.filter((session) => session.externalReference === reference);
      sendJson(res, 200, found);
    }),
  );

  // The same as completing the session, found by the app's transaction id.
  router.post(
    '/__sim/transactions/:transactionId/complete',
    json(async ({ req, res, params }) => {
      const { outcome, user } = completion(await readJson(req));
      sendJson(res, 200, control.completeTransaction(params.transactionId!, outcome, user));
    }),
  );

  router.post(
    '/__sim/sessions/:id/complete',
    json(async ({ req, res, params }) => {
      const { outcome, user } = completion(await readJson(req));
      sendJson(res, 200, control.complete(params.id!, outcome, user));
    }),
  );

  router.get(
    '/__sim/users',
    json(({ res }) => sendJson(res, 200, users)),
  );

  router.get(
    '/__sim/faults',
    json(({ res }) => sendJson(res, 200, faults.list())),
  );

  router.post(
    '/__sim/faults',
    json(async ({ req, res }) => {
      faults.set(parseFaults(await readJson(req)));
      sendJson(res, 200, faults.list());
    }),
  );

  router.delete(
    '/__sim/faults',
    json(({ res }) => {
      faults.clear();
      sendNoContent(res);
    }),
  );
}

function json(handler: RouteHandler): RouteHandler {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendError(ctx.res, error);
    }
  };
}

function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } });
}

async function readJson(req: Parameters<typeof readBody>[0]): Promise<unknown> {
  const type = mediaType(req);
  const text = await readBody(req);
  if (type !== '' && type !== 'application/json') {
    throw new HttpError(415, 'Send application/json.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

/** The Accept header names text/plain before (or without) application/json. */
function prefersText(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const text = types.indexOf('text/plain');
  const json = types.indexOf('application/json');
  return text !== -1 && (json === -1 || text < json);
}
